"""The runs screen's rows as plain data: one shape for a run, a call of its tree and a callee's figures,
and how the screen sorts and filters them.

Widgets and screens need only these; how the model's runs become rows is ``oxytui.tui.runsview``'s job
(which re-exports every name here). Pure: no Textual, no model import.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

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
    hop_from: str = ""
    """For a remote hop: the calling node (this item is the work on ``node``; both sides were recorded)."""
    overhead: float | None = None
    """For a remote hop: the caller's span minus the callee's work (network and queueing)."""
    input_preview: str = ""
    output_preview: str = ""
    input: Any = None
    output: Any = None
    """What the dashboard already holds locally (streamed runs); ``/node`` gives the full record."""
    headers: tuple[tuple[str, str], ...] = ()
    """The starting request's headers from the record, credentials already redacted by the parser."""
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


def sort_callees(rows: list[CalleeRow]) -> list[CalleeRow]:
    """What is failing first, then what is slow: failures, then p95, both descending."""
    return sorted(rows, key=lambda r: (-r.failures, -(r.p95 or 0.0), r.category, r.name))
