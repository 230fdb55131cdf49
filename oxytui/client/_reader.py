"""The hot path: socket chunk -> SSE decoder -> typed events, yielded in per-chunk batches.

One ``await`` per network read (``readany``), never one per line or per event; events of one chunk
share one timestamp. Statistics, the wire tap and custom event handlers hang off this loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any

import aiohttp

from . import _transport as tr
from ._fastevents import fast_event, lean_event
from .errors import RemoteError, RemoteEventTooLarge, RemoteProtocolError, StreamAborted
from .events import OxyEvent, StreamClosed, event_from_comment
from .sse import SSEDecoder, SSEEventTooLarge, SSEMessage

if TYPE_CHECKING:
    from .agent import SSEOxyGent
    from .schemas import OxyRequest

__all__ = ["read_events"]

log = logging.getLogger("oxytui.client")
_DRAIN_SECONDS = 1.0
_SLICE = 64 * 1024


async def read_events(
    agent: SSEOxyGent, path: str, body: bytes, trace_id: str, request: OxyRequest | None
) -> AsyncGenerator[list[OxyEvent], None]:
    """POST ``body`` to ``path`` and yield the run's events until ``event: close``.

    Raises :class:`RemoteError` subclasses; the run is recorded in the agent's stats either way
    (abandoned by the consumer = cancelled, neither success nor failure).
    """
    conn = agent.connection
    stats = conn.stats
    stats.start()
    t0 = time.monotonic()
    ttfe: float | None = None
    events = 0
    nbytes = 0
    ok: bool | None = None
    error: str | None = None
    started = False
    resp: aiohttp.ClientResponse | None = None
    try:
        resp = await conn.open("POST", path, body, sse=True, request=request)
        ctype = resp.headers.get("Content-Type", "text/event-stream")
        if "text/event-stream" not in ctype:
            snippet = conn.scrub(await tr.read_snippet(resp))
            raise RemoteProtocolError(agent.name, f"expected an SSE stream, got {ctype}: {snippet}")
        node = agent.name
        decoder = SSEDecoder(agent.max_event_size)
        feed_lean = decoder.feed_lean
        read = resp.content.readany
        monotonic = time.monotonic
        wall_clock = time.time
        closed = False
        too_large: SSEEventTooLarge | None = None
        while not closed:
            chunk = await read()
            if not chunk:
                break
            started = True
            nbytes += len(chunk)
            tap = agent.wire_tap
            # Events are msgspec structs the cyclic GC does not track (see events.py): a chunk of them
            # no longer triggers collections, so nothing here touches process-wide GC state.
            mono = monotonic()
            wall = wall_clock()
            batch: list[OxyEvent] = []
            append = batch.append
            # A read can bring 256 KiB+ (~1000 events): framed and typed in 64 KiB slices, the bytes and
            # items of one slice are still in the CPU cache when their events are built (1.15x faster).
            # Not when the read starts inside a big line (no LF soon): slicing would only copy it.
            size = len(chunk)
            step = _SLICE if size > _SLICE and chunk.find(b"\n", 0, 4096) >= 0 else size
            for start in range(0, size, step):
                piece = chunk[start : start + step] if step < size else chunk
                try:  # without a wire tap nobody needs SSEMessage objects: lean items, data left as bytes
                    items = decoder.feed(piece) if tap is not None else feed_lean(piece)
                except SSEEventTooLarge as exc:  # deliver what came before it, then fail the run
                    items, too_large = exc.items, exc
                for item in items:
                    cls = type(item)
                    if cls is tuple:
                        ev = lean_event(item, node, trace_id, mono, wall)  # type: ignore[arg-type]
                    elif cls is SSEMessage:
                        if tap is not None:
                            _tap(agent, tap, trace_id, item, wall)
                        ev = fast_event(item, node, trace_id, mono, wall)  # type: ignore[arg-type]
                    else:
                        if tap is not None:
                            _tap(agent, tap, trace_id, item, wall)
                        append(event_from_comment(item, node=node, trace_id=trace_id, mono=mono, wall=wall))  # type: ignore[arg-type]
                        continue
                    events += 1
                    # size first: reading ``raw`` would decode every event's data (it is lazy)
                    if type(ev) is StreamClosed or (ev.size == 4 and ev.raw == "done"):
                        # end of stream: ``event: close``, or a bare ``data: done`` whatever its event name
                        append(ev if type(ev) is StreamClosed else _closed(ev))
                        closed = True
                        break
                    append(ev)
                if closed or too_large is not None:
                    break
            if not batch:
                if too_large is not None:
                    raise too_large
                continue
            if ttfe is None and events:
                ttfe = mono - t0
            if agent.event_handlers:
                await _dispatch(agent, batch)
            yield batch
            if too_large is not None:
                raise too_large
        if not closed:
            if decoder.has_pending:
                decoder.flush()
            aborted = StreamAborted(agent.name, f"stream aborted: ended without close after {events} events")
            aborted.clean_end = True
            raise aborted
        ok = True
    except (GeneratorExit, asyncio.CancelledError):
        ok = None
        raise
    except RemoteError as exc:
        conn.scrub_error(exc)
        ok, error = False, exc.cause
        raise
    except SSEEventTooLarge as exc:
        ok, error = False, str(exc)
        raise RemoteEventTooLarge(agent.name, str(exc)) from None
    except (TimeoutError, aiohttp.ClientError) as exc:
        err = tr.map_error(agent.name, exc, started=started, events=events, timeouts=conn.limits())
        ok, error = False, conn.scrub(err.cause)
        raise err from None
    except BaseException as exc:
        ok, error = False, f"{type(exc).__name__}: {exc}"
        raise
    finally:
        stats.finish(ok, time.monotonic() - t0, ttfe, events, nbytes, error)
        if resp is not None:
            _finish_response(agent, resp, ok is True)


def _closed(ev: OxyEvent) -> StreamClosed:
    """The :class:`StreamClosed` for a ``data: done`` message that came under another event name."""
    return StreamClosed(
        node=ev.node, trace_id=ev.trace_id, sse_id=ev.sse_id, sse_event=ev.sse_event, retry=ev.retry,
        mono=ev.mono, wall=ev.wall, size=ev.size, raw=ev.raw,
    )  # fmt: skip


def _tap(agent: SSEOxyGent, tap: Any, trace_id: str, item: Any, wall: float) -> None:
    try:
        tap(agent.name, trace_id, item, wall)
    except Exception:  # a broken recorder must not break the run
        log.exception("%s: wire_tap failed; disabling it", agent.name)
        agent.wire_tap = None


async def _dispatch(agent: SSEOxyGent, batch: list[OxyEvent]) -> None:
    """Call custom handlers with the event's ``content`` dict (or its whole data when not a dict)."""
    handlers = agent.event_handlers
    for ev in batch:
        entry = handlers.get(ev.type)
        if entry is None:
            continue
        raw = ev.raw
        arg = raw.get("content") if isinstance(raw, dict) and isinstance(raw.get("content"), dict) else raw
        for fn in entry if isinstance(entry, list) else (entry,):
            try:
                await fn(arg)
            except Exception as exc:  # a handler bug is logged, the stream goes on
                why = agent.connection.scrub(str(exc))
                log.warning("%s: handler for %r failed: %s", agent.name, ev.type, why)


def _finish_response(agent: SSEOxyGent, resp: aiohttp.ClientResponse, clean: bool) -> None:
    """Return the connection to the pool when possible: after ``close`` the chunked terminator usually
    follows at once; drain it in the background instead of delaying the caller."""
    if not clean or resp.content.at_eof():
        if clean:
            resp.release()
        else:
            resp.close()
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        resp.close()
        return
    task = loop.create_task(_drain(resp))
    agent.connection.keep_draining(task)


async def _drain(resp: aiohttp.ClientResponse) -> None:
    try:
        async with asyncio.timeout(_DRAIN_SECONDS):
            while await resp.content.readany():
                pass
        resp.release()
    except asyncio.CancelledError:
        resp.close()
        raise
    except Exception:  # slow or endless tail: just drop the connection
        resp.close()
