"""A bounded event log whose rows are ready to display; ``stream`` deltas of one LLM call share one row."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .sanitize import one_line


@dataclass(slots=True, eq=False)
class LogRow:
    """One displayed row. Mutable: a coalesced stream row grows as its deltas arrive."""

    seq: int
    mono: float
    wall: float
    node: str
    trace_id: str
    type: str
    caller: str = ""
    callee: str = ""
    summary: str = ""
    raw: Any = None
    error: bool = False
    count: int = 1
    """Number of events folded into this row (stream deltas)."""
    text: list[str] = field(default_factory=list)
    """Stream rows: the deltas, joined for the detail view."""
    chars: int = 0
    source: str = ""
    """"traffic": from the nodes' run records (someone else's run), not from one of our streams."""

    def detail(self) -> dict[str, Any]:
        """What the detail view shows as JSON: the event's wire data plus where it came from."""
        out: dict[str, Any] = {
            "node": self.node,
            "trace_id": self.trace_id,
            "type": self.type,
            "wall": self.wall,
        }
        if self.source:
            out["source"] = self.source
        if self.text:
            out["deltas"] = self.count
            out["text"] = "".join(self.text)
        out["data"] = self.raw
        return out


class EventLog:
    """Rows in arrival order, at most ``cap``; the oldest are dropped and counted in ``dropped``."""

    def __init__(self, cap: int = 20_000, stream_text_cap: int = 100_000) -> None:
        self.cap = max(1, cap)
        self.rows: deque[LogRow] = deque()
        self.dropped = 0
        self.next_seq = 0
        self.updated_seq = -1
        """Highest seq of a row changed in place (coalesced stream rows); views re-render when it moves."""
        self.version = 0
        self._open_streams: dict[tuple[str, str, str], LogRow] = {}
        self._stream_text_cap = stream_text_cap

    @property
    def first_seq(self) -> int:
        return self.rows[0].seq if self.rows else self.next_seq

    def clear(self) -> None:
        self.rows.clear()
        self._open_streams.clear()
        self.version += 1

    def append(
        self,
        *,
        mono: float,
        wall: float,
        node: str,
        trace_id: str,
        type: str,
        caller: str = "",
        callee: str = "",
        summary: str = "",
        raw: Any = None,
        error: bool = False,
        source: str = "",
    ) -> LogRow:
        row = LogRow(
            seq=self.next_seq,
            mono=mono,
            wall=wall,
            node=one_line(node, 80),
            trace_id=one_line(trace_id, 80),
            type=one_line(type, 40),
            caller=one_line(caller, 80),
            callee=one_line(callee, 80),
            summary=one_line(summary, 300),
            raw=raw,
            error=error,
            source=source,
        )
        self.next_seq += 1
        self.rows.append(row)
        while len(self.rows) > self.cap:
            old = self.rows.popleft()
            self.dropped += 1
            if old.text:
                self._open_streams = {k: v for k, v in self._open_streams.items() if v is not old}
        self.version += 1
        return row

    def stream(
        self,
        *,
        mono: float,
        wall: float,
        node: str,
        trace_id: str,
        node_id: str,
        agent: str,
        delta: str,
        end: bool,
        raw: Any,
    ) -> LogRow:
        """Fold one ``stream``/``stream_end`` into the open row of its LLM call (or open a new one)."""
        key = (node, trace_id, node_id)
        row = self._open_streams.get(key)
        if row is None:
            row = self.append(
                mono=mono,
                wall=wall,
                node=node,
                trace_id=trace_id,
                type="stream",
                caller=agent,
                callee="llm",
                raw=raw,
            )
            row.count = 0
            self._open_streams[key] = row
        if delta and row.chars < self._stream_text_cap:
            row.text.append(delta)
            row.chars += len(delta)
        if not end:
            row.count += 1
        if end or row.count <= 32 or row.count % 16 == 0:  # a long stream: refresh the preview now and then
            row.summary = f"{row.count} deltas: " + one_line(_tail(row.text, 300), 300)
        row.raw = raw if row.raw is None else row.raw
        if end:
            row.type = "stream_end" if row.count == 0 else "stream"
            self._open_streams.pop(key, None)
        self.updated_seq = max(self.updated_seq, row.seq)
        self.version += 1
        return row

    def since(self, seq: int) -> list[LogRow]:
        """Rows with ``seq >= seq`` still in the log (for views that append incrementally)."""
        if not self.rows or seq >= self.next_seq:
            return []
        start = max(0, seq - self.rows[0].seq)
        return [self.rows[i] for i in range(start, len(self.rows))]


def _tail(parts: list[str], n: int) -> str:
    """The last ``n`` characters of ``"".join(parts)`` without joining everything."""
    out: list[str] = []
    size = 0
    for p in reversed(parts):
        out.append(p)
        size += len(p)
        if size >= n:
            break
    return "".join(reversed(out))[-n:]
