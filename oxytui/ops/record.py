"""Recording of raw SSE traffic to JSON Lines, and a reader that stops cleanly at damage.

Why JSON Lines flushed per event: during an incident the process may be killed at any moment; each event
is a self-contained line, so a ``kill -9`` loses at most the line being written, and the reader stops at
the first damaged line and says where. Gzip recordings are flushed with ``Z_SYNC_FLUSH`` per event so
the same holds for them. Only the SSE payload and our own metadata are written: never request headers,
never tokens (known secrets and credential-shaped values are also scrubbed from payloads as defence in
depth, by :mod:`oxytui.redact`). Files are created 0600 in 0700 directories.

Reading is bounded: only regular files are opened (never a FIFO or a device), a line may be at most
:data:`MAX_LINE` bytes, a gzip recording at most :data:`MAX_INFLATED` bytes once inflated, and a line
that is nested too deeply or has a non-finite time is damage with its line number, never a traceback.

Line kinds (``"k"``): ``header``, ``msg`` (an SSE message), ``ping`` (an SSE comment), ``start`` and
``finish`` (run boundaries, written by the dashboard via :meth:`Recorder.mark`).
"""

from __future__ import annotations

import gzip as _gzip
import json
import math
import os
import stat
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from oxytui.redact import MASK, remember, remember_settings, scrub_text

