"""Recent run summaries per node in SQLite under the user data dir, so a restart shows recent history.

A history database is a convenience, never a reason to fail: a corrupted or foreign file is moved aside
(``history.sqlite3.corrupt-<timestamp>``), a fresh one is created, and :attr:`History.notice` carries a
one-line message for the UI or the terminal.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    node TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    started REAL NOT NULL,
    duration REAL,
    state TEXT NOT NULL,
    query TEXT NOT NULL DEFAULT '',
    answer TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    events INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL DEFAULT 'chat'
);
CREATE INDEX IF NOT EXISTS runs_node ON runs (node, id);
"""
PREVIEW = 500


@dataclass(slots=True)
class RunSummary:
    node: str
    trace_id: str
    started: float
    """Wall-clock start (epoch seconds)."""
    duration: float | None
    state: str
    query: str = ""
    answer: str = ""
    error: str = ""
    events: int = 0
    source: str = "chat"
    """``chat``, ``probe`` (watch / dashboard probes), ``replay``..."""

    @classmethod
    def from_run(cls, run: Any, source: str = "chat") -> RunSummary:
        """From an ``oxytui.runs.Run`` (duck-typed)."""
        duration = None if run.end_mono is None else run.end_mono - run.start_mono
        return cls(
            node=run.node,
            trace_id=run.trace_id,
            started=run.start_wall,
            duration=duration,
            state=str(run.state),
            query=run.query,
            answer=run.answer,
            error=run.error,
            events=run.events,
            source=source,
        )


class History:
    """``History(path=None, keep=100)``: keeps the last ``keep`` summaries per node."""

    def __init__(self, path: Path | str | None = None, keep: int = 100) -> None:
        if path is None:
            from oxytui.config import history_db_path

            path = history_db_path()
        self.path = Path(path)
        self.keep = keep
        self.notice: str | None = None
        self._db: sqlite3.Connection | None = None
        self._db = self._open()

    # --- public -------------------------------------------------------------------------------------

    def add(self, summary: RunSummary) -> None:
        row = asdict(summary)
        for key in ("query", "answer", "error"):
            row[key] = str(row[key])[:PREVIEW]

        def op(db: sqlite3.Connection) -> None:
            with db:
                db.execute(
                    "INSERT INTO runs (node, trace_id, started, duration, state, query, answer, error,"
                    " events, source) VALUES (:node, :trace_id, :started, :duration, :state, :query,"
                    " :answer, :error, :events, :source)",
                    row,
                )
                db.execute(
                    "DELETE FROM runs WHERE node = ? AND id NOT IN "
                    "(SELECT id FROM runs WHERE node = ? ORDER BY id DESC LIMIT ?)",
                    (summary.node, summary.node, self.keep),
                )

        self._guard(op)

    def recent(self, node: str | None = None, limit: int = 50) -> list[RunSummary]:
        """Newest first."""
        cols = "node, trace_id, started, duration, state, query, answer, error, events, source"

        def op(db: sqlite3.Connection) -> list[RunSummary]:
            if node is None:
                cur = db.execute(f"SELECT {cols} FROM runs ORDER BY id DESC LIMIT ?", (limit,))
            else:
                cur = db.execute(
                    f"SELECT {cols} FROM runs WHERE node = ? ORDER BY id DESC LIMIT ?", (node, limit)
                )
            return [RunSummary(*r) for r in cur.fetchall()]

        return self._guard(op) or []

    def nodes(self) -> list[str]:
        sql = "SELECT DISTINCT node FROM runs ORDER BY node"
        return self._guard(lambda db: [r[0] for r in db.execute(sql)]) or []

    def close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- internals ----------------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection | None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.notice = f"history disabled: cannot create {self.path.parent}: {exc.strerror or exc}"
            return None
        for attempt in range(2):
            db: sqlite3.Connection | None = None
            try:
                db = sqlite3.connect(self.path, timeout=5.0)
                check = db.execute("PRAGMA quick_check").fetchone()
                if not check or check[0] != "ok":
                    raise sqlite3.DatabaseError(f"integrity check failed: {check[0] if check else '?'}")
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version not in (0, SCHEMA_VERSION):
                    raise sqlite3.DatabaseError(f"unknown schema version {version}")
                db.executescript(_SCHEMA)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                return db
            except sqlite3.DatabaseError as exc:
                if db is not None:
                    with contextlib.suppress(sqlite3.Error):
                        db.close()
                if attempt == 0 and self._move_aside(str(exc)):
                    continue
                self.notice = f"history disabled: {self.path}: {exc}"
                return None
        return None

    def _move_aside(self, reason: str) -> bool:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        try:
            self.path.replace(target)
            for suffix in ("-wal", "-shm", "-journal"):
                side = self.path.with_name(self.path.name + suffix)
                if side.exists():
                    side.replace(target.with_name(target.name + suffix))
        except OSError:
            return False
        self.notice = f"history database was damaged ({reason}); moved aside to {target} and started afresh"
        return True

    def _guard(self, op: Callable[[sqlite3.Connection], T]) -> T | None:
        """Run ``op``; on corruption found mid-session, move the file aside, reopen, retry once."""
        for attempt in range(2):
            if self._db is None:
                return None
            try:
                return op(self._db)
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                    self.notice = f"history busy: {exc}"
                    return None
                self.close()
                if attempt == 0 and self._move_aside(str(exc)):
                    self._db = self._open()
                    continue
                self.notice = f"history disabled: {exc}"
                return None
        return None
