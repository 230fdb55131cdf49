"""Files oxytui writes (recordings, exports, history) are 0600 in 0700 directories, whatever the umask;
directories that already exist keep their mode."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from oxytui.ops.export import export_recording, write_export
from oxytui.ops.history import History, RunSummary
from oxytui.ops.record import Recorder
from oxytui.runs import RunStore


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    d = tmp_path / "share" / "oxytui"
    monkeypatch.setenv("OXYTUI_DATA_DIR", str(d))
    monkeypatch.setenv("OXYTUI_CONFIG_DIR", str(tmp_path / "cfg"))
    old = os.umask(0o022)
    yield d
    os.umask(old)


def test_recording_export_and_history_are_private(data_dir: Path, tmp_path: Path) -> None:
    with Recorder() as rec:  # default: <data dir>/recordings/oxytui-<time>.jsonl
        pass
    store = RunStore()
    store.add_node("n")
    exported = write_export(store, "stats", "json")
    with History() as h:
        h.add(RunSummary(node="n", trace_id="T", started=1.0, duration=0.1, state="completed"))
    out = tmp_path / "out.json"
    assert export_recording(rec.path, "json", output=str(out)) == 0
    for f in (rec.path, exported, data_dir / "history.sqlite3", out):
        assert mode(f) == 0o600, f
    for d in (data_dir.parent, data_dir, data_dir / "recordings", data_dir / "exports"):
        assert mode(d) == 0o700, d


def test_existing_directories_keep_their_mode(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    with Recorder(shared / "r.jsonl"):
        pass
    assert mode(shared) == 0o755 and mode(shared / "r.jsonl") == 0o600
