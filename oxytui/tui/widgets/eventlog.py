"""Live event log: a virtualized line view (only visible lines are rendered) over the store's bounded log.

Follow mode keeps the newest row in view; pause freezes the view and counts what arrives meanwhile;
a text filter and per-type / per-node toggles narrow the rows.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from oxytui.runs import LogRow, RunStore
from oxytui.tui.text import TYPE_STYLE, fmt_clock, theme_style

ALL_TYPES = (
    "request",
    "tool_call",
    "observation",
    "stream",
    "think",
    "answer",
    "error",
    "failed",
    "canceled",
    "progress",
    "other",
)


class EventLogView(ScrollView, can_focus=True):
    """Rows of :class:`LogRow`; ``sync()`` pulls new rows from the store (called by the app's flush)."""

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "cursor(-20)", show=False),
        Binding("pagedown", "cursor(20)", show=False),
        Binding("home", "home", show=False),
        Binding("end", "end", "Follow", show=False),
        Binding("enter", "open", "Details", id="event_detail"),
    ]

    DEFAULT_CSS = """
    EventLogView { background: $surface; }
    """

    class Selected(Message):
        """The cursor moved onto a row (the call tree follows its run)."""

        def __init__(self, row: LogRow) -> None:
            super().__init__()
            self.row = row

    class Opened(Message):
        def __init__(self, row: LogRow) -> None:
            super().__init__()
            self.row = row

    def __init__(self, store: RunStore, *, utc: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store = store
        self.utc = utc
        self.rows: list[LogRow] = []
        self.cursor = -1
        self.follow = True
        self.paused = False
        self.pending = 0
        self.filter_text = ""
        self.hidden_types: set[str] = set()
        self.node_filter: str | None = None
        self.hidden_nodes: set[str] = set()
        self._seen = 0
        self._version = -1
        self._cache: dict[tuple[int, int, int, bool], Strip] = {}

    # --- model sync ---------------------------------------------------------------------------------

    def matches(self, row: LogRow) -> bool:
        if self.node_filter is not None and row.node != self.node_filter:
            return False
        if row.node in self.hidden_nodes:
            return False
        t = row.type if row.type in ALL_TYPES else "other"
        if t == "stream_end":
            t = "stream"
        if t in self.hidden_types:
            return False
        if self.filter_text:
            needle = self.filter_text.lower()
            hay = f"{row.node} {row.type} {row.caller} {row.callee} {row.summary} {row.trace_id}".lower()
            return needle in hay
        return True

    def sync(self) -> None:
        log = self.store.log
        if log.version == self._version:
            return
        self._version = log.version
        if self.paused:
            self.pending = max(0, log.next_seq - self._seen)
            return
        new = [r for r in log.since(self._seen) if self.matches(r)]
        self._seen = log.next_seq
        first = log.first_seq
        drop = 0
        while drop < len(self.rows) and self.rows[drop].seq < first:
            drop += 1
        if drop:
            del self.rows[:drop]
            self.cursor = max(-1, self.cursor - drop)
        self.rows.extend(new)
        if len(self._cache) > 4096:
            self._cache.clear()
        if new or drop or log.updated_seq >= first:
            self._update_size()

    def rebuild(self) -> None:
        """Re-apply filters to every row still in the store (after a filter or toggle change)."""
        self.rows = [r for r in self.store.log.rows if self.matches(r)]
        self._seen = self.store.log.next_seq
        self._version = self.store.log.version
        self.cursor = min(self.cursor, len(self.rows) - 1)
        self._cache.clear()
        self._update_size()

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        self.pending = 0
        if not paused:
            self._version = -1
            self.sync()

    def _update_size(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows))
        if self.follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def clear(self) -> None:
        self.rows.clear()
        self.cursor = -1
        self._cache.clear()
        self._update_size()

    # --- rendering ----------------------------------------------------------------------------------

    def format_row(self, row: LogRow) -> Text:
        t = Text(no_wrap=True, end="")
        compact = self.size.width < 90
        clock = fmt_clock(row.wall, self.utc)
        t.append(clock[:8] if compact else clock, "dim")
        if row.source == "traffic":  # someone else's run, seen in the nodes' records
            t.append("⇢", theme_style(self.app, "$accent"))
        else:
            t.append(" ")
        t.append(f"{row.node[:10]:<10}" if compact else f"{row.node[:14]:<14}", "bold")
        t.append(" ")
        t.append(f"{row.type[:11]:<11}", theme_style(self.app, TYPE_STYLE.get(row.type, "")))
        t.append(" ")
        if not compact:
            route = f"{row.caller}→{row.callee}" if row.callee else row.caller
            t.append(f"{route[:24]:<24}", "dim" if not row.error else "")
            t.append(" ")
        style = theme_style(self.app, "$error") if row.error else ""
        t.append(row.summary, style)  # already one_line()-cleaned by the model
        return t

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        return self.render_row(scroll_y + y, scroll_x, self.scrollable_content_region.width)

    def render_row(self, idx: int, scroll_x: int, width: int) -> Strip:
        """The strip of row ``idx`` (cached per row, delta count, scroll and selection)."""
        base = self.rich_style
        if idx >= len(self.rows):
            return Strip.blank(width, base)
        row = self.rows[idx]
        selected = idx == self.cursor
        key = (row.seq, row.count, scroll_x, selected)
        strip = self._cache.get(key)
        if strip is None:
            text = self.format_row(row)
            segments = list(text.render(self.app.console, end=""))
            strip = Strip(segments).crop_extend(scroll_x, scroll_x + width, base)
            if selected:
                strip = strip.apply_style(self._cursor_style())
            strip = strip.apply_style(base) if not selected else strip
            self._cache[key] = strip
        return strip

    def _cursor_style(self) -> Style:
        return Style(reverse=True, bold=True) if self.has_focus else Style(reverse=True)

    def on_focus(self) -> None:
        self._cache.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._cache.clear()
        self.refresh()

    def on_resize(self) -> None:
        self._cache.clear()
        self.virtual_size = Size(self.size.width, len(self.rows))
        if self.follow:
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True, x_axis=False)

    # --- actions ------------------------------------------------------------------------------------

    def selected_row(self) -> LogRow | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def action_cursor(self, delta: int) -> None:
        if not self.rows:
            return
        start = len(self.rows) if self.cursor < 0 and delta < 0 else self.cursor
        self.move_to(max(0, min(len(self.rows) - 1, start + delta)))

    def move_to(self, idx: int) -> None:
        self.cursor = idx
        self.follow = idx >= len(self.rows) - 1
        self._cache.clear()
        self.scroll_to_region_line(idx)
        self.refresh()
        row = self.selected_row()
        if row is not None:
            self.post_message(self.Selected(row))

    def scroll_to_region_line(self, idx: int) -> None:
        top = self.scroll_offset.y
        height = self.scrollable_content_region.height
        if idx < top:
            self.scroll_to(y=idx, animate=False, immediate=True)
        elif idx >= top + height:
            self.scroll_to(y=idx - height + 1, animate=False, immediate=True)

    def action_home(self) -> None:
        if self.rows:
            self.move_to(0)

    def action_end(self) -> None:
        self.follow = True
        self.cursor = -1
        self._cache.clear()
        self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def action_open(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.post_message(self.Opened(row))

    def on_click(self, event: object) -> None:
        y = getattr(event, "y", None)
        if y is None:
            return
        idx = self.scroll_offset.y + y
        if 0 <= idx < len(self.rows):
            if idx == self.cursor and getattr(event, "chain", 1) >= 2:
                self.action_open()
            else:
                self.move_to(idx)
