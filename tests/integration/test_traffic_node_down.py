"""Issue 11 review: a node that goes down keeps no run open — it is not asked to look hops up, the
give-up check runs on every tick (not only after a successful history poll), look-ups time out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiohttp import web

from oxytui.runs import FleetState
from oxytui.sim import SimCluster

from .test_traffic_watch import FAST, OPTS, Harness, other_client, until


@pytest.fixture
async def cluster() -> AsyncIterator[SimCluster]:
    async with SimCluster(nodes=2, seed=11, burst_ms=0, knobs=FAST) as c:
        yield c


async def test_a_node_killed_during_a_hop_does_not_keep_the_run_open(cluster: SimCluster) -> None:
    opts = replace(OPTS, give_up_after=4.0)
    async with Harness(cluster.urls, opts) as h:
        await until(lambda: h.watcher.requests >= 2)
        run = asyncio.create_task(
            other_client(cluster.urls["master_agent"], "remote slow 6", "TRkilledHop00001")
        )
        fleet = h.watcher.fleet
        await until(lambda: (r := fleet.get("TRkilledHop00001")) is not None and "math_agent" in r.records)
        await cluster.nodes["math_agent"].stop()  # killed while its side of the hop runs
        done = await until(lambda: h.ended("TRkilledHop00001"), 30)
        await asyncio.wait_for(run, 15)
        assert done.state is FleetState.UNKNOWN  # math's side never ended for us: not "completed"
        assert all(nh.pending == 0 for nh in h.watcher.health())


async def test_a_down_node_is_not_asked_for_a_hops_other_side(cluster: SimCluster) -> None:
    opts = replace(OPTS, give_up_after=900.0, search_wait=900.0)
    math = cluster.nodes["math_agent"]
    await math.stop()
    async with Harness(cluster.urls, opts) as h:
        await until(lambda: any(nh.node == "math_agent" and nh.errors for nh in h.watcher.health()))
        await other_client(cluster.urls["master_agent"], "remote add 2 3", "TRdownCallee0001")
        done = await until(lambda: h.ended("TRdownCallee0001"), 30)
        assert done.state is not FleetState.UNKNOWN and done.nodes == ["master_agent"]


async def test_an_unanswered_look_up_means_not_there(cluster: SimCluster) -> None:
    """A watched node that answers its history but never a ``/view``: the look-up of the hop's other
    side ends as "not there" after ``search_wait``, the run ends on what the others showed."""

    async def history(_: web.Request) -> web.Response:
        return web.json_response({"code": 200, "message": "SUCCESS", "data": {"conversation_groups": []}})

    async def view(_: web.Request) -> web.Response:
        return web.Response(status=503, text="busy")

    app = web.Application()
    app.router.add_get("/history_with_ratings", history)
    app.router.add_get("/view", view)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    urls = {"master_agent": cluster.urls["master_agent"], "flaky_agent": f"http://127.0.0.1:{port}"}
    try:
        async with Harness(urls, replace(OPTS, give_up_after=900.0, search_wait=1.0)) as h:
            await until(lambda: h.watcher.requests >= 2)
            await other_client(cluster.urls["master_agent"], "remote add 2 3", "TRflakyLookup001")
            done = await until(lambda: h.ended("TRflakyLookup001"), 30)
            assert done.state is FleetState.COMPLETED
            flaky = next(nh for nh in h.watcher.health() if nh.node == "flaky_agent")
            assert flaky.errors >= 1 and flaky.pending == 0  # it was asked, never answered
    finally:
        await runner.cleanup()
