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


def _traffic(node: str, i: int) -> RunSummary:
    return RunSummary(node=node, trace_id=f"X{i}", started=2000.0 + i, duration=1.0, state="completed",
                      source="traffic")  # fmt: skip


def test_own_runs_and_traffic_have_separate_keep_limits(tmp_path: Path) -> None:
    with History(tmp_path / "h.sqlite3", keep=3, keep_traffic=2) as h:
        for i in range(4):
            h.add(summary("a", i))
        for i in range(50):  # busy traffic does not push the operator's own runs out
            h.add(_traffic("a", i))
        kept = [s.trace_id for s in h.recent(limit=100)]
    assert kept == ["X49", "X48", "T3", "T2", "T1"]


def test_one_row_per_trace_and_own_record_wins(tmp_path: Path) -> None:
    with History(tmp_path / "h.sqlite3") as h:
        h.add(_traffic("a", 1))
        h.add(RunSummary("a", "X1", started=1.0, duration=2.0, state="failed", source="traffic"))
        h.add(summary("a", 7))
        h.add(RunSummary("a", "T7", started=1.0, duration=9.0, state="failed", source="traffic"))
        h.add(_traffic("b", 1))  # the same trace id on another node is another row
        rows = {(s.node, s.trace_id): s for s in h.recent(limit=100)}
    assert len(rows) == 3
    assert rows[("a", "X1")].state == "failed"  # a later sighting updates the row
    assert rows[("a", "T7")].source == "chat" and rows[("a", "T7")].state == "completed"


def test_a_version_1_database_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, node TEXT NOT NULL, trace_id TEXT NOT NULL,"
        " started REAL NOT NULL, duration REAL, state TEXT NOT NULL, query TEXT NOT NULL DEFAULT '',"
        " answer TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '', events INTEGER NOT NULL DEFAULT 0,"
        " source TEXT NOT NULL DEFAULT 'chat'); CREATE INDEX runs_node ON runs (node, id);"
        " PRAGMA user_version = 1;"
    )
    for state in ("completed", "failed"):  # version 1: the dashboard and watch wrote one run twice
        db.execute("INSERT INTO runs (node, trace_id, started, state) VALUES ('a', 'T1', 1, ?)", (state,))
    db.execute("INSERT INTO runs (node, trace_id, started, state) VALUES ('a', 'T2', 2, 'completed')")
    db.commit()
    db.close()
    with History(path) as h:
        assert [(s.trace_id, s.state) for s in h.recent()] == [("T2", "completed"), ("T1", "failed")]
        h.add(summary("a", 1))  # T1 again: updates the one row
        assert len(h.recent()) == 2 and h.notice is None
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    db.close()


async def test_writes_from_a_loop_never_wait_for_a_locked_database(tmp_path: Path) -> None:
    """Another process holds the write lock: ``add`` on the loop only queues (in order), even with an hour
    of busy timeout; the writer thread writes the rows once the lock is released."""
    import threading

    from tests.integration.test_traffic_watch import until

    path = tmp_path / "h.sqlite3"
    h = History(path, busy_timeout=3600, retry_every=0.05)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(3.0, lambda: (other.execute("COMMIT"), other.close()))
    release.start()  # a blocking add would wait for this, then find its rows written: pending 0
    try:
        for i in range(20):
            h.add(summary("a", i))
        assert h.pending >= 19
    finally:
        release.join()
    await until(lambda: h.pending == 0)
    assert [s.trace_id for s in h.recent(limit=30)] == [f"T{i}" for i in reversed(range(20))]
    h.close()
