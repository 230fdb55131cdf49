"""Issue 11 review: a canceled traffic run is neither a success nor a failure, and is shown as
canceled — in ``watch --traffic`` (line, JSON, rate) as on the dashboard (stats). The "failed:"/"gave
up" text has one home."""

from __future__ import annotations

import io
import json

from oxytui.client.records import parse_view
from oxytui.config import NodeConfig, Settings
from oxytui.ops import traffic_record
from oxytui.ops.traffic_report import TrafficTally, report_runs, run_object
from oxytui.ops.watch import Watcher, WatchOptions
from oxytui.runs import ALL, FleetState, RunState, RunStore, fleetlog
from oxytui.runs.fleet import Fleet, FleetEvent

WALL = 1_790_000_000.0
CANCELED = 7  # OxyState.CANCELED on the wire


def canceled_run() -> list[FleetEvent]:
    fleet = Fleet()
    rec = {
        "node_id": "root1",
        "father_node_id": "",
        "caller": "user",
        "callee": "master_agent",
        "node_type": "agent",
        "state": CANCELED,
        "create_time": "2026-11-29 13:59:35.000000",
        "update_time": "2026-11-29 13:59:36.000000",
    }
    view = parse_view({"code": 200, "data": {"nodes": [rec], "trace_id": "TRcanceled000001"}}, "master_agent")
    events = fleet.apply_view("master_agent", view, WALL)
    return events + fleet.finish("TRcanceled000001", WALL)


def test_watch_shows_a_canceled_run_as_canceled_and_counts_it_as_neither() -> None:
    events = canceled_run()
    run = events[-1].run
    assert run.state is FleetState.CANCELED
    assert run_object(run)["state"] == "canceled"
    out = io.StringIO()
    watcher = Watcher(
        Settings(nodes=[NodeConfig(name="master_agent", url="http://127.0.0.1:9")]), WatchOptions(), out
    )
    tally = TrafficTally()
    report_runs(tally, events, set(), watcher.emit, json_lines=False)
    line = out.getvalue()
    assert " run canceled " in line and " ok " not in line and "FAIL" not in line
    assert tally.total == 0 and tally.failed == 0  # not in the success rate either way
    out.truncate(0)
    out.seek(0)
    watcher.opts.json = True
    report_runs(TrafficTally(), events, set(), watcher.emit, json_lines=True)
    assert json.loads(out.getvalue())["state"] == "canceled"


def test_the_dashboard_counts_a_canceled_run_as_neither() -> None:
    store = RunStore()
    fleetlog.apply_fleet_events(store, canceled_run(), 100.0, WALL)
    run = store.get_run("master_agent", "TRcanceled000001")
    assert run is not None and run.state is RunState.CANCELED
    st = store.stats[ALL]
    assert (st.completed, st.failed, st.canceled) == (0, 0, 1)


def test_run_error_has_one_home() -> None:
    assert traffic_record.run_error is fleetlog.run_error
