"""The history database's SQL and how its errors are classified (kept apart so ``history.py`` reads as
the policy: queue, retry, move aside)."""

from __future__ import annotations

import sqlite3

__all__ = [
    "DEDUPE",
    "SCHEMA",
    "SCHEMA_2",
    "SCHEMA_VERSION",
    "TRIM",
    "UPSERT",
    "Damaged",
    "Unusable",
    "error_kind",
]

SCHEMA_VERSION = 2
"""1: no unique trace ids (duplicates are merged when such a file is opened); 2: UNIQUE (node, trace_id)."""
SCHEMA = """
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
SCHEMA_2 = """
CREATE UNIQUE INDEX IF NOT EXISTS runs_trace ON runs (node, trace_id);
CREATE INDEX IF NOT EXISTS runs_node_source ON runs (node, source, id);
"""
UPSERT = (
    "INSERT INTO runs (node, trace_id, started, duration, state, query, answer, error, events, source)"
    " VALUES (:node, :trace_id, :started, :duration, :state, :query, :answer, :error, :events, :source)"
    " ON CONFLICT (node, trace_id) DO UPDATE SET started = excluded.started, duration = excluded.duration,"
    " state = excluded.state, query = excluded.query, answer = excluded.answer, error = excluded.error,"
    " events = excluded.events, source = excluded.source"
    " WHERE NOT (runs.source != 'traffic' AND excluded.source = 'traffic')"  # our own record wins
)
DEDUPE = "DELETE FROM runs WHERE id NOT IN (SELECT MAX(id) FROM runs GROUP BY node, trace_id)"
TRIM = (
    "DELETE FROM runs WHERE node = :node AND (source = 'traffic') = :traffic AND id NOT IN (SELECT id FROM"
    " runs WHERE node = :node AND (source = 'traffic') = :traffic ORDER BY id DESC LIMIT :keep)"
)
_DAMAGE_NAMES = frozenset({"SQLITE_CORRUPT", "SQLITE_NOTADB"})
_BUSY_NAMES = frozenset({"SQLITE_BUSY", "SQLITE_LOCKED"})


class Damaged(sqlite3.DatabaseError):
    """``PRAGMA integrity_check`` found damage (or the file is not a database)."""


class Unusable(sqlite3.DatabaseError):
    """A healthy database we must not touch (e.g. a newer schema version)."""


def error_kind(exc: sqlite3.Error) -> str:
    """``damaged`` (suspected: confirm with integrity_check), ``busy``, ``full`` or ``other``."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    if isinstance(exc, Damaged) or name in _DAMAGE_NAMES or "malformed" in text or "not a database" in text:
        return "damaged"
    if name in _BUSY_NAMES or "locked" in text or "busy" in text:
        return "busy"
    if name == "SQLITE_FULL" or "full" in text:
        return "full"
    return "other"
