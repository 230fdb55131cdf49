"""The runs screen against the simulator: runs started by a separate plain HTTP client (not the dashboard)
appear, stitched across a remote hop, sortable and filterable; Enter opens the call tree; Enter on a call
fetches its input and output with the node's ``/node``; hostile names and outputs stay literal; the other
client's bearer token reaches no screen cell."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from oxytui.config import NodeConfig, Settings
from oxytui.redact import MASK
from oxytui.sim import NodeKnobs, SimCluster, SimNode
from oxytui.tui.app import OxyApp
from oxytui.tui.runsview import CallItem
from oxytui.tui.screens.runs import RunsScreen
from oxytui.tui.screens.runtree import CallDetailScreen, RunTreeScreen
from oxytui.tui.widgets.runs_table import RunsTable
from tests.support.screen_cells import assert_literal_screen, assert_nowhere_on_screen, screen_rows

SIZE = (160, 45)
SECRET = "OTHER-USER-TOKEN-5c4b3a"
EVIL = "[@click=app.quit]evil[/] \x1b[2J\x07"
FAST = NodeKnobs(latency_ms=0, token_ms=0, burst_ms=0)
HOP, BOOM, BAD = "TRuiHop000000001", "TRuiBoom00000002", "TRuiEvil00000003"


@pytest.fixture
async def nodes() -> AsyncIterator[dict[str, str]]:
    evil = SimNode(name="evil_agent", seed=3, knobs=FAST, tools=("add", EVIL))
    await evil.start()
    try:
        async with SimCluster(nodes=2, seed=9, burst_ms=0, knobs=FAST) as c:
            yield {**c.urls, "evil_agent": evil.url}
    finally:
        await evil.stop()


async def other_client(url: str, body: dict[str, Any]) -> None:
    """Someone else's run: plain aiohttp, their own bearer token, the stream read to its end."""
    headers = {"Authorization": f"Bearer {SECRET}"}
    async with aiohttp.ClientSession() as s, s.post(url + "/sse/chat", json=body, headers=headers) as r:
        await r.read()


async def until(pilot: Any, cond: Callable[[], Any], limit: float = 20.0) -> Any:
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not (value := cond()):
        if loop.time() > end:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.05)
    return value


def _rows(app: OxyApp) -> list[Any]:
    return list(app.screen.query_one(RunsTable).rows_shown)


def _ended(app: OxyApp, trace: str) -> bool:
    fleet = app.controller.fleet  # type: ignore[union-attr]
    run = fleet.get(trace)
    return run is not None and (run.ended or run.gave_up)


def _tree_nodes(tree: Any) -> list[Any]:
    out, todo = [], [tree.root]
    while todo:
        node = todo.pop()
        out.append(node)
        todo.extend(reversed(node.children))
    return [n for n in out if isinstance(n.data, CallItem)]


