"""A lone surrogate from a node (JSON ``"\\ud800"`` inside a record's JSON text) is replaced where remote text
is parsed; the history, recordings, ``watch --json`` and the dashboard controller keep working."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from oxytui.client.events import event_from_message
from oxytui.client.records import parse_history, parse_view
from oxytui.client.sse import SSEMessage
from oxytui.config import NodeConfig, Settings
from oxytui.ops.history import History, RunSummary
from oxytui.ops.record import Recorder, read_recording
from oxytui.ops.watch import Watcher, WatchOptions
from oxytui.runs import RunStore
from oxytui.runs.sanitize import clean, one_line
from tests.integration.test_traffic_watch import until

LONE = "\ud800"
BAD = json.dumps({"query": f"hi {LONE} there"})  # ASCII text: '{"query": "hi \\ud800 there"}'


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def history_payload(empty: bool = False) -> dict:
    if empty:
        return {"code": 200, "data": {"conversation_groups": [], "total": 0}}
    conv = {"callee": "master", "create_time": "2026-11-29 13:59:35.1"}
    convs = [
        {**conv, "trace_id": "TSUR", "input": BAD, "output": "done"},
        {**conv, "trace_id": "TOK", "input": json.dumps({"query": "plain"}), "output": "fine"},
    ]
    return {"code": 200, "data": {"conversation_groups": [{"group_id": "g", "conversations": convs}]}}


def view_payload(trace: str) -> dict:
    shared = json.dumps({"_headers": {"x-user": f"u{LONE}"}})
    rec = {"node_id": f"{trace}-1", "trace_id": trace, "father_node_id": "", "node_type": "agent",
           "caller": "user", "callee": "master", "state": 3, "input": BAD, "output": json.dumps([LONE]),
           "extra": {"note": BAD}, "shared_data": shared,
           "create_time": "2026-11-29 13:59:35.1", "update_time": "2026-11-29 13:59:35.3"}  # fmt: skip
    return {"code": 200, "data": {"trace_id": trace, "nodes": [rec]}}


def test_parsers_replace_lone_surrogates() -> None:
    (sur, ok) = parse_history(history_payload(), "a").traces
    assert sur.query == "hi \ufffd there" and ok.query == "plain"
    (rec,) = parse_view(view_payload("TSUR"), "a", "TSUR").records
    texts = [rec.raw_input, rec.raw_output, rec.raw_extra, *(v for kv in rec.headers for v in kv)]
    assert all(_encodable(t) for t in texts)
    assert "\ufffd" in dict(rec.headers)["x-user"]
    assert _encodable(clean(f"a{LONE}b")) and _encodable(one_line({"k": LONE}))


def test_stream_events_cannot_carry_one() -> None:
    """The stream decoders (msgspec, pydantic-core) refuse a lone surrogate: the message stays text."""
    data = '{"type":"answer","content":"x\\ud800"}'
    ev = event_from_message(SSEMessage(data=data, event="message", id=None, retry=None, size=len(data)))
    assert _encodable(repr(ev.raw)) and _encodable(str(getattr(ev, "content", "")))


def test_history_drops_an_unencodable_row_and_keeps_working(tmp_path: Path) -> None:
    with History(tmp_path / "h.sqlite3") as h:
        h.add(RunSummary(node="a", trace_id="T1", started=1.0, duration=1.0, state="completed", query=LONE))
        h.add(RunSummary(node="a", trace_id="T2", started=2.0, duration=1.0, state="completed", query="ok"))
        assert [s.trace_id for s in h.recent()] == ["T2"]
        assert h.dropped == 1 and h.pending == 0 and h.notice and "not stored" in h.notice


def test_recorder_keeps_recording(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with Recorder(path) as rec:
        rec.mark("start", "a", "T1", 1.0, query=f"q{LONE}")
        rec.mark("finish", "a", "T1", 2.0, state="completed")
        assert rec.error is None
    kinds = [r.kind for r in read_recording(path)]
    assert kinds[-2:] == ["start", "finish"]


@pytest.fixture
async def odd_node() -> AsyncIterator[str]:
    """Lists the two runs from its third history request on (so a watcher sees them start)."""
    calls = [0]

    async def hist(_: web.Request) -> web.Response:
        calls[0] += 1
        return web.json_response(history_payload(empty=calls[0] < 3))

    async def view(request: web.Request) -> web.Response:
        return web.json_response(view_payload(request.query.get("item_id", "")))

    app = web.Application()
    app.router.add_get("/history_with_ratings", hist)
    app.router.add_get("/view", view)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_watch_json_and_history_keep_working(
    odd_node: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OXYTUI_DATA_DIR", str(tmp_path))
    out, err = io.StringIO(), io.StringIO()
    opts = WatchOptions(every=60, json=True, timeout=5, traffic=True, traffic_every=0.2, history=True)
    w = Watcher(Settings(nodes=[NodeConfig(name="odd", url=odd_node)]), opts, out, err)
    task = asyncio.create_task(w.run())

    def runs() -> dict[str, dict]:
        got = [json.loads(ln) for ln in out.getvalue().splitlines()]
        return {o["trace_id"]: o for o in got if o["kind"] == "run"}

    try:
        await until(lambda: {"TSUR", "TOK"} <= set(runs()), limit=20)
    finally:
        w.stop()
        await asyncio.wait_for(task, 10)
    assert runs()["TSUR"]["query"] == "hi \ufffd there"
    with History(tmp_path / "history.sqlite3") as h:
        assert {"TSUR", "TOK"} <= {s.trace_id for s in h.recent()}


async def test_dashboard_controller_keeps_working(odd_node: str, tmp_path: Path) -> None:
    from oxytui.tui.service import Controller

    rec_path = tmp_path / "r.jsonl"
    settings = Settings(nodes=[NodeConfig(name="odd", url=odd_node)], record=rec_path, traffic_every=0.2)
    store = RunStore()
    ctl = Controller(store, settings)
    await ctl.start()
    if ctl.history is not None:
        ctl.history.close()
    ctl.history = History(tmp_path / "h.sqlite3")
    try:
        for trace in ("TSUR", "TOK"):  # the batch is not lost after the odd one
            await until(lambda t=trace: (r := store.get_run("odd", t)) is not None and not r.live, limit=20)
        assert ctl.recorder is not None and ctl.recorder.error is None
        assert {"TSUR", "TOK"} <= {s.trace_id for s in ctl.history.recent()}
    finally:
        await ctl.aclose()
    assert store.get_run("odd", "TSUR").query == "hi \ufffd there"  # type: ignore[union-attr]
