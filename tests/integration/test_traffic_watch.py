"""The traffic watcher against simulated nodes, with runs started by a separate plain HTTP client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from oxytui.client import SSEOxyGent
from oxytui.ops.traffic import TrafficOptions, TrafficWatcher
from oxytui.runs import FleetState, RunStore
from oxytui.runs.fleet import FleetEvent
from oxytui.runs.fleetlog import apply_fleet_events
from oxytui.sim import NodeKnobs, SimCluster, SimNode

FAST = NodeKnobs(latency_ms=0, token_ms=0, burst_ms=0)
OPTS = TrafficOptions(every=0.3, max_every=0.6, page_size=5)
SECRET = "OTHER-CLIENT-SECRET-9f8e7d"


async def until(cond: Callable[[], Any], limit: float = 15.0) -> Any:
    """Wait for a condition (polling the event loop), failing after ``limit`` seconds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not (value := cond()):
        if loop.time() > end:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)
    return value


class Harness:
    def __init__(self, urls: dict[str, str], opts: TrafficOptions = OPTS) -> None:
        self.agents = [SSEOxyGent(name=n, server_url=u, connect_timeout=2.0) for n, u in urls.items()]
        self.events: list[FleetEvent] = []
        self.notices: list[tuple[str, str]] = []
        self.store = RunStore()
        self.watcher = TrafficWatcher(
            lambda: self.agents,
            opts=opts,
            on_events=self._events,
            on_notice=lambda node, msg: self.notices.append((node, msg)),
        )
        self.task: asyncio.Task[None] | None = None

    def _events(self, events: list[FleetEvent]) -> None:
        self.events += events
        apply_fleet_events(self.store, events, 1000.0, 1e9)

    def ended(self, trace: str) -> Any:
        return next((e.run for e in self.events if e.kind == "run_end" and e.run.trace_id == trace), None)

    async def __aenter__(self) -> Harness:
        self.task = asyncio.create_task(self.watcher.run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.watcher.stop()
        assert self.task is not None
        await asyncio.wait_for(self.task, 5)
        for a in self.agents:
            await a.aclose()


async def other_client(url: str, query: str, trace: str) -> str:
    """Someone else's run: plain HTTP, their own bearer token, read to the end of the stream."""
    body = {"query": query, "current_trace_id": trace}
    headers = {"Authorization": f"Bearer {SECRET}"}
    async with aiohttp.ClientSession() as s, s.post(url + "/sse/chat", json=body, headers=headers) as r:
        return (await r.read()).decode()


@pytest.fixture
async def cluster() -> AsyncIterator[SimCluster]:
    async with SimCluster(nodes=2, seed=11, burst_ms=0, knobs=FAST) as c:
        yield c


async def test_other_clients_runs_appear_stitched_in_flight_then_finished(cluster: SimCluster) -> None:
    async with Harness(cluster.urls) as h:
        await until(lambda: h.watcher.requests >= 2)  # first polls done: nothing to see yet
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        run = asyncio.create_task(
            other_client(cluster.urls["master_agent"], "remote slow 1.5", "TRslowRemote0001")
        )
        started = await until(lambda: any(e.kind == "run_start" for e in h.events))
        assert started and loop.time() - t0 < 2 * OPTS.max_every + 2.0  # within two polls (+ load slack)
        fleet = h.watcher.fleet
        inflight = await until(
            lambda: (
                (r := fleet.get("TRslowRemote0001"))
                and any(rec.state is None for rec in r.all_records())
                and r
            )
        )
        assert inflight.state is FleetState.RUNNING
        await run
        done = await until(lambda: h.ended("TRslowRemote0001"))
        assert done.state is FleetState.COMPLETED
        assert done.nodes == ["master_agent", "math_agent"] and done.hops == 1
        slow = next(c for c in done.walk() if c.callee == "slow_tool")
        assert slow.node == "math_agent" and slow.duration is not None and slow.duration >= 1.4
        hop = next(c for c in done.walk() if c.hop)
        assert hop.caller_node == "master_agent" and hop.node == "math_agent" and hop.overhead is not None
        ends = [e for e in h.events if e.kind == "run_end" and e.run.trace_id == "TRslowRemote0001"]
        assert len(ends) == 1  # each run finishes once
        row_types = {r.type for r in h.store.log.rows if r.trace_id == "TRslowRemote0001"}
        assert {"request", "tool_call", "observation"} <= row_types
        everything = repr(h.events) + repr(list(h.store.log.rows)) + repr(fleet.runs)
        assert SECRET not in everything and "('authorization', '***')" in everything


async def test_failed_by_node_state_across_a_hop(cluster: SimCluster) -> None:
    async with Harness(cluster.urls) as h:
        await until(lambda: h.watcher.requests >= 2)
        answer = await other_client(cluster.urls["master_agent"], "remote boom", "TRremoteBoom0002")
        assert "boom tool failed" in answer  # the answer itself reads like an answer
        done = await until(lambda: h.ended("TRremoteBoom0002"))
        assert done.state is FleetState.FAILED
        assert [(c.node, c.callee) for c in done.failed_calls()] == [("math_agent", "boom")]
        stat = h.watcher.fleet.callees.total[("tool", "boom")]
        assert stat.failures == 1 and stat.error_rate == 1.0


async def test_nodes_without_records_degrade_politely(cluster: SimCluster) -> None:
    missing = SimNode("legacy_agent", knobs=replace(FAST, run_records="missing"))
    broken = SimNode("broken_agent", knobs=replace(FAST, run_records="broken"))
    await missing.start()
    await broken.start()
    try:
        urls = {**cluster.urls, "legacy": missing.url, "broken": broken.url}
        async with Harness(urls) as h:
            await other_client(cluster.urls["math_agent"], "add 2 3", "TRmathAdd0000003")
            done = await until(lambda: h.ended("TRmathAdd0000003"))
            assert done.state is FleetState.COMPLETED and done.nodes == ["math_agent"]
            await until(lambda: h.watcher.nodes["math_agent"].requests >= 12)
            said = [n for n, _ in h.notices]
            assert said.count("legacy") == 1 and said.count("broken") == 1  # said once
            assert h.watcher.nodes["legacy"].requests == 1  # probed rarely (every no_records_every)
            assert set(h.watcher.fleet.no_records) == {"legacy", "broken"}
            assert "code 500" in h.watcher.fleet.no_records["broken"]
    finally:
        await missing.stop()
        await broken.stop()


async def test_huge_views_and_outputs_stay_bounded() -> None:
    """A 100,000-record /view and 5 MB outputs: capped when parsed, the watcher carries on."""
    from oxytui.client.records import MAX_RECORDS

    rec = {"node_id": "", "father_node_id": "r", "node_type": "tool", "callee": "t", "state": 3,
           "create_time": "2026-11-29 13:59:35.1", "update_time": "2026-11-29 13:59:35.2"}  # fmt: skip
    nodes = [{**rec, "node_id": f"n{i}"} for i in range(100_000)]
    big_view = json.dumps({"code": 200, "data": {"trace_id": "HUGE", "nodes": nodes}}).encode()
    fat = {**rec, "node_id": "fat", "father_node_id": "", "output": "x" * 5_000_000}
    fat_view = json.dumps({"code": 200, "data": {"trace_id": "FAT", "nodes": [fat]}}).encode()
    conv = {"input": "{}", "callee": "a", "output": "", "create_time": "2026-11-29 13:59:35.1"}
    groups = [{"group_id": t, "conversations": [{**conv, "trace_id": t}]} for t in ("HUGE", "FAT")]
    history = json.dumps({"code": 200, "data": {"conversation_groups": groups}}).encode()

    async def hist(_: web.Request) -> web.Response:
        return web.Response(body=history, content_type="application/json")

    async def view(request: web.Request) -> web.Response:
        body = big_view if request.query["item_id"] == "HUGE" else fat_view
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/history_with_ratings", hist)
    app.router.add_get("/view", view)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with Harness({"odd": f"http://127.0.0.1:{port}"}) as h:  # default body cap: 16 MiB
            fleet = h.watcher.fleet
            huge = await until(lambda: h.ended("HUGE"), limit=30)
            assert huge.state is FleetState.UNKNOWN and not huge.records  # refused at the cap, said at once
            fat = await until(lambda: h.ended("FAT"), limit=30)
            (fat_rec,) = fat.records["odd"].values()
            assert len(fat_rec.raw_output) < 70_000 and "5,000,000 chars" in fat_rec.raw_output
        async with Harness({"odd": f"http://127.0.0.1:{port}"}) as h:
            for agent in h.agents:
                agent.max_body_size = 64 * 2**20  # a raised cap: parsed, but only MAX_RECORDS records
            fleet = h.watcher.fleet
            await until(lambda: fleet.dropped > 0, limit=60)
            huge = fleet.get("HUGE")
            assert huge is not None and len(huge.records["odd"]) == MAX_RECORDS
            assert fleet.dropped == 100_000 - MAX_RECORDS
    finally:
        await runner.cleanup()


async def test_a_hung_node_delays_only_itself(cluster: SimCluster) -> None:
    async def hang(_: web.Request) -> web.Response:
        await asyncio.Event().wait()
        raise AssertionError

    app = web.Application()
    app.router.add_get("/history_with_ratings", hang)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with Harness({"math_agent": cluster.urls["math_agent"]}) as h:
            h.agents.append(
                SSEOxyGent(name="hung", server_url=f"http://127.0.0.1:{port}", connect_timeout=60)
            )
            await until(lambda: "hung" in h.watcher.nodes)
            await other_client(cluster.urls["math_agent"], "add 1 2", "TRnotStalled0001")
            done = await until(lambda: h.ended("TRnotStalled0001"), limit=10)
            assert done.state is FleetState.COMPLETED
    finally:
        await runner.cleanup()


async def test_runs_finished_before_the_watcher_started_appear_as_recent_history(cluster: SimCluster) -> None:
    """Opened during an incident: the last runs (the first history page) are there at once, stitched,
    marked backfill; a run started afterwards is news."""
    await other_client(cluster.urls["master_agent"], "remote boom", "TRbeforeBoom0001")
    await other_client(cluster.urls["math_agent"], "add 2 3", "TRbeforeAdd00001")
    async with Harness(cluster.urls) as h:
        boom = await until(lambda: h.ended("TRbeforeBoom0001"))
        add = await until(lambda: h.ended("TRbeforeAdd00001"))
        assert boom.backfill and add.backfill
        assert boom.state is FleetState.FAILED and boom.nodes == ["master_agent", "math_agent"]
        assert [(c.node, c.callee) for c in boom.failed_calls()] == [("math_agent", "boom")]
        assert add.state is FleetState.COMPLETED
        stored = h.store.get_run("master_agent", "TRbeforeBoom0001")
        assert stored is not None and stored.source == "traffic" and not stored.live
        await other_client(cluster.urls["math_agent"], "add 4 5", "TRafterAdd000001")
        after = await until(lambda: h.ended("TRafterAdd000001"))
        assert not after.backfill
        ends = [e.run.trace_id for e in h.events if e.kind == "run_end"]
        assert sorted(ends) == ["TRafterAdd000001", "TRbeforeAdd00001", "TRbeforeBoom0001"]  # once each
