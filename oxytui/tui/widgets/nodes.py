"""Nodes pane: one row per node (status, name, URL, success, p95, active runs) plus "all nodes"."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from oxytui.runs import ALL, RunStore
from oxytui.tui.runsdata import find_fleet
from oxytui.tui.text import STATUS_ICON, STATUS_STYLE, fmt_pct, fmt_secs, literal, theme_style


class NodesTable(DataTable[Text]):
    """Selecting a row focuses the other panes on that node (key :data:`ALL` = every node)."""

    def __init__(self, store: RunStore, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.store = store
        self._keys: list[str] = []
        self._last: dict[tuple[str, str], Text] = {}
        self.compact = False

    def set_compact(self, compact: bool) -> None:
        """Narrow terminals drop the URL column (the URL stays in the help of the palette)."""
        if compact != self.compact:
            self.compact = compact
            self.clear(columns=True)
            self._keys = []
            self.on_mount()

    def on_mount(self) -> None:
        self.add_column("", key="st", width=1)
        self.add_column("node", key="name", width=14)
        if not self.compact:
            self.add_column("url", key="url", width=15)
        self.add_column("ok", key="ok", width=4)
        self.add_column("p95", key="p95", width=5)
        self.add_column("run", key="act", width=3)
        self.refresh_rows()

    def refresh_rows(self) -> None:
        note = self.records_note()
        if str(self.border_subtitle or "") != note:
            self.border_subtitle = literal(note, limit=60) if note else ""
        keys = [ALL, *self.store.nodes]
        if keys != self._keys:
            cursor = self.cursor_row
            self.clear()
            self._last.clear()
            for k in keys:
                self.add_row(*self._cells(k), key=k)
            self._keys = keys
            if self.row_count:
                self.move_cursor(row=min(max(cursor, 0), self.row_count - 1), animate=False)
            return
        for k in keys:
            for col, cell in zip(self._columns(), self._cells(k), strict=True):
                if self._last.get((k, col)) != cell:  # update_cell repaints the table: only real changes
                    self._last[(k, col)] = cell
                    self.update_cell(k, col, cell)

    def _columns(self) -> tuple[str, ...]:
        full = ("st", "name", "url", "ok", "p95", "act")
        return tuple(c for c in full if c != "url") if self.compact else full

    def _cells(self, key: str) -> tuple[Text, ...]:
        st = self.store.stats.get(key)
        ok = fmt_pct(st.success_rolling if st else None)
        p95 = fmt_secs(st.latency_pct(95)) if st and st.latencies else "—"
        active = str(st.active) if st and st.active else ""
        if key == ALL:
            up, _probed, total = self.store.count_up()
            cells = (
                Text("∑"),
                Text("all nodes", "bold"),
                Text(f"{up}/{total} up", "dim"),
                Text(ok),
                Text(p95),
                Text(active),
            )
            return cells[:2] + cells[3:] if self.compact else cells
        status = self.store.status(key).value
        style = theme_style(self.app, STATUS_STYLE[status])
        url = self.store.nodes[key].url.removeprefix("http://").removeprefix("https://")
        cells = (
            Text(STATUS_ICON[status], style),
            self.name_cell(key),
            literal(url, "dim", limit=15),
            Text(ok),
            Text(p95),
            Text(active),
        )
        return cells[:2] + cells[3:] if self.compact else cells

    def name_cell(self, key: str) -> Text:
        """The node's name; ``⊘`` when it keeps no run records we can read (its traffic is not shown)."""
        fleet = find_fleet(self.app)
        if fleet is None or key not in fleet.no_records:
            return literal(key, limit=14)
        name = literal(key, limit=12)
        name.append(" ⊘", theme_style(self.app, "bold $warning"))
        return name

    def records_note(self) -> str:
        """For the pane's border: which nodes keep no run records (said here, not only once in a toast)."""
        fleet = find_fleet(self.app)
        missing = sorted(n for n in (fleet.no_records if fleet is not None else ()) if n in self.store.nodes)
        return f"⊘ no run records: {', '.join(missing)}" if missing else ""

    def key_list(self) -> list[str]:
        return self._keys

    def key_at_cursor(self) -> str:
        return self._keys[self.cursor_row] if 0 <= self.cursor_row < len(self._keys) else ALL

    def select_key(self, key: str) -> None:
        if key in self._keys:
            self.move_cursor(row=self._keys.index(key), animate=False)
