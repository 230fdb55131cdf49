"""The runs screen's plain data (no Textual): one row per trace id (our streamed run merged with the
fleet's records), sorting with missing values last, filters, and the callee order."""

from __future__ import annotations

from oxytui.runs import RunStore
from oxytui.tui.runsview import CalleeRow, RunFilter, RunRow, collect, cycle, sort_callees, sort_rows
from tests.support.fixed_feed import WALL0, fill
from tests.support.fixed_traffic import fill_traffic


def _row(trace: str, start: float | None, duration: float | None, state: str = "completed") -> RunRow:
    return RunRow(trace, start, ("n",), trace.lower(), state, duration, None, 0, "mine", key=trace)


def test_one_row_per_trace_our_run_merged_with_its_records() -> None:
    store = fill(RunStore())
    fleet = fill_traffic(store)
    rows = collect(store, fleet, store.last_mono, WALL0 + 106, {})
    ids = [r.trace_id for r in rows]
    assert len(ids) == len(set(ids))  # traffic runs are in the store too, but shown once
    ours = next(r for r in rows if r.trace_id == "TRremote00000001")
    assert ours.source == "mine" and ours.nodes == ("master", "math") and ours.hops == 1  # from the records
    hop = next(r for r in rows if r.trace_id == "TRtrafficHop0001")
    assert hop.source == "traffic" and hop.tokens == 1310 and hop.state == "completed"
    assert next(r for r in rows if r.trace_id == "TRtrafficBoom002").state == "failed"  # by node state
    slow = next(r for r in rows if r.trace_id == "TRtrafficSlow004")
    assert slow.state == "running" and slow.duration is not None and slow.duration > 0
    cache: dict[object, tuple[object, RunRow]] = {}
    first = {r.trace_id: r for r in collect(store, fleet, store.last_mono, WALL0 + 106, {}, cache)}
    again = {r.trace_id: r for r in collect(store, fleet, store.last_mono, WALL0 + 107, {}, cache)}
    assert again["TRtrafficHop0001"] is first["TRtrafficHop0001"]  # finished: the row is reused
    assert again["TRtrafficSlow004"].duration > first["TRtrafficSlow004"].duration  # type: ignore[operator]


def test_sort_keeps_missing_values_last_both_ways() -> None:
    rows = [_row("A", 3.0, None), _row("B", 2.0, 1.0), _row("C", 1.0, 5.0)]
    assert [r.trace_id for r in sort_rows(rows, "duration", True)] == ["C", "B", "A"]
    assert [r.trace_id for r in sort_rows(rows, "duration", False)] == ["B", "C", "A"]
    assert [r.trace_id for r in sort_rows(rows, "start", True)] == ["A", "B", "C"]


def test_filters_and_cycling() -> None:
    rows = [_row("TRa", 1.0, 1.0), _row("TRb", 2.0, 1.0, "failed")]
    f = RunFilter(state="failed")
    assert [r.trace_id for r in rows if f.matches(r)] == ["TRb"]
    f = RunFilter(text="tra")
    assert [r.trace_id for r in rows if f.matches(r)] == ["TRa"]
    assert "state=failed" in RunFilter(state="failed").describe()
    assert [cycle(["x", "y"], v) for v in ("", "x", "y", "gone")] == ["x", "y", "", ""]


def test_callees_worst_first_failures_then_p95() -> None:
    rows = [
        CalleeRow("tool", "slow", "n", 10, 0, 9.0, None),
        CalleeRow("tool", "flaky", "n", 10, 2, 0.1, None),
        CalleeRow("tool", "broken", "n", 3, 3, 0.2, None),
        CalleeRow("llm", "fast", "n", 10, 0, 0.5, 100),
    ]
    assert [r.name for r in sort_callees(rows)] == ["broken", "flaky", "slow", "fast"]
