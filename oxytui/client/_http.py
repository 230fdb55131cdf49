"""Sending one request with the client's retry rule (see :mod:`oxytui.client._transport`)."""

from __future__ import annotations

import asyncio
import logging
import zlib
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import aiohttp

from . import _transport as tr
from .errors import RemoteBodyTooLarge, RemoteError, RemoteHTTPError, RemoteProtocolError
from .events import decode_json

if TYPE_CHECKING:
    from .connection import Connection
    from .schemas import OxyRequest

__all__ = ["get_json", "get_view", "open_with_retries", "read_body", "start_async_run"]

log = logging.getLogger("oxytui.client")


async def open_with_retries(
    conn: Connection,
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
    agent = conn.agent
    tr.check_url(agent.name, agent.server_url, agent.require_https)
    url = tr.build_url(agent.server_url, path)
    headers = agent.request_headers(request, sse=sse)
    if body is not None:
        headers["Content-Type"] = "application/json"
    short = not sse
    if short:  # bodies we inflate ourselves, with a cap (read_body)
        headers["Accept-Encoding"] = "gzip, deflate"
    session = conn.session()
    timeout = conn.client_timeout(quick=short and path != "/async/chat", short=short)
    timeouts = conn.limits(short)
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
                ssl=conn.ssl,
                allow_redirects=False,
                auto_decompress=not short,
            )
        except Exception as exc:
            if not isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError):
                raise
            err = tr.map_error(agent.name, exc, started=False, events=0, timeouts=timeouts)
            if not tr.is_retryable(exc) or attempt >= max_retries:
                raise _gave_up(err, attempt) from None
            retry_reason = err.cause
        else:
            if resp.status == 200:
                return resp
            snippet = conn.scrub(await (_short_snippet(conn, resp) if short else tr.read_snippet(resp)))
            resp.release()
            err = RemoteHTTPError(agent.name, resp.status, snippet, tr.display_url(url))
            if resp.status not in tr.RETRY_STATUSES or attempt >= max_retries:
                raise _gave_up(err, attempt)
            retry_reason = err.cause
        delay = agent.retry_delay * (2**attempt)
        attempt += 1
        conn.stats.retries += 1
        log.warning("%s: %s; retry %d/%d in %.2f s", agent.name, retry_reason, attempt, max_retries, delay)
        await asyncio.sleep(delay)


def _gave_up(err: RemoteError, attempts: int) -> RemoteError:
    if attempts:
        err.retried = attempts  # type: ignore[attr-defined]
        err.add_note_to_cause(f"gave up after {attempts} {'retry' if attempts == 1 else 'retries'}")
    return err


async def read_body(
    conn: Connection, resp: aiohttp.ClientResponse, path: str, cap: int, *, truncate: bool = False
) -> bytes:
    """The body of a short response (requested with ``auto_decompress=False``), inflated here so both
    the bytes on the wire and the inflated bytes stop at ``cap``: a gzip bomb costs ``cap``, not GBs.
    Over the cap: :class:`RemoteBodyTooLarge` naming the node, or the first ``cap`` bytes (``truncate``)."""
    node = conn.agent.name
    encoding = resp.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
        raise RemoteProtocolError(node, f"{path}: unsupported Content-Encoding {encoding[:40]!r}")
    inflater: Any = None
    out = bytearray()
    wire = 0
    try:
        while chunk := await resp.content.readany():
            wire += len(chunk)
            if wire > cap and not truncate:
                raise _too_large(node, path, cap, "on the wire")
            if encoding in ("", "identity"):
                out += chunk
            else:
                if inflater is None:  # gzip or zlib header (auto-detected), or raw deflate
                    raw_deflate = encoding == "deflate" and chunk[0] & 0xF != 8
                    inflater = zlib.decompressobj(-zlib.MAX_WBITS if raw_deflate else 47)
                out += inflater.decompress(chunk, cap + 1 - len(out))
            if len(out) > cap or wire > cap:
                if truncate:
                    return bytes(out[:cap])
                raise _too_large(node, path, cap, f"once inflated ({encoding})")
    except zlib.error as exc:
        raise RemoteProtocolError(node, f"{path}: body is not valid {encoding}: {exc}") from None
    return bytes(out)


def _too_large(node: str, path: str, cap: int, how: str) -> RemoteBodyTooLarge:
    return RemoteBodyTooLarge(node, f"{path}: response body over {cap} bytes {how} (max_body_size)")


async def _short_snippet(conn: Connection, resp: aiohttp.ClientResponse) -> str:
    """The start of an error body of a short request, inflated if need be, as one printable line."""
    try:
        raw = await read_body(conn, resp, "", tr.SNIPPET_BYTES, truncate=True)
    except (TimeoutError, aiohttp.ClientError, RemoteError):
        return ""
    return tr.printable_line(raw)


async def _read(conn: Connection, method: str, path: str, body: bytes | None, **kw: Any) -> bytes:
    """One short request (within ``short_timeout``): the capped, inflated body of a 200 answer."""
    resp = await open_with_retries(conn, method, path, body, sse=False, **kw)
    try:
        return await read_body(conn, resp, path, conn.agent.max_body_size)
    except (TimeoutError, aiohttp.ClientError) as exc:
        timeouts = conn.limits(short=True)
        raise tr.map_error(conn.agent.name, exc, started=False, events=0, timeouts=timeouts) from None
    finally:
        resp.release()


async def get_json(conn: Connection, path: str) -> Any:
    """``GET path`` (one attempt, as OxyGent's init does: callers re-check on their own schedule)."""
    raw = await _read(conn, "GET", path, None, request=None, retries=0)
    try:
        return decode_json(raw)
    except ValueError:
        snippet = raw[:120].decode("utf-8", "replace")
        raise RemoteProtocolError(conn.agent.name, f"{path}: body is not JSON: {snippet!r}") from None


async def start_async_run(conn: Connection, body: bytes, request: OxyRequest) -> None:
    """``POST /async/chat``: OxyGent answers ``{"code": 200, ...}`` and runs without a reader."""
    raw = await _read(conn, "POST", "/async/chat", body, request=request)
    try:
        data = decode_json(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict) or data.get("code", 200) != 200:
        snippet = raw[:120].decode("utf-8", "replace")
        raise RemoteProtocolError(conn.agent.name, f"/async/chat refused the run: {snippet!r}")


VIEW_MISSING = (404, 405)
"""Statuses meaning "this node has no ``/view``" (not OxyGent, or a proxy that does not route it)."""


async def get_view(conn: Connection, item_id: str) -> dict[str, Any] | None:
    """``GET /view?item_id=`` (one attempt): the ``data`` of OxyGent's ``{"code","message","data"}``
    envelope (``{"nodes": [...], "trace_id": ...}``; a bare object is accepted too), or None when the node
    has no such endpoint. Other failures raise :class:`RemoteError` naming the node."""
    try:
        data = await conn.get_json(f"/view?item_id={quote(str(item_id), safe='')}")
    except RemoteHTTPError as exc:
        if exc.status in VIEW_MISSING:
            return None
        raise
    if isinstance(data, dict) and "code" in data and isinstance(data.get("data"), dict):
        data = data["data"]
    if not isinstance(data, dict):
        got = type(data).__name__
        raise RemoteProtocolError(conn.agent.name, f"/view: expected a JSON object, got {got}")
    return data
