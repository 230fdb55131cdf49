"""Recent run summaries per node in SQLite under the user data dir, so a restart shows recent history.

A history database is a convenience, never a reason to fail, and never a reason to destroy one:

- busy (another process holds a lock), a full disk or another transient error: the summaries wait in a
  bounded queue, writing is retried at most every :data:`RETRY_EVERY` seconds, and a one-line notice says
  so (:attr:`History.notice`, and ``on_notice`` when given). The file is never moved.
- damaged: only when SQLite says the file is not a database, or ``PRAGMA integrity_check`` reports damage,
  is it moved aside (``history.sqlite3.corrupt-<timestamp>``) and a fresh one created.

Made inside a running asyncio loop (the dashboard, ``watch``), writes go through a writer thread: ``add``
only queues (in order), so a lock held by another process never stalls the loop. One row per (node, trace
id): the dashboard and ``watch`` writing the same run update one row. Own runs and other users' (traffic)
have separate keep limits, so busy traffic never pushes the operator's own runs out.

Stored text is scrubbed of secrets (:mod:`oxytui.redact`); the file is created 0600 in a 0700 directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from .history_sql import DEDUPE, SCHEMA, SCHEMA_2, SCHEMA_VERSION, TRIM, UPSERT, Damaged, Unusable, error_kind

T = TypeVar("T")
PREVIEW = 500
KEEP_TRAFFIC = 300
"""Other users' runs kept per node (apart from the operator's own, ``keep``)."""
BUSY_TIMEOUT = 1.0
"""Seconds SQLite waits for another process's lock before we give up for now (on the writer thread when
there is one: the event loop never waits)."""
RETRY_EVERY = 5.0
"""Seconds between attempts while the database is busy or unwritable."""
PENDING_MAX = 1000
"""Summaries kept in memory while the database cannot be written (oldest dropped beyond)."""


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
    """``History(path=None, keep=100, on_notice=None)``: keeps the last ``keep`` own summaries per node and
    the last ``keep_traffic`` traffic ones.

    ``on_notice(message)`` is called with every new one-line notice (busy, moved aside, disabled...), on
    the loop's thread. ``background`` (default: whether an asyncio loop runs here) writes on a thread."""

    def __init__(
        self,
        path: Path | str | None = None,
        keep: int = 100,
        on_notice: Callable[[str], None] | None = None,
        *,
        keep_traffic: int = KEEP_TRAFFIC,
        busy_timeout: float = BUSY_TIMEOUT,
        retry_every: float = RETRY_EVERY,
        background: bool | None = None,
    ) -> None:
        if path is None:
            from oxytui.config.paths import history_db_path

            path = history_db_path()
        self.path = Path(path)
        self.keep = keep
        self.keep_traffic = keep_traffic
        self.on_notice = on_notice
        self.busy_timeout = busy_timeout
        self.retry_every = retry_every
        self._notice: str | None = None
        self._db: sqlite3.Connection | None = None
        self._disabled = False
        self._retry_at = 0.0
        self._pending: deque[dict[str, Any]] = deque(maxlen=PENDING_MAX)
        self.dropped = 0
        """Summaries refused because their text cannot be encoded (a lone surrogate)."""
        self._queue = threading.Condition()  # guards _pending and _stopping (never held while writing)
        self._dblock = threading.RLock()  # guards the connection; held by whoever writes or reads
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writer: threading.Thread | None = None
        with self._dblock:
            self._db = self._open()
        if background is None:
            try:
                self._loop = asyncio.get_running_loop()
            except RuntimeError:
                self._loop = None
            background = self._loop is not None
        if background:
            self._writer = threading.Thread(target=self._write_loop, name="oxytui-history", daemon=True)
            self._writer.start()

    @property
    def notice(self) -> str | None:
        """The latest one-line message about the database (None while all is well)."""
        return self._notice

    @notice.setter
    def notice(self, message: str | None) -> None:
        changed = message != self._notice
        self._notice = message
        if not (changed and message and self.on_notice is not None):
            return
        if threading.current_thread() is self._writer and self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: the notice stays readable
                self._loop.call_soon_threadsafe(self.on_notice, message)
            return
        self.on_notice(message)

    @property
    def pending(self) -> int:
        """Summaries waiting for the database (busy or unwritable, or queued for the writer thread)."""
        with self._queue:
            return len(self._pending)

    # --- public -------------------------------------------------------------------------------------

    def add(self, summary: RunSummary) -> None:
        from oxytui.redact import scrub_text

        row = asdict(summary)
        for key in ("query", "answer", "error"):
            row[key] = scrub_text(str(row[key]))[:PREVIEW]
        if self._disabled:
            return
        try:  # a lone surrogate cannot be stored: it would stay queued and fail every later write
            for value in row.values():
                if isinstance(value, str):
                    value.encode("utf-8")
        except UnicodeEncodeError:
            self.dropped += 1
            self.notice = f"history: {self.dropped} run summaries not stored (text that cannot be encoded)"
            return
        with self._queue:
            self._pending.append(row)
            self._queue.notify()
        if self._writer is None:
            self._flush()

    def _write_loop(self) -> None:
        """The writer thread: writes queued rows in order; while busy, retries every ``retry_every``."""
        while True:
            with self._queue:
                while not self._pending and not self._stopping:
                    self._queue.wait()
                if not self._pending:
                    return
                stopping = self._stopping
                delay = self._retry_at - time.monotonic()
                if delay > 0 and not stopping:
                    self._queue.wait(delay)
                    continue
            written = self._flush()
            if stopping and not written:
                return  # close() does not wait out a busy database
            if not written:
                with self._queue:  # not written and no retry time set: never spin
                    if not self._stopping and self._retry_at <= time.monotonic():
                        self._queue.wait(min(self.retry_every, 0.5))

    def _flush(self) -> bool:
        """Write the queued rows; True when they were written."""
        with self._dblock:
            with self._queue:
                rows = list(self._pending)
            if not rows or not self._ready():
                return False

            def op(db: sqlite3.Connection) -> bool:
                with db:
                    for row in rows:
                        db.execute(UPSERT, row)
                    for node in {row["node"] for row in rows}:
                        for traffic, keep in ((0, self.keep), (1, self.keep_traffic)):
                            db.execute(TRIM, {"node": node, "traffic": traffic, "keep": keep})
                return True

            written = self._guard(op)
        if written:
            done = {id(row) for row in rows}
            with self._queue:  # the queue may have dropped or gained rows meanwhile: remove exactly ours
                while self._pending and id(self._pending[0]) in done:
                    self._pending.popleft()
            if self._notice and self._notice.startswith("history waiting"):
                self.notice = f"history: {len(rows)} waiting run summaries written"
        return bool(written)

    def recent(self, node: str | None = None, limit: int = 50) -> list[RunSummary]:
        """Newest first."""
        cols = "node, trace_id, started, duration, state, query, answer, error, events, source"
        self._flush()
        with self._dblock:
            if not self._ready():
                return []
            return self._guard(lambda db: self._recent(db, cols, node, limit)) or []

    @staticmethod
    def _recent(db: sqlite3.Connection, cols: str, node: str | None, limit: int) -> list[RunSummary]:
        if node is None:
            cur = db.execute(f"SELECT {cols} FROM runs ORDER BY id DESC LIMIT ?", (limit,))
        else:
            cur = db.execute(
                f"SELECT {cols} FROM runs WHERE node = ? ORDER BY id DESC LIMIT ?", (node, limit)
            )
        from oxytui.redact import scrub_text

        out = [RunSummary(*r) for r in cur.fetchall()]
        for s in out:  # rows written by an older oxytui were not scrubbed
            s.query, s.answer, s.error = scrub_text(s.query), scrub_text(s.answer), scrub_text(s.error)
        return out

    def nodes(self) -> list[str]:
        sql = "SELECT DISTINCT node FROM runs ORDER BY node"
        with self._dblock:
            if not self._ready():
                return []
            return self._guard(lambda db: [r[0] for r in db.execute(sql)]) or []

    def close(self) -> None:
        """Stops the writer after one last attempt at what is queued, then closes the connection."""
        writer = self._writer
        if writer is not None and writer is not threading.current_thread():
            with self._queue:
                self._stopping = True
                self._queue.notify_all()
            writer.join()
            self._writer = None
        with self._dblock:
            if self._db is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._db.close()
                self._db = None

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- internals ----------------------------------------------------------------------------------

    def _close_db(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    def _ready(self) -> bool:
        """A connection is open, or (re)opening it now is allowed and worked."""
        if self._disabled or time.monotonic() < self._retry_at:
            return False
        if self._db is not None:
            return True
        self._db = self._open()
        return self._db is not None

    def _wait(self, why: str) -> None:
        """Transient trouble: keep what we have, say so, try again in :data:`RETRY_EVERY` seconds."""
        self._retry_at = time.monotonic() + self.retry_every
        self.notice = (
            f"history waiting: {self.path}: {why}; new run summaries are kept in memory and written "
            f"when it is free (retrying every {self.retry_every:g}s; the file is left as it is)"
        )

    def _disable(self, why: str) -> None:
        self._disabled = True
        with self._queue:
            self._pending.clear()
        self.notice = f"history disabled: {why}"

    def _connect(self) -> sqlite3.Connection:
        if not self.path.exists():  # created 0600 before SQLite makes it (its journals copy the mode)
            from oxytui.config.paths import open_private

            os.close(open_private(self.path, os.O_RDWR))
        return sqlite3.connect(self.path, timeout=self.busy_timeout, check_same_thread=False)

    def _open(self) -> sqlite3.Connection | None:
        from oxytui.config.paths import make_private_dir

        try:
            make_private_dir(self.path.parent)
        except OSError as exc:
            self._disable(f"cannot create {self.path.parent}: {exc.strerror or exc}")
            return None
        for attempt in range(2):
            db: sqlite3.Connection | None = None
            try:
                db = self._connect()
                check = db.execute("PRAGMA integrity_check").fetchone()
                if not check or check[0] != "ok":
                    raise Damaged(f"integrity check failed: {check[0] if check else '?'}")
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version not in (0, 1, SCHEMA_VERSION):
                    raise Unusable(f"unknown schema version {version} (a newer oxytui?); left as it is")
                db.executescript(SCHEMA)
                if version < 2:  # version 1 allowed one trace twice (dashboard and watch): keep the newest
                    with db:
                        db.execute(DEDUPE)
                db.executescript(SCHEMA_2)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                return db
            except (sqlite3.Error, OSError) as exc:
                if db is not None:
                    with contextlib.suppress(sqlite3.Error):
                        db.close()
                if isinstance(exc, OSError):
                    self._disable(f"{self.path}: {exc.strerror or exc}")
                    return None
                if isinstance(exc, Unusable):
                    self._disable(f"{self.path}: {exc}")
                    return None
                kind = error_kind(exc)
                if kind == "damaged" and attempt == 0 and self._move_aside(str(exc)):
                    continue
                if kind == "damaged":
                    self._disable(f"{self.path}: {exc}")
                else:
                    self._wait(str(exc))
                return None
        return None

    def _confirm_damaged(self) -> bool:
        """Ask a fresh connection: is the file really damaged (not a database, or integrity_check fails)?"""
        try:
            db = sqlite3.connect(self.path, timeout=self.busy_timeout)
        except sqlite3.Error:
            return False
        try:
            check = db.execute("PRAGMA integrity_check").fetchone()
            return not check or check[0] != "ok"
        except sqlite3.Error as exc:  # locked: not damage; "file is not a database": damage
            return error_kind(exc) == "damaged"
        finally:
            with contextlib.suppress(sqlite3.Error):
                db.close()

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
        """Run ``op``. Busy/full/other trouble: wait and retry later, file untouched. Damage (confirmed by
        ``integrity_check``): move the file aside, reopen, retry once."""
        for attempt in range(2):
            if self._db is None:
                return None
            try:
                return op(self._db)
            except sqlite3.Error as exc:
                kind = error_kind(exc)
                if kind == "damaged":
                    self._close_db()
                    if attempt == 0 and self._confirm_damaged() and self._move_aside(str(exc)):
                        self._db = self._open()
                        continue
                    self._wait(str(exc))
                    return None
                if kind != "busy":  # full disk, I/O error...: a fresh connection next time
                    self._close_db()
                self._wait("disk full" if kind == "full" else str(exc))
                return None
        return None
