"""Secrets a hostile node reflects never reach an output, and every file oxytui writes is private.

Cases (one line each):
- watch text and ``--json``: a node echoing our token and its own cookie/API key in answers and in HTTP
  500 errors gets them masked; ``--json`` replaces C1 controls and bidi overrides like text mode.
- watch ``--history``: the SQLite history stores the masked text; the db is 0600 in a 0700 data dir.
- the dashboard's path (client -> recorder -> RunStore -> "Export selected run" / stats exports /
  history): no token, no upstream credential in any file; recordings and exports 0600 in 0700 dirs.
- ``oxytui export`` of a recording that still holds the secrets (made before the token was known):
  configured tokens and credential-shaped values are masked; ``-o`` creates the file 0600.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from oxytui.client import SSEOxyGent
from oxytui.config import NodeConfig, Settings
from oxytui.ops.export import write_export
from oxytui.ops.history import History, RunSummary
from oxytui.ops.record import Recorder
from oxytui.ops.watch import Watcher, WatchOptions
from oxytui.runs import RunStore
from tests.reliability.conftest import REPO, TOKEN
from tests.reliability.hostile import NASTY, UPSTREAM, UPSTREAM_KEY, HostileNode

SECRETS = (TOKEN, UPSTREAM, UPSTREAM_KEY)


def leaked(text: str | bytes) -> list[str]:
    data = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return [s for s in SECRETS if s in data]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data dir that does not exist yet (so oxytui creates it) under a permissive umask."""
    d = tmp_path / "data" / "oxytui"
    monkeypatch.setenv("OXYTUI_DATA_DIR", str(d))
    monkeypatch.setenv("OXYTUI_CONFIG_DIR", str(tmp_path / "no-config"))
    old = os.umask(0o022)
    yield d
    os.umask(old)


@pytest.mark.parametrize("as_json", [False, True])
async def test_watch_masks_reflected_secrets_and_history_is_private(data_dir: Path, as_json: bool) -> None:
    async with HostileNode() as node:
        settings = Settings(
            nodes=[
                NodeConfig(name="echo", url=node.url, token=SecretStr(TOKEN), probe_query="add 2 3"),
                NodeConfig(name="fails", url=node.url, token=SecretStr(TOKEN), probe_query="please fail"),
            ]
        )
        out, err = io.StringIO(), io.StringIO()
        opts = WatchOptions(count=1, every=0.01, json=as_json, timeout=10, history=True)
        assert await Watcher(settings, opts, out, err).run() == 0
    printed = out.getvalue()
    assert "your token is" in printed and "upstream refused" in printed  # the reflection did happen
    assert not leaked(printed + err.getvalue()), printed
    assert "\x9b" not in printed and "\u202e" not in printed
    if as_json:
        rows = [json.loads(line) for line in printed.splitlines()]
        assert {r["node"] for r in rows if r["kind"] == "probe"} == {"echo", "fails"}
    db = data_dir / "history.sqlite3"
    assert not leaked(db.read_bytes())
    with History(db) as h:
        stored = h.recent()
    assert {s.node for s in stored} == {"echo", "fails"} and "***" in stored[0].answer + stored[0].error
    assert mode(db) == 0o600 and mode(data_dir) == 0o700 and mode(data_dir.parent) == 0o700


async def test_dashboard_path_exports_recording_and_history_hold_no_secret(data_dir: Path) -> None:
    """What the dashboard does with a hostile node's run: record it, model it, export it, keep history."""
    store = RunStore()
    store.add_node("hostile", "")
    recorder = Recorder(data_dir / "recordings" / "r.jsonl", secrets=[TOKEN])
    async with HostileNode() as node:
        async with SSEOxyGent(
            "hostile", node.url, token=TOKEN, max_retries=0, wire_tap=recorder.wire_tap
        ) as agent:
            request = agent.build_request("add 2 3")
            trace = request.current_trace_id
            store.start_run("hostile", trace, "add 2 3", time.monotonic(), time.time())
            async for ev in agent.stream(request):
                store.add_event(ev)
            run = store.finish_run("hostile", trace, time.monotonic(), time.time())
    recorder.close()
    assert run is not None and "your token is" in run.answer  # the node did reflect it
    files = [write_export(store, "run", "json", run_key=("hostile", trace))]
    files += [write_export(store, "stats", fmt) for fmt in ("json", "csv", "prom")]
    with History() as h:
        h.add(RunSummary.from_run(run))
    files += [recorder.path, data_dir / "history.sqlite3"]
    exported = json.loads(files[0].read_text())
    assert exported["answer"].startswith("your token is ***") and exported["events"]
    for f in files:
        assert not leaked(f.read_bytes()), f
        assert mode(f) == 0o600, f
    for d in (data_dir, data_dir / "exports", data_dir / "recordings"):
        assert mode(d) == 0o700, d


