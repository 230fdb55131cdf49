"""Issue 9 item 1: a crafted recording's names (node, trace, agents) and notifications reach the screen
only as literal text: no ESC/BEL/C1/bidi in any cell, no click meta, markup shown as typed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from textual.pilot import Pilot

from oxytui.config import Settings
from oxytui.tui.replay import ReplayApp, make_replay_app

SIZE = (160, 45)
OSC_TITLE = "\x1b]0;PWNED-TITLE\x07"
OSC_CLIP = "\x1b]52;c;cHduZWQ=\x07"
BIDI = "\u202e"
NODE = f"n{OSC_TITLE}[@click=app.quit]node[/]"
TRACE = f"T{OSC_CLIP}[@click=app.quit]tr\x9b2J"
AGENT = f"a{OSC_TITLE}{BIDI}[@click=app.quit]agent[/]"
FORBIDDEN = ("\x1b", "\x07", "\x9b", "\x9d", BIDI)


def _write_recording(path: Path) -> None:
    def msg(i: int, payload: dict[str, object]) -> dict[str, object]:
        return {
            "k": "msg",
            "node": NODE,
            "trace": TRACE,
            "wall": 2.0 + i / 10,
            "event": "message",
            "id": f"id{i}",
            "retry": None,
            "data": json.dumps(payload),
        }

    stack = ["user", AGENT]
    lines: list[dict[str, object]] = [
        {"k": "header", "format": "oxytui-recording", "version": 1, "started": 1.0},
        {"k": "start", "node": NODE, "trace": TRACE, "wall": 2.0, "query": f"q {OSC_CLIP}[@click=app.quit]q"},
        msg(
            1,
            {
                "type": "tool_call",
                "content": {
                    "node_id": "N1",
                    "caller": "user",
                    "callee": AGENT,
                    "callee_category": f"agent{OSC_TITLE}[b]",
                    "call_stack": stack,
                    "arguments": {"query": "x"},
                },
            },
        ),
        msg(
            2,
            {
                "type": "observation",
                "content": {
                    "node_id": "N1",
                    "caller": "user",
                    "callee": AGENT,
                    "call_stack": stack,
                    "output": f"out{OSC_CLIP}[@click=app.quit]o",
                },
            },
        ),
        msg(3, {"type": "answer", "content": f"ans{OSC_TITLE}[@click=app.quit]a"}),
        {"k": "finish", "node": NODE, "trace": TRACE, "wall": 3.0, "state": "completed"},
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")


async def _until(pilot: Pilot[int], cond: object, limit: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not cond():  # type: ignore[operator]
        if loop.time() > end:
            update = pilot.app.screen._compositor.render_update(full=True)
            rows = ["".join(seg.text for seg in strip) for strip in update.strips]  # type: ignore[attr-defined]
            raise AssertionError("condition not reached in time; the screen:\n" + "\n".join(rows))
        await pilot.pause(0.05)


def _assert_screen_inert(app: ReplayApp) -> str:
    """Every cell of the current screen: no terminal controls, no click actions in the style meta."""
    width, height = app.size
    for y in range(height):
        for x in range(width):
            meta = app.screen.get_style_at(x, y).meta
            assert "app.quit" not in str(meta), (x, y, meta)
    update = app.screen._compositor.render_update(full=True)  # the strips the terminal would receive
    rows = ["".join(seg.text for seg in strip) for strip in update.strips]  # type: ignore[attr-defined]
    text = "\n".join(rows)
    assert len(rows) == height
    for bad in FORBIDDEN:
        assert bad not in text, [row for row in rows if bad in row]
    return text


async def test_replay_of_hostile_recording_shows_names_literally(tmp_path: Path) -> None:
    path = tmp_path / "hostile.jsonl"
    _write_recording(path)
    app = make_replay_app(Settings(), path, speed=0)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _until(pilot, lambda: app.controller is not None and app.controller.finished)
        run = app.store.get_run(NODE, TRACE)
        assert run is not None and run.answer
        app.main.pinned_run = run  # the hostile run is the call tree's, the chat's and the titles' subject
        await _until(pilot, lambda: NODE in app.main.nodes.key_list())

        def focus_hostile() -> bool:  # pane titles and stats labels name the focused node
            app.main.nodes.select_key(NODE)
            return app.main.focus_key == NODE

        await _until(pilot, focus_hostile)
        app.main.chat.show_runs([run], app.clock(), 0)
        await pilot.pause()
        app.main.flush(app.clock(), 0, force=True)
        await pilot.pause()
        assert "PWNED" in str(app.main.query_one("#log-pane").border_title)
        assert "PWNED" in str(app.main.stats.query_one("#rate-label").render())
        app.notify(f"from a node: {NODE}", title=f"t{OSC_CLIP}[@click=app.quit]", timeout=600)
        await _until(pilot, lambda: "from a node" in _assert_screen_inert(app))  # the toast is drawn
        await pilot.pause()
        shot = _assert_screen_inert(app)
        assert "[@click=app.quit]node[" in shot  # markup shown as typed (chat card title)
        assert "from a node: n�]0;PWNED-TITLE�[@click=app.quit]" in shot  # the notification, literally
        for widget in (
            app.main.query_one("#log-pane"),
            app.main.chat.query_one("AnswerCard"),
            app.main.calls,
        ):
            for t in (widget._border_title, widget._border_subtitle):
                if t is not None:
                    assert not any(c in t.plain for c in FORBIDDEN), repr(t.plain)
        await pilot.press("t")  # the call tree full screen
        await pilot.pause()
        _assert_screen_inert(app)
        await pilot.press("t", "ctrl+p")  # the palette: "Remove node NAME" found by a search
        await _until(pilot, lambda: "Search for commands" in _assert_screen_inert(app))
        await pilot.press(*"remove")
        await _until(pilot, lambda: "Remove node n�]0;PWNED-TITLE�[@click" in _assert_screen_inert(app))
        assert app.is_running
