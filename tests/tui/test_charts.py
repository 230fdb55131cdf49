"""Honest charts (issue 13, 3): no bars without data, bars from zero with the scale in the label, one run is
one bar, a record that took no time is a tick."""

from __future__ import annotations

from pathlib import Path

from oxytui.config import Settings
from oxytui.runs import RunStore
from oxytui.runs.timeline import TimelineEntry
from oxytui.tui.app import OxyApp
from oxytui.tui.widgets.stats import EIGHTHS, BarChart, bar_rows
from oxytui.tui.widgets.timeline import timeline_text

SIZE = (160, 45)
BLOCKS = set(EIGHTHS.strip())


def test_bars_start_at_zero_and_one_value_is_one_bar() -> None:
    assert bar_rows([], 40) == ["", ""]
    assert bar_rows([0.5], 40) == ["█", "█"]  # one run: one column, not the whole width
    top, bottom = bar_rows([0.502, 0.508], 40)
    assert top == bottom == "██"  # 502 vs 508 ms: the same height at this resolution, not a swing
    assert bar_rows([0.0, 4.0, 1.0], 40) == [" █ ", " █▄"]  # zero is no bar; 1/4 of the height is 4/16
    assert bar_rows([1.0] * 100, 10) == ["█" * 10] * 2  # the newest values that fit, no squeezing


def _app(store: RunStore) -> OxyApp:
    return OxyApp(Settings(demo=True), store=store, frozen=True, user_theme_dir=Path("/nonexistent"))


def _chart(app: OxyApp, sel: str) -> str:
    return str(app.main.query_one(sel, BarChart).render())  # type: ignore[union-attr]


async def test_no_runs_draw_no_bars_and_one_run_one_bar() -> None:
    store = RunStore()
    store.add_node("n")
    app = _app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lat = _chart(app, "#lat-spark")
        assert lat == "(no finished runs yet)" and not BLOCKS & set(lat)
        assert not BLOCKS & set(_chart(app, "#rate-spark"))
        store.start_run("n", "T", "q", 1.0, 1.0)
        run = store.get_run("n", "T")
        assert run is not None
        run.answer = "5"
        store.finish_run("n", "T", 1.5, 1.5)
        app.main.flush(app.clock(), 0, force=True)  # type: ignore[union-attr]
        await pilot.pause()
        rows = _chart(app, "#lat-spark").split("\n")
        assert rows == ["█", "█"]
        label = str(app.main.query_one("#lat-label").render())  # type: ignore[union-attr]
        assert "last 1 run " in label and "bars 0–500ms" in label


def _entry(name: str, start: float, end: float | None) -> TimelineEntry:
    return TimelineEntry(
        node_id=name, callee=name, node_type="tool", depth=0, start=start, end=end, state=None
    )


async def test_zero_length_spans_are_ticks_on_an_axis_from_zero() -> None:
    app = _app(RunStore())
    async with app.run_test(size=SIZE):
        flat = timeline_text(app, [_entry("a", 0.0, 0.0), _entry("b", 0.0, 0.0)], "", 40).plain
        axis, *rows = flat.split("\n")
        assert axis.strip().startswith("0") and axis.rstrip().endswith("0ms")
        assert all("│" in r and "█" not in r for r in rows)
        mixed = timeline_text(app, [_entry("a", 0.0, 2.0), _entry("b", 1.0, 1.0)], "", 41).plain
        axis, a, b = mixed.split("\n")
        assert axis.rstrip().endswith("2.00s") and a.count("█") == 41
        assert b.count("│") == 1 and "█" not in b and b.index("│") == a.index("█") + 20
