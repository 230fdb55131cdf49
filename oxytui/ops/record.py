"""Recording of raw SSE traffic to JSON Lines, and a reader that stops cleanly at damage.

Why JSON Lines flushed per event: during an incident the process may be killed at any moment; each event
is a self-contained line, so a ``kill -9`` loses at most the line being written, and the reader stops at
the first damaged line and says where. Gzip recordings are flushed with ``Z_SYNC_FLUSH`` per event so
the same holds for them. Only the SSE payload and our own metadata are written: never request headers,
never tokens (known secrets are also scrubbed from payloads as defence in depth).

Line kinds (``"k"``): ``header``, ``msg`` (an SSE message), ``ping`` (an SSE comment), ``start`` and
``finish`` (run boundaries, written by the dashboard via :meth:`Recorder.mark`).
"""

from __future__ import annotations

import gzip as _gzip
import json
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

FORMAT = "oxytui-recording"
VERSION = 1
KINDS = frozenset({"header", "msg", "ping", "start", "finish", "traffic"})
SCRUBBED = "***"


@dataclass(slots=True)
class Record:
    """One line of a recording."""

    kind: str
    node: str = ""
    trace_id: str = ""
    wall: float = 0.0
    event: str = "message"
    id: str | None = None
    retry: int | None = None
    data: str = ""
    """Raw SSE ``data`` (``msg``) or comment text (``ping``)."""
    fields: dict[str, Any] = field(default_factory=dict)
    """Extra fields of ``header`` / ``start`` / ``finish`` lines (query, state, error...)."""
    line: int = 0


@dataclass(slots=True)
class Damage:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


def is_gzip_path(path: Path | str) -> bool:
    return str(path).endswith(".gz")


