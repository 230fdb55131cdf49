"""Runs table: one line per run from every source, drawn only where visible (thousands of runs cost no more
than a screenful), with a clickable header for sorting. Cells are literal ``Text``: never markup."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from oxytui.tui.runsview import COLUMNS, RunRow
from oxytui.tui.text import RUN_STYLE, fmt_clock, fmt_secs, literal, theme_style

STATE_ICON = {"running": "◌", "completed": "✓", "failed": "✗", "canceled": "▪", "unknown": "?"}
WIDE = {
    "start": 13,
    "nodes": 19,
    "trace": 23,
    "state": 15,
    "duration": 9,
    "tokens": 8,
    "hops": 5,
    "source": 8,
}
COMPACT = {
    "start": 9,
    "nodes": 10,
    "trace": 17,
    "state": 12,
    "duration": 7,
    "tokens": 6,
    "hops": 5,
    "source": 8,
}
"""Column widths including one separating space; ``query`` takes what is left."""
SHORT = {"start": "time", "nodes": "node", "duration": "dur", "tokens": "tok", "source": "src"}
RIGHT = {"duration", "tokens", "hops"}
COMPACT_BELOW = 130
NUMERIC = ("start", "duration", "tokens", "hops")
"""Columns that sort descending first (newest, slowest, costliest first)."""


def styled(value: object, style: Style | str, limit: int) -> Text:
    """:func:`literal` text (never markup) in a theme style resolved to a Rich ``Style``."""
    text = literal(value, limit=limit)
    text.style = style
    return text


def fmt_tokens(n: int | None) -> str:
    if n is None:
        return "—"
    return f"{n / 1000:.1f}k" if n >= 10_000 else str(n)


class RunsTable(Vertical, can_focus=False):
    """Header plus body; the screen talks to this object (rows, sort, selection)."""

    DEFAULT_CSS = """
    RunsTable { height: 1fr; }
    RunsTable RunsHeader { height: 1; }
    RunsTable RunsBody { height: 1fr; scrollbar-size-vertical: 1; overflow-x: hidden; }
    """

    class Opened(Message):
        """Enter (or a double click) on a run."""

        def __init__(self, row: RunRow) -> None:
            super().__init__()
            self.row = row

    class SortBy(Message):
        """A click on a column header."""

        def __init__(self, column: str) -> None:
            super().__init__()
            self.column = column

    def __init__(self, *, utc: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.utc = utc
        self.sort_column = "start"
        self.descending = True
        self.header = RunsHeader(self)
        self.body = RunsBody(self)

    def compose(self) -> ComposeResult:
        yield self.header
        yield self.body

    @property
    def rows_shown(self) -> list[RunRow]:
        return self.body.rows

    def focus(self, scroll_visible: bool = True) -> RunsTable:
        self.body.focus(scroll_visible)
        return self

    @property
    def has_focus(self) -> bool:  # type: ignore[override]  # Widget's is an attribute; this is the body's
        return self.body.has_focus

    def set_rows(self, rows: list[RunRow]) -> None:
        self.body.set_rows(rows)

    def set_sort(self, column: str, descending: bool) -> None:
        self.sort_column, self.descending = column, descending
        self.header.refresh()

    def selected(self) -> RunRow | None:
        return self.body.selected()

    def widths(self) -> dict[str, int]:
        width = self.size.width or self.app.size.width
        compact = width < COMPACT_BELOW
        widths = dict(COMPACT if compact else WIDE)
        widths["query"] = max(10, width - 1 - sum(widths.values()))  # 1: the body's scrollbar
        return widths

    def header_x(self, column: str) -> int:
        """Where a column's header starts (for clicks and tests)."""
        x = 0
        widths = self.widths()
        for key, _ in COLUMNS:
            if key == column:
                return x
            x += widths[key]
        raise KeyError(column)

    def column_at(self, x: int) -> str | None:
        widths = self.widths()
        left = 0
        for key, _ in COLUMNS:
            if left <= x < left + widths[key]:
                return key
            left += widths[key]
        return None

    def line(self, row: RunRow) -> Text:
        """One run as one line of fixed-width cells. Padding trails the cell before it, in that cell's
        style, so no text run starts with spaces (SVG renderers drop leading spaces of a text run)."""
        w = self.widths()
        cells = self._cells(row, w)
        for (key, _), cell in zip(COLUMNS, cells, strict=True):
            cell.truncate(w[key] - 1, overflow="ellipsis")
        out = Text(no_wrap=True, end="")
        for i, ((key, _), cell) in enumerate(zip(COLUMNS, cells, strict=True)):
            trailing = 1
            nxt = COLUMNS[i + 1][0] if i + 1 < len(COLUMNS) else ""
            if key not in RIGHT:
                trailing += w[key] - 1 - cell.cell_len
            if nxt in RIGHT:
                trailing += w[nxt] - 1 - cells[i + 1].cell_len
            cell.pad_right(trailing)
            out.append_text(cell)
        return out

    def _cells(self, row: RunRow, w: dict[str, int]) -> list[Text]:
        app = self.app
        state_style = theme_style(
            app, ("bold " if row.state == "failed" else "") + RUN_STYLE.get(row.state, "")
        )
        state = Text(f"{STATE_ICON.get(row.state, '?')} {row.state}", state_style)
        if row.failed_calls and row.state != "failed":
            state.append(f" {row.failed_calls}✗", theme_style(app, "$error"))
        start = fmt_clock(row.start, self.utc)[: w["start"] - 1] if row.start is not None else "—"
        joined = ",".join(row.nodes)
        if len(joined) > w["nodes"] - 1 and len(row.nodes) > 1:
            joined = f"{row.nodes[0][: w['nodes'] - 4]}+{len(row.nodes) - 1}"
        return [
            Text(start, "dim"),
            literal(joined, limit=w["nodes"] - 1),
            literal(row.trace_id, limit=w["trace"] - 1),
            literal(row.query, limit=w["query"] - 1),
            state,
            Text(fmt_secs(row.duration)),
            Text(fmt_tokens(row.tokens)),
            Text(str(row.hops) if row.hops else ""),
            Text(row.source, theme_style(app, "$accent") if row.source == "traffic" else "dim"),
        ]


