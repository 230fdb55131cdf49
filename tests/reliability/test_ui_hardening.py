"""Issue 9, dashboard side. One line per case:

- a node nesting 1,200 tool calls: the dashboard stays up, the call tree is capped at MAX_DEPTH with a marker;
- the pty closes while the dashboard runs and SIGHUP never arrives: it exits 0, the recording is complete;
- 2,000-deep TOML, token_file = /dev/zero, a FIFO, a two-line token: one stderr line, exit 2 (app and watch).

Elsewhere: hostile names in a replayed recording (tests/tui/test_hostile_display.py), theme files
(tests/tui/test_themes.py), token files, 40,000 nodes and URLs with passwords (tests/unit/test_config.py),
the palette's Add node (tests/tui/test_pilot.py).
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


async def until(pilot: Pilot[int], cond: Callable[[], bool], limit: float = 60.0) -> None:
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
            from oxytui.ops.export import run_from_store  # "Export selected run" walks the same tree

            assert json.dumps(run_from_store(app.store, "deep", run.trace_id))
            await pilot.press("escape", "t")  # the call tree, full screen: every line built and drawn
            await pilot.pause()
            tree = app.main.calls
            await until(pilot, lambda: len(tree._tree_lines) == DEEP + 1)
            assert max(len(line.path) for line in tree._tree_lines) == MAX_DEPTH + 1  # root + capped levels
            assert "⋯" in str(tree._tree_lines[-1].node.label) and "flattened" in str(tree.root.label)
            await pilot.press("end")
            await pilot.pause()
            assert app.is_running and app.screen is app.main


def test_lost_terminal_exits_and_keeps_the_recording(tmp_path: Path) -> None:
    """The pty closes while the dashboard runs; SIGHUP never arrives (ignored, no controlling tty)."""
    import fcntl
    import os
    import signal
    import struct
    import subprocess
    import sys
    import termios
    import threading

    from tests.reliability.conftest import REPO

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 45, 160, 0, 0))
    rec = tmp_path / "rec.jsonl"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "TERM": "xterm-256color",
        "OXYTUI_DATA_DIR": str(tmp_path / "data"),
        "OXYTUI_CONFIG_DIR": str(tmp_path / "config"),
    }
    env.pop("TEXTUAL", None)
    code = "import sys; from oxytui.cli import main; sys.exit(main())"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--demo", "--record", str(rec)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,  # no controlling terminal: closing the master sends no SIGHUP
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),  # and nohup-like if it did
    )
    os.close(slave)
    seen = bytearray()
    up = threading.Event()

    def drain() -> None:  # keep the pty flowing until the dashboard has drawn and the demo recorded
        while not up.is_set():
            try:
                chunk = os.read(master, 65_536)
            except OSError:
                return
            if not chunk:
                return
            seen.extend(chunk[-4096:])
            if b"REC" in seen and rec.is_file() and rec.stat().st_size > 2_000:
                up.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        assert up.wait(60), bytes(seen[-500:])
        os.close(master)  # the terminal goes away
        assert proc.wait(timeout=30) == 0  # bounded: TimeoutExpired fails the test
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    lines = rec.read_bytes().splitlines(keepends=True)
    assert lines[0].startswith(b'{"k": "header"') or b'"header"' in lines[0]
    assert len(lines) > 5 and all(line.endswith(b"\n") for line in lines)  # flushed, no torn line
    for line in lines:
        json.loads(line)


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("deep", "nested too deeply"),
        ("devzero", "not a regular file"),
        ("fifo", "not a regular file (a FIFO)"),
        ("newline", "exactly one line"),
    ],
)
@pytest.mark.parametrize("command", [[], ["watch", "--count", "1"]])
def test_bad_config_and_token_files_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, words: str, command: list[str]
) -> None:
    import os

    from oxytui.cli import main

    node = '[[nodes]]\nname = "a"\nurl = "http://127.0.0.1:9"\ntoken_file = "{}"\n'
    token = tmp_path / "t.token"
    if case == "deep":
        text = "x = " + "[" * 2000 + "]" * 2000 + "\n"
    elif case == "devzero":
        text = node.format("/dev/zero")
    elif case == "fifo":
        os.mkfifo(token)
        text = node.format(token)
    else:
        token.write_text("SECRET-1\nSECRET-2\n")
        text = node.format(token)
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    assert main([*command, "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and words in err and "SECRET" not in err
