"""Callee breakdown: which agents, tools and LLMs fail or are slow right now, and where (fleet-wide)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from oxytui.tui.runsview import CalleeRow
from oxytui.tui.text import fmt_pct, fmt_secs, literal, theme_style
from oxytui.tui.widgets.runs_table import fmt_tokens

COLUMNS = (
    ("category", "kind", 6),
    ("name", "callee", 24),
    ("node", "node", 14),
    ("calls", "calls", 6),
    ("failures", "fail", 5),
    ("rate", "err%", 5),
    ("p95", "p95", 7),
    ("tokens", "tokens", 7),
)

MAX_ROWS = 200


class CalleesTable(DataTable[Text]):
    """Rows as given (the model sorts: failures, then p95); rebuilt only when something changed."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.rows_shown: list[CalleeRow] = []

    def on_mount(self) -> None:
        for key, header, width in COLUMNS:
            self.add_column(Text(header, "bold"), key=key, width=width)

    def set_rows(self, rows: list[CalleeRow]) -> None:
        rows = rows[:MAX_ROWS]  # the worst ones: the list comes sorted by failures, then p95
        if rows == self.rows_shown:
            return
        cursor = self.cursor_row
        self.rows_shown = list(rows)
        self.clear()
        for row in rows:
            self.add_row(*self._cells(row))
        if rows:
            self.move_cursor(row=min(max(cursor, 0), len(rows) - 1), animate=False)

    def _cells(self, row: CalleeRow) -> tuple[Text, ...]:
        bad = theme_style(self.app, "bold $error") if row.failures else ""
        return (
            Text(row.category, "dim"),
            literal(row.name, "bold", limit=COLUMNS[1][2]),
            literal(row.node, limit=COLUMNS[2][2]),
            Text(str(row.calls), justify="right"),
            Text(str(row.failures) if row.failures else "0", bad or "dim", justify="right"),
            Text(fmt_pct(row.error_rate), bad, justify="right"),
            Text(fmt_secs(row.p95), justify="right"),
            Text(fmt_tokens(row.tokens), justify="right"),
        )
