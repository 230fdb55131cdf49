"""History database: keeps the last N per node, survives restarts, moves damaged files aside."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from oxytui.ops.history import History, RunSummary
from oxytui.runs import RunStore


def summary(node: str, i: int, state: str = "completed") -> RunSummary:
    return RunSummary(
        node=node,
        trace_id=f"T{i}",
        started=1000.0 + i,
        duration=0.5,
        state=state,
        query=f"q{i}",
        answer="x" * 2000,
    )


def test_keeps_last_n_per_node_and_survives_restart(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with History(path, keep=5) as h:
        for i in range(12):
            h.add(summary("a", i))
        for i in range(3):
            h.add(summary("b", i, "failed"))
        assert h.notice is None
    with History(path, keep=5) as h:
        a = h.recent("a")
        assert [r.trace_id for r in a] == ["T11", "T10", "T9", "T8", "T7"]
        assert len(a[0].answer) == 500  # previews only
        assert [r.state for r in h.recent("b")] == ["failed"] * 3
        assert h.nodes() == ["a", "b"] and len(h.recent(limit=100)) == 8


def test_default_path_under_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OXYTUI_DATA_DIR", str(tmp_path / "d"))
    with History() as h:
        h.add(summary("a", 1))
    assert (tmp_path / "d" / "history.sqlite3").is_file()


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupted_database_is_moved_aside(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "h.sqlite3"
    with History(path) as h:
        for i in range(200):
            h.add(summary("a", i))
    if damage == "garbage":
        path.write_bytes(b"this is not a database at all" * 100)
    else:
        data = path.read_bytes()
        path.write_bytes(data[:100] + b"\xff" * 4000 + data[4100:])
    with History(path) as h:
        assert h.notice is not None and "moved aside" in h.notice
        h.add(summary("a", 1))
        assert [r.trace_id for r in h.recent("a")] == ["T1"]
    aside = list(tmp_path.glob("h.sqlite3.corrupt-*"))
    assert len(aside) == 1


def test_damage_found_mid_session(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    h = History(path)
    h.add(summary("a", 1))
    h.close()
    h2 = History(path)
    path.write_bytes(b"\0garbage" * 1000)  # damaged behind our back while open
    h2.add(summary("a", 2))
    assert h2.notice is not None and "moved aside" in h2.notice
    assert [r.trace_id for r in h2.recent("a")] == ["T2"]
    h2.close()


def test_unwritable_location_disables_quietly(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    h = History(blocker / "sub" / "h.sqlite3")
    assert h.notice is not None and "disabled" in h.notice
    h.add(summary("a", 1))
    assert h.recent() == []


def test_from_run() -> None:
    store = RunStore()
    store.start_run("n", "T", "add 2 3", 0.0, 100.0)
    store.finish_run("n", "T", 2.0, 102.0, error="boom")
    s = RunSummary.from_run(store.get_run("n", "T"), source="probe")
    assert (s.state, s.duration, s.error, s.source, s.query) == ("failed", 2.0, "boom", "probe", "add 2 3")


def test_rows_from_an_older_unscrubbed_database_are_scrubbed_on_read(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with History(path) as h:
        h.add(summary("a", 1))
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE runs SET answer = 'node said Authorization: Bearer old-secret-0042'")
    db.close()
    with History(path) as h:
        assert [r.answer for r in h.recent("a")] == ["node said Authorization: Bearer ***"]
