"""The dashboard (real Pilot) with traffic on: another client's runs show in the event log as traffic,
hostile text renders literally, and the other client's bearer token is in no screen cell, detail view
or log record."""

from __future__ import annotations

import logging

import pytest

from oxytui.config import NodeConfig, Settings
from oxytui.sim import NodeKnobs, SimCluster
from oxytui.tui.app import OxyApp
from oxytui.tui.widgets.eventlog import EventLogView
from tests.integration.test_traffic_watch import SECRET, other_client

from .test_live import SIZE, until

FAST = NodeKnobs(latency_ms=0, token_ms=0, burst_ms=0)


async def test_traffic_rows_on_screen_without_the_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with SimCluster(nodes=2, seed=9, burst_ms=0, knobs=FAST) as c:
        nodes = [NodeConfig(name=n, url=u) for n, u in c.urls.items()]
        app = OxyApp(Settings(nodes=nodes, seed=9, traffic_every=0.3))
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.store.count_up()[1] == 2)
            await other_client(c.urls["math_agent"], "hostile boom", "TRpilotHostile01")
            store = app.store
            await until(
                pilot,
                lambda: (r := store.get_run("math_agent", "TRpilotHostile01")) is not None and not r.live,
                limit=20,
            )
            view = app.screen.query_one(EventLogView)
            await until(pilot, lambda: any(r.source == "traffic" for r in view.rows))
            idx = max(i for i, r in enumerate(view.rows) if r.trace_id == "TRpilotHostile01")
            view.focus()
            view.move_to(idx)
            await pilot.pause()
            screen = app.export_screenshot()
            await pilot.press("enter")  # the row's detail: the record as JSON
            await pilot.pause()
            detail = app.export_screenshot()
            await pilot.press("escape")
    run = store.get_run("math_agent", "TRpilotHostile01")
    assert run is not None and run.source == "traffic" and run.state.value == "failed"
    for text in (screen, detail, caplog.text, repr(list(store.log.rows))):
        assert SECRET not in text
    assert "\x1b" not in screen + detail