class Recorder:
    """Append-only recorder; pass :meth:`wire_tap` to ``SSEOxyGent(wire_tap=...)``.

    ``wire_tap`` never raises: a write failure (disk full...) stops the recording and is kept in
    :attr:`error` for the UI to show, because losing the recording must not break the live session."""

    def __init__(
        self, path: Path | str | None = None, gzip: bool | None = None, secrets: Iterable[str] = ()
    ) -> None:
        if path is None:
            from oxytui.config import default_recording_path

            path = default_recording_path(gzip=bool(gzip))
        self.path = Path(path)
        self.gzip = is_gzip_path(self.path) if gzip is None else gzip
        self.secrets = [s for s in secrets if s]
        self.events = 0
        self.error: str | None = None
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        raw = open(self.path, "ab")  # kept open for the recorder's lifetime
        self._raw: IO[bytes] = raw
        self._fh: IO[bytes] = _gzip.GzipFile(fileobj=raw, mode="ab") if self.gzip else raw
        from oxytui import __version__

        self._write(
            {
                "k": "header",
                "format": FORMAT,
                "version": VERSION,
                "started": time.time(),
                "oxytui": __version__,
            }
        )

    @classmethod
    def for_settings(cls, settings: Any) -> Recorder | None:
        """The recorder ``--record`` asks for (None when off), scrubbing every configured node token."""
        if settings.record is None:
            return None
        secrets = [n.token.get_secret_value() for n in settings.nodes if n.token is not None]
        return cls(settings.record, secrets=secrets)

    @property
    def closed(self) -> bool:
        return self._fh is None or self._raw.closed

    def add_secret(self, secret: str) -> None:
        if secret:
            self.secrets.append(secret)

    def wire_tap(self, node: str, trace_id: str, item: Any, wall: float) -> None:
        """Client hook: ``item`` is an ``SSEMessage`` or ``SSEComment`` (duck-typed)."""
        data = getattr(item, "data", None)
        if data is not None:
            rec: dict[str, Any] = {
                "k": "msg",
                "node": node,
                "trace": trace_id,
                "wall": wall,
                "event": item.event,
                "id": item.id,
                "retry": item.retry,
                "data": self._scrub(data),
            }
        else:
            rec = {
                "k": "ping",
                "node": node,
                "trace": trace_id,
                "wall": wall,
                "text": self._scrub(str(getattr(item, "text", ""))),
            }
        self._write(rec)
        self.events += 1

    def mark(self, kind: str, node: str, trace_id: str, wall: float | None = None, **fields: Any) -> None:
        """Run boundary for replay: ``mark("start", node, trace, query=...)``,
        ``mark("finish", node, trace, state="failed", error=...)``."""
        if kind not in ("start", "finish", "traffic"):  # traffic: a call seen in a node's run records
            raise ValueError(f"unknown mark kind {kind!r}")
        rec = {"k": kind, "node": node, "trace": trace_id, "wall": time.time() if wall is None else wall}
        rec.update({k: self._scrub(v) if isinstance(v, str) else v for k, v in fields.items()})
        self._write(rec)

    def close(self) -> None:
        with self._lock:
            try:
                if self.gzip and not self._fh.closed:
                    self._fh.close()
                self._raw.close()
            except OSError as exc:
                self.error = self.error or f"recording close failed: {exc.strerror or exc}"

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _scrub(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, SCRUBBED)
        return text

    def _write(self, rec: dict[str, Any]) -> None:
        line = (json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        with self._lock:
            if self.error is not None or self._raw.closed:
                return
            try:
                self._fh.write(line)
                if self.gzip:
                    self._fh.flush(zlib.Z_SYNC_FLUSH)  # type: ignore[call-arg]
                else:
                    self._fh.flush()
            except (OSError, ValueError) as exc:
                self.error = f"recording stopped: {getattr(exc, 'strerror', None) or exc}"


class RecordingReader:
    """Iterate the records of a recording; stops at the first damaged line and keeps :attr:`damage`.

    ``header`` is the first header line seen (or None for a file without one)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.damage: Damage | None = None
        self.header: dict[str, Any] | None = None
        self.count = 0

    def __iter__(self) -> Iterator[Record]:
        lineno = 0
        try:
            fh: IO[bytes] = _gzip.open(self.path, "rb") if _sniff_gzip(self.path) else open(self.path, "rb")
        except OSError as exc:
            self.damage = Damage(0, f"cannot open: {exc.strerror or exc}")
            return
        with fh:
            while True:
                try:
                    raw = fh.readline()
                except (EOFError, OSError, zlib.error) as exc:
                    self.damage = Damage(lineno + 1, f"compressed data ends or is corrupt ({exc})")
                    return
                if not raw:
                    return
                lineno += 1
                if not raw.endswith(b"\n"):
                    self.damage = Damage(lineno, "truncated line (recording was cut off mid-write)")
                    return
                rec, reason = _parse_line(raw, lineno)
                if rec is None:
                    self.damage = Damage(lineno, reason)
                    return
                if rec.kind == "header":
                    if rec.fields.get("format") != FORMAT:
                        self.damage = Damage(lineno, "not an oxytui recording (bad header)")
                        return
                    if self.header is None:
                        self.header = rec.fields
                    continue
                self.count += 1
                yield rec


def read_recording(path: Path | str) -> RecordingReader:
    """``reader = read_recording(p); for rec in reader: ...; reader.damage`` (None when intact)."""
    return RecordingReader(path)


def _sniff_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _parse_line(raw: bytes, lineno: int) -> tuple[Record | None, str]:
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return None, f"not valid JSON ({type(exc).__name__})"
    if not isinstance(obj, dict) or obj.get("k") not in KINDS:
        return None, "unknown record kind"
    kind = obj.pop("k")
    if kind == "header":
        return Record(kind, fields=obj, line=lineno), ""
    node, trace, wall = obj.pop("node", None), obj.pop("trace", None), obj.pop("wall", None)
    if (
        not isinstance(node, str)
        or not isinstance(trace, str)
        or not isinstance(wall, int | float)
        or isinstance(wall, bool)
    ):
        return None, f"{kind} record without node/trace/wall"
    if kind == "msg":
        data, event = obj.get("data"), obj.get("event", "message")
        sid, retry = obj.get("id"), obj.get("retry")
        ok = (
            isinstance(data, str)
            and isinstance(event, str)
            and (sid is None or isinstance(sid, str))
            and (retry is None or isinstance(retry, int))
        )
        if not ok:
            return None, "msg record with bad fields"
        return Record(kind, node, trace, float(wall), event, sid, retry, data, line=lineno), ""
    if kind == "ping":
        text = obj.get("text", "")
        return Record(kind, node, trace, float(wall), "", data=str(text), line=lineno), ""
    return Record(kind, node, trace, float(wall), "", fields=obj, line=lineno), ""
