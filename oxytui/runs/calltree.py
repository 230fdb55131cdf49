"""Runs and their call trees, built from ``tool_call``/``observation`` pairs.

Pairs are matched by ``node_id``; nesting follows ``call_stack``, which keeps growing across remote hops
(``["user", "master_agent", "math_agent", "add"]``), so a forwarded remote call lands under the master-side
SSEOxyGent call that delegated it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .errors import is_error_output
from .sanitize import one_line


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
    children: list[Call] = field(default_factory=list)
    parent: Call | None = None

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
    source: str = ""
    """"traffic" for a run someone else started (seen in the nodes' records); "" for ours."""
    calls: dict[str, Call] = field(default_factory=dict)
    roots: list[Call] = field(default_factory=list)
    _by_stack: dict[tuple[str, ...], Call] = field(default_factory=dict)

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
        stack = call.call_stack
        parent = None
        for cut in range(len(stack) - 1, 0, -1):
            parent = self._by_stack.get(stack[:cut])
            if parent is not None:
                break
        if parent is None:
            self.roots.append(call)
        else:
            call.parent = parent
            parent.children.append(call)
        self._by_stack[stack] = call

    def walk(self) -> list[Call]:
        """Every call in tree order (depth first)."""
        out: list[Call] = []
        todo = list(reversed(self.roots))
        while todo:
            c = todo.pop()
            out.append(c)
            todo.extend(reversed(c.children))
        return out
