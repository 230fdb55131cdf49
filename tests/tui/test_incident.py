"""Issue-5 parts in the dashboard: record from live runs, replay the file through the UI, palette export."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from oxytui.config import NodeConfig, Settings
from oxytui.runs import RunState
from oxytui.sim import NodeKnobs, SimCluster
from oxytui.tui.app import OxyApp
from oxytui.tui.replay import make_replay_app

SIZE = (160, 45)


@pytest.fixture
async def cluster() -> AsyncIterator[SimCluster]:
    async with SimCluster(nodes=2, seed=3, burst_ms=20, knobs=NodeKnobs(latency_ms=5, token_ms=1)) as c:
        yield c


async def until(pilot, cond, limit: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not cond():
        if loop.time() > end:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.05)


async def test_record_then_replay_gives_same_runs(cluster: SimCluster, tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    nodes = [NodeConfig(name=n, url=u) for n, u in cluster.urls.items()]
    app = OxyApp(Settings(nodes=nodes, record=path))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.store.count_up()[0] == 2)
        await pilot.press("ctrl+o", "c", *"remote add 2 3", "enter")
        runs = lambda: app.main.chat_runs  # noqa: E731
        await until(pilot, lambda: len(runs()) == 2 and not any(r.live for r in runs()))
        assert "REC" in str(app.main.query_one("#topbar").render())
        live = {r.key: (r.state, r.answer, [c.callee for c in r.walk()]) for r in app.main.chat_runs}
        await pilot.press("escape", "q")
    assert path.stat().st_size > 0

    replay = make_replay_app(Settings(), path, speed=0)
    async with replay.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: replay.controller is not None and replay.controller.finished)
        got = {k: (r.state, r.answer, [c.callee for c in r.walk()]) for k, r in replay.store.runs.items()}
        assert got == live
        assert all(s is RunState.COMPLETED for s, _a, _c in got.values())
        assert "REPLAY" in str(replay.main.query_one("#topbar").render())
        assert replay.main.chat.query_one("#chat-input").disabled  # chat is off in replay


async def test_replay_of_damaged_recording_says_where(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"k": "header", "format": "oxytui-recording", "version": 1, "started": 1.0}\n'
        '{"k": "start", "node": "n", "trace": "t", "wall": 2.0, "query": "q"}\n'
        '{"k": "msg", "node": "n", "trace": "t", "wall": 2.1, "event": "message", "da',
        encoding="utf-8",
    )
    replay = make_replay_app(Settings(), path, speed=0)
    async with replay.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: replay.controller is not None and replay.controller.finished)
        assert replay.controller.damage is not None
        assert replay.store.get_run("n", "t") is not None


async def test_replay_is_marked_quits_at_once_and_has_no_chat_keys(tmp_path: Path) -> None:
    """Issue 13, 9: REPLAY (not DEMO), no quit question for runs still live in the recording, no chat."""
    from oxytui.client.sse import SSEMessage
    from oxytui.ops.record import Recorder
    from oxytui.tui.widgets.chat import ChatInput

    path = tmp_path / "live.jsonl"
    with Recorder(path) as rec:  # a run that never finished: it stays live at the end of the replay
        rec.mark("start", "n", "T", 1.0, query="slow 9")
        rec.wire_tap("n", "T", SSEMessage("message", '{"type":"think","content":"hm"}', "1", None, 30), 1.5)
    replay = make_replay_app(Settings(), path, speed=0)
    async with replay.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: replay.controller is not None and replay.controller.finished)
        assert len(replay.store.live_runs()) == 1
        top = str(replay.main.query_one("#topbar").render())
        assert top.startswith(" oxytui  REPLAY ") and "DEMO" not in top, top
        target = replay.main.chat.target
        await pilot.press("c", "ctrl+o")
        assert not isinstance(replay.focused, ChatInput) and replay.main.chat.target == target
        footer_keys = {b.binding.action for b in replay.screen.active_bindings.values() if b.enabled}
        assert "focus_chat" not in footer_keys and "chat_target" not in footer_keys
        await pilot.press("q")
        await until(pilot, lambda: not replay.is_running or replay.return_code is not None, 5)
        assert type(replay.screen).__name__ != "ConfirmScreen"