class RunsHeader(Widget):
    """Column titles; the sorted one carries ▼/▲. A click sorts by that column."""

    def __init__(self, table: RunsTable) -> None:
        super().__init__()
        self.table = table

    def render(self) -> Text:
        table = self.table
        w = table.widths()
        compact = (self.size.width or self.app.size.width) < COMPACT_BELOW
        out = Text(no_wrap=True, end="", style="bold")
        for key, header in COLUMNS:
            label = SHORT.get(key, header) if compact else header
            if key == table.sort_column:
                label += "▼" if table.descending else "▲"
            label = label[: w[key] - 1]
            out.append(label.rjust(w[key] - 1) if key in RIGHT else label.ljust(w[key] - 1))
            out.append(" ")
        return out

    def on_click(self, event: events.Click) -> None:
        column = self.table.column_at(event.x)
        if column is not None:
            self.table.post_message(RunsTable.SortBy(column))


class RunsBody(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("up", "cursor(-1)", show=False),
        Binding("down", "cursor(1)", show=False),
        Binding("pageup", "cursor(-20)", show=False),
        Binding("pagedown", "cursor(20)", show=False),
        Binding("home", "cursor(-1000000)", show=False),
        Binding("end", "cursor(1000000)", show=False),
        Binding("enter", "open", "Call tree", show=False),
    ]

    def __init__(self, table: RunsTable) -> None:
        super().__init__()
        self.table = table
        self.rows: list[RunRow] = []
        self.cursor = 0
        self._cache: dict[tuple[RunRow, bool, bool, int], Strip] = {}

    def set_rows(self, rows: list[RunRow]) -> None:
        """Swap in new rows; the cursor stays on the same run (by key) when it is still there."""
        current = self.selected()
        self.rows = rows
        if current is not None:
            for i, row in enumerate(rows):
                if row.key == current.key:
                    self.cursor = i
                    break
        self.cursor = min(max(0, self.cursor), max(0, len(rows) - 1))
        if len(self._cache) > 4 * max(len(rows), 200):
            self._cache.clear()
        self.virtual_size = Size(self.size.width, len(rows))
        self.refresh()

    def selected(self) -> RunRow | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        idx = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if idx >= len(self.rows):
            return Strip.blank(width, base)
        row = self.rows[idx]
        selected = idx == self.cursor
        key = (row, selected, self.has_focus, width)
        strip = self._cache.get(key)
        if strip is None:
            text = self.table.line(row)
            if selected:  # one even bar, not every cell's colour reversed
                text = Text(text.plain, no_wrap=True, end="")
            segments = list(text.render(self.app.console, end=""))
            strip = Strip(segments).crop_extend(scroll_x, scroll_x + width, base)
            if selected:
                strip = strip.apply_style(Style(reverse=True, bold=self.has_focus))
            elif idx % 2:
                strip = strip.apply_style(base + Style(dim=False))
            strip = strip.apply_style(base)
            self._cache[key] = strip
        return strip

    def action_cursor(self, step: int) -> None:
        if not self.rows:
            return
        self.cursor = min(max(0, self.cursor + step), len(self.rows) - 1)
        self.scroll_to_region_for_cursor()
        self.refresh()

    def scroll_to_region_for_cursor(self) -> None:
        top = self.scroll_offset.y
        height = self.scrollable_content_region.height
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def action_open(self) -> None:
        row = self.selected()
        if row is not None:
            self.table.post_message(RunsTable.Opened(row))

    def on_click(self, event: events.Click) -> None:
        idx = self.scroll_offset.y + event.y
        if 0 <= idx < len(self.rows):
            self.cursor = idx
            self.refresh()
            if event.chain >= 2:
                self.action_open()

    def on_focus(self) -> None:
        self._cache.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._cache.clear()
        self.refresh()

    def on_resize(self) -> None:
        self._cache.clear()
        self.virtual_size = Size(self.size.width, len(self.rows))
