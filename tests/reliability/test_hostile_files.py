"""Crafted recordings and a contended history database: bounded, one line, nothing lost or moved.

Cases (one line each):
- a 2 MB gzip recording of zeros (inflates to 2 GB, no newline): replay and export stop at the 64 MiB
  line cap with a one-line message, inside a 1 GiB address-space limit.
- a gzip recording of valid lines larger than the inflated-size cap: reading stops at the cap (damage
  with the line number), memory bounded by the cap.
- ``wall: Infinity`` / ``NaN`` / ``-Infinity`` / ``1e400`` / negative: rejected with the line number;
  ``replay --no-ui --speed 1`` ends at once instead of waiting for ever.
- ``oxytui export`` refuses a FIFO, ``/dev/zero`` and a directory with the same one line as
  ``oxytui replay`` and exit 2 (no hang).
- a recording line nested 100,000 arrays deep: replay and export give a one-line error, no traceback.
- a run whose call tree is 1,200 deep: ``export --format run`` writes every call, nested up to the cap
  and the rest listed flat under ``deeper_calls`` (no RecursionError).
- history: another connection holding an exclusive lock at open and mid-session -> a "waiting" notice,
  the file is not moved, the other writer's COMMIT succeeds, and our summaries are written afterwards.
- history: a full disk (``RLIMIT_FSIZE``): summaries wait in memory and are written when space is back;
  the file is not moved aside.
- history: a file whose pages are damaged (``integrity_check`` fails) is moved aside (guard: this worked
  before and must keep working).
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from oxytui.ops.export import CALL_DEPTH_CAP
from oxytui.ops.history import History, RunSummary
from oxytui.ops.record import RecordingReader
from tests.reliability.conftest import REPO

HEADER = {"k": "header", "format": "oxytui-recording", "version": 1, "started": 1.0}


def cli(*args: str, limit_as: int | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``oxytui ARGS`` in a subprocess; ``limit_as`` caps its address space (bytes)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "OXYTUI_CONFIG_DIR": "/nonexistent-oxytui-cfg"}
    env.pop("OXYTUI_NODES", None)
    env.pop("OXYTUI_CONFIG", None)

    def limit() -> None:
        if limit_as is not None:
            resource.setrlimit(resource.RLIMIT_AS, (limit_as, limit_as))

    return subprocess.run(
        [sys.executable, "-m", "oxytui.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        preexec_fn=limit,
    )


def one_line_error(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.stderr.strip() and "\n" not in proc.stderr.strip().split("replayed ")[-1].strip()


def msg(wall: object, i: int = 0) -> str:
    """A ``msg`` line with ``wall`` written literally (``Infinity``, ``NaN``, ``1e400`` are JSON-ish)."""
    data = json.dumps(json.dumps({"type": "answer", "content": f"a{i}"}))
    return f'{{"k":"msg","node":"n","trace":"T","wall":{wall},"event":"message","id":"{i}","data":{data}}}'


def recording(path: Path, lines: list[str]) -> Path:
    path.write_text(json.dumps(HEADER) + "\n" + "".join(line + "\n" for line in lines))
    return path


# --- gzip bombs -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zero_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "bomb.jsonl.gz"
    chunk = b"\0" * (1 << 20)
    with gzip.open(path, "wb", compresslevel=9) as fh:
        for _ in range(2048):  # 2 GiB inflated, ~2 MB on disk
            fh.write(chunk)
    assert path.stat().st_size < 3 * 1024 * 1024
    return path


@pytest.mark.parametrize("command", ["replay", "export"])
def test_gzip_bomb_stops_at_the_line_cap_in_bounded_memory(zero_bomb: Path, command: str) -> None:
    args = [command, str(zero_bomb), "--no-ui"] if command == "replay" else [command, str(zero_bomb)]
    proc = cli(*args, limit_as=1 << 30, timeout=120)
    one_line_error(proc)
    assert proc.returncode == 1 and "line 1: line longer than 64 MiB" in proc.stderr


def test_inflated_size_cap_bounds_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(json.dumps(HEADER) + "\n")
        for i in range(200_000):  # ~25 MB inflated, well compressed
            fh.write(msg(1.0 + i / 1000, i) + "\n")
    cap = 4 * 1024 * 1024
    reader = RecordingReader(path, max_inflated=cap)
    tracemalloc.start()
    count = sum(1 for _ in reader)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert reader.damage is not None and "gzip size cap" in reader.damage.reason
    assert 0 < count < 200_000 and reader.damage.line == count + 2
    assert peak < 4 * cap  # records are not kept by the reader; only the read-ahead buffer


# --- times, refusals, depth -------------------------------------------------------------------------------


@pytest.mark.parametrize("wall", ["Infinity", "NaN", "-Infinity", "1e400", "-5", "1e300"])
def test_non_finite_or_impossible_time_is_rejected_with_its_line(tmp_path: Path, wall: str) -> None:
    path = recording(tmp_path / "r.jsonl", [msg(1.0, 0), msg(wall, 1), msg(2.0, 2)])
    reader = RecordingReader(path)
    assert len(list(reader)) == 1
    assert reader.damage is not None and reader.damage.line == 3 and "time" in reader.damage.reason


def test_replay_at_speed_one_of_an_infinite_time_ends_at_once(tmp_path: Path) -> None:
    path = recording(tmp_path / "r.jsonl", [msg(1.0, 0), msg("Infinity", 1)])
    proc = cli("replay", str(path), "--no-ui", "--speed", "1", timeout=30)
    assert proc.returncode == 1 and "line 3:" in proc.stderr and "Traceback" not in proc.stderr


def test_export_refuses_what_replay_refuses(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    for target in (str(fifo), "/dev/zero", str(tmp_path)):
        replay = cli("replay", target, "--no-ui", timeout=30)
        export = cli("export", target, timeout=30)
        assert replay.returncode == export.returncode == 2, (target, export.stderr)
        r_line, e_line = replay.stderr.strip(), export.stderr.strip()
        assert "\n" not in r_line and "\n" not in e_line
        assert r_line.removeprefix("oxytui replay: ") == e_line.removeprefix("oxytui export: ")
        assert "cannot read recording" in e_line


@pytest.mark.parametrize("command", ["replay", "export"])
def test_deep_json_line_is_a_one_line_error(tmp_path: Path, command: str) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text(json.dumps(HEADER) + "\n" + msg(1.0) + "\n" + "[" * 100_000 + "]" * 100_000 + "\n")
    args = [command, str(path), "--no-ui"] if command == "replay" else [command, str(path)]
    proc = cli(*args)
    one_line_error(proc)
    assert proc.returncode == 1 and "line 3: JSON nested too deeply" in proc.stderr


def test_export_of_a_1200_deep_call_tree(tmp_path: Path) -> None:
    depth = 1200
    stack = ["user"]
    lines = ['{"k":"start","node":"n","trace":"T","wall":1.0,"query":"deep"}']
    for i in range(depth):
        caller, callee = stack[-1], f"agent{i}"
        stack.append(callee)
        content = {"node_id": f"c{i}", "caller": caller, "callee": callee, "call_stack": list(stack)}
        content |= {"caller_category": "agent", "callee_category": "agent", "arguments": {"query": str(i)}}
        data = json.dumps({"type": "tool_call", "content": content})
        lines.append(json.dumps({"k": "msg", "node": "n", "trace": "T", "wall": 1.0 + i / 1e4, "data": data}))
    lines.append('{"k":"finish","node":"n","trace":"T","wall":2.0,"state":"completed"}')
    path = recording(tmp_path / "deep-tree.jsonl", lines)
    out = tmp_path / "run.json"
    proc = cli("export", str(path), "--format", "run", "-o", str(out))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    run = json.loads(out.read_text())
    seen, deepest, markers = [], 0, 0
    todo = [(c, 1) for c in run["calls"]]
    while todo:  # every call is exported, nested (bounded) or listed flat, and a marker says which
        call, level = todo.pop()
        seen.append(call["node_id"])
        deepest = max(deepest, level)
        markers += bool(call.get("clipped") or call.get("depth_capped"))
        todo += [(c, level + 1) for c in call["children"]]
        seen += [c["node_id"] for c in call.get("deeper_calls", [])]
    assert sorted(seen) == sorted(f"c{i}" for i in range(depth))
    assert deepest <= CALL_DEPTH_CAP and markers >= 1


# --- history --------------------------------------------------------------------------------------------


def summary(i: int) -> RunSummary:
    return RunSummary(node="a", trace_id=f"T{i}", started=1000.0 + i, duration=0.5, state="completed")


def test_locked_history_is_waited_for_never_moved(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with History(path) as h:
        h.add(summary(0))
    other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    other.execute("INSERT INTO runs (node, trace_id, started, state) VALUES ('b', 'X', 1.0, 'completed')")
    with History(path) as as_the_app_opens_it:  # default knobs: waits 1 s for the lock, then gives up
        assert as_the_app_opens_it.notice is not None and "locked" in as_the_app_opens_it.notice
    assert not list(tmp_path.glob("*.corrupt-*")) and path.is_file()
    notices: list[str] = []
    h = History(path, on_notice=notices.append, busy_timeout=0.05, retry_every=0)
    assert h.notice is not None and "waiting" in h.notice and "locked" in h.notice
    h.add(summary(1))  # opened while locked: kept in memory
    assert h.pending == 1
    other.execute("COMMIT")  # the other process's transaction is intact
    h.add(summary(2))
    assert h.pending == 0
    assert [r.trace_id for r in h.recent("a")] == ["T2", "T1", "T0"]
    other.execute("BEGIN EXCLUSIVE")  # and again mid-session
    h.add(summary(3))
    assert h.pending == 1 and h.recent() == []
    other.execute("COMMIT")
    h.add(summary(4))
    assert [r.trace_id for r in h.recent("a")][:2] == ["T4", "T3"]
    assert [r.trace_id for r in h.recent("b")] == ["X"]
    h.close()
    other.close()
    assert not list(tmp_path.glob("*.corrupt-*")) and notices and all("moved" not in n for n in notices)


def test_damaged_pages_are_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with History(path) as h:
        for i in range(300):
            h.add(
                RunSummary(node="a", trace_id=f"T{i}", started=1.0, duration=0.1, state="x", answer="y" * 400)
            )
    data = bytearray(path.read_bytes())
    page = 4096
    for p in range(2, len(data) // page):  # scribble over the b-tree pages, keep the header page
        data[p * page + 8 : p * page + 40] = b"\xee" * 32
    path.write_bytes(bytes(data))
    with History(path) as h:
        assert h.notice is not None and "moved aside" in h.notice
        h.add(summary(1))
        assert [r.trace_id for r in h.recent("a")] == ["T1"]
    assert len(list(tmp_path.glob("h.sqlite3.corrupt-*"))) == 1


FULL_DISK = """
import json, resource, signal, sys
from pathlib import Path
from oxytui.ops.history import History, RunSummary
path = Path(sys.argv[1])
def s(i):
    return RunSummary(node="a", trace_id=f"T{i}", started=1.0, duration=0.1, state="ok", answer="y" * 400)
with History(path) as h:
    h.add(s(0))
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG, like a full disk
h = History(path)
h.retry_every = 0
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (path.stat().st_size, hard))
for i in range(1, 40):
    h.add(s(i))
full = {"notice": h.notice, "pending": getattr(h, "pending", None)}
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # space again
h.add(s(40))
full.update(after=getattr(h, "pending", None), rows=len(h.recent("a", limit=100)))
h.close()
print(json.dumps(full))
"""


def test_full_disk_keeps_summaries_and_never_moves_the_database(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(path)], capture_output=True, text=True, timeout=60, env=env
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout)
    assert "waiting" in got["notice"] and got["pending"] > 0, got
    assert got["after"] == 0 and got["rows"] == 41, got
    assert not list(tmp_path.glob("*.corrupt-*"))
