"""The fleet model: distributed runs stitched from real OxyGent 1.1.3 node records (fixtures/traffic)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from oxytui.client.records import parse_history, parse_view
from oxytui.runs import Fleet, FleetState, NodeClock, Source

TRAFFIC = Path(__file__).resolve().parent.parent / "fixtures" / "traffic"
# the captures were made at 13:59 node-local on a UTC machine; the Date header said so too
DATE = datetime(2026, 11, 29, 14, 0, 12, tzinfo=UTC)
WALL = DATE.timestamp() + 0.3


def load(name: str) -> Any:
    return json.loads((TRAFFIC / f"{name}.json").read_text())


def view(name: str, node: str) -> Any:
    return parse_view(load(name), node)


def test_remote_hop_is_stitched_across_nodes_with_both_sides() -> None:
    fleet = Fleet()
    fleet.apply_view("master", view("view_master_remote_add", "master"), WALL, DATE)
    fleet.apply_view("math", view("view_math_remote_add", "math"), WALL, DATE)
    fleet.finish("TRremoteAdd00001", WALL)
    run = fleet.get("TRremoteAdd00001")
    assert run is not None and run.state is FleetState.COMPLETED and run.source is Source.TRAFFIC
    assert run.start_node == "master" and run.nodes == ["master", "math"] and run.hops == 1
    (root,) = run.calls()
    assert (root.callee, root.node) == ("master_agent", "master")
    assert (
        run.duration == root.duration and root.duration is not None and abs(root.duration - 0.572013) < 1e-6
    )
    hop = next(c for c in root.children if c.callee == "math_agent")
    assert hop.hop and hop.node == "math" and hop.caller_node == "master"
    assert hop.duration is not None and hop.call_duration is not None and hop.overhead is not None
    assert abs(hop.overhead - (0.311011 - 0.215087)) < 1e-6  # network call minus the callee's work
    assert [c.callee for c in hop.children] == ["default_llm", "add", "default_llm"]
    assert all(c.node == "math" and c.depth == 2 for c in hop.children)
    assert run.tokens == 472 + 542 + 639 + 690
    assert len(run.walk()) == 7  # 8 records, the hop counted once


def test_failed_by_node_state_although_the_answer_reads_fine() -> None:
    fleet = Fleet()
    for name, node in (("view_master_remote_boom", "master"), ("view_math_remote_boom", "math")):
        fleet.apply_view(node, view(name, node), WALL, DATE)
    page = parse_history(load("history_master"), "master")
    fleet.observe_history("master", page, WALL, DATE)
    (end,) = fleet.finish("TRremoteBoom0001", WALL)
    run = end.run
    assert run.answer.startswith("Final answer") and run.state is FleetState.FAILED
    assert [(c.node, c.callee) for c in run.failed_calls()] == [("math", "boom")]
    boom = fleet.callees.total[("tool", "boom")]
    assert (boom.calls, boom.failures, boom.error_rate) == (1, 1, 1.0)
    assert fleet.callees.ranked()[0].callee == "boom"
    assert fleet.callees.by_node[("llm", "default_llm")]["math"].calls == 2


def test_in_flight_then_finished_events_once() -> None:
    fleet = Fleet()
    hist = fleet.observe_history(
        "master", parse_history(load("history_master_inflight"), "master"), WALL, DATE
    )
    assert [e.kind for e in hist] == ["run_start"] * 3
    events = fleet.apply_view("master", view("view_master_inflight", "master"), WALL, DATE)
    kinds = [e.kind for e in events]
    assert kinds.count("call_start") == 3 and kinds.count("call_end") == 1  # only the first llm finished
    run = fleet.get("TRremoteSlow0001")
    assert run is not None and run.state is FleetState.RUNNING and run.duration is None
    assert fleet.apply_view("master", view("view_master_inflight", "master"), WALL, DATE) == []  # no repeats
    math_events = fleet.apply_view("math", view("view_math_inflight", "math"), WALL, DATE)
    assert [e.kind for e in math_events].count("call_start") == 2  # the hop itself was already started
    assert fleet.finish("TRremoteSlow0001", WALL + 9, gave_up=True)[0].run.state is FleetState.UNKNOWN
    assert fleet.finish("TRremoteSlow0001", WALL + 10) == []  # once


def test_claimed_runs_merge_and_keep_their_source() -> None:
    fleet = Fleet()
    fleet.claim("TRmathBoom000001", Source.PROBE, "math", "boom", WALL)
    events = fleet.apply_view("math", view("view_math_boom", "math"), WALL, DATE)
    assert "run_start" not in [e.kind for e in events]
    run = fleet.get("TRmathBoom000001")
    assert run is not None and run.source is Source.PROBE and len(fleet.runs) == 1


def test_event_times_use_the_date_header_offset() -> None:
    fleet = Fleet()
    skew = 3600.0  # our clock is an hour ahead of the node's
    events = fleet.apply_view("math", view("view_math_boom", "math"), DATE.timestamp() + skew, DATE)
    start = events[1]  # run_start, then the first call_start
    assert start.kind == "call_start" and start.record is not None and start.record.create_time is not None
    local = start.record.create_time.replace(tzinfo=UTC).timestamp()
    assert abs(start.wall - (local + skew)) < 1.0


def test_node_clock_zone_and_skew() -> None:
    clock = NodeClock()
    assert clock.to_wall(datetime(2026, 1, 1)) is None  # nothing observed yet
    date = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)
    local_now = datetime(2026, 11, 29, 17, 30, 0, 400000)  # a node in UTC+05:30
    clock.observe(date, date.timestamp() + 2.5, local_now - timedelta(minutes=20))  # an old trace
    clock.observe(date, date.timestamp() + 2.2, local_now - timedelta(seconds=1))  # a fresh one
    assert clock.zone == 5.5 * 3600 and clock.skew is not None and abs(clock.skew - 2.2) < 1e-6
    assert abs((clock.to_wall(local_now) or 0) - (date.timestamp() + 0.4 + 2.2)) < 1e-6
    clock.observe(None, 0.0, None)  # no Date header: nothing learned, nothing broken
    assert clock.skew is not None and abs(clock.skew - 2.2) < 1e-6


def test_hostile_records_do_not_break_the_tree() -> None:
    recs: list[dict[str, Any]] = [
        {"node_id": "a", "father_node_id": "b", "callee": "[@click=app.quit]x", "state": 3},
        {"node_id": "b", "father_node_id": "a", "callee": "\x1b[31mred", "state": 4},
        {"node_id": "c", "father_node_id": "c", "callee": "self"},
    ]
    fleet = Fleet()
    fleet.apply_view("n", parse_view({"code": 200, "data": {"nodes": recs, "trace_id": "T"}}, "n"), WALL)
    run = fleet.get("T")
    assert run is not None and len(run.walk()) <= 3 and run.has_failures
    assert {c.callee for c in run.walk()} <= {"[@click=app.quit]x", "\x1b[31mred", "self"}


def test_runs_are_bounded() -> None:
    fleet = Fleet(max_runs=5)
    for i in range(20):
        fleet.claim(f"T{i}", Source.MINE, "n", "q", WALL)
        fleet.finish(f"T{i}", WALL)
    assert len(fleet.runs) == 5 and fleet.get("T19") is not None
    assert fleet.get("T19").state is FleetState.COMPLETED  # type: ignore[union-attr]


def test_traffic_runs_feed_the_store_log_and_stats() -> None:
    from oxytui.runs import ALL, RunState, RunStore
    from oxytui.runs.fleetlog import apply_fleet_events

    store = RunStore()
    fleet = Fleet()
    events = fleet.observe_history("math", parse_history(load("history_math"), "math"), WALL, DATE)
    events += fleet.apply_view("math", view("view_math_auth_header", "math"), WALL, DATE)
    events += fleet.apply_view("math", view("view_math_boom", "math"), WALL, DATE)
    for trace in list(fleet.runs):
        events += fleet.finish(trace, WALL)
    fleet.claim("MINE", Source.MINE, "math", "q", WALL)
    events += fleet.finish("MINE", WALL)  # our own runs come through their streams, not here
    apply_fleet_events(store, events, 100.0, WALL)
    rows = list(store.log.rows)
    assert rows and all(r.source == "traffic" for r in rows)
    assert all("SECRET-TOKEN-123" not in repr(r.detail()) for r in rows)
    boom = store.get_run("math", "TRmathBoom000001")
    assert boom is not None and boom.state is RunState.FAILED and "math:boom" in boom.error
    assert boom.error_calls()[0].callee == "boom"
    assert store.stats[ALL].failed >= 1 and store.own_stats[ALL].runs == 0  # everyone's vs mine
    assert store.get_run("math", "MINE") is None
    ends = [r for r in rows if r.type == "observation"]
    assert len(ends) == sum(len(list(r.all_records())) for r in fleet.runs.values())
    assert not store.live_runs()


def test_one_store_run_even_when_the_callee_node_lists_it_first() -> None:
    from oxytui.runs import RunStore
    from oxytui.runs.fleetlog import apply_fleet_events

    store, fleet = RunStore(), Fleet()
    events = fleet.observe_history("math", parse_history(load("history_math_inflight"), "math"), WALL, DATE)
    apply_fleet_events(store, events, 100.0, WALL)  # math polled first: the run is keyed there
    events = fleet.apply_view("master", view("view_master_inflight", "master"), WALL, DATE)
    events += fleet.apply_view("math", view("view_math_inflight", "math"), WALL, DATE)
    apply_fleet_events(store, events, 100.0, WALL)
    assert [k for k in store.runs if k[1] == "TRremoteSlow0001"] == [("math", "TRremoteSlow0001")]
    assert len(store.runs[("math", "TRremoteSlow0001")].calls) == 5


def test_hostile_text_reaches_the_log_literally_without_controls() -> None:
    from oxytui.runs import RunStore
    from oxytui.runs.fleetlog import apply_fleet_events

    hostile = "[@click=app.quit]x[/] \x1b[31mred\x1b]0;title\x07 \u202eevil"
    times = {"create_time": "2026-11-29 13:59:35.1", "update_time": "2026-11-29 13:59:35.2"}
    recs = [{"node_id": "a", "father_node_id": "", "callee": hostile, "caller": "user", "state": 4,
             "output": hostile, **times}]  # fmt: skip
    fleet, store = Fleet(), RunStore()
    events = fleet.apply_view(
        "n", parse_view({"code": 200, "data": {"nodes": recs, "trace_id": "H"}}, "n"), WALL
    )
    apply_fleet_events(store, events + fleet.finish("H", WALL), 100.0, WALL)
    rows = [r for r in store.log.rows if r.trace_id == "H"]
    calls = [r for r in rows if r.type in ("tool_call", "observation")]
    assert len(calls) == 2 and all("[@click=app.quit]x[/]" in r.callee for r in calls)
    text = "".join(r.callee + r.summary for r in rows)
    assert not any(ch in text for ch in "\x1b\x07\u202e")
