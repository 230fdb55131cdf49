"""Issue 11 review: attaching to a run the traffic watcher already showed leaves one store run, and it
ends (the traffic copy stayed "running" and counted as active forever)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

from oxytui.client.records import parse_view
from oxytui.config import NodeConfig, Settings
from oxytui.runs import ALL
from oxytui.runs.fleetlog import apply_fleet_events
from oxytui.tui.app import OxyApp

TRAFFIC = Path(__file__).resolve().parent.parent / "fixtures" / "traffic"
TRACE = "TRremoteSlow0001"


async def until(pilot, cond: Callable[[], bool], limit: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not cond():
        if loop.time() > end:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.02)


async def test_attaching_to_a_traffic_run_leaves_one_run_that_ends() -> None:
    from tests.support.scripted_server import Json, Replay, ScriptedServer

    async with ScriptedServer() as srv:
        srv.on("GET", "/check_alive", Json({"alive": 1}))
        srv.on("GET", "/get_organization", Json({"code": 200, "data": {"organization": {"name": "a"}}}))
        srv.on("POST", "/async/trace", Replay(b": ping\r\n\r\nevent: close\r\ndata: done\r\n\r\n"))
        app = OxyApp(Settings(nodes=[NodeConfig(name="n", url=srv.url)]))
        async with app.run_test(size=(160, 45)) as pilot:
            await until(pilot, lambda: app.store.count_up()[1] == 1)
            ctl = app.controller
            assert ctl is not None
            body = json.loads((TRAFFIC / "view_master_inflight.json").read_text())
            events = ctl.fleet.apply_view(
                "n", parse_view(body, "n", TRACE), time.time()
            )  # the watcher saw it
            apply_fleet_events(app.store, events, time.monotonic(), time.time())
            assert app.store.find_trace(TRACE) is not None and app.store.stats[ALL].active == 1
            ctl.attach("n", TRACE)
            await until(pilot, lambda: app.user_live() == 0)
            copies = [r for r in app.store.runs.values() if r.trace_id == TRACE]
            assert len(copies) == 1 and not copies[0].live
            assert app.store.stats[ALL].active == 0 and app.store.stats["n"].active == 0
