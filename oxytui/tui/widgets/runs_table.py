"""Runs table: one row per run from every source; literal ``Text`` cells, only changed cells repaint."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import DataTable

from oxytui.tui.runsview import COLUMNS, RunRow
from oxytui.tui.text import RUN_STYLE, fmt_clock, fmt_secs, literal, theme_style

STATE_ICON = {"running": "◌", "completed": "✓", "failed": "✗"}
WIDE = {
    "start": 12,
    "nodes": 18,
    "trace": 22,
    "state": 11,
    "duration": 8,
    "tokens": 7,
    "hops": 4,
    "source": 7,
}
COMPACT = {
    "start": 9,
    "nodes": 10,
    "trace": 17,
    "state": 12,
    "duration": 7,
    "tokens": 6,
    "hops": 5,
    "source": 7,
}
"""Compact columns have no cell padding: each width includes one separating space."""
SHORT = {"start": "time", "nodes": "node", "duration": "dur", "tokens": "tok", "source": "src"}
COMPACT_BELOW = 130
MAX_ROWS = 2_000
"""Rows shown at most (newest first by default); the title says how many more matched."""


def styled(value: object, style: Style | str, limit: int) -> Text:
    """:func:`literal` text (never markup) in a theme style resolved to a Rich ``Style``."""
    text = literal(value, limit=limit)
    text.style = style
    return text


def fmt_tokens(n: int | None) -> str:
    if n is None:
        return "—"
    return f"{n / 1000:.1f}k" if n >= 10_000 else str(n)


class RunsTable(DataTable[Text]):
    """Shows :class:`RunRow` lists; the row key is the trace id (plus the first node, for uniqueness)."""

    def __init__(self, *, utc: bool = False, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.utc = utc
        self.rows_shown: list[RunRow] = []
        self._keys: list[str] = []
        self._last: dict[tuple[str, str], Text] = {}
        self._width = 0
        self.sort_column = "start"
        self.descending = True

    def layout_for(self, width: int) -> dict[str, int]:
        compact = width < COMPACT_BELOW
        widths = dict(COMPACT if compact else WIDE)
        fixed = sum(widths.values()) + (0 if compact else 2 * len(COLUMNS))
        widths["query"] = max(10, width - fixed - (3 if compact else 5))
        return widths

    def set_rows(self, rows: list[RunRow]) -> None:
        """Show ``rows`` (already sorted and filtered); rebuilds only when the order or width changed."""
        rows = rows[:MAX_ROWS]
        width = self.size.width or self.app.size.width
        if width != self._width:
            self._width = width
            self._columns_for(width)
        keys = [_key(r) for r in rows]
        self.rows_shown = rows
        if keys != self._keys:
            current = self._keys[self.cursor_row] if 0 <= self.cursor_row < len(self._keys) else None
            self.clear()
            self._last.clear()
            for key, row in zip(keys, rows, strict=True):
                cells = self._cells(row)
                self.add_row(*cells, key=key)
                self._last.update({(key, col): c for (col, _), c in zip(COLUMNS, cells, strict=True)})
            self._keys = keys
            if rows:
                self.move_cursor(row=keys.index(current) if current in keys else 0, animate=False)
            return
        for key, row in zip(keys, rows, strict=True):
            for (col, _), cell in zip(COLUMNS, self._cells(row), strict=True):
                if self._last.get((key, col)) != cell:  # update_cell repaints: only real changes
                    self._last[(key, col)] = cell
                    self.update_cell(key, col, cell)

    def _columns_for(self, width: int) -> None:
        self.clear(columns=True)
        self._keys = []
        widths = self.layout_for(width)
        compact = width < COMPACT_BELOW
        self.cell_padding = 0 if compact else 1
        for col, header in COLUMNS:
            label = SHORT.get(col, header) if compact else header
            if col == self.sort_column:
                label += " ▼" if self.descending else " ▲"
            self.add_column(Text(label, "bold"), key=col, width=widths[col])
        self._widths = widths

    def set_sort(self, column: str, descending: bool) -> None:
        self.sort_column, self.descending = column, descending
        self._width = 0  # headers show the arrow: rebuilt on the next set_rows

    def selected(self) -> RunRow | None:
        return self.rows_shown[self.cursor_row] if 0 <= self.cursor_row < len(self.rows_shown) else None

    def _cells(self, row: RunRow) -> tuple[Text, ...]:
        gap = 1 if self.cell_padding == 0 else 0
        w = {k: v - gap for k, v in self._widths.items()}
        state_style = theme_style(
            self.app, ("bold " if row.state == "failed" else "") + RUN_STYLE.get(row.state, "")
        )
        state = Text(f"{STATE_ICON.get(row.state, '?')} {row.state}", state_style, no_wrap=True, end="")
        if row.failed_calls and row.state != "failed":
            state.append(f" ({row.failed_calls}✗)", theme_style(self.app, "$error"))
        start = fmt_clock(row.start, self.utc) if row.start is not None else "—"
        joined = ",".join(row.nodes)
        if len(joined) > w["nodes"] and len(row.nodes) > 1:
            joined = f"{row.nodes[0][: w['nodes'] - 3]}+{len(row.nodes) - 1}"
        nodes = literal(joined, limit=w["nodes"])
        cells = (
            Text(start[: w["start"]], "dim"),
            nodes,
            literal(row.trace_id, limit=w["trace"]),
            literal(row.query, limit=w["query"]),
            state,
            Text(fmt_secs(row.duration), justify="right"),
            Text(fmt_tokens(row.tokens), justify="right"),
            Text(str(row.hops) if row.hops else "", justify="right"),
            Text(row.source, theme_style(self.app, "$accent") if row.source == "traffic" else "dim"),
        )
        if gap:  # compact: no cell padding, so every cell ends with its separating space
            for cell in cells:
                cell.append(" ")
        return cells


def _key(row: RunRow) -> str:
    return f"{row.trace_id}\0{row.nodes[0] if row.nodes else ''}"
