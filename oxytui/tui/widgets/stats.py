"""Stats pane: per-node table (runs, success rolling/total, latency avg/p50/p95/p99, TTFE, events/s)
and sparklines of latency and event rate for the focused node."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Static

from oxytui.runs import ALL, NodeStats, RunStore, shorten_middle
from oxytui.tui.text import fmt_pct, fmt_secs, literal, plain, theme_style

COLS = [
    ("node", 9),
    ("runs", 4),
    ("ok", 4),
    ("tot", 4),
    ("avg", 5),
    ("p50", 5),
    ("p95", 5),
    ("p99", 5),
    ("ttfe", 5),
    ("ev/s", 4),
]
NARROW_DROP = {"tot", "avg", "p50", "ttfe"}
"""Columns left out on a narrow terminal: the essentials only."""


EIGHTHS = " ▁▂▃▄▅▆▇█"
NO_EVENTS = "no events in the last 60 s"
NO_STREAM = "traffic runs carry no event stream"
"""Why a node whose runs all came from other clients has no event rate (they are read from its records)."""


def bar_rows(values: list[float], width: int, rows: int = 2) -> list[str]:
    """Bars scaled from zero (not from the minimum: 502 and 508 ms are nearly the same height), one column
    per value (one run is one bar, never stretched over the width), the newest ``width`` values, left
    aligned; zero or no data is no bar. Top row first."""
    shown = values[-width:] if width > 0 else []
    top = max(shown, default=0.0)
    cols = []
    for v in shown:
        eighths = 0 if top <= 0 or v <= 0 else max(1, round(v / top * rows * 8))
        cols.append(eighths)
    out = []
    for r in range(rows):
        base = (rows - 1 - r) * 8
        out.append("".join(EIGHTHS[min(8, max(0, h - base))] for h in cols))
    return out


class BarChart(Static):
    """A small bar chart that does not lie (see :func:`bar_rows`); says so when there is nothing to draw."""

    DEFAULT_CSS = "BarChart { height: 2; }"

    def __init__(self, *, empty: str = "no data yet", id: str | None = None) -> None:
        super().__init__(id=id)
        self.values: list[float] = []
        self.empty = empty

    def set_values(self, values: list[float]) -> None:
        if values != self.values:
            self.values = list(values)
            self.refresh()

    def render(self) -> Text:
        width = self.size.width or 60
        if not any(v > 0 for v in self.values):
            return Text(f"({self.empty})", style="dim", no_wrap=True, end="")
        style = theme_style(self.app, "$primary")
        rows = bar_rows(self.values, width, max(1, self.size.height or 2))
        return Text("\n".join(rows), style, no_wrap=True, overflow="crop", end="")


class StatsPane(Vertical):
    DEFAULT_CSS = """
    StatsPane { height: 1fr; }
    StatsPane #stats-table { height: auto; }
    StatsPane Label { color: $text-muted; height: 1; }
    StatsPane BarChart { height: 2; margin-bottom: 0; }
    """

    def __init__(self, store: RunStore, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store = store
        self.focus_key = ALL
        self._label_texts: dict[str, str] = {}  # selector -> text shown, so unchanged labels skip update()
        self.everyone = True
        """Everyone's runs (traffic included) or only the runs this dashboard started (key ``e``)."""

    def compose(self) -> ComposeResult:
        yield Static(id="stats-table")
        yield Label("latency (last runs)", id="lat-label")
        yield BarChart(empty="no finished runs yet", id="lat-spark")
        yield Label("events/s (last 60 s)", id="rate-label")
        yield BarChart(empty=NO_EVENTS, id="rate-spark")

    def on_resize(self) -> None:
        self.sync(self.app.clock())  # type: ignore[attr-defined]

    def sync(self, now: float) -> None:
        self.query_one("#stats-table", Static).update(self._table(now), layout=self._rows_changed())
        stats = self.stats_map()
        st = stats.get(self.focus_key) or stats[ALL]
        lat = st.latency_series(60)
        rate = st.rate_series(now)
        width = self.query_one("#lat-spark", BarChart).size.width or 60
        lat = lat[-width:]
        self.query_one("#lat-spark", BarChart).set_values(lat)
        chart = self.query_one("#rate-spark", BarChart)
        empty = NO_STREAM if self._no_stream(self.focus_key) else NO_EVENTS
        if chart.empty != empty:
            chart.empty = empty
            chart.refresh()
        chart.set_values(rate[-width:])
        label = "all nodes" if self.focus_key == ALL else plain(self.store.display(self.focus_key), 30)
        runs = f"last {len(lat)} run{'' if len(lat) == 1 else 's'}"
        scale = f"bars 0–{fmt_secs(max(lat))}" if lat else "no runs"
        self._label("#lat-label", f"latency, {runs} · {label} · {scale}")
        peak = max(rate[-width:], default=0.0)
        self._label("#rate-label", f"events/s, last {min(60, width)} s · {label} · bars 0–{peak:.0f}/s")

    def _no_stream(self, key: str) -> bool:
        """Runs here, not one streamed event, and some came from other clients (traffic: read from the
        node's records, no event stream): a rate of 0 would say something false; "—" and :data:`NO_STREAM`."""
        st, own = self.store.stats.get(key), self.store.own_stats.get(key)
        if not self.everyone or st is None:  # only this dashboard's runs: no traffic among them
            return False
        return st.runs > (own.runs if own is not None else 0) and not st.events

    def stats_map(self) -> dict[str, NodeStats]:
        return self.store.stats if self.everyone else self.store.own_stats

    def _rows_changed(self) -> bool:
        """A layout pass only when the table's height changes (nodes added/removed), not every refresh."""
        rows = len(self.store.nodes)
        changed = rows != getattr(self, "_rows", -1)
        self._rows = rows
        return changed

    def _table(self, now: float) -> Text:
        """The per-node table as one pre-formatted Text (a rich Table re-measures every cell: ~5x dearer)."""
        cols = [c for c in COLS if not (self.size.width and self.size.width < 60 and c[0] in NARROW_DROP)]
        fixed = sum(w + 1 for _, w in cols[1:])
        name_w = max(COLS[0][1], (self.size.width or 66) - 2 - fixed - 1)
        out = Text(no_wrap=True, end="")
        out.append(" " + "node".ljust(name_w), "bold")
        for col, width in cols[1:]:
            out.append(" " + col.rjust(width), "bold")
        for key in [ALL, *self.store.nodes]:
            st = self.stats_map().get(key)
            if st is None:
                continue
            p50, p95, p99 = st.latency_percentiles()
            has = bool(st.latencies)
            shown = shorten_middle(self.store.display(key), name_w)  # the one display name, end kept
            name = Text("all", "bold") if key == ALL else literal(shown, limit=name_w + 1)
            name.truncate(name_w, overflow="ellipsis")
            if key == self.focus_key:
                name.stylize("reverse")
            name.append(" " * (name_w - name.cell_len))
            cells = {
                "runs": str(st.runs),
                "ok": fmt_pct(st.success_rolling),
                "tot": fmt_pct(st.success_total),
                "avg": fmt_secs(st.latency_avg) if has else "—",
                "p50": fmt_secs(p50) if has else "—",
                "p95": fmt_secs(p95) if has else "—",
                "p99": fmt_secs(p99) if has else "—",
                "ttfe": fmt_secs(st.ttfe_avg) if st.ttfes else "—",
                "ev/s": "—" if self._no_stream(key) else f"{st.events_per_second(now):.0f}",
            }
            out.append("\n ")
            out.append_text(name)
            out.append("".join(" " + cells[col].rjust(width) for col, width in cols[1:]))
        return out

    def _label(self, selector: str, text: str) -> None:
        if self._label_texts.get(selector) != text:
            self._label_texts[selector] = text
            self.query_one(selector, Label).update(Text(text))
