"""Runs screen (key ``r``): every run from every source — the dashboard's own, probes, the demo driver and
the fleet's traffic — in one sortable, filterable, live table, with the callee breakdown below it.

Live but cheap: a 2 Hz timer rebuilds rows only when the model changed (never per event). Enter opens the
run's stitched call tree (:mod:`oxytui.tui.screens.runtree`).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input

from oxytui.runs.sanitize import one_line
from oxytui.tui.runsdata import RunsData
from oxytui.tui.runsview import COLUMNS, SOURCES, STATES, RunFilter, RunRow, cycle, sort_rows
from oxytui.tui.screens.main import TopBar
from oxytui.tui.text import theme_style
from oxytui.tui.widgets.callees import CalleesTable
from oxytui.tui.widgets.runs_table import NUMERIC, RunsTable, styled

REFRESH_EVERY = 0.5
"""Seconds between looks at the model (rows are rebuilt only when it changed)."""


class RunsScreen(Screen[None]):
    runs_family = True

    DEFAULT_CSS = """
    RunsScreen #runs-pane, RunsScreen #callees-pane { border: round $border-blurred; background: $surface;
        border-title-color: $text-muted; border-title-style: bold; }
    RunsScreen #runs-pane:focus-within, RunsScreen #callees-pane:focus-within { border: round $border;
        border-title-color: $primary; }
    RunsScreen #runs-pane { height: 1fr; }
    RunsScreen #runs-table { height: 1fr; }
    RunsScreen #callees-pane { height: 12; }
    RunsScreen #runs-filter { height: 1; border: none; padding: 0 1; background: $boost; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="runs_back"),
        Binding("slash", "filter_text", "Filter", id="runs_filter"),
        Binding("x", "filter_state", "State", id="runs_filter_state"),
        Binding("n", "filter_node", "Node", id="runs_filter_node"),
        Binding("o", "filter_source", "Source", id="runs_filter_source"),
        Binding("s", "sort_next", "Sort", id="runs_sort"),
        Binding("S", "sort_flip", "Reverse", id="runs_sort_reverse"),
        Binding("y", "copy_trace", "Copy trace id", id="runs_copy"),
        Binding("b", "focus_callees", "Callees", id="runs_callees"),
        Binding("g", "callees_group", "Per node/total", id="runs_callees_group"),
    ]

    def __init__(self, data: RunsData, *, utc: bool = False) -> None:
        super().__init__()
        self.data = data
        self.filter = RunFilter()
        self.table = RunsTable(utc=utc, id="runs-table")
        self.callees = CalleesTable(id="callees-table")
        self._version: Any = None
        self._matched = 0
        self._total = 0

    def compose(self) -> ComposeResult:
        yield TopBar(id="runs-bar")
        with Vertical(id="runs-pane"):
            yield Input(
                placeholder="filter: text in trace id, query, node, state or source (esc clears)",
                id="runs-filter",
            )
            yield self.table
        with Vertical(id="callees-pane"):
            yield self.callees
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#runs-filter", Input).display = False
        self.table.focus()
        self.refresh_rows(force=True)
        self.set_interval(REFRESH_EVERY, self.refresh_rows)

    # --- data -----------------------------------------------------------------------------------------

    def refresh_rows(self, force: bool = False) -> None:
        """Re-read the model when it changed (or when sorting/filters changed: ``force``)."""
        version = self.data.version()
        if not force and version == self._version and not self.data.live():
            return
        self._version = version
        rows = self.data.rows()
        self._total = len(rows)
        shown = sort_rows(
            [r for r in rows if self.filter.matches(r)], self.table.sort_column, self.table.descending
        )
        self._matched = len(shown)
        self.table.set_rows(shown)
        self.callees.set_rows(self.data.callees())
        self._titles()

    def _titles(self) -> None:
        scope = "per node" if self.data.by_node else "fleet totals"
        self.query_one("#callees-pane").border_title = f"Callees · {scope} · most failures, then slowest p95"
        pane = self.query_one("#runs-pane")
        pane.border_title = f"Runs · {self._matched:,} of {self._total:,} · every node, every source"
        sub = Text(end="")
        desc = self.filter.describe()
        if desc:
            sub.append("filter ", "dim")
            sub.append_text(styled(desc, theme_style(self.app, "$accent"), limit=60))
            sub.append(" · ", "dim")
        arrow = "▼" if self.table.descending else "▲"
        sub.append(f"sort {self.table.sort_column} {arrow}", "dim")
        pane.border_subtitle = sub
        bar = Text(no_wrap=True, end="")
        bar.append(" Runs ", "bold reverse")
        bar.append("  every run on every node, whoever started it · enter: call tree", "dim")
        note = self.data.note()
        if note:
            bar.append("  ·  ")
            bar.append_text(styled(note, theme_style(self.app, "$warning"), limit=90))
        self.query_one("#runs-bar", TopBar).set_text(bar)

    # --- actions ----------------------------------------------------------------------------------------

    def action_back(self) -> None:
        box = self.query_one("#runs-filter", Input)
        if box.has_focus or box.value:
            box.value = ""
            box.display = False
            self.table.focus()
            return
        self.app.pop_screen()

    def action_filter_text(self) -> None:
        box = self.query_one("#runs-filter", Input)
        box.display = True
        box.focus()

    def action_filter_state(self) -> None:
        self.filter.state = cycle(STATES, self.filter.state)
        self.refresh_rows(force=True)

    def action_filter_node(self) -> None:
        self.filter.node = cycle(self.data.nodes(), self.filter.node)
        self.refresh_rows(force=True)

    def action_filter_source(self) -> None:
        self.filter.source = cycle(SOURCES, self.filter.source)
        self.refresh_rows(force=True)

    def action_sort_next(self) -> None:
        keys = [k for k, _ in COLUMNS]
        nxt = keys[(keys.index(self.table.sort_column) + 1) % len(keys)]
        self._sort(nxt, nxt in NUMERIC)

    def action_sort_flip(self) -> None:
        self._sort(self.table.sort_column, not self.table.descending)

    def _sort(self, column: str, descending: bool) -> None:
        self.table.set_sort(column, descending)
        self.refresh_rows(force=True)

    def action_copy_trace(self) -> None:
        row = self.table.selected()
        if row is None:
            self.app.notify("no run selected", severity="warning")
            return
        copy_trace(self.app, row.trace_id)

    def action_callees_group(self) -> None:
        self.data.by_node = not self.data.by_node
        self.refresh_rows(force=True)

    def action_focus_callees(self) -> None:
        (self.table if self.callees.has_focus else self.callees).focus()

    # --- events -----------------------------------------------------------------------------------------

    def on_runs_table_sort_by(self, event: RunsTable.SortBy) -> None:
        same = event.column == self.table.sort_column
        self._sort(event.column, not self.table.descending if same else event.column in NUMERIC)

    def on_runs_table_opened(self, event: RunsTable.Opened) -> None:
        self.open_tree(event.row)

    def open_tree(self, row: RunRow) -> None:
        from oxytui.tui.screens.runtree import RunTreeScreen

        self.app.push_screen(RunTreeScreen(self.data, row, utc=self.table.utc))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "runs-filter":
            self.filter.text = event.value
            self.refresh_rows(force=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "runs-filter":
            self.table.focus()


def copy_trace(app: Any, trace_id: str) -> None:
    """The trace id to the terminal's clipboard (OSC 52; base64, so no remote byte reaches the terminal)."""
    app.copy_to_clipboard(trace_id)
    app.notify(f"copied trace id {one_line(trace_id, 60)}", timeout=4, markup=False)


def toggle_runs(app: Any, data: RunsData, utc: bool) -> None:
    """Key ``r``: open the runs screen; from the runs screen, a call tree or a call detail: back to the
    main screen (never a second runs screen on the stack)."""
    if getattr(app.screen, "runs_family", False):
        while len(app.screen_stack) > 1 and getattr(app.screen, "runs_family", False):
            app.pop_screen()
        return
    app.push_screen(RunsScreen(data, utc=utc))
