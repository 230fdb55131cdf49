"""The dashboard against the in-process simulated cluster: real sockets, real SSE, real Pilot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from oxytui.config import NodeConfig, Settings
from oxytui.runs import ALL, RunState
from oxytui.sim import NodeKnobs, SimCluster
from oxytui.tui.app import OxyApp
from oxytui.tui.screens.dialogs import ConfirmScreen
from oxytui.tui.widgets.chat import AnswerCard, ChatInput, ChatPane

SIZE = (160, 45)


@pytest.fixture
async def cluster() -> AsyncIterator[SimCluster]:
    knobs = NodeKnobs(latency_ms=5, token_ms=1)
    async with SimCluster(nodes=2, dead_nodes=1, seed=7, burst_ms=20, knobs=knobs) as c:
        yield c


def make_app(cluster: SimCluster) -> OxyApp:
    nodes = [NodeConfig(name=n, url=u) for n, u in cluster.urls.items()]
    return OxyApp(Settings(nodes=nodes, seed=7))


async def press_to(pilot, key: str) -> None:  # type: ignore[no-untyped-def]
    """Press ``n`` until ``key`` is the focused node (the list order is the status sort's, not fixed)."""
    app = pilot.app
    for _ in range(len(app.store.nodes) + 1):
        if app.main.focus_key == key:
            return
        await pilot.press("n")
        await pilot.pause()
    assert app.main.focus_key == key


async def until(pilot, cond: Callable[[], bool], limit: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Wait for a condition (bounded): the test fails with a clear message instead of hanging."""
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not cond():
        if loop.time() > end:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.05)


async def focus_node(pilot, app: OxyApp, name: str) -> None:  # type: ignore[no-untyped-def]
    """Press ``n`` until ``name`` is the focused node (bounded): the node table fills on the refresh tick,
    so a key pressed before it has rows does nothing."""
    for _ in range(20):
        if app.main.focus_key == name:
            return
        await pilot.press("n")
        try:
            await until(pilot, lambda: app.main.focus_key != ALL, limit=1.0)
        except AssertionError:
            continue
    raise AssertionError(f"could not focus {name}")


async def test_connects_and_shows_status(cluster: SimCluster) -> None:
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.store.count_up()[1] == 3)
        up, probed, total = app.store.count_up()
        assert (up, probed, total) == (2, 3, 3)
        dead = next(n for n in cluster.urls if n not in ("master_agent", "math_agent"))
        assert app.store.status(dead).value == "down"
        await until(pilot, lambda: app.store.nodes["master_agent"].org is not None)
        await until(pilot, lambda: "2/3 nodes up" in str(app.main.query_one("#topbar").render()))


async def test_chat_send_streams_answer_to_focused_node(cluster: SimCluster) -> None:
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.store.count_up()[1] == 3)
        await focus_node(pilot, app, "math_agent")
        await pilot.press("c", *"add 2 3", "enter")
        await until(pilot, lambda: bool(app.main.chat_runs) and not app.main.chat_runs[0].live)
        run = app.main.chat_runs[0]
        assert run.node == "math_agent" and run.state is RunState.COMPLETED
        assert "5" in run.answer and run.streamed  # LLM deltas arrived before the answer
        await until(pilot, lambda: "5" in str(app.main.query_one(AnswerCard).render()))
        assert app.main.query_one(AnswerCard).border_title == "math_agent"
        box = app.main.query_one(ChatInput)
        assert box.value == "" and box.has_focus
        await pilot.press("up")
        assert box.value == "add 2 3"


async def test_fan_out_sends_to_every_node_side_by_side(cluster: SimCluster) -> None:
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.store.count_up()[1] == 3)
        await pilot.press("ctrl+o")
        assert app.main.query_one(ChatPane).target == "all"
        await pilot.press("c", *"add 2 3", "enter")
        runs = lambda: app.main.chat_runs  # noqa: E731
        await until(pilot, lambda: len(runs()) == 3 and not any(r.live for r in runs()))
        states = {r.node: r.state for r in app.main.chat_runs}
        assert states["master_agent"] is RunState.COMPLETED and states["math_agent"] is RunState.COMPLETED
        assert list(states.values()).count(RunState.FAILED) == 1
        cards = lambda: list(app.main.query(AnswerCard))  # noqa: E731
        await until(
            pilot, lambda: len(cards()) == 3 and len({c.region.x for c in cards()}) == 3
        )  # side by side


async def test_quit_while_live_asks_then_cancels_on_node(cluster: SimCluster) -> None:
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.store.count_up()[1] == 3)
        await focus_node(pilot, app, "math_agent")
        await pilot.press("c", *"slow 5", "enter")
        await until(pilot, lambda: bool(app.main.chat_runs) and app.main.chat_runs[0].events > 0)
        trace = app.main.chat_runs[0].trace_id
        await pilot.press("escape", "q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.is_running and app.main.chat_runs[0].live
        await pilot.press("q", "y")
        await until(pilot, lambda: not app.is_running, limit=5)
    node = cluster.nodes["math_agent"]
    for _ in range(250):  # bounded wait for the node to notice the disconnect
        if trace in node.cancelled:
            break
        await asyncio.sleep(0.02)
    assert trace in node.cancelled


async def test_server_timeline_of_selected_run(cluster: SimCluster) -> None:
    from oxytui.tui.screens.dialogs import TimelineScreen

    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.store.count_up()[1] == 3)
        await focus_node(pilot, app, "master_agent")
        await pilot.press("c", *"remote add 2 3", "enter")
        await until(pilot, lambda: bool(app.main.chat_runs) and not app.main.chat_runs[0].live)
        await pilot.press("escape", "v")  # the call-tree pane turns into the timeline
        pane = app.main.timeline
        await until(pilot, lambda: bool(pane.entries))
        assert pane.display and not app.main.calls.display and app.main.timeline_on
        callees = [e.callee for e in pane.entries]
        assert callees[0] == "master_agent" and "math_agent" in callees
        assert all(e.end is not None for e in pane.entries)
        assert "master_agent" in str(pane.render())
        await pilot.press("v")
        assert app.main.calls.display and not pane.display
        await app.action_timeline_popup()  # the palette's pop-up shows the same records
        await until(pilot, lambda: isinstance(app.screen, TimelineScreen))
        assert [e.callee for e in app.screen.entries] == callees


async def test_timeline_pane_says_when_a_node_has_no_view(cluster: SimCluster) -> None:
    from aiohttp import web

    async def no_view_node() -> tuple[web.AppRunner, str]:
        """A node that answers probes but has no /view (404), like a proxy that does not route it."""

        async def alive(_request: web.Request) -> web.Response:
            return web.json_response({"alive": 1})

        app = web.Application()
        app.router.add_get("/check_alive", alive)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]

    runner, url = await no_view_node()
    try:
        app = OxyApp(Settings(nodes=[NodeConfig(name="bare", url=url)], seed=7))
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.store.count_up()[1] == 1)
            app.store.start_run("bare", "T-1", "q", 0.0, 0.0)
            app.store.finish_run("bare", "T-1", 1.0, 1.0, None, "")
            await pilot.press("v")
            pane = app.main.timeline
            await until(pilot, lambda: "no /view on this node" in pane.note)
            assert "no /view on this node" in str(pane.render())
        app = make_app(cluster)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.store.count_up()[1] == 3)
            app.store.start_run("master_agent", "never-ran", "q", 0.0, 0.0)
            app.store.finish_run("master_agent", "never-ran", 1.0, 1.0, None, "")
            await pilot.press("v")
            await until(pilot, lambda: app.main.timeline.note.startswith("empty"))
    finally:
        await runner.cleanup()


async def test_history_survives_restart(cluster: SimCluster, _private_data_dir) -> None:  # type: ignore[no-untyped-def]
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.store.count_up()[1] == 3)
        await focus_node(pilot, app, "math_agent")
        await pilot.press("c", *"add 2 3", "enter")
        await until(pilot, lambda: bool(app.main.chat_runs) and not app.main.chat_runs[0].live)
        trace = app.main.chat_runs[0].trace_id
    assert (_private_data_dir / "history.sqlite3").exists() or any(_private_data_dir.rglob("*.sqlite3"))
    again = make_app(cluster)
    async with again.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: again.store.get_run("math_agent", trace) is not None)
        run = again.store.get_run("math_agent", trace)
        assert run is not None and run.state is RunState.COMPLETED and "5" in run.answer
        assert again.store.stats["math_agent"].completed >= 1


async def test_balanced_target_picks_a_healthy_node(cluster: SimCluster) -> None:
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.controller.pool.healthy()) == 2)
        await pilot.press("ctrl+o", "ctrl+o")
        assert app.main.chat.target == "balanced"
        await pilot.press("c")
        for _ in range(2):  # the input keeps focus after sending
            await pilot.press(*"add 1 1", "enter")
            await until(pilot, lambda: bool(app.main.chat_runs) and not app.main.chat_runs[0].live)
        nodes = {r.node for r in app.store.runs.values() if r.query == "add 1 1"}
        assert nodes == {"master_agent", "math_agent"}  # round robin over the two healthy nodes


async def test_sim_hostile_text_is_inert(cluster: SimCluster) -> None:
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.store.count_up()[1] == 3)
        await focus_node(pilot, app, "math_agent")
        await pilot.press("c", *"hostile", "enter")
        await until(pilot, lambda: bool(app.main.chat_runs) and not app.main.chat_runs[0].live)
        await pilot.press("escape")
        assert "[@click=app.quit]" in app.main.chat_runs[0].answer
        await until(pilot, lambda: "@click=app.quit" in app.export_screenshot().replace("&#160;", " "))
        svg = app.export_screenshot()
        assert "@click=app.quit" in svg.replace("&#160;", " ") and "\x1b" not in svg and "\x07" not in svg
        width, height = SIZE
        for y in range(height):
            for x in range(width):
                assert "app.quit" not in str(app.screen.get_style_at(x, y).meta)
        card = app.main.query_one(AnswerCard)
        await pilot.click(AnswerCard, offset=(4, 2))
        await pilot.click(AnswerCard, offset=(10, 2))
        await pilot.pause()
        assert app.is_running and card.is_mounted


async def test_attach_to_an_unknown_trace_ends(cluster: SimCluster) -> None:
    """Issue 13, 11: an attach that receives nothing within the bound is finished with a clear state,
    no longer counted as live (quitting does not ask), and not counted as a failure of the node."""
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.store.count_up()[1] == 3)
        ctl = app.controller
        ctl.attach_idle = 0.5  # type: ignore[union-attr]
        key = ctl.attach("math_agent", "NoSuchTrace00001")  # type: ignore[union-attr]
        await pilot.pause()
        assert app.user_live() == 1
        await until(pilot, lambda: app.user_live() == 0, 15)
        run = app.store.get_run(*key)
        assert run is not None and run.state is RunState.CANCELED
        assert run.error.startswith("attach ended:") and "not counted as a failure" in run.error
        assert app.store.stats["math_agent"].failed == 0
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running or app.return_code is not None, 5)
        assert not isinstance(app.screen, ConfirmScreen)


async def test_attach_whose_stream_closes_without_an_answer_ends() -> None:
    from tests.support.scripted_server import Json, Replay, ScriptedServer

    async with ScriptedServer() as srv:
        srv.on("GET", "/check_alive", Json({"alive": 1}))
        srv.on("GET", "/get_organization", Json({"code": 200, "data": {"organization": {"name": "a"}}}))
        srv.on("POST", "/async/trace", Replay(b": ping\r\n\r\nevent: close\r\ndata: done\r\n\r\n"))
        app = OxyApp(Settings(nodes=[NodeConfig(name="n", url=srv.url)]))
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.store.count_up()[1] == 1)
            key = app.controller.attach("n", "GoneTrace0000001")  # type: ignore[union-attr]
            await until(pilot, lambda: app.user_live() == 0)
            run = app.store.get_run(*key)
            assert run is not None and run.state is RunState.CANCELED
            assert run.error.startswith("attach ended: the stream closed without an answer")
            assert app.store.stats["n"].failed == 0
