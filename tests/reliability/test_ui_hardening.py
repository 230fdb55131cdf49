"""Issue 9, dashboard side. One line per case:

- a node nesting 1,200 tool calls: the dashboard stays up, the call tree is capped at MAX_DEPTH with a marker;
- (more cases below, one test each)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from oxytui.config import NodeConfig, Settings
from oxytui.runs.calltree import MAX_DEPTH
from oxytui.tui.app import OxyApp
from tests.support.scripted_server import Json, Replay, ScriptedServer

SIZE = (160, 45)
DEEP = 1_200


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never the user's real history database, recordings or themes."""
    monkeypatch.setenv("OXYTUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OXYTUI_CONFIG_DIR", str(tmp_path / "config"))


async def until(pilot: Pilot[int], cond: Callable[[], bool], limit: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not cond():
        assert loop.time() < end, "condition not reached in time"
        await pilot.pause(0.05)


def _event(n: int, obj: dict[str, object]) -> bytes:
    return f"id: e{n}\nevent: message\ndata: {json.dumps(obj)}\n\n".encode()


def deep_stream(depth: int) -> bytes:
    """A run whose agents call each other ``depth`` levels deep, then all answer back."""
    names = [f"agent{i}" for i in range(depth)]
    out: list[bytes] = []
    for i in range(depth):
        stack = ["user", *names[: i + 1]]
        caller = stack[-2]
        content = {"node_id": f"N{i}", "caller": caller, "callee": names[i], "callee_category": "agent",
                   "call_stack": stack, "arguments": {"query": f"level {i}"}}  # fmt: skip
        out.append(_event(i, {"type": "tool_call", "content": content}))
    for i in reversed(range(depth)):
        stack = ["user", *names[: i + 1]]
        content = {"node_id": f"N{i}", "caller": stack[-2], "callee": names[i], "call_stack": stack,
                   "output": f"done {i}"}  # fmt: skip
        out.append(_event(depth + i, {"type": "observation", "content": content}))
    out.append(_event(3 * depth, {"type": "answer", "content": "deep answer"}))
    out.append(b"event: close\ndata: done\n\n")
    return b"".join(out)


async def test_node_nesting_1200_calls_keeps_dashboard_up() -> None:
    async with ScriptedServer() as srv:
        srv.on("GET", "/check_alive", Json({"alive": 1}))
        srv.on("GET", "/get_organization", Json({"code": 200, "data": {"organization": {"name": "deep"}}}))
        srv.on("POST", "/sse/chat", Replay(deep_stream(DEEP), chunk_size=65_536))
        app = OxyApp(Settings(nodes=[NodeConfig(name="deep", url=srv.url)]))
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.store.count_up()[0] == 1)
            await pilot.press("c", *"go deep", "enter")
            await until(pilot, lambda: any(r.answer == "deep answer" for r in app.store.runs.values()))
            (run,) = app.store.runs.values()
            calls = run.walk()
            assert len(calls) == DEEP
            assert max(c.level for c in calls) == MAX_DEPTH - 1
            assert run.clipped == DEEP - MAX_DEPTH and sum(c.clipped for c in calls) == run.clipped
            await pilot.press("escape", "t")  # the call tree, full screen: every line built and drawn
            await pilot.pause()
            tree = app.main.calls
            await until(pilot, lambda: len(tree._tree_lines) == DEEP + 1)
            assert max(len(line.path) for line in tree._tree_lines) == MAX_DEPTH + 1  # root + capped levels
            assert "⋯" in str(tree._tree_lines[-1].node.label) and "flattened" in str(tree.root.label)
            await pilot.press("end")
            await pilot.pause()
            assert app.is_running and app.screen is app.main
