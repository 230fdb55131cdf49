"""Real OxyGent's order of appearance across a remote hop, served from the captures: the callee (math)
node lists the caller's trace with the hop's sub-query and finishes its records before the caller
(master) lists the trace at all. The watcher must report the run once, on the master, with the master's
query (``watch --traffic`` printed it on math with the sub-query, or never)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
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
TRACE = "TRremoteBoom0001"


def load(name: str) -> Any:
    return json.loads((TRAFFIC / f"{name}.json").read_text())


def conversation(history: str, trace: str) -> dict[str, Any]:
    groups = load(history)["data"]["conversation_groups"]
    return next(c for g in groups for c in g["conversations"] if c["trace_id"] == trace)


class Node:
    """A node serving captured bodies; what it lists and shows is switched by the test."""

    def __init__(self) -> None:
        self.listed: list[dict[str, Any]] = []
        self.views: dict[str, Any] = {}
        self.viewed = 0
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def history(self, _: web.Request) -> web.Response:
        groups = [{"group_id": c["trace_id"], "conversations": [c]} for c in self.listed]
        return web.json_response({"code": 200, "message": "SUCCESS", "data": {"conversation_groups": groups}})

    async def view(self, request: web.Request) -> web.Response:
        trace = request.query["item_id"]
        self.viewed += 1
        body = self.views.get(
            trace, {"code": 200, "message": "SUCCESS", "data": {"nodes": [], "trace_id": trace}}
        )
        return web.json_response(body)

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


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def nodes() -> AsyncIterator[dict[str, Node]]:
    both = {"master": Node(), "math": Node()}
    for n in both.values():
        await n.start()
    yield both
    for n in both.values():
        assert n.runner is not None
        await n.runner.cleanup()


async def watch(nodes: dict[str, Node], master_lists: bool) -> tuple[list[FleetEvent], Any]:
    clock = Clock()
    agents = {name: SSEOxyGent(name=name, server_url=n.url) for name, n in nodes.items()}
    events: list[FleetEvent] = []
    watcher = TrafficWatcher(
        lambda: agents.values(), opts=TrafficOptions(anchor_wait=30.0), on_events=events.extend, mono=clock
    )
    try:
        for a in agents.values():  # first polls: nothing there yet
            await watcher.tick(a)
        sub = conversation("history_math", TRACE)
        nodes["math"].listed = [{**sub, "input": json.dumps({"query": "boom", "short_memory": []})}]
        nodes["math"].views[TRACE] = load("view_math_remote_boom")
        for _ in range(5):  # the callee node alone, until it has nothing left to poll for that trace
            await watcher.tick(agents["math"])
            clock.now += 2
        await watcher.tick(agents["master"])  # asked for the entry record: not there yet (lag)
        clock.now += 2
        assert [e for e in events if e.run.trace_id == TRACE] == []  # nothing shown, nothing finished
        if master_lists:
            nodes["master"].listed = [conversation("history_master", TRACE)]
            nodes["master"].views[TRACE] = load("view_master_remote_boom")
        for _ in range(20):
            for a in agents.values():
                await watcher.tick(a)
            clock.now += 5
        return events, watcher
    finally:
        for a in agents.values():
            await a.aclose()


async def test_run_first_listed_by_the_callee_node_is_reported_once_on_the_caller(
    nodes: dict[str, Node],
) -> None:
    events, _ = await watch(nodes, master_lists=True)
    mine = [e for e in events if e.run.trace_id == TRACE]
    assert [e.kind for e in mine].count("run_start") == 1 and mine[0].kind == "run_start"
    (end,) = [e for e in mine if e.kind == "run_end"]
    run = end.run
    assert run.start_node == "master" and run.query == "remote boom" and not run.backfill
    assert run.state is FleetState.FAILED and run.nodes == ["master", "math"] and run.hops == 1
    tally = TrafficTally()
    (printed,) = tally.finished(events, set())
    assert printed is run and set(tally.nodes) == {"master"} and tally.total == 1


async def test_entry_record_never_seen_ends_unknown_after_the_bound(nodes: dict[str, Node]) -> None:
    events, _ = await watch(nodes, master_lists=False)
    (end,) = [e for e in events if e.run.trace_id == TRACE and e.kind == "run_end"]
    assert end.run.state is FleetState.UNKNOWN and not end.run.anchored
    tally = TrafficTally()
    assert tally.finished(events, set()) == [] and tally.unknown == 1  # not counted against math
    assert 3 <= nodes["master"].viewed <= 10  # asked again on its ticks, no longer than anchor_wait
