"""The dashboard's controller with traffic on: someone else's runs reach the store, the event log (marked
traffic), the stats, the recording (replay and export show them) and the history; ours are not doubled;
the other client's bearer token appears nowhere."""

from __future__ import annotations

import asyncio
import io
import json
from contextlib import redirect_stdout
from pathlib import Path

from oxytui.config import NodeConfig, Settings
from oxytui.ops.export import export_recording
from oxytui.ops.history import History
from oxytui.ops.replay import ReplayItem, apply, load, print_replay, to_event
from oxytui.runs import ALL, FleetState, RunState, RunStore
from oxytui.sim import NodeKnobs, SimCluster
from oxytui.tui.service import Controller
from tests.integration.test_traffic_watch import SECRET, other_client, until

FAST = NodeKnobs(latency_ms=0, token_ms=0, burst_ms=0)


async def test_traffic_in_store_log_recording_history(tmp_path: Path) -> None:
    rec_path = tmp_path / "incident.jsonl"
    async with SimCluster(nodes=2, seed=5, burst_ms=0, knobs=FAST) as c:
        nodes = [NodeConfig(name=n, url=u) for n, u in c.urls.items()]
        settings = Settings(nodes=nodes, record=rec_path, traffic_every=0.3)
        store = RunStore()
        ctl = Controller(store, settings)
        await ctl.start()
        if ctl.history is not None:
            ctl.history.close()
        ctl.history = History(tmp_path / "h.sqlite3")
        try:
            await until(lambda: ctl.traffic is not None and ctl.traffic.requests >= 2)
            (key,) = ctl.send("add 2 3", "focused", "math_agent")  # ours: must not show up twice
            await other_client(c.urls["master_agent"], "remote boom", "TRctlBoom0000001")
            boom = await until(
                lambda: (r := store.get_run("master_agent", "TRctlBoom0000001")) and not r.live and r
            )
            await until(
                lambda: key not in ctl.tasks and (f := ctl.fleet.get(key[1])) is not None and f.records
            )
        finally:
            await ctl.aclose()
    assert boom.source == "traffic" and boom.state is RunState.FAILED and "math_agent:boom" in boom.error
    assert any(c.callee == "boom" and c.status == "error" for c in boom.calls.values())
    rows = [r for r in store.log.rows if r.trace_id == "TRctlBoom0000001"]
    assert rows and all(r.source == "traffic" for r in rows)
    assert not [r for r in store.log.rows if r.trace_id == key[1] and r.source == "traffic"]
    assert [k for k in store.runs if k[1] == key[1]] == [key]  # our run once, merged by trace id
    assert ctl.fleet.get(key[1]).source.value == "mine"  # type: ignore[union-attr]
    assert store.stats[ALL].failed == 1 and store.own_stats[ALL].failed == 0
    assert ctl.fleet.get("TRctlBoom0000001").state is FleetState.FAILED  # type: ignore[union-attr]
    history = History(tmp_path / "h.sqlite3")
    kept = [s for s in history.recent(limit=50) if s.trace_id == "TRctlBoom0000001"]
    history.close()
    assert kept and kept[0].source == "traffic" and kept[0].state == "failed"
    # the recording replays the traffic run, export shows it
    text = rec_path.read_text()
    assert SECRET not in text and '"k": "traffic"' in text.replace('"k":"traffic"', '"k": "traffic"')
    records, damage = load(rec_path)
    assert damage is None
    replayed = RunStore()
    base = records[0].wall
    for r in records:
        apply(replayed, ReplayItem(r, to_event(r, r.wall - base), r.wall - base))
    again = replayed.get_run("master_agent", "TRctlBoom0000001")
    assert again is not None and again.state is RunState.FAILED and again.source == "traffic"
    assert any(c.callee == "boom" for c in again.calls.values())
    out = io.StringIO()
    with redirect_stdout(out):
        assert export_recording(rec_path, "run", run="TRctlBoom0000001") == 0
    exported = json.loads(out.getvalue())
    assert exported["source"] == "traffic" and exported["state"] == "failed"
    printed = io.StringIO()
    assert await print_replay(rec_path, out=printed, err=io.StringIO()) == 0
    assert "traffic observation" in printed.getvalue() and SECRET not in printed.getvalue()
    assert SECRET not in repr(list(store.log.rows)) + repr(store.runs)
    await asyncio.sleep(0)


async def test_demo_shows_other_users_traffic_at_once() -> None:
    store = RunStore()
    ctl = Controller(store, Settings(demo=True, seed=3, traffic_every=0.3))
    ctl.demo_driver = False  # only the "other users": everything seen comes from the nodes' records
    await ctl.start()
    try:
        run = await until(lambda: next((r for r in store.runs.values() if r.source == "traffic"), None), 20)
        assert run.node in ctl.cluster.urls
        await until(
            lambda: any(r.source == "traffic" and r.type == "observation" for r in store.log.rows), 20
        )
    finally:
        await ctl.aclose()