def test_cli_export_masks_configured_token_in_an_old_recording(tmp_path: Path) -> None:
    """A recording that still holds the secrets: ``oxytui export`` knows the configured token."""
    said = f"your token is {TOKEN}; Authorization: Bearer {TOKEN}; Cookie: sid={UPSTREAM}"
    key = UPSTREAM_KEY
    header = {"k": "header", "format": "oxytui-recording", "version": 1, "started": 1.0}
    top = {"node_id": "a", "caller": "user", "callee": "agent", "call_stack": ["user", "agent"]}
    top |= {"caller_category": "user", "callee_category": "agent"}
    lines = [
        header,
        {"k": "start", "node": "n", "trace": "T", "wall": 1.0, "query": "q"},
        {"k": "msg", "node": "n", "trace": "T", "wall": 1.1, "event": "message", "id": "1",
         "data": json.dumps({"type": "tool_call", "content": {**top, "arguments": {"x-api-key": key}}})},
        {"k": "msg", "node": "n", "trace": "T", "wall": 1.2, "event": "message", "id": "2",
         "data": json.dumps({"type": "observation", "content": {**top, "output": said + NASTY}})},
        {"k": "msg", "node": "n", "trace": "T", "wall": 1.3, "event": "message", "id": "3",
         "data": json.dumps({"type": "answer", "content": said})},
        {"k": "finish", "node": "n", "trace": "T", "wall": 1.4, "state": "completed"},
    ]  # fmt: skip
    rec = tmp_path / "old.jsonl"
    rec.write_text("".join(json.dumps(obj) + "\n" for obj in lines))
    cfg = tmp_path / "config.toml"
    cfg.write_text('[[nodes]]\nname = "n"\nurl = "http://127.0.0.1:9"\ntoken_env = "HOSTILE_TEST_TOKEN"\n')
    env = {**os.environ, "PYTHONPATH": str(REPO), "OXYTUI_CONFIG": str(cfg), "HOSTILE_TEST_TOKEN": TOKEN}
    env.pop("OXYTUI_NODES", None)
    for fmt in ("run", "json"):
        out = tmp_path / f"out-{fmt}.json"
        proc = subprocess.run(
            [sys.executable, "-m", "oxytui.cli", "export", str(rec), "--format", fmt, "-o", str(out)],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        assert proc.returncode == 0, proc.stderr
        text = out.read_text()
        assert not leaked(text + proc.stderr), text
        assert mode(out) == 0o600
    assert "your token is ***" in (tmp_path / "out-run.json").read_text()


async def test_watch_json_replaces_c1_controls_and_bidi_like_text_mode(data_dir: Path) -> None:
    async with HostileNode() as node:
        settings = Settings(nodes=[NodeConfig(name="echo", url=node.url, probe_query="add 2 3")])
        outputs = []
        for as_json in (False, True):
            out = io.StringIO()
            opts = WatchOptions(count=1, every=0.01, json=as_json, timeout=10)
            assert await Watcher(settings, opts, out, io.StringIO()).run() == 0
            outputs.append(out.getvalue())
    text, js = outputs
    assert "evil" in text and "evil" in js  # the answer was printed, minus the controls
    for printed in (text, js):
        assert not [ch for ch in printed if 0x80 <= ord(ch) <= 0x9F or 0x202A <= ord(ch) <= 0x202E]
    assert [json.loads(line) for line in js.splitlines()]  # still one JSON object per line
