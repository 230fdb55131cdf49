"""Recording and replay: format, damage handling, secrets, timing control, model round trip."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
from pathlib import Path

import pytest

from oxytui.client.events import event_from_comment, event_from_message
from oxytui.client.sse import SSEComment, SSEDecoder, SSEMessage
from oxytui.ops.record import Recorder, read_recording
from oxytui.ops.replay import Replayer, ReplayReset, apply, load, print_replay
from oxytui.runs import RunStore

CAPTURES = Path(__file__).parents[1] / "fixtures" / "captures"


def decode_capture(name: str) -> list[SSEMessage | SSEComment]:
    dec = SSEDecoder()
    data = (CAPTURES / name).read_bytes()
    items = []
    for i in range(0, len(data), 97):  # odd chunking on purpose
        items += dec.feed(data[i : i + 97])
    return items + dec.flush()


def record_capture(rec: Recorder, node: str, trace: str, name: str, t0: float = 1000.0) -> list:
    items = decode_capture(name)
    for i, item in enumerate(items):
        rec.wire_tap(node, trace, item, t0 + i * 0.01)
    return items


@pytest.mark.parametrize("gz", [False, True])
def test_write_and_read_back(tmp_path: Path, gz: bool) -> None:
    path = tmp_path / ("r.jsonl.gz" if gz else "r.jsonl")
    with Recorder(path) as rec:
        rec.mark("start", "math", "T1", 999.0, query="add 2 3")
        items = record_capture(rec, "math", "T1", "math_add.sse")
        rec.wire_tap("math", "T1", SSEComment("ping - 2026"), 1500.0)
        rec.mark("finish", "math", "T1", 1501.0, state="completed")
    assert (path.read_bytes()[:2] == b"\x1f\x8b") is gz
    reader = read_recording(path)
    recs = list(reader)
    assert reader.damage is None and reader.header is not None and reader.header["version"] == 1
    msgs = [r for r in recs if r.kind == "msg"]
    assert [m.data for m in msgs] == [i.data for i in items if isinstance(i, SSEMessage)]
    assert [m.id for m in msgs] == [i.id for i in items if isinstance(i, SSEMessage)]
    assert msgs[0].retry == 3000 and msgs[0].node == "math" and msgs[0].trace_id == "T1"
    assert recs[0].kind == "start" and recs[0].fields["query"] == "add 2 3"
    assert recs[-2].kind == "ping" and recs[-2].data == "ping - 2026"
    assert recs[-1].fields["state"] == "completed"


def test_append_keeps_both_sessions(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl.gz"
    for trace in ("A", "B"):
        with Recorder(path) as rec:
            rec.wire_tap("n", trace, SSEMessage("message", "{}", None, None, 2), 1.0)
    reader = read_recording(path)
    assert [r.trace_id for r in reader] == ["A", "B"] and reader.damage is None


def test_default_path_under_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OXYTUI_DATA_DIR", str(tmp_path / "data"))
    rec = Recorder()
    rec.close()
    assert rec.path.parent == tmp_path / "data" / "recordings" and rec.path.exists()


def test_for_settings_scrubs_node_tokens(tmp_path: Path) -> None:
    from pydantic import SecretStr

    from oxytui.config import NodeConfig, Settings

    assert Recorder.for_settings(Settings()) is None
    nodes = [NodeConfig(name="a", url="http://a:1", token=SecretStr("node-token-abc"))]
    rec = Recorder.for_settings(Settings(nodes=nodes, record=tmp_path / "r.jsonl"))
    assert rec is not None
    with rec:
        rec.wire_tap("a", "T", SSEMessage("message", '"echo node-token-abc"', None, None, 5), 1.0)
    assert "node-token-abc" not in (tmp_path / "r.jsonl").read_text()


def test_secrets_never_written(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with Recorder(path, secrets=["tok-SECRET-1"]) as rec:
        data = '{"type":"answer","content":"tok-SECRET-1"}'
        rec.wire_tap("n", "T", SSEMessage("message", data, "1", None, 5), 1.0)
        rec.mark("start", "n", "T", query="use tok-SECRET-1")
    text = path.read_text()
    assert "tok-SECRET-1" not in text and "***" in text
    assert "authorization" not in text.lower()


@pytest.mark.parametrize(
    ("mutate", "line", "words"),
    [
        (lambda b: b[:-7], 5, "truncated"),
        (lambda b: b.replace(b'"k":"msg"', b'"k":"zzz"', 2), 2, "unknown record kind"),
        (lambda b: b.split(b"\n", 3)[0] + b"\n" + b"{not json\n" + b.split(b"\n", 3)[3], 2, "JSON"),
        (lambda b: b'{"k":"header","format":"other"}\n' + b, 1, "not an oxytui recording"),
    ],
)
def test_damaged_recording_stops_and_says_where(tmp_path: Path, mutate, line: int, words: str) -> None:
    path = tmp_path / "r.jsonl"
    with Recorder(path) as rec:
        for i in range(4):
            rec.wire_tap("n", "T", SSEMessage("message", json.dumps({"i": i}), str(i), None, 7), float(i))
    path.write_bytes(mutate(path.read_bytes()))
    reader = read_recording(path)
    recs = list(reader)
    assert reader.damage is not None and reader.damage.line == line and words in reader.damage.reason
    assert len(recs) == line - 2 if line > 1 else len(recs) == 0


def test_truncated_gzip_replays_up_to_damage(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl.gz"
    rec = Recorder(path)
    for i in range(50):
        rec.wire_tap("n", "T", SSEMessage("message", json.dumps({"i": i}), str(i), None, 7), float(i))
    data = path.read_bytes()  # sync-flushed, never closed: no gzip trailer
    rec.close()
    path.write_bytes(data)
    reader = read_recording(path)
    assert [json.loads(r.data)["i"] for r in reader] == list(range(50))
    assert reader.damage is not None and "compressed" in reader.damage.reason
    path.write_bytes(data[: len(data) - 40])
    reader = read_recording(path)
    got = list(reader)
    assert 40 <= len(got) < 50 and reader.damage is not None


def test_unreadable_recording(tmp_path: Path) -> None:
    reader = read_recording(tmp_path / "missing.jsonl")
    assert list(reader) == [] and reader.damage is not None and "cannot read" in reader.damage.reason


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_write_failure_is_kept_not_raised() -> None:
    rec = Recorder("/dev/full")  # every write fails with ENOSPC, like a full disk
    rec.wire_tap("n", "T", SSEMessage("message", "{}", None, None, 2), 1.0)
    assert rec.error is not None and "recording stopped" in rec.error
    rec.close()


def _live_store(items_by_run: dict[tuple[str, str, str], list], rec: Recorder | None) -> RunStore:
    """Feed decoded capture items like the dashboard does, optionally recording them."""
    store = RunStore()
    t = 1000.0
    for (node, trace, query), items in items_by_run.items():
        store.start_run(node, trace, query, t - 1000.0, t)
        if rec:
            rec.mark("start", node, trace, t, query=query)
        for item in items:
            t += 0.01
            meta = {"node": node, "trace_id": trace, "mono": t - 1000.0, "wall": t}
            if rec:
                rec.wire_tap(node, trace, item, t)
            if isinstance(item, SSEMessage):
                store.add_event(event_from_message(item, **meta))
            else:
                store.add_event(event_from_comment(item, **meta))
    return store


def _snapshot(store: RunStore) -> object:
    runs = {
        key: (
            r.query,
            r.state.value,
            r.answer,
            r.error,
            r.events,
            [(c.node_id, c.callee, c.status.value, c.output_preview, len(c.children)) for c in r.walk()],
        )
        for key, r in store.runs.items()
    }
    stats = {n: (s.runs, s.completed, s.failed, s.events) for n, s in store.stats.items()}
    rows = [(row.node, row.type, row.caller, row.callee, row.summary) for row in store.log.rows]
    return runs, stats, rows


async def test_round_trip_gives_identical_model_state(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl.gz"
    runs = {
        ("math", "T1", "add 2 3"): decode_capture("math_add.sse"),
        ("master", "T2", "remote add"): decode_capture("master_remote_add.sse"),
        ("math", "T3", "boom"): decode_capture("math_boom.sse"),
    }
    with Recorder(path) as rec:
        live = _live_store(runs, rec)
    records, damage = load(path)
    assert damage is None
    replayed = RunStore()
    async for item in Replayer(records, speed=0).items():
        assert not isinstance(item, ReplayReset)
        apply(replayed, item)
    assert _snapshot(replayed) == _snapshot(live)
    assert len(replayed.runs) == 3 and replayed.runs[("math", "T1")].answer


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_replayer_timing_step_pause_and_jump(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with Recorder(path) as rec:
        for i in range(10):
            rec.wire_tap("n", "T", SSEMessage("message", json.dumps({"i": i}), str(i), None, 7), 100.0 + i)
    records, _ = load(path)
    clock = FakeClock()
    rp = Replayer(records, speed=1000.0, clock=clock)  # 1 s of recording = 1 ms
    got = [it.offset async for it in rp.items() if not isinstance(it, ReplayReset)]
    assert got == [float(i) for i in range(10)]

    rp = Replayer(records, step=True)
    it = rp.items()
    rp.step(2)
    first = [await anext(it), await anext(it)]
    assert [x.offset for x in first] == [0.0, 1.0]
    nxt = asyncio.ensure_future(anext(it))
    await asyncio.sleep(0)
    assert not nxt.done()  # waits for the next step
    rp.jump(6.0)
    seen = [(await nxt).offset] + [(await anext(it)).offset for _ in range(4)]
    assert seen == [2.0, 3.0, 4.0, 5.0, 6.0]
    rp.jump(1.0)
    assert isinstance(await anext(it), ReplayReset)
    assert [(await anext(it)).offset for _ in range(2)] == [0.0, 1.0]
    assert rp.offset == 1.0


async def test_headless_printer(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with Recorder(path) as rec:
        rec.mark("start", "math", "T1", 1.0, query="add 2 3")
        record_capture(rec, "math", "T1", "math_add.sse")
        rec.wire_tap(
            "math",
            "T1",
            SSEMessage("message", '{"type":"answer","content":"\\u001b[31mred"}', None, None, 9),
            5000.0,
        )
    out, err = io.StringIO(), io.StringIO()
    assert await print_replay(path, out=out, err=err) == 0
    lines = out.getvalue().splitlines()
    assert "start" in lines[0] and "add 2 3" in lines[0]
    assert any(" tool_call " in ln for ln in lines) and any(" answer " in ln for ln in lines)
    assert "\x1b" not in out.getvalue()
    assert "replayed" in err.getvalue()
    # json mode and damage
    path.write_bytes(path.read_bytes()[:-3])
    out, err = io.StringIO(), io.StringIO()
    assert await print_replay(path, as_json=True, out=out, err=err) == 1
    assert all(json.loads(ln)["node"] == "math" for ln in out.getvalue().splitlines())
    assert "damaged at line" in err.getvalue()


async def test_headless_step_mode(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with Recorder(path) as rec:
        for i in range(5):
            rec.wire_tap("n", "T", SSEMessage("message", json.dumps({"i": i}), str(i), None, 7), float(i))
    answers = iter(["\n", "\n", "q\n"])
    out = io.StringIO()
    code = await print_replay(path, step=True, out=out, err=io.StringIO(), read_line=lambda: next(answers))
    assert code == 0
    assert len(out.getvalue().splitlines()) == 3


def test_gzip_module_reads_our_closed_file(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl.gz"
    with Recorder(path) as rec:
        rec.wire_tap("n", "T", SSEMessage("message", "{}", None, None, 2), 1.0)
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    assert json.loads(lines[1])["k"] == "msg"
