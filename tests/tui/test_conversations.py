"""Issue 13 point 12: a follow-up prompt continues the node's conversation the way OxyGent 1.1.3's web UI
does (``from_trace_id`` = the previous answered run's trace id, the same ``group_id``); ctrl+n starts a
new one; a fan-out keeps one conversation per node. Checked on what the nodes really received."""

from __future__ import annotations

import json

from oxytui.config import NodeConfig, Settings
from oxytui.tui.app import OxyApp
from tests.support.captures import capture, org_body
from tests.support.screen import screen_text
from tests.support.scripted_server import Json, Replay, ScriptedServer
from tests.tui.test_live import SIZE, press_to, until


def _node(srv: ScriptedServer) -> ScriptedServer:
    srv.on("GET", "/check_alive", Json({"alive": 1}))
    srv.on("GET", "/get_organization", Json(json.loads(org_body("math"))))
    srv.on("POST", "/sse/chat", Replay(capture("math_add"), chunk_size=500))
    return srv


async def _send(pilot, app: OxyApp, text: str, n: int) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("c", *text, "enter")
    await until(pilot, lambda: len(app.main.chat_runs) == n and not any(r.live for r in app.main.chat_runs))
    await pilot.press("escape")


async def test_follow_up_continues_and_ctrl_n_starts_over() -> None:
    async with ScriptedServer() as a, ScriptedServer() as b:
        _node(a), _node(b)
        app = OxyApp(Settings(nodes=[NodeConfig(name="a", url=a.url), NodeConfig(name="b", url=b.url)]))
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.store.count_up()[0] == 2)
            await press_to(pilot, "a")
            await _send(pilot, app, "add 2 3", 1)
            first = app.main.chat_runs[0]
            await _send(pilot, app, "and times 4", 1)
            second = app.main.chat_runs[0]
            sent = [r.json() for r in a.requests_to("/sse/chat")]
            assert len(sent) == 2
            assert sent[0]["from_trace_id"] == "" and sent[0]["current_trace_id"] == first.trace_id
            assert sent[1]["from_trace_id"] == first.trace_id  # continues from the answered run
            assert sent[1]["group_id"] == sent[0]["group_id"] == second.conversation
            assert second.turn == 2
            await until(pilot, lambda: "turn 2" in screen_text(app))
            await pilot.press("ctrl+n")
            await _send(pilot, app, "fresh start", 1)
            third = a.requests_to("/sse/chat")[2].json()
            assert third["from_trace_id"] == "" and third["group_id"] != sent[0]["group_id"]
            # fan-out: one conversation per node, each continued separately
            await pilot.press("ctrl+o")
            assert app.main.chat.target == "all"
            await _send(pilot, app, "hello all", 2)
            await _send(pilot, app, "again all", 2)
            a_last, b_sent = a.requests_to("/sse/chat")[-2:], b.requests_to("/sse/chat")
            assert len(b_sent) == 2
            assert a_last[1].json()["group_id"] == a_last[0].json()["group_id"] == third["group_id"]
            assert b_sent[0].json()["from_trace_id"] == ""
            assert b_sent[1].json()["from_trace_id"] == b_sent[0].json()["current_trace_id"]
            assert b_sent[1].json()["group_id"] == b_sent[0].json()["group_id"] != third["group_id"]
