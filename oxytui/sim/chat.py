"""The run endpoints of a simulated node: ``/sse/chat``, ``/chat``, ``/async/chat``, ``/async/trace``."""

from __future__ import annotations

import asyncio
import contextlib
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .framing import SSE_HEADERS, ping_frame
from .httputil import BadBody, bad_body_response, error_500, json_response, read_payload, web_response
from .queues import TraceQueue

if TYPE_CHECKING:
    from .server import Prepared, SimNode

__all__ = ["async_chat", "async_trace", "chat", "pump", "sse_chat"]

_WRITE_CHUNK = 256 * 1024
_FOREVER = 3600.0


async def _payload_or_error(node: SimNode, request: web.Request) -> dict[str, Any] | web.Response:
    try:
        return await read_payload(request)
    except BadBody as exc:
        node.stats["bad_requests"] += 1
        return bad_body_response(exc, node.knobs.strict)


async def _http_fault(node: SimNode, fault: str | None) -> web.Response | None:
    if fault == "http500":
        node.stats["http500"] += 1
        return error_500()
    if fault == "hang_headers":
        node.stats["hang_headers"] += 1
        with node.held():  # so stop() ends it at once
            await asyncio.Future()  # until the client gives up (handler cancellation) or the node stops
    return None


def _unknown_callee(node: SimNode, callee: str) -> web.Response | None:
    if node.knobs.strict:
        return json_response({"code": 400, "message": f"unknown callee: {callee}", "data": {}}, status=400)
    return None


async def pump(node: SimNode, request: web.Request, resp: web.StreamResponse, trace_id: str) -> str:
    """Write the trace queue to the stream like OxyGent's poll loop, with sse-starlette's ping timer.

    Returns ``close`` or ``abort``; a ``hang`` marker never returns (silence until cancelled).
    """
    with node.reading(trace_id) as queue:
        return await _pump(node, request, resp, queue)


async def _pump(node: SimNode, request: web.Request, resp: web.StreamResponse, queue: TraceQueue) -> str:
    loop = asyncio.get_running_loop()
    interval = node.knobs.ping_interval
    burst = node.knobs.burst_ms / 1000.0
    next_ping = loop.time() + interval if interval > 0 else float("inf")
    while True:
        if loop.time() >= next_ping:
            await resp.write(ping_frame())
            while next_ping <= loop.time():  # after a long blocked write: one ping, then back on the grid
                next_ping += interval
            continue
        buf = bytearray()
        end = None
        while len(buf) < _WRITE_CHUNK:
            item = queue.pop()
            if item is None:
                break
            if item.kind == "frame":
                buf += item.data
            else:
                end = item
                break
        if end is not None and end.kind == "close":
            buf += end.data
        if buf:
            await resp.write(bytes(buf))
        if end is not None:
            if end.kind == "close":
                return "close"
            if end.kind == "hang":
                await asyncio.Future()
            transport = request.transport
            if transport is not None:
                transport.close()
            return "abort"
        if buf:
            continue
        wait = min(next_ping - loop.time(), _FOREVER)
        if burst > 0:
            await asyncio.sleep(max(0.0, min(burst, wait)))
        else:
            await queue.wait(max(0.0, wait))


async def _stream(
    node: SimNode, request: web.Request, trace_id: str, run: asyncio.Task[Any] | None
) -> web.StreamResponse:
    """Open the SSE response and pump it; a reader that goes away cancels ``run`` (if it owns one)."""
    resp = web.StreamResponse(status=200, headers={"date": formatdate(usegmt=True), **SSE_HEADERS})
    try:
        with node.held():
            await resp.prepare(request)
            outcome = await pump(node, request, resp, trace_id)
    except (asyncio.CancelledError, ConnectionError) as exc:
        if run is not None and not run.done():
            run.cancel()
        node.stats["reader_gone"] += 1
        if isinstance(exc, asyncio.CancelledError):
            raise
        return resp
    if outcome == "abort":
        raise asyncio.CancelledError  # the connection is gone: nothing more may be written
    with contextlib.suppress(ConnectionError):
        await resp.write_eof()
    return resp


async def _prepared(node: SimNode, request: web.Request, *, send: bool) -> Prepared | web.Response:
    """The run's preparation, or the response OxyGent gives instead (bad body, unknown callee)."""
    payload = await _payload_or_error(node, request)
    if isinstance(payload, web.Response):
        return payload
    prep = node.prepare(payload, send=send)
    if prep.unknown_callee is not None and (bad := _unknown_callee(node, prep.unknown_callee)):
        return bad
    headers = {k.lower(): v for k, v in request.headers.items()}  # OxyGent keeps them in shared_data
    node.records.start_trace(
        prep.trace_id, prep.ctx.group_id, node.name, {"query": prep.call["query"]}, headers
    )
    return prep


async def sse_chat(node: SimNode, request: web.Request) -> web.StreamResponse:
    prep = await _prepared(node, request, send=True)
    if isinstance(prep, web.Response):
        return prep
    if (fault := await _http_fault(node, prep.plan.http_fault)) is not None:
        return fault
    run = node.start_run(prep)
    return await _stream(node, request, prep.trace_id, run)


async def chat(node: SimNode, request: web.Request) -> web.Response:
    prep = await _prepared(node, request, send=False)
    if isinstance(prep, web.Response):
        return prep
    if (fault := await _http_fault(node, prep.plan.http_fault)) is not None:
        return fault
    try:
        answer = await node.start_run(prep)  # a client that leaves cancels this await, hence the run
    except KeyError:
        return error_500()
    return json_response({"answer": answer, "current_trace_id": prep.trace_id})


async def async_chat(node: SimNode, request: web.Request) -> web.Response:
    prep = await _prepared(node, request, send=True)
    if isinstance(prep, web.Response):
        return prep
    node.start_run(prep)  # runs on without any reader; /async/trace pops its events later
    return web_response()


async def async_trace(node: SimNode, request: web.Request) -> web.StreamResponse:
    payload = await _payload_or_error(node, request)
    if isinstance(payload, web.Response):
        return payload
    trace_id, timestamp = payload.get("trace_id"), payload.get("timestamp")
    if not isinstance(trace_id, str) or not trace_id or timestamp is None:
        return bad_body_response(BadBody("trace_id and timestamp are required"), node.knobs.strict)
    return await _stream(node, request, trace_id, None)
