"""What the runs screen shows, as plain rows: one place that turns the model's runs into table rows, call
trees and callee figures, and sorts and filters them.

The screen and its widgets only see these rows, so they do not depend on how the model keeps runs (the
dashboard's own streamed runs, or the fleet's traffic runs stitched from node records). Pure: no Textual.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from oxytui.runs import Call, CallStatus, Run, RunState, RunStore, percentile
from oxytui.runs.sanitize import one_line

STATES = ("running", "completed", "failed")
"""The state filter cycles through these (``""`` = every state)."""
SOURCES = ("mine", "traffic", "probe", "demo")
COLUMNS: tuple[tuple[str, str], ...] = (
    ("start", "start"),
    ("nodes", "node(s)"),
    ("trace", "trace id"),
    ("query", "query"),
    ("state", "state"),
    ("duration", "duration"),
    ("tokens", "tokens"),
    ("hops", "hops"),
    ("source", "source"),
)
"""``(key, header)`` of every runs-table column, in display order; every one is sortable."""


@dataclass(frozen=True, slots=True)
class RunRow:
    """One run as the runs table shows it (times as the dashboard's wall clock, seconds)."""

    trace_id: str
    start: float | None
    nodes: tuple[str, ...]
    query: str
    state: str
    duration: float | None
    tokens: int | None
    hops: int
    source: str
    failed_calls: int = 0
    key: Any = None
    """Whatever the model needs to find the run again (the screen passes it back untouched)."""

    def sort_value(self, column: str) -> tuple[int, Any]:
        """A value every row can be compared by; missing values sort last in ascending order."""
        value: Any = {
            "start": self.start,
            "nodes": ",".join(self.nodes),
            "trace": self.trace_id,
            "query": self.query.lower(),
            "state": self.state,
            "duration": self.duration,
            "tokens": self.tokens,
            "hops": self.hops,
            "source": self.source,
        }.get(column)
        return (1, 0) if value is None else (0, value)

    def haystack(self) -> str:
        return " ".join((self.trace_id, self.query, self.state, self.source, *self.nodes)).lower()


@dataclass(slots=True)
class CallItem:
    """One call of a run's call tree: where it ran, how it ended, what it cost."""

    node_id: str
    node: str
    callee: str
    category: str
    state: str
    """``running``, ``completed`` or ``failed``."""
    duration: float | None
    tokens: int | None = None
    caller: str = ""
    side: str = ""
    """For a remote hop: ``caller`` (the network call) or ``callee`` (the work on the remote node)."""
    input_preview: str = ""
    output_preview: str = ""
    input: Any = None
    output: Any = None
    """What the dashboard already holds locally (streamed runs); ``/node`` gives the full record."""
    children: list[CallItem] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.state == "failed"

    def walk(self) -> Iterable[CallItem]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True, slots=True)
class CalleeRow:
    """Fleet figures of one agent, tool or LLM (one node or all of them)."""

    category: str
    name: str
    node: str
    calls: int
    failures: int
    p95: float | None
    tokens: int | None

    @property
    def error_rate(self) -> float:
        return self.failures / self.calls if self.calls else 0.0


@dataclass(slots=True)
class RunFilter:
    """Text (any part of trace, query, node, state, source), and exact state, node and source."""

    text: str = ""
    state: str = ""
    node: str = ""
    source: str = ""

    def matches(self, row: RunRow) -> bool:
        if self.state and row.state != self.state:
            return False
        if self.node and self.node not in row.nodes:
            return False
        if self.source and row.source != self.source:
            return False
        return not self.text or self.text.lower() in row.haystack()

    def describe(self) -> str:
        parts = [
            f"{k}={v}" for k, v in (("state", self.state), ("node", self.node), ("source", self.source)) if v
        ]
        if self.text:
            parts.append(f"text={self.text}")
        return " · ".join(parts)


