"""Server-side timeline of a trace from OxyGent's ``GET /view?item_id=`` (node records with create/update
times), turned into Gantt rows. Pure: parsing and layout only, the fetch lives in the TUI controller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .sanitize import one_line


@dataclass(slots=True)
class TimelineEntry:
    node_id: str
    callee: str
    node_type: str
    depth: int
    start: float
    """Seconds since the first node's creation."""
    end: float | None
    state: Any


def _time(value: Any) -> float | None:
    """OxyGent's ``get_format_time``: ``2026-11-24 02:31:27.123456789`` (nanoseconds; local time)."""
    if not isinstance(value, str) or len(value) < 19:
        return None
    head, _, frac = value.partition(".")
    try:
        base = datetime.strptime(head, "%Y-%m-%d %H:%M:%S").timestamp()
    except ValueError:
        return None
    digits = "".join(ch for ch in frac if ch.isdigit())[:9]
    return base + (int(digits) / 10 ** len(digits) if digits else 0.0)


def parse_view(payload: Any) -> list[TimelineEntry]:
    """Entries sorted by start; accepts the ``{"code","message","data"}`` envelope or its ``data``.
    Anything malformed is skipped, never raised: the endpoint is optional and remote."""
    data = payload.get("data", payload) if isinstance(payload, dict) else None
    nodes = data.get("nodes") if isinstance(data, dict) else None
    if not isinstance(nodes, list):
        return []
    raw: list[tuple[float, float | None, dict[str, Any]]] = []
    for n in nodes:
        if not isinstance(n, dict):
            continue
        start = _time(n.get("create_time"))
        if start is None:
            continue
        raw.append((start, _time(n.get("update_time")), n))
    if not raw:
        return []
    t0 = min(s for s, _e, _n in raw)
    out = []
    for start, end, n in sorted(raw, key=lambda x: x[0]):
        raw_stack = n.get("call_stack")
        stack = raw_stack if isinstance(raw_stack, list) else []
        out.append(
            TimelineEntry(
                node_id=one_line(n.get("node_id"), 40),
                callee=one_line(n.get("callee"), 60),
                node_type=one_line(n.get("node_type"), 20),
                depth=max(0, len(stack) - 2),
                start=start - t0,
                end=None if end is None else max(start, end) - t0,
                state=n.get("state"),
            )
        )
    return out


def gantt(entries: list[TimelineEntry], width: int) -> list[tuple[int, int]]:
    """Bar (offset, length) in cells for each entry on a ``width``-cell axis; open entries run to the end."""
    total = max([e.end or e.start for e in entries] + [e.start for e in entries] + [1e-9])
    bars = []
    for e in entries:
        a = int(e.start / total * (width - 1))
        b = int((e.end if e.end is not None else total) / total * (width - 1))
        bars.append((a, max(1, b - a + 1)))
    return bars
