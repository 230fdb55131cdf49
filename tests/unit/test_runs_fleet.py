"""The fleet model: distributed runs stitched from real OxyGent 1.1.3 node records (fixtures/traffic)."""

from __future__ import annotations

import json
from dataclasses import replace
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
    assert hist == []  # which node started them is known from the entry record (in the view) only
    events = fleet.apply_view("master", view("view_master_inflight", "master"), WALL, DATE)
    kinds = [e.kind for e in events]
    assert (
        kinds[0] == "run_start" and kinds.count("call_start") == 3 and kinds.count("call_end") == 1
    )  # only the first llm finished
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


def test_a_run_first_seen_on_the_callee_node_is_anchored_where_it_started() -> None:
    """Real OxyGent: the math node lists the master's trace (its own agent, the hop's sub-query) and
    finishes its records before the master lists it. Nothing is shown until the entry record is seen;
    then one run, on the master, with the master's query and one call tree (the hop under the entry)."""
    from oxytui.runs import RunState, RunStore
    from oxytui.runs.fleetlog import apply_fleet_events

    store, fleet = RunStore(), Fleet()
    trace = "TRremoteBoom0001"
    page = parse_history(load("history_math"), "math")  # the tester's hop carried the sub-query "boom"
    page = replace(page, traces=[replace(t, query="boom") if t.trace_id == trace else t for t in page.traces])
    events = fleet.observe_history("math", page, WALL, DATE, first=True)
    events += fleet.apply_view("math", view("view_math_remote_boom", "math"), WALL, DATE)
    assert [e for e in events if e.run.trace_id == trace] == []  # callee side only: not anchored yet
    run = fleet.get(trace)
    assert run is not None and not run.anchored and run.backfill  # provisional (math's first poll)
    apply_fleet_events(store, events, 100.0, WALL)
    events = fleet.observe_history("master", parse_history(load("history_master"), "master"), WALL, DATE)
    events += fleet.apply_view("master", view("view_master_remote_boom", "master"), WALL, DATE)
    events += fleet.finish(trace, WALL)
    mine = [e for e in events if e.run.trace_id == trace]
    assert mine[0].kind == "run_start" and [e.kind for e in mine].count("run_start") == 1
    assert mine[-1].kind == "run_end" and [e.kind for e in mine].count("call_start") == 7
    assert run.anchored and run.start_node == "master" and run.query == "remote boom"
    assert not run.backfill  # the master listed it after its first poll: news, not history
    assert run.nodes == ["master", "math"] and run.state is FleetState.FAILED
    apply_fleet_events(store, events, 100.0, WALL)
    assert [k for k in store.runs if k[1] == trace] == [("master", trace)]
    stored = store.runs[("master", trace)]
    assert stored.query == "remote boom" and stored.state is RunState.FAILED
    (root,) = stored.roots  # the hop hangs under the entry call, not beside it
    assert root.callee == "master_agent" and "math_agent" in [c.callee for c in root.children]
    requests = [r for r in store.log.rows if r.trace_id == trace and r.type == "request"]
    assert [(r.node, r.summary) for r in requests] == [("master", "remote boom")]
    assert "math" not in store.stats and store.stats["master"].runs == 1  # math started none of it


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


def test_hop_sides_without_the_callers_father_pick_the_side_that_did_work() -> None:
    """The caller's root record is missing (not fetched yet, or cut off): both sides of the hop look like
    they entered their node; the work side is the one with children on its node, whatever the sizes."""
    from oxytui.runs.fleetrun import by_node, hop_sides

    master = [r for r in view("view_master_remote_add", "master").records if r.father_id]
    math = view("view_math_remote_add", "math").records
    hop_id = next(r.node_id for r in master if r.callee == "math_agent")
    llm = next(r for r in master if r.node_type == "llm")
    padding = [replace(llm, node_id=f"pad{i}") for i in range(10)]  # master holds more of the run
    work, callers = hop_sides(by_node([*master, *padding, *math]))[hop_id]
    assert work.node == "math" and [c.node for c in callers] == ["master"]
    single = hop_sides(by_node(math))
    assert all(not callers for _, callers in single.values()) and len(single) == len(math)