def sort_rows(rows: list[RunRow], column: str, descending: bool) -> list[RunRow]:
    """Stable sort by one column; ties keep the newest run first. Missing values always go last."""
    base = sorted(rows, key=lambda r: r.start or 0.0, reverse=True)
    present = [r for r in base if r.sort_value(column)[0] == 0]
    missing = [r for r in base if r.sort_value(column)[0] == 1]
    present.sort(key=lambda r: r.sort_value(column)[1], reverse=descending)
    return present + missing


def cycle(options: Iterable[str], current: str) -> str:
    """The next filter value after ``current`` (``""`` = no filter comes first and after the last)."""
    values = ["", *options]
    return values[(values.index(current) + 1) % len(values)] if current in values else ""


# --- the dashboard's own streamed runs --------------------------------------------------------------------


def source_of_run(run: Run, sources: dict[tuple[str, str], str]) -> str:
    """``probe`` for probe runs, ``demo`` for demo-driver runs the controller told us about, else ``mine``."""
    if run.group == "probe":
        return "probe"
    return "demo" if sources.get(run.key) == "demo" else "mine"


def _call_state(call: Call) -> str:
    if call.status is CallStatus.RUNNING:
        return "running"
    return "failed" if call.status is CallStatus.ERROR else "completed"


def row_of_run(run: Run, now: float, start: float | None, source: str) -> RunRow:
    """A streamed run (one node, calls from its SSE events) as a table row."""
    state = run.state.value if run.state is not RunState.CANCELED else "failed"
    hops = sum(1 for c in run.calls.values() if c.category == "agent" and c.parent is not None)
    return RunRow(
        trace_id=run.trace_id,
        start=start,
        nodes=(run.node,),
        query=one_line(run.query, 200),
        state=state,
        duration=run.duration(now),
        tokens=None,
        hops=hops,
        source=source,
        failed_calls=len(run.error_calls()),
        key=("run", run.key),
    )


def tree_of_run(run: Run, now: float) -> list[CallItem]:
    """The streamed run's calls nested as the SSE call stacks say."""

    def item(call: Call) -> CallItem:
        return CallItem(
            node_id=call.node_id,
            node=run.node,
            callee=call.callee,
            category=call.category,
            state=_call_state(call),
            duration=call.duration(now) if call.end is not None else None,
            caller=call.caller,
            input_preview=call.query,
            output_preview=call.output_preview,
            input=call.query or None,
            output=call.output,
            children=[item(c) for c in call.children],
        )

    return [item(c) for c in run.roots]


def callees_of_runs(runs: Iterable[Run]) -> list[CalleeRow]:
    """Per-callee figures over streamed runs (all nodes together), most failures first, then slowest."""
    acc: dict[tuple[str, str], tuple[int, int, list[float]]] = {}
    for run in runs:
        for call in run.calls.values():
            if call.status is CallStatus.RUNNING:
                continue
            k = (call.category or "?", call.callee)
            n, failed, durations = acc.get(k, (0, 0, []))
            durations.append(max(0.0, call.duration(call.end or 0.0)))
            acc[k] = (n + 1, failed + (call.status is CallStatus.ERROR), durations)
    rows = [
        CalleeRow(cat, name, "all", n, failed, percentile(sorted(d), 95) if d else None, None)
        for (cat, name), (n, failed, d) in acc.items()
    ]
    return sort_callees(rows)


def sort_callees(rows: list[CalleeRow]) -> list[CalleeRow]:
    """What is failing first, then what is slow: failures, then p95, both descending."""
    return sorted(rows, key=lambda r: (-r.failures, -(r.p95 or 0.0), r.category, r.name))


def collect(store: RunStore, now: float, sources: dict[tuple[str, str], str]) -> list[RunRow]:
    """Every run the model knows, newest first."""
    rows = []
    for run in store.runs.values():
        rows.append(row_of_run(run, now, run.start_wall or None, source_of_run(run, sources)))
    rows.reverse()
    return rows
