"""Issue 13 point 5: following your own run (trace id and tree on the card, probes out of the chat,
a running answer shows the last think, never the planner's JSON)."""

from __future__ import annotations

from oxytui.client.events import StreamEvent, ThinkEvent
from oxytui.tui.widgets.calltree import CallTree
from oxytui.tui.widgets.chat import AnswerCard
from tests.support.screen import screen_text
from tests.support.screenshots import fixed_app
from tests.tui.test_live import SIZE, cluster, make_app, press_to, until

__all__ = ["cluster"]


def chat_text(app) -> str:  # type: ignore[no-untyped-def]
    return screen_text(app).split("╭─ Chat")[-1]


async def test_card_shows_trace_and_the_tree_follows_the_sent_run(cluster) -> None:  # type: ignore[no-untyped-def]
    app = make_app(cluster)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.store.count_up()[1] == 3)
        await press_to(pilot, "math_agent")
        await pilot.press("c", *"add 2 3", "enter")
        await until(pilot, lambda: bool(app.main.chat_runs) and not app.main.chat_runs[0].live)
        mine = app.main.chat_runs[0]
        await until(pilot, lambda: app.main.calls.run is mine)
        # another run arrives on the same node (a probe): the tree and the chat stay on ours
        ctl = app.controller
        (probe,) = ctl.send("add 1 1", "focused", "math_agent", source="probe")
        await until(pilot, lambda: (r := app.store.get_run(*probe)) is not None and not r.live)
        await pilot.pause(0.3)
        assert app.main.calls.run is mine
        assert all(r.group != "probe" for r in app.main.latest_group())
        await until(pilot, lambda: mine.trace_id in screen_text(app))
        assert "t/click: call tree" in screen_text(app)
        await pilot.press("escape")
        await pilot.click(AnswerCard)  # the card opens its run's tree full screen
        await until(pilot, lambda: app.main.maximized is app.main.calls)
        assert app.main.query_one(CallTree).run is mine


async def test_running_answer_shows_last_think_not_planner_json() -> None:
    app = fixed_app(live=False)
    async with app.run_test(size=SIZE) as pilot:
        store = app.store
        t = store.last_mono
        run = store.start_run("math", "TRlive", "plan something", t, t)
        kw = {"node": "math", "trace_id": "TRlive", "agent": "math_agent"}
        planner = '```json\n{"think": "x'
        store.add_event(StreamEvent(mono=t + 1, wall=t + 1, delta=planner, node_id="n1", **kw))
        app.main.chat_runs = [run]
        app.main.chat.show_runs([run], app.clock(), 0)
        await pilot.pause()
        await until(pilot, lambda: "working" in screen_text(app))
        assert "```json" not in chat_text(app)
        store.add_event(ThinkEvent(mono=t + 2, wall=t + 2, content="I should call add first.", **kw))
        await until(pilot, lambda: "I should call add first." in chat_text(app))
        assert "```json" not in chat_text(app)
