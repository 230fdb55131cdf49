"""Issue 11 review: a run the watcher stopped following before its records ended is "unknown" (gave up),
never "completed" — a node removed from the dashboard mid-run, or a node whose ``/view`` stops keeping
records. Unknown runs count neither as successes nor as failures (watch's tally skips them)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from oxytui.client import SSEOxyGent
from oxytui.ops.traffic import TrafficOptions, TrafficWatcher
from oxytui.ops.traffic_report import TrafficTally
from oxytui.runs import FleetState
from oxytui.runs.fleet import FleetEvent

TRAFFIC = Path(__file__).resolve().parent.parent / "fixtures" / "traffic"
TRACE = "TRremoteSlow0001"


def load(name: str) -> Any:
    return json.loads((TRAFFIC / f"{name}.json").read_text())


async def until(cond: Callable[[], Any], limit: float = 15.0) -> Any:
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not (value := cond()):
        if loop.time() > end:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)
    return value


class Node:
    """Lists TRACE in flight (captured bodies); ``/view`` answers the in-flight records or ``view_status``."""

    def __init__(self) -> None:
        self.view_status = 200
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def history(self, _: web.Request) -> web.Response:
        body = load("history_master_inflight")
        for g in body["data"]["conversation_groups"]:
            g["conversations"] = [c for c in g["conversations"] if c["trace_id"] == TRACE]
        body["data"]["conversation_groups"] = [
            g for g in body["data"]["conversation_groups"] if g["conversations"]
        ]
        return web.json_response(body)

    async def view(self, request: web.Request) -> web.Response:
        if self.view_status != 200:
            return web.Response(status=self.view_status, text="Not Found")
        return web.json_response(load("view_master_inflight"))

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/history_with_ratings", self.history)
        app.router.add_get("/view", self.view)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"


@pytest.fixture
async def node() -> AsyncIterator[Node]:
    n = Node()
    await n.start()
    yield n
    assert n.runner is not None
    await n.runner.cleanup()


def ends(events: list[FleetEvent]) -> list[FleetEvent]:
    return [e for e in events if e.kind == "run_end" and e.run.trace_id == TRACE]


async def test_a_node_removed_mid_run_ends_it_unknown(node: Node) -> None:
    agent = SSEOxyGent(name="master_agent", server_url=node.url, connect_timeout=2.0)
    agents = [agent]
    events: list[FleetEvent] = []
    watcher = TrafficWatcher(
        lambda: list(agents), opts=TrafficOptions(every=0.05, max_every=0.1), on_events=events.extend
    )
    task = asyncio.create_task(watcher.run())
    try:
        await until(lambda: (r := watcher.fleet.get(TRACE)) and r.root is not None)
        agents.clear()  # the operator removes the node while its run is in flight
        (end,) = await until(lambda: ends(events))
    finally:
        watcher.stop()
        await asyncio.wait_for(task, 5)
        await agent.aclose()
    run = end.run
    assert run.root is not None and run.root.state is None  # nobody saw it end...
    assert run.state is FleetState.UNKNOWN  # ...so it is not "completed"
    tally = TrafficTally()
    assert tally.finished(events, set()) == [] and tally.total == 0 and tally.unknown == 1


async def test_records_gone_from_view_end_the_run_unknown(node: Node) -> None:
    agent = SSEOxyGent(name="master_agent", server_url=node.url, connect_timeout=2.0)
    events: list[FleetEvent] = []
    watcher = TrafficWatcher(lambda: [agent], opts=TrafficOptions(), on_events=events.extend)
    try:
        await watcher.tick(agent)  # listed in flight, viewed in flight
        assert watcher.fleet.get(TRACE) is not None and not ends(events)
        node.view_status = 404  # the node stops serving records ("keeps no run records")
        await watcher.tick(agent)
    finally:
        await agent.aclose()
    (end,) = ends(events)
    assert end.run.state is FleetState.UNKNOWN