async def test_other_clients_runs_in_the_runs_screen(nodes: dict[str, str]) -> None:
    settings = Settings(nodes=[NodeConfig(name=n, url=u) for n, u in nodes.items()], traffic_every=0.3)
    app = OxyApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.store.count_up()[1] == 3)
        await until(
            pilot, lambda: app.controller.traffic is not None and app.controller.traffic.requests >= 3
        )  # type: ignore[union-attr]
        await asyncio.gather(
            other_client(nodes["master_agent"], {"query": "remote add 2 3", "current_trace_id": HOP}),
            other_client(nodes["math_agent"], {"query": "boom", "current_trace_id": BOOM}),
            other_client(nodes["evil_agent"], {"callee": EVIL, "text": "hi", "current_trace_id": BAD}),
        )
        await until(pilot, lambda: all(_ended(app, t) for t in (HOP, BOOM, BAD)))
        await pilot.press("r")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        await until(pilot, lambda: {HOP, BOOM, BAD} <= {r.trace_id for r in _rows(app)})
        by_id = {r.trace_id: r for r in _rows(app)}
        assert by_id[HOP].nodes == ("master_agent", "math_agent") and by_id[HOP].hops == 1
        assert by_id[HOP].state == "completed" and by_id[HOP].tokens
        assert by_id[BOOM].state == "failed" and by_id[BAD].state == "failed"  # failed by node state
        assert {by_id[t].source for t in (HOP, BOOM, BAD)} == {"traffic"}
        assert_nowhere_on_screen(app, SECRET)
        # sorting: by state (key), by query (header click)
        while screen.table.sort_column != "state":
            await pilot.press("s")
        await pilot.pause()
        states = [r.state for r in _rows(app)]
        assert states == sorted(states)
        await pilot.click(RunsTable, offset=(screen.table.header_x("query") + 1, 0))
        await pilot.pause()
        queries = [r.query.lower() for r in _rows(app)]
        assert screen.table.sort_column == "query" and queries == sorted(queries)
        # filtering: failed, then failed on math_agent, then only traffic, then text
        await pilot.press("x", "x", "x")
        await pilot.pause()
        assert {r.trace_id for r in _rows(app)} == {BOOM, BAD}
        while screen.filter.node != "math_agent":
            await pilot.press("n")
        await pilot.pause()
        assert [r.trace_id for r in _rows(app)] == [BOOM]
        await pilot.press("x")  # every state again
        await pilot.press("o", "o")  # source: traffic
        await pilot.pause()
        assert {r.trace_id for r in _rows(app)} == {HOP, BOOM}
        while screen.filter.node:
            await pilot.press("n")
        await pilot.press("slash", *HOP, "enter")
        await pilot.pause()
        assert [r.trace_id for r in _rows(app)] == [HOP]
        # copy, then Enter: the stitched tree over both nodes
        await pilot.press("y")
        assert app.clipboard == HOP
        await pilot.press("enter")
        await pilot.pause()
        tree_screen = app.screen
        assert isinstance(tree_screen, RunTreeScreen)
        calls = await until(pilot, lambda: _tree_nodes(tree_screen.calls_tree))
        items = [n.data for n in calls]
        assert {i.node for i in items} == {"master_agent", "math_agent"}
        hop = next(i for i in items if i.callee == "math_agent")
        assert hop.hop_from == "master_agent" and hop.node == "math_agent"
        assert_nowhere_on_screen(app, SECRET)
        # Enter on a call: its input and output from the node's /node, fetched now (root on master,
        # whose record holds the other client's headers; the add tool on math_agent)
        for callee, where, shown in (
            ("master_agent", "master_agent", "remote add 2 3"),
            ("add", "math_agent", '"a": 2'),
        ):
            node = next(n for n in calls if n.data.callee == callee)
            tree_screen.calls_tree.move_cursor(node)
            await pilot.press("enter")
            await pilot.pause()
            detail = app.screen
            assert isinstance(detail, CallDetailScreen)
            await until(pilot, lambda: detail.loaded)  # noqa: B023
            assert detail.note == f"from {where}'s /node record"
            assert_nowhere_on_screen(app, SECRET)
            rows = screen_rows(app)
            assert any(shown in row for row in rows)
            if where == "master_agent":
                assert any(f"authorization: {MASK}" in row for row in rows)
            await pilot.press("escape")
            await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        # the hostile callee: literal in the table, the tree and the call detail
        assert app.screen is screen
        await pilot.press("escape")  # clears the text filter
        while screen.filter.source:  # every source again
            await pilot.press("o")
        await pilot.press("slash", *BAD, "enter", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RunTreeScreen)
        tree = app.screen.calls_tree
        evil = await until(pilot, lambda: [n for n in _tree_nodes(tree) if n.data.callee == EVIL])
        assert evil[0].data.failed
        assert_literal_screen(app, SIZE, "[@click=app.quit]evil[/]")
        tree.move_cursor(evil[0])
        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, CallDetailScreen)
        await until(pilot, lambda: detail.loaded)
        assert_literal_screen(app, SIZE, "[@click=app.quit]evil[/]")
        assert_nowhere_on_screen(app, SECRET)
        await pilot.press("escape")
        assert app.is_running