FORMAT = "oxytui-recording"
VERSION = 1
KINDS = frozenset({"header", "msg", "ping", "start", "finish", "traffic"})
SCRUBBED = MASK
MAX_LINE = 64 * 1024 * 1024
"""Longest line read (the client's own cap on one SSE event is the same 64 MiB)."""
MAX_INFLATED = 512 * 1024 * 1024
"""Most bytes a gzip recording may inflate to (a 2 MB gzip bomb stops here, not at 6 GB)."""
MAX_WALL = 1e11
"""Latest plausible receive time (year 5138): later, negative or non-finite times are damage."""


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
        remember(*self.secrets)
        self.events = 0
        self.error: str | None = None
        self._lock = threading.Lock()
        from oxytui.config.paths import make_private_dir, open_private

        make_private_dir(self.path.parent)
        # kept open for the recorder's lifetime; created 0600
        raw = os.fdopen(open_private(self.path, os.O_WRONLY | os.O_APPEND), "ab")
        self._raw: IO[bytes] = raw
        self._fh: IO[bytes] = cast(IO[bytes], _gzip.GzipFile(fileobj=raw, mode="ab")) if self.gzip else raw
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
        remember_settings(settings)
        secrets = [n.token.get_secret_value() for n in settings.nodes if n.token is not None]
        return cls(settings.record, secrets=secrets)

    @property
    def closed(self) -> bool:
        return self._fh is None or self._raw.closed

    def add_secret(self, secret: str) -> None:
        if secret:
            self.secrets.append(secret)
            remember(secret)

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
        return scrub_text(text, self.secrets)

    def _write(self, rec: dict[str, Any]) -> None:
        try:  # "replace": a lone surrogate in some text becomes "?" rather than stopping the recording
            text = json.dumps(rec, ensure_ascii=False, separators=(",", ":"), default=str)
        except (TypeError, ValueError, RecursionError):
            return  # one record we cannot encode is skipped; the recording carries on
        line = (text + "\n").encode("utf-8", "replace")
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

    ``header`` is the first header line seen (or None for a file without one). ``max_line`` and
    ``max_inflated`` bound memory (see :data:`MAX_LINE`, :data:`MAX_INFLATED`)."""

    def __init__(self, path: Path | str, max_line: int = MAX_LINE, max_inflated: int = MAX_INFLATED) -> None:
        self.path = Path(path)
        self.damage: Damage | None = None
        self.header: dict[str, Any] | None = None
        self.count = 0
        self.max_line = max_line
        self.max_inflated = max_inflated

    def __iter__(self) -> Iterator[Record]:
        lineno = 0
        fh, problem = open_recording(self.path)
        if fh is None:
            self.damage = Damage(0, problem)
            return
        remaining = self.max_inflated if isinstance(fh, _gzip.GzipFile) else None
        with fh:
            while True:
                by_budget = remaining is not None and remaining < self.max_line
                limit = (remaining if remaining is not None and by_budget else self.max_line) + 1
                try:
                    raw = fh.readline(limit)
                except (EOFError, OSError, zlib.error) as exc:
                    self.damage = Damage(lineno + 1, f"compressed data ends or is corrupt ({exc})")
                    return
                if not raw:
                    return
                lineno += 1
                if remaining is not None:
                    remaining -= len(raw)
                    if remaining < 0:
                        cap = _size(self.max_inflated)
                        self.damage = Damage(lineno, f"inflates to more than {cap} (gzip size cap)")
                        return
                if not raw.endswith(b"\n"):
                    if len(raw) >= limit:
                        self.damage = Damage(lineno, f"line longer than {_size(self.max_line)}")
                    else:
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


def remember_configured_tokens() -> None:
    """For the headless readers (``export``, ``replay --no-ui``): learn the configured node tokens so a
    recording made without them is still scrubbed on the way out. A broken config is not our problem
    here (the dashboard reports it), so it is ignored."""
    try:
        from oxytui.config import load_settings

        remember_settings(load_settings())
    except Exception:
        return


def read_recording(path: Path | str) -> RecordingReader:
    """``reader = read_recording(p); for rec in reader: ...; reader.damage`` (None when intact)."""
    return RecordingReader(path)


def recording_problem(path: Path | str) -> str | None:
    """Why ``path`` cannot be read as a recording (missing, a FIFO, a device, a directory...), or None.

    ``oxytui replay`` and ``oxytui export`` both refuse with this one line (and exit 2)."""
    fh, problem = open_recording(Path(path))
    if fh is None:
        return problem
    fh.close()
    return None


def open_recording(path: Path) -> tuple[IO[bytes] | None, str]:
    """Open a regular file for reading (gzip-decoded when it starts with the gzip magic).

    ``O_NONBLOCK`` so a FIFO never blocks the open; anything but a regular file is refused, so
    ``/dev/zero`` or a pipe cannot make a reader hang or fill memory."""
    refused = f"cannot read recording {str(path)!r}"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        return None, f"{refused}: {exc.strerror or exc}"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None, f"{refused}: not a regular file"
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        raw = os.fdopen(fd, "rb")
    except OSError as exc:
        os.close(fd)
        return None, f"{refused}: {exc.strerror or exc}"
    try:
        magic = raw.read(2)
        raw.seek(0)
    except OSError as exc:
        raw.close()
        return None, f"{refused}: {exc.strerror or exc}"
    if magic == b"\x1f\x8b":
        return cast(IO[bytes], _OwningGzipFile(raw)), ""
    return raw, ""


class _OwningGzipFile(_gzip.GzipFile):
    """A gzip reader that closes the file it was given (``GzipFile(fileobj=...)`` leaves it open)."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__(fileobj=raw, mode="rb")
        self.owned = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.owned.close()


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} bytes"


def _parse_line(raw: bytes, lineno: int) -> tuple[Record | None, str]:
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return None, f"not valid JSON ({type(exc).__name__})"
    except RecursionError:
        return None, "JSON nested too deeply"
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
    if (isinstance(wall, float) and not math.isfinite(wall)) or not 0 <= wall <= MAX_WALL:
        return None, f"{kind} record with an impossible time (wall: {_short(wall)})"
    if kind == "msg":
        data, event = obj.get("data"), obj.get("event", "message")
        sid, retry = obj.get("id"), obj.get("retry")
        ok = (
            isinstance(data, str)
            and isinstance(event, str)
            and (sid is None or isinstance(sid, str))
            and (retry is None or isinstance(retry, int))
        )
        if not ok or not isinstance(data, str):
            return None, "msg record with bad fields"
        return Record(kind, node, trace, float(wall), event, sid, retry, data, line=lineno), ""
    if kind == "ping":
        text = obj.get("text", "")
        return Record(kind, node, trace, float(wall), "", data=str(text), line=lineno), ""
    return Record(kind, node, trace, float(wall), "", fields=obj, line=lineno), ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 24 else text[:23] + "…"
