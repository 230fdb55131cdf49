"""Sending one request with the client's retry rule (see :mod:`oxytui.client._transport`)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import aiohttp

from . import _transport as tr
from .errors import RemoteError, RemoteHTTPError, RemoteProtocolError
from .events import decode_json

if TYPE_CHECKING:
    from .agent import SSEOxyGent
    from .schemas import OxyRequest

__all__ = ["get_view", "open_with_retries", "start_async_run"]

log = logging.getLogger("oxytui.client")


async def open_with_retries(
    agent: SSEOxyGent,
    method: str,
    path: str,
    body: bytes | None,
    *,
    sse: bool,
    request: OxyRequest | None,
    retries: int | None = None,
) -> aiohttp.ClientResponse:
    """A 200 response (headers read, body not), or a :class:`RemoteError`. Retries with exponential
    backoff only for connect failures and 502/503/504 answered instead of a stream."""
    tr.check_url(agent.name, agent.server_url, agent.require_https)
    url = tr.build_url(agent.server_url, path)
    headers = agent.request_headers(request, sse=sse)
    if body is not None:
        headers["Content-Type"] = "application/json"
    session = agent._get_session()
    timeout = agent._timeout(quick=not sse and path != "/async/chat")
    max_retries = agent.max_retries if retries is None else retries
    attempt = 0
    while True:
        retry_reason: str
        try:
            resp = await session.request(
                method,
                url,
                data=body,
                headers=headers,
                timeout=timeout,
                ssl=agent._ssl_arg(),
                allow_redirects=False,
            )
        except Exception as exc:
            if not isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError):
                raise
            err = tr.map_error(agent.name, exc, started=False, events=0, timeouts=agent._timeouts())
            if not tr.is_retryable(exc) or attempt >= max_retries:
                raise _gave_up(err, attempt) from None
            retry_reason = err.cause
        else:
            if resp.status == 200:
                return resp
            snippet = agent._scrub(await tr.read_snippet(resp))
            resp.release()
            err = RemoteHTTPError(agent.name, resp.status, snippet, tr.display_url(url))
            if resp.status not in tr.RETRY_STATUSES or attempt >= max_retries:
                raise _gave_up(err, attempt)
            retry_reason = err.cause
        delay = agent.retry_delay * (2**attempt)
        attempt += 1
        agent._stats.retries += 1
        log.warning("%s: %s; retry %d/%d in %.2f s", agent.name, retry_reason, attempt, max_retries, delay)
        await asyncio.sleep(delay)


def _gave_up(err: RemoteError, attempts: int) -> RemoteError:
    if attempts:
        err.retried = attempts  # type: ignore[attr-defined]
        err.add_note_to_cause(f"gave up after {attempts} {'retry' if attempts == 1 else 'retries'}")
    return err


async def start_async_run(agent: SSEOxyGent, body: bytes, request: OxyRequest) -> None:
    """``POST /async/chat``: OxyGent answers ``{"code": 200, ...}`` and runs without a reader."""
    resp = await open_with_retries(agent, "POST", "/async/chat", body, sse=False, request=request)
    try:
        raw = await resp.read()
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise tr.map_error(agent.name, exc, started=False, events=0, timeouts=agent._timeouts()) from None
    finally:
        resp.release()
    try:
        data = decode_json(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict) or data.get("code", 200) != 200:
        snippet = raw[:120].decode("utf-8", "replace")
        raise RemoteProtocolError(agent.name, f"/async/chat refused the run: {snippet!r}")


VIEW_MISSING = (404, 405)
"""Statuses meaning "this node has no ``/view``" (not OxyGent, or a proxy that does not route it)."""


async def get_view(agent: SSEOxyGent, item_id: str) -> dict[str, Any] | None:
    """``GET /view?item_id=`` (one attempt): the ``data`` of OxyGent's ``{"code","message","data"}``
    envelope (``{"nodes": [...], "trace_id": ...}``; a bare object is accepted too), or None when the node
    has no such endpoint. Other failures raise :class:`RemoteError` naming the node."""
    try:
        data = await agent._get_json(f"/view?item_id={quote(str(item_id), safe='')}")
    except RemoteHTTPError as exc:
        if exc.status in VIEW_MISSING:
            return None
        raise
    if isinstance(data, dict) and "code" in data and isinstance(data.get("data"), dict):
        data = data["data"]
    if not isinstance(data, dict):
        raise RemoteProtocolError(agent.name, f"/view: expected a JSON object, got {type(data).__name__}")
    return data
