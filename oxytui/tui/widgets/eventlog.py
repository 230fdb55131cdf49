"""Live event log: a virtualized line view (only visible lines are rendered) over the store's bounded log.

Follow mode keeps the newest row in view; pause freezes the view and counts what arrives meanwhile;
a text filter and per-type / per-node toggles narrow the rows.
"""

from __future__ import annotations

from bisect import bisect_right

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.color import Color
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from oxytui.runs import LogRow, RunStore, shorten_middle
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


SHORT_TYPE = {
    "request": "req",
    "tool_call": "call",
    "observation": "obs",
    "stream": "strm",
    "stream_end": "strm",
    "answer": "ans",
    "think": "think",
    "error": "err",
    "failed": "fail",
    "canceled": "cncl",
    "progress": "prog",
}
"""Type names on a narrow log (5 cells)."""


def route_cell(caller: str, callee: str, width: int) -> str:
    """``caller→callee`` in ``width`` cells; each side shortened in the middle, so neither the agent nor
    the tool it calls is cut off at its end."""
    if not callee:
        return shorten_middle(caller, width)
    route = f"{caller}→{callee}"
    if len(route) <= width:
        return route
    avail = width - 1
    callee_w = min(len(callee), max(avail // 2, avail - len(caller)))
    caller_w = avail - callee_w
    return f"{shorten_middle(caller, caller_w)}→{shorten_middle(callee, callee_w)}"


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
        self._route_max = 8
        """Longest ``caller→callee`` seen: the route column grows to it (capped by the width)."""
        self._layout_key: tuple[int, int, int] = (-1, -1, -1)
        self._layout = (12, 14, 11, 24)

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
            name = self.store.display(row.node)
            hay = f"{name} {row.node} {row.type} {row.caller} {row.callee} {row.summary} {row.trace_id}"
            return needle in hay.lower()
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
        self._measure(new)
        if len(self._cache) > 4096:
            self._cache.clear()
        if new or drop or log.updated_seq >= first:
            self._update_size()

    def _measure(self, rows: list[LogRow]) -> None:
        for r in rows:
            n = len(r.caller) + len(r.callee) + 1
            if n > self._route_max:
                self._route_max = n

    def rebuild(self) -> None:
        """Re-apply filters to every row still in the store (after a filter or toggle change). The
        selected event stays selected and in view (or the nearest older one); without a selection the
        view keeps following."""
        anchor = self.selected_row()
        self.rows = [r for r in self.store.log.rows if self.matches(r)]
        self._measure(self.rows)
        self._seen = self.store.log.next_seq
        self._version = self.store.log.version
        self._cache.clear()
        if anchor is None or not self.rows:
            self.cursor = min(self.cursor, len(self.rows) - 1)
            self._update_size()
            return
        idx = bisect_right([r.seq for r in self.rows], anchor.seq) - 1
        self.cursor = max(0, idx)
        self.follow = self.cursor >= len(self.rows) - 1
        self._update_size()
        self.call_after_refresh(self._center, self.cursor)

    def _center(self, idx: int) -> None:
        height = self.scrollable_content_region.height
        self.scroll_to(y=max(0, idx - height // 2), animate=False, immediate=True)

    def newer(self) -> int:
        """Rows below the view while not following (shown as "N newer"; End follows again)."""
        if self.follow or self.paused:
            return 0
        if self.cursor >= 0:
            return len(self.rows) - 1 - self.cursor
        return max(0, len(self.rows) - self.scroll_offset.y - self.scrollable_content_region.height)

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

    def columns(self) -> tuple[int, int, int, int]:
        """(clock, node, type, route) widths for the current width: the clock shrinks first, then the
        type is abbreviated; node and caller→callee keep room for the names actually seen (capped)."""
        width = self.scrollable_content_region.width or self.size.width or 120
        names = self.store.names
        key = (width, self.store.names_version, self._route_max)
        if key == self._layout_key:
            return self._layout
        if width >= 130:
            clock, node_cap, type_w, route_cap = 12, 18, 11, 36
        elif width >= 100:
            clock, node_cap, type_w, route_cap = 12, 14, 11, 28
        elif width >= 75:
            clock, node_cap, type_w, route_cap = 8, 12, 5, 28
        else:
            clock, node_cap, type_w, route_cap = 0, 10, 5, max(16, width * 45 // 100)
        longest = max((len(n) for n in names.values()), default=6)
        node_w = max(6, min(node_cap, longest))
        route_w = max(8, min(route_cap, self._route_max))
        self._layout_key, self._layout = key, (clock, node_w, type_w, route_w)
        self._cache.clear()
        return self._layout

    def format_row(self, row: LogRow) -> Text:
        clock_w, node_w, type_w, route_w = self.columns()
        t = Text(no_wrap=True, end="")
        if clock_w:
            t.append(fmt_clock(row.wall, self.utc)[:clock_w], "dim")
        if row.source == "traffic":  # someone else's run, seen in the nodes' records
            t.append("⇢", theme_style(self.app, "$accent"))
        elif clock_w:
            t.append(" ")
        name = self.store.display(row.node)
        t.append(shorten_middle(name, node_w).ljust(node_w), "bold")
        t.append(" ")
        kind = row.type if type_w >= 11 else SHORT_TYPE.get(row.type, row.type[:type_w])
        t.append(f"{kind[:type_w]:<{type_w}}", theme_style(self.app, TYPE_STYLE.get(row.type, "")))
        t.append(" ")
        caller, callee = row.caller, row.callee
        if caller == row.node or callee == row.node:  # "you→node" rows: the node's display name
            caller = name if caller == row.node else caller
            callee = name if callee == row.node else callee
        t.append(route_cell(caller, callee, route_w).ljust(route_w), "dim" if not row.error else "")
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
            if selected:  # a solid bar over the whole width: visible in every theme, focused or not
                strip = Strip(Segment.apply_style(list(strip), post_style=self._cursor_style()))
            else:
                strip = strip.apply_style(base)
            self._cache[key] = strip
        return strip

    def _cursor_style(self) -> Style:
        """The theme's block cursor (blurred variant when the log has no focus) as a solid bar."""
        variables = self.app.get_css_variables()
        name = "block-cursor-background" if self.has_focus else "block-cursor-blurred-background"
        try:
            bg = Color.parse(variables.get(name) or variables.get("primary") or "blue")
            if bg.a < 1:  # translucent: composite over the pane's background
                bg = Color.parse(variables.get("surface") or "black") + bg
        except Exception:  # a user theme with odd values: fall back to reverse video
            return Style(reverse=True, bold=True)
        fg = bg.get_contrast_text(alpha=1.0)
        return Style(bgcolor=bg.rich_color, color=fg.rich_color, bold=True, dim=False)

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