def test_first_poll_history_is_backfill_and_joins_runs_restored_from_the_sqlite_history() -> None:
    from oxytui.ops.traffic_record import record_traffic
    from oxytui.runs import ALL, RunStore
    from oxytui.runs.fleetlog import apply_fleet_events

    fleet = Fleet()
    hist = parse_history(load("history_math"), "math")
    assert len(hist.traces) >= 2 and not any(t.running for t in hist.traces)
    fleet.observe_history("math", hist, WALL, DATE, first=True)
    assert all(fleet.runs[t.trace_id].backfill for t in hist.traces)
    inflight = parse_history(load("history_math_inflight"), "math")
    fleet.observe_history("math", inflight, WALL, DATE, first=True)  # in flight at the first poll: news
    assert not any(fleet.runs[t.trace_id].backfill for t in inflight.traces if t.running)
    later = Fleet()
    later.observe_history("math", hist, WALL, DATE)  # a later poll: news
    assert not any(r.backfill for r in later.runs.values())

    # the dashboard restored one of them from its SQLite history (by another node key, even)
    store = RunStore()
    restored = hist.traces[0].trace_id
    store.restore_run(
        "elsewhere",
        restored,
        query="q",
        state="completed",
        duration=0.1,
        answer="",
        error="",
        wall=WALL,
        source="traffic",
    )
    assert store.stats[ALL].runs == 1 and store.own_stats[ALL].runs == 0  # someone else's run
    fleet = Fleet()
    events = fleet.observe_history("math", hist, WALL, DATE, first=True)
    events += fleet.apply_view("math", view("view_math_boom", "math"), WALL, DATE)
    for trace in list(fleet.runs):
        events += fleet.finish(trace, WALL)
    apply_fleet_events(store, events, 100.0, WALL)
    assert [k for k in store.runs if k[1] == restored] == [("elsewhere", restored)]
    assert store.stats[ALL].runs == len(fleet.runs)  # each run counted once

    added: list[Any] = []

    class Hist:
        def add(self, summary: Any) -> None:
            added.append(summary.trace_id)

    record_traffic(events, None, Hist(), known={restored})
    assert restored not in added and len(added) == len(fleet.runs) - 1


def test_node_clock_is_exact_for_skewed_clocks_odd_zones_stale_dates_and_older_records() -> None:
    """The zone comes out exact whatever the node's clock error (it cancels), for quarter-hour zones
    either side of UTC, with a ``Date`` header cached a second or two, and a newest record up to ~14
    minutes old; record times then land on our clock within the header's whole second."""
    true_utc = datetime(2026, 11, 29, 12, 0, 0, 250000, tzinfo=UTC)  # the real "now"
    for zone_h in (0.0, 5.75, -3.5, 13.0, -11.0):
        for node_error in (-7.3, 0.0, 42.9):  # the node's clock is off by seconds
            for age in (0.0, 30.0, 600.0, 14 * 60.0):  # the newest record's age
                for stale in (0.0, 1.6):  # the server's cached Date header lags
                    node_now = true_utc + timedelta(seconds=node_error)
                    date = (node_now - timedelta(seconds=stale)).replace(microsecond=0)
                    local_now = (node_now + timedelta(hours=zone_h)).replace(tzinfo=None)
                    clock = NodeClock()
                    our_wall = true_utc.timestamp() + 0.05  # received 50 ms later
                    clock.observe(date, our_wall, local_now - timedelta(seconds=age))
                    case = (zone_h, node_error, age, stale)
                    assert clock.zone == zone_h * 3600, case
                    placed = clock.to_wall(local_now - timedelta(seconds=age))
                    assert placed is not None and abs(placed - (true_utc.timestamp() - age)) < 2.0 + stale, (
                        case
                    )


def test_node_times_are_zone_less_even_when_a_writer_adds_an_offset() -> None:
    from oxytui.client.records import parse_node_time

    plain = parse_node_time("2026-11-29 13:59:35.266653000")
    assert plain == datetime(2026, 11, 29, 13, 59, 35, 266653)
    for text in ("2026-11-29T13:59:35+08:00", "2026-11-29 13:59:35.12+08:00", "2026-11-29 13:59:35Z"):
        t = parse_node_time(text)
        assert (
            t is not None
            and t.tzinfo is None
            and t.replace(microsecond=0) == datetime(2026, 11, 29, 13, 59, 35)
        )
    assert parse_node_time("2026-11-29 13:59:35.12+08:00") == datetime(2026, 11, 29, 13, 59, 35, 120000)
    clock = NodeClock()  # an aware time handed in directly is read the same way, never raises
    date = datetime(2026, 11, 29, 5, 59, 36, tzinfo=UTC)
    clock.observe(date, date.timestamp(), datetime(2026, 11, 29, 13, 59, 35, tzinfo=UTC))
    assert clock.zone == 8 * 3600 and clock.to_wall(datetime(2026, 11, 29, 13, 59, 35, tzinfo=UTC))
