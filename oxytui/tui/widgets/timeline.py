"""Server-side timeline (OxyGent's ``/view`` records as a Gantt chart): the call-tree pane's second face
(key ``v``) and the pop-up from the palette share :func:`timeline_text`."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import App
from textual.widgets import Static

from oxytui.runs.timeline import TimelineEntry, gantt
from oxytui.tui.text import fmt_secs, literal, theme_style

NAME_W = 28


def axis_label(seconds: float) -> str:
    """The axis end: below a millisecond in tenths of one, so a 0.4 ms run never reads "0ms"."""
    if 0 < seconds < 0.0095:
        return f"{seconds * 1000:.1f}ms"
    return fmt_secs(seconds)


def timeline_text(app: App[Any], entries: list[TimelineEntry], note: str, width: int = 60) -> Text:
    """An axis row (0 … span), then one row per record: indented callee, type, bar on a ``width``-cell axis
    from zero, duration ("open": no end). A record that took no time is a tick, not a bar."""
    body = Text(no_wrap=True, end="")
    if not entries:
        body.append(note or "empty: the node has no /view records for this trace", "dim")
        return body
    width = max(10, width)
    end = axis_label(span_of(entries))
    body.append(" " * (NAME_W + 7) + "0" + end.rjust(width - 1) + "\n", "dim")
    for i, (e, (off, length)) in enumerate(zip(entries, gantt(entries, width), strict=True)):
        if i:
            body.append("\n")
        name = ("  " * min(e.depth, 6)) + e.callee
        body.append_text(
            literal(f"{name[:NAME_W]:<{NAME_W}}", "bold" if e.node_type == "agent" else "", limit=NAME_W)
        )
        body.append(f" {e.node_type[:5]:<5} ", "dim")
        body.append(" " * off)
        style = theme_style(app, "$primary" if e.end is not None else "$warning")
        if e.end is not None and e.end <= e.start:
            length = 1
            body.append("│", style)
        else:
            body.append("█" * length, style)
        body.append(" " * max(0, width + 1 - off - length))
        dur = "open" if e.end is None else fmt_secs(e.end - e.start)
        body.append(f" {dur:>6}")
    return body


def span_of(entries: list[TimelineEntry]) -> float:
    return max([e.end or e.start for e in entries] + [0.0])


class TimelinePane(Static):
    """The call-tree pane's timeline face: shows what the app fetched for the selected run."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.key: tuple[str, str] | None = None
        self.entries: list[TimelineEntry] = []
        self.note = "loading…"
        self.fetched_at = 0.0

    def show(self, key: tuple[str, str] | None, entries: list[TimelineEntry], note: str, at: float) -> None:
        self.key, self.entries, self.note, self.fetched_at = key, entries, note, at
        self.border_subtitle = f"span {fmt_secs(span_of(entries))}" if entries else ""
        self.redraw()

    def redraw(self) -> None:
        width = self.size.width - NAME_W - 16 if self.size.width else 40
        self.update(timeline_text(self.app, self.entries, self.note, width))

    def on_resize(self) -> None:
        self.redraw()
