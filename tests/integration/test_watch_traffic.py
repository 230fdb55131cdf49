"""``oxytui watch --traffic``: runs someone else starts, one JSON line each when finished, in the rate
and /metrics; the other client's bearer token never appears."""

from __future__ import annotations

import asyncio
import io
import json

import aiohttp

from oxytui.config import NodeConfig, Settings
from oxytui.ops.watch import Watcher, WatchOptions
from oxytui.sim import NodeKnobs, SimCluster
from tests.integration.test_traffic_watch import SECRET, other_client, until
from tests.unit.test_ops_prom import parse_prometheus

FAST = NodeKnobs(latency_ms=0, token_ms=0, burst_ms=0)
KEYS = {"time", "kind", "trace_id", "node", "nodes", "state", "duration", "query", "failed", "tokens"}


async def test_watch_traffic_json_rate_and_metrics() -> None:
    async with SimCluster(nodes=2, seed=3, burst_ms=0, knobs=FAST) as c:
        nodes = [NodeConfig(name=n, url=u) for n, u in c.urls.items()]
        out, err = io.StringIO(), io.StringIO()
        opts = WatchOptions(
            every=60, json=True, fail_below=0.9, timeout=5, metrics_port=0, traffic=True, traffic_every=0.3
        )
        w = Watcher(Settings(nodes=nodes), opts, out, err)
        task = asyncio.create_task(w.run())
        await until(lambda: w.traffic_watcher is not None and w.traffic_watcher.requests >= 2)
        master = c.urls["master_agent"]
        await other_client(master, "remote add 2 3", "TRwatchAdd000001")
        await other_client(master, "remote boom", "TRwatchBoom00001")
        await other_client(c.urls["math_agent"], "hostile", "TRwatchHostile01")

        def runs() -> list[dict]:
            got = [json.loads(ln) for ln in out.getvalue().splitlines()]
            return [o for o in got if o["kind"] == "run"]

        await until(lambda: len(runs()) == 3, limit=20)
        assert w.metrics_url is not None
        async with aiohttp.ClientSession() as s, s.get(w.metrics_url) as r:
            metrics = await r.text()
        w.stop()
        code = await asyncio.wait_for(task, 10)
    by = {o["trace_id"]: o for o in runs()}
    add, boom, hostile = by["TRwatchAdd000001"], by["TRwatchBoom00001"], by["TRwatchHostile01"]
    assert set(add) == KEYS
    assert add["state"] == "completed" and add["node"] == "master_agent"
    assert add["nodes"] == ["master_agent", "math_agent"] and add["failed"] == [] and add["tokens"] > 0
    assert add["query"] == "remote add 2 3" and add["duration"] > 0
    assert boom["state"] == "failed" and boom["failed"] == ["math_agent:boom"]
    assert hostile["node"] == "math_agent" and hostile["nodes"] == ["math_agent"]
    fams = parse_prometheus(metrics)

    def sample(family: str, **labels: str) -> float:
        return next(v for _, lab, v in fams[family]["samples"] if lab == labels)

    # traffic runs in the issue-12 families: runs by source, calls on the node that did the work
    assert sample("oxytui_runs_total", node="master_agent", source="traffic") == 2
    assert sample("oxytui_runs_failed_total", node="master_agent", source="traffic") == 1
    durations = fams["oxytui_run_duration_seconds"]["samples"]
    lab = {"node": "master_agent", "source": "traffic"}
    assert next(v for n, la, v in durations if n.endswith("_count") and la == lab) == 2
    assert sample("oxytui_calls_failed_total", node="math_agent", callee="boom", type="tool") == 1
    # no duplicates of those families; the watcher's own health is there, per node
    assert not [f for f in fams if f.startswith(("oxytui_callee_", "oxytui_traffic_failures"))]
    assert [f for f in fams if f.startswith("oxytui_traffic_run")] == ["oxytui_traffic_runs_unknown_total"]
    for node in c.urls:
        assert sample("oxytui_traffic_requests_total", node=node) >= 2
        assert sample("oxytui_traffic_request_errors_total", node=node) == 0
        assert sample("oxytui_traffic_records_available", node=node) == 1
        assert sample("oxytui_traffic_pending_traces", node=node) >= 0
    assert sample("oxytui_traffic_runs_unknown_total") == 0
    assert sample("oxytui_traffic_records_skipped_total") >= 0
    assert code == 1  # 2 of 3 traffic runs succeeded: below --fail-below 0.9
    everything = out.getvalue() + err.getvalue() + metrics
    assert SECRET not in everything
    assert not any(ch in everything for ch in "\x1b\x07\x00\u202e")


