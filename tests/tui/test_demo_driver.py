"""The demo driver routes each query to a node that can serve it; quitting asks only for user runs;
"focused node" with "all nodes" selected goes to the first live node and says so."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator

import pytest

from oxytui.config import NodeConfig, Settings
from oxytui.runs import ALL, RunState, RunStore
from oxytui.sim import NodeKnobs, SimCluster
from oxytui.sim.scenarios import demo_plan
from oxytui.tui.app import OxyApp
from oxytui.tui.screens.dialogs import ConfirmScreen
from oxytui.tui.service import Controller
from oxytui.tui.widgets.chat import ChatPane

from .test_live import SIZE, until


@pytest.fixture
async def cluster() -> AsyncIterator[SimCluster]:
    knobs = NodeKnobs(latency_ms=5, token_ms=1)
    async with SimCluster(nodes=3, dead_nodes=1, seed=7, burst_ms=20, knobs=knobs) as c:
        yield c


def settings(cluster: SimCluster) -> Settings:
    return Settings(nodes=[NodeConfig(name=n, url=u) for n, u in cluster.urls.items()], seed=7)


@contextlib.asynccontextmanager
async def controller(cluster: SimCluster) -> AsyncIterator[Controller]:
    """A transport controller on the cluster's nodes with their organizations loaded (no app)."""
    ctl = Controller(RunStore(), settings(cluster))
    for nc in ctl.settings.nodes:
        ctl.add_node(nc)
    try:
        await ctl.refresh_orgs()
        yield ctl
    finally:
        await ctl.aclose()


async def test_demo_targets_make_sense(cluster: SimCluster) -> None:
    async with controller(cluster) as ctl:
        routed = [
            (h, q, ctl.demo_target(h, i)) for i, (h, q) in enumerate(itertools.islice(demo_plan(7), 400))
        ]
        for hint, query, (mode, node) in routed:
            word = query.split()[0]
            if word in ("remote", "steps"):
                assert node == "master_agent", query
            elif word in ("add", "multiply", "fail"):
                assert node in ("master_agent", "math_agent"), query
            elif hint == "down":
                assert node == "code_agent"
            elif hint == "all":
                assert mode == "all"
            else:
                assert node != "code_agent", query  # the dead node only on purpose
        nodes = {node for _, _, (_, node) in routed}
        assert {"master_agent", "math_agent", "research_agent", "code_agent"} <= nodes
        assert sum(n == "code_agent" for _, _, (_, n) in routed) < 20  # occasional, not dominant
        assert [t for _, _, t in routed] == [
            ctl.demo_target(h, i) for i, (h, _) in enumerate(itertools.islice(demo_plan(7), 400))
        ]


async def test_demo_runs_succeed_where_they_should(cluster: SimCluster) -> None:
    """Thirty driver queries end to end: no "Tool ... not exists" answers, remote hops reach the master."""
    async with controller(cluster) as ctl:
        store = ctl.store
        plan = [(h, q) for h, q in itertools.islice(demo_plan(7), 60) if "flood" not in q and "slow" not in q]
        for i, (hint, query) in enumerate(plan[:30]):
            mode, node = ctl.demo_target(hint, i)
            ctl.send(query, mode, node, source="demo")
        assert ctl.live() and ctl.live_user() == 0
        loop = asyncio.get_running_loop()
        end = loop.time() + 20
        while ctl.live():  # bounded wait for every run to finish: a run that never ends fails the test
            assert loop.time() < end, f"{ctl.live()} runs still live"
            await asyncio.sleep(0.05)
        runs = list(store.runs.values())
        assert len(runs) >= 30  # fan-out queries add one run per node
        assert all(r.state is not RunState.RUNNING for r in runs)
        unanswered = [(r.node, r.query) for r in runs if not r.answer and r.node != "code_agent"]
        assert not unanswered, unanswered
        assert not [r.answer for r in runs if "not exists" in r.answer]
        remote = [r for r in runs if r.node == "master_agent" and r.query.startswith("remote")]
        assert remote and all(r.state is RunState.COMPLETED and r.answer for r in remote)


async def test_focused_with_all_nodes_goes_to_first_live_node(cluster: SimCluster) -> None:
    app = OxyApp(settings(cluster))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.store.count_up()[1] == 4)
        assert app.main.focus_key == ALL
        await until(
            pilot,
            lambda: "master_agent (first live node)" in str(app.main.query_one("#chat-target").render()),
        )
        await pilot.press("c", *"add 2 3", "enter")
        await until(pilot, lambda: bool(app.main.chat_runs) and not app.main.chat_runs[0].live)
        run = app.main.chat_runs[0]
        assert run.node == "master_agent" and run.answer.endswith("5") and "not exists" not in run.answer
        assert app.main.query_one(ChatPane).target == "focused"


async def test_quit_does_not_ask_for_demo_runs_only(cluster: SimCluster) -> None:
    app = OxyApp(settings(cluster))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.store.count_up()[1] == 4)
        ctl = app.controller
        assert isinstance(ctl, Controller)
        (key,) = ctl.send("slow 5", "focused", "math_agent", source="demo")
        await until(pilot, lambda: app.store.runs[key].events > 0)
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running, limit=5)
        assert not isinstance(app.screen, ConfirmScreen)
    node = cluster.nodes["math_agent"]
    for _ in range(250):  # bounded wait: the node notices the disconnect
        if key[1] in node.cancelled:
            break
        await asyncio.sleep(0.02)
    assert key[1] in node.cancelled
