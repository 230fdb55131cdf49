"""Runs and their call trees, built from ``tool_call``/``observation`` pairs.

Pairs are matched by ``node_id``; nesting follows ``call_stack``, which keeps growing across remote hops
(``["user", "master_agent", "math_agent", "add"]``), so a forwarded remote call lands under the master-side
SSEOxyGent call that delegated it.

Building is iterative and linear in the stack length (a hostile node may nest thousands of calls), and the
tree is at most :data:`MAX_DEPTH` levels deep: calls nested deeper hang flattened under the last allowed
level with ``clipped`` set, so every consumer (widget, export) may walk it without a recursion limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .errors import is_error_output
from .sanitize import one_line

MAX_DEPTH = 64
"""Levels of the call tree (root calls are level 0); deeper calls are attached at level MAX_DEPTH - 1."""


class RunState(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"


class CallStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    ERROR = "error"


@dataclass(slots=True, eq=False)
class Call:
    """One Oxy invocation (agent, tool, LLM or flow) inside a run."""

    node_id: str
    callee: str
    caller: str = ""
    category: str = ""
    call_stack: tuple[str, ...] = ()
    query: str = ""
    status: CallStatus = CallStatus.RUNNING
    start: float = 0.0
    end: float | None = None
    output: Any = None
    output_preview: str = ""
    arguments: Any = None
    """The call's full input (``tool_call`` arguments), for copying and export."""
    children: list[Call] = field(default_factory=list)
    parent: Call | None = None
    level: int = 0
    """Depth in the tree (0: a root call); never above ``MAX_DEPTH - 1``."""
    clipped: bool = False
    """Nested deeper than ``MAX_DEPTH`` really: shown flattened at the last level (a marker says so)."""

    def duration(self, now: float) -> float:
        return (self.end if self.end is not None else now) - self.start

    @property
    def depth(self) -> int:
        return max(0, len(self.call_stack) - 2)


@dataclass(slots=True, eq=False)
class Run:
    """One chat request to one node (a fan-out makes one run per node)."""

    node: str
    trace_id: str
    query: str = ""
    state: RunState = RunState.RUNNING
    start_mono: float = 0.0
    start_wall: float = 0.0
    end_mono: float | None = None
    first_event_mono: float | None = None
    answer: str = ""
    streamed: str = ""
    """Text of LLM deltas of the top-level agent so far (a live preview before the answer arrives)."""
    error: str = ""
    events: int = 0
    group: str = ""
    """Fan-out group id: runs sent together share it (chat shows them side by side)."""
    think: str = ""
    """The latest ``think`` of the run (what a running answer shows instead of the planner's JSON)."""
    conversation: str = ""
    """OxyGent ``group_id`` of the conversation this prompt belongs to (empty: none)."""
    turn: int = 0
    """1 for a conversation's first prompt, 2 for the follow-up, ... (0: not a conversation)."""
    source: str = ""
    """"traffic" for a run someone else started (seen in the nodes' records); "" for ours."""
    calls: dict[str, Call] = field(default_factory=dict)
    roots: list[Call] = field(default_factory=list)
    clipped: int = 0
    """Calls nested deeper than :data:`MAX_DEPTH` (attached flattened at the last level)."""
    _trie: dict[tuple[int, str], int] = field(default_factory=dict)
    """Call-stack prefixes as a trie of ids: (prefix id, next name) -> id; id 0 is the empty stack."""
    _at: dict[int, Call] = field(default_factory=dict)
    """Prefix id -> the latest call whose full stack it is."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.node, self.trace_id)

    @property
    def live(self) -> bool:
        return self.state is RunState.RUNNING

    def duration(self, now: float) -> float:
        return (self.end_mono if self.end_mono is not None else now) - self.start_mono

    @property
    def ttfe(self) -> float | None:
        return None if self.first_event_mono is None else self.first_event_mono - self.start_mono

    def running_agents(self) -> set[str]:
        return {c.callee for c in self.calls.values() if c.status is CallStatus.RUNNING}

    def error_calls(self) -> list[Call]:
        return [c for c in self.calls.values() if c.status is CallStatus.ERROR]

    # --- building ----------------------------------------------------------------------------------

    def on_tool_call(
        self,
        *,
        node_id: str,
        caller: str,
        callee: str,
        category: str,
        call_stack: list[str],
        arguments: dict[str, Any],
        mono: float,
    ) -> Call:
        stack = tuple(call_stack) or (caller, callee)
        call = self.calls.get(node_id) if node_id else None
        if call is None:
            query = arguments.get("query") if isinstance(arguments, dict) else None
            call = Call(
                node_id=node_id or f"anon-{len(self.calls)}",
                callee=callee,
                caller=caller,
                category=category,
                call_stack=stack,
                query=one_line(query, 120),
                start=mono,
                arguments=arguments,
            )
            self.calls[call.node_id] = call
            self._attach(call)
        return call

    def on_observation(
        self,
        *,
        node_id: str,
        caller: str,
        callee: str,
        category: str,
        call_stack: list[str],
        output: Any,
        mono: float,
    ) -> Call:
        call = self.calls.get(node_id) if node_id else None
        if call is None:  # observation without its tool_call (dropped or filtered): still show it
            call = self.on_tool_call(
                node_id=node_id,
                caller=caller,
                callee=callee,
                category=category,
                call_stack=call_stack,
                arguments={},
                mono=mono,
            )
        call.end = mono
        call.output = output
        call.output_preview = one_line(output, 160)
        call.status = CallStatus.ERROR if is_error_output(output) else CallStatus.DONE
        return call

    def _attach(self, call: Call) -> None:
        """Parent = the call owning the longest proper prefix of this call's stack (one trie walk)."""
        trie, at = self._trie, self._at
        parent: Call | None = None
        node = 0
        last = len(call.call_stack) - 1
        for i, name in enumerate(call.call_stack):
            nxt = trie.get((node, name))
            if nxt is None:
                nxt = len(trie) + 1
                trie[(node, name)] = nxt
            node = nxt
            if i < last and (owner := at.get(node)) is not None:
                parent = owner
        at[node] = call
        if parent is None:
            self.roots.append(call)
            return
        if parent.level >= MAX_DEPTH - 1 and parent.parent is not None:
            call.clipped = True  # too deep: a sibling of its parent, at the last level
            self.clipped += 1
            parent = parent.parent
        call.parent = parent
        call.level = parent.level + 1
        parent.children.append(call)

    def walk(self) -> list[Call]:
        """Every call in tree order (depth first)."""
        out: list[Call] = []
        todo = list(reversed(self.roots))
        while todo:
            c = todo.pop()
            out.append(c)
            todo.extend(reversed(c.children))
        return out