async def test_watch_traffic_text_lines_and_history(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OXYTUI_DATA_DIR", str(tmp_path))
    async with SimCluster(nodes=1, seed=4, burst_ms=0, knobs=FAST) as c:
        nodes = [NodeConfig(name=n, url=u) for n, u in c.urls.items()]
        out, err = io.StringIO(), io.StringIO()
        opts = WatchOptions(every=60, timeout=5, traffic=True, traffic_every=0.3, history=True)
        w = Watcher(Settings(nodes=nodes), opts, out, err)
        task = asyncio.create_task(w.run())
        await until(lambda: w.traffic_watcher is not None and w.traffic_watcher.requests >= 1)
        await other_client(c.urls["master_agent"], "boom", "TRwatchText00001")
        await until(lambda: " run " in out.getvalue(), limit=20)
        w.stop()
        await asyncio.wait_for(task, 10)
    line = next(ln for ln in out.getvalue().splitlines() if " run " in ln)
    assert "master_agent run FAIL" in line and "TRwatchText00001" in line and "master_agent:boom" in line
    from oxytui.ops.history import History

    h = History(tmp_path / "history.sqlite3")
    kept = [s for s in h.recent(limit=10) if s.trace_id == "TRwatchText00001"]
    h.close()
    assert kept and kept[0].source == "traffic" and kept[0].state == "failed"


async def test_watch_does_not_print_or_count_runs_finished_before_it_started() -> None:
    async with SimCluster(nodes=2, seed=5, burst_ms=0, knobs=FAST) as c:
        await other_client(c.urls["master_agent"], "remote boom", "TRbeforeWatch001")
        nodes = [NodeConfig(name=n, url=u) for n, u in c.urls.items()]
        out, err = io.StringIO(), io.StringIO()
        opts = WatchOptions(every=60, json=True, timeout=5, metrics_port=0, traffic=True, traffic_every=0.3)
        w = Watcher(Settings(nodes=nodes), opts, out, err)
        task = asyncio.create_task(w.run())
        await until(lambda: w.traffic_watcher is not None and w.traffic_watcher.fleet.get("TRbeforeWatch001"))
        before = w.traffic_watcher.fleet.get("TRbeforeWatch001")
        await until(lambda: before.finished)  # fetched (the dashboard would show it) ...
        await other_client(c.urls["math_agent"], "add 2 3", "TRafterWatch0001")

        def runs() -> list[dict]:
            got = [json.loads(ln) for ln in out.getvalue().splitlines()]
            return [o for o in got if o["kind"] == "run"]

        await until(lambda: runs(), limit=20)
        assert w.metrics_url is not None
        async with aiohttp.ClientSession() as s, s.get(w.metrics_url) as r:
            metrics = await r.text()
        w.stop()
        await asyncio.wait_for(task, 10)
    assert before.backfill and before.state == "failed"
    assert [o["trace_id"] for o in runs()] == ["TRafterWatch0001"]  # ... but not printed as news
    assert "TRbeforeWatch001" not in out.getvalue()
    fams = parse_prometheus(metrics)
    traffic = [v for _, lab, v in fams["oxytui_runs_total"]["samples"] if lab["source"] == "traffic"]
    assert traffic == [1]  # only the run that finished while watching
    assert not fams["oxytui_runs_failed_total"]["samples"]
    assert "success rate 100.0%" in err.getvalue()
