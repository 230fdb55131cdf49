"""Nodes pane: one row per node (status, name, tags or URL, success, p95, live runs) plus "all nodes".

Rows come from :func:`oxytui.runs.nodelist.node_rows`: sorted (status by default: down and degraded first),
filtered by text or tag, optionally grouped by tag with an aggregate row per group. The "all nodes" row and
problem nodes are fixed rows: they stay in view while 60+ nodes scroll under them.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from oxytui.runs import ALL, RunStore, shorten_middle
from oxytui.runs.nodelist import SORTS, ListView, NodeRow, group_stats, node_rows
from oxytui.tui.runsdata import find_fleet
from oxytui.tui.text import STATUS_ICON, STATUS_STYLE, fmt_pct, fmt_secs, literal, theme_style

NAME_W = 16
NAME_W_COMPACT = 14
WHERE_W = 12
MAX_PINNED = 8
"""At most this many problem rows are fixed on top (the rest still sort first and scroll)."""


class NodesTable(DataTable[Text]):
    """Selecting a row focuses the other panes on that node (key :data:`ALL` = every node)."""

    def __init__(self, store: RunStore, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.store = store
        self.view = ListView()
        self._rows: list[NodeRow] = []
        self._row_keys: list[str] = []
        self._last: dict[tuple[str, str], Text] = {}
        self.compact = False
        self.node_count = -1
        self._pinned = 1
        """Nodes in the store at the last refresh (a new node refreshes the table at once)."""

    # --- view controls -----------------------------------------------------------------------------

    def set_compact(self, compact: bool) -> None:
        """Narrow terminals drop the tags/URL column; names stay, shortened in the middle."""
        if compact != self.compact:
            self.compact = compact
            self.clear(columns=True)
            self._row_keys = []
            self.on_mount()

    def set_view(self, view: ListView) -> None:
        if view != self.view:
            self.view = view
            self.refresh_rows()

    def cycle_sort(self) -> str:
        """Next sort key (status → name → success → p95 → runs → status)."""
        nxt = SORTS[(SORTS.index(self.view.sort) + 1) % len(SORTS)]
        self.set_view(ListView(nxt, False, self.view.text, self.view.tag, self.view.group))
        return nxt

    def describe(self) -> str:
        """The pane's subtitle: how the list is sorted, filtered and grouped (plain text)."""
        parts = [f"sort: {self.view.sort}" + (" ↑" if self.view.reverse else "")]
        if self.view.text:
            parts.append(f"filter: {self.view.text}")
        if self.view.group:
            parts.append("by tag")
        shown = sum(1 for r in self._rows if r.kind == "node" and not r.row_key.startswith("\0"))
        total = len(self.store.nodes)
        if self.view.text and not self.view.group:
            parts.append(f"{shown}/{total}")
        note = self.records_note()
        return " · ".join([note, *parts] if note else parts)

    # --- rows ----------------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.add_column("", key="st", width=1)
        self.add_column("node", key="name", width=NAME_W_COMPACT if self.compact else NAME_W)
        if not self.compact:
            self.add_column("tags / url", key="url", width=WHERE_W)
        self.add_column("ok", key="ok", width=4)
        self.add_column("p95", key="p95", width=5)
        self.add_column("run", key="act", width=3)
        self.refresh_rows()

    def refresh_rows(self) -> None:
        rows, pinned = node_rows(self.store, self.view)
        self.node_count = len(self.store.nodes)
        self._pinned = pinned
        keys = [r.row_key for r in rows]
        if keys != self._row_keys:
            current = self._row_keys[self.cursor_row] if 0 <= self.cursor_row < len(self._row_keys) else ALL
            self.clear()
            self._last.clear()
            self._rows = rows
            for r in rows:
                self.add_row(*self._cells(r), key=r.row_key)
            self._row_keys = keys
            self._fix_rows()
            if self.row_count:
                row = keys.index(current) if current in keys else 0
                self.move_cursor(row=row, animate=False)
            return
        self._rows = rows
        for r in rows:
            for col, cell in zip(self._columns(), self._cells(r), strict=True):
                if self._last.get((r.row_key, col)) != cell:  # update_cell repaints: only real changes
                    self._last[(r.row_key, col)] = cell
                    self.update_cell(r.row_key, col, cell)

    def _fix_rows(self) -> None:
        """Pin "all nodes" and the problem nodes, but keep two rows that scroll: on a short terminal the
        rest must still come into view (problem nodes beyond the pinned ones still sort first)."""
        visible = self.size.height - 1 if self.size.height else 20  # minus the header
        pinned = min(self._pinned, MAX_PINNED + 1, max(1, visible - 2))
        fixed = pinned if len(self._rows) > pinned else 0
        if fixed != self.fixed_rows:
            self.fixed_rows = fixed

    def on_resize(self) -> None:
        self._fix_rows()

    def _columns(self) -> tuple[str, ...]:
        full = ("st", "name", "url", "ok", "p95", "act")
        return tuple(c for c in full if c != "url") if self.compact else full

    def _name_cell(self, key: str, style: str = "") -> Text:
        """The node's display name; `` ⊘`` when it keeps no run records we can read (no traffic shown)."""
        width = NAME_W_COMPACT if self.compact else NAME_W
        fleet = find_fleet(self.app)
        marked = fleet is not None and key in fleet.no_records
        shown = shorten_middle(self.store.display(key), width - 2 if marked else width)
        name = literal(shown, style, limit=width + 1)
        if marked:
            name.append(" ⊘", theme_style(self.app, "bold $warning"))
        return name

    def _cells(self, row: NodeRow) -> tuple[Text, ...]:
        if row.kind == "group":
            up, total, ok_rate, p95_v, live = group_stats(self.store, row.members)
            width = (NAME_W_COMPACT if self.compact else NAME_W) - 2
            name = Text("▾ ", "bold")
            name.append_text(literal(shorten_middle(row.key, width), "bold", limit=width + 1))
            cells = (
                Text("#", "dim"),
                name,
                Text(f"{up}/{total} up", "dim"),
                Text(fmt_pct(ok_rate), "bold"),
                Text(fmt_secs(p95_v) if p95_v is not None else "—", "bold"),
                Text(str(live) if live else "", "bold"),
            )
            return cells[:2] + cells[3:] if self.compact else cells
        key = row.key
        st = self.store.stats.get(key)
        ok = fmt_pct(st.success_rolling if st else None)
        p95 = fmt_secs(st.latency_pct(95)) if st and st.latencies else "—"
        active = str(st.active) if st and st.active else ""
        if key == ALL:
            up, _probed, total = self.store.count_up()
            cells = (
                Text("∑"),
                Text(f"all {up}/{total} up" if self.compact else "all nodes", "bold"),
                Text(f"{up}/{total} up", "dim"),
                Text(ok),
                Text(p95),
                Text(active),
            )
            return cells[:2] + cells[3:] if self.compact else cells
        status = self.store.status(key).value
        style = theme_style(self.app, STATUS_STYLE[status])
        info = self.store.nodes[key]
        where = (
            literal(",".join(info.tags), theme_style(self.app, "$accent"), limit=WHERE_W)
            if info.tags
            else literal(info.url.removeprefix("http://").removeprefix("https://"), "dim", limit=WHERE_W)
        )
        cells = (
            Text(STATUS_ICON[status], style),
            self._name_cell(key),
            where,
            Text(ok),
            Text(p95),
            Text(active),
        )
        return cells[:2] + cells[3:] if self.compact else cells

    def records_note(self) -> str:
        """For the pane's border: which nodes keep no run records (said here, not only once in a toast)."""
        fleet = find_fleet(self.app)
        missing = sorted(n for n in (fleet.no_records if fleet is not None else ()) if n in self.store.nodes)
        names = ", ".join(self.store.display(n) for n in missing)
        return f"⊘ no run records: {names}" if missing else ""

    # --- keys ----------------------------------------------------------------------------------------

    def key_list(self) -> list[str]:
        """Node keys in display order (each once; "all nodes" first)."""
        out: list[str] = []
        for r in self._rows:
            if r.kind in ("all", "node") and r.key not in out:
                out.append(r.key)
        return out

    def key_of(self, row_key: str) -> str:
        """The node a table row stands for (a group row stands for "all nodes")."""
        for r in self._rows:
            if r.row_key == row_key:
                return r.key if r.kind != "group" else ALL
        return ALL

    def key_at_cursor(self) -> str:
        if 0 <= self.cursor_row < len(self._row_keys):
            return self.key_of(self._row_keys[self.cursor_row])
        return ALL

    def select_key(self, key: str) -> None:
        for i, r in enumerate(self._rows):
            if r.key == key and r.kind != "group":
                self.move_cursor(row=i, animate=False)
                return
