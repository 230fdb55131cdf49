"""Transport helpers for :mod:`oxytui.client.agent`: URLs, headers, error mapping, retry rules.

The retry rule is the important part: a POST is only repeated when the node cannot have started
the run (nothing connected, or a gateway said 502/503/504 instead of a stream). OxyGent runs are not
idempotent and a disconnect cancels them, so once a stream byte arrived a failure is final.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from typing import Any

import aiohttp
from yarl import URL

from .. import __version__
from ..common.urls import base_url_problem, display_url
from .errors import (
    RemoteConfigError,
    RemoteConnectionError,
    RemoteError,
    RemoteTimeout,
    StreamAborted,
)

__all__ = [
    "EXCLUDED_HEADERS",
    "RETRY_STATUSES",
    "USER_AGENT",
    "build_url",
    "check_url",
    "display_url",
    "is_retryable",
    "map_error",
    "printable_line",
    "read_snippet",
]

USER_AGENT = f"oxytui/{__version__}"
RETRY_STATUSES = frozenset({502, 503, 504})
SNIPPET_BYTES = 200

# Incoming headers that must not be forwarded to the next hop (OxyGent's list plus framing headers).
EXCLUDED_HEADERS = frozenset(
    {
        "host", "connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade",
        "transfer-encoding", "content-length", "content-type", "accept", "accept-encoding",
        "accept-language", "cache-control", "user-agent", "referer", "origin", "cookie",
        "sec-ch-ua", "sec-ch-ua-mobile", "sec-ch-ua-platform", "sec-fetch-site", "sec-fetch-mode",
        "sec-fetch-dest", "sec-fetch-user", "upgrade-insecure-requests", "authorization",
    }
)  # fmt: skip


def check_url(node: str, server_url: str, require_https: bool) -> URL:
    """Validate a base URL by the shared rule (:mod:`oxytui.common.urls`); plain ``http://`` is refused
    with ``require_https``. The URL in the message never shows a password."""
    shown = display_url(server_url)
    problem = base_url_problem(server_url)
    if problem is not None:
        raise RemoteConfigError(
            node, f"server_url must be http:// or https:// with a host, got {shown!r} ({problem})"
        )
    if require_https and base_url_problem(server_url, require_https=True) is not None:
        raise RemoteConfigError(node, f"require_https is set but server_url is {shown!r} (plain HTTP)")
    try:
        return URL(str(server_url))
    except (TypeError, ValueError) as exc:
        raise RemoteConfigError(node, f"invalid server_url {shown!r}: {exc}") from None


def build_url(base: str, path: str) -> str:
    """``base`` (which may carry a path prefix) joined with an endpoint path."""
    return str(base).rstrip("/") + path


def forwarded_headers(raw: Any) -> dict[str, str]:
    """The caller's incoming headers (``shared_data._headers``) minus hop-by-hop and auth headers."""
    if not isinstance(raw, Mapping):
        return {}
    return {str(k): str(v) for k, v in raw.items() if str(k).lower() not in EXCLUDED_HEADERS}


def is_retryable(exc: BaseException) -> bool:
    """True only for failures where the request certainly never reached the application."""
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        return False  # certificate problems do not fix themselves
    return isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError)


def map_error(
    node: str, exc: BaseException, *, started: bool, events: int, timeouts: tuple[float | None, ...]
) -> RemoteError:
    """Turn an aiohttp/asyncio exception into a :class:`RemoteError` that says what happened."""
    connect_t, idle_t, total_t = timeouts
    if isinstance(exc, RemoteError):
        return exc
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return RemoteConnectionError(node, f"cannot resolve host {_host(exc)}")
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return RemoteConnectionError(
            node, f"TLS certificate rejected by {_host(exc)}: {exc.certificate_error}"
        )
    if isinstance(exc, aiohttp.ClientSSLError):
        return RemoteConnectionError(node, f"TLS error with {_host(exc)}: {exc}")
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = exc.os_error.strerror or str(exc.os_error) if exc.os_error else str(exc)
        return RemoteConnectionError(node, f"connection refused: cannot connect to {_host(exc)} ({reason})")
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return RemoteTimeout(node, f"timeout: no connection within {connect_t:g} s")
    if isinstance(exc, aiohttp.ServerTimeoutError):
        where = f"after {events} events" if started else "waiting for the response headers"
        return RemoteTimeout(node, f"timeout: idle for {idle_t:g} s ({where})")
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        limit = f" of {total_t:g} s" if total_t else ""
        return RemoteTimeout(node, f"timeout: total time limit{limit} reached")
    if started:
        return StreamAborted(node, f"stream aborted after {events} events: {_describe(exc)}")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return RemoteConnectionError(node, "server closed the connection before responding")
    return RemoteConnectionError(node, _describe(exc))


def _host(exc: aiohttp.ClientConnectorError) -> str:
    try:
        return f"{exc.host}:{exc.port}"
    except AttributeError:
        return "host"


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def read_snippet(resp: aiohttp.ClientResponse, limit: int = SNIPPET_BYTES) -> str:
    """The first ``limit`` bytes of a body as one printable line (for error messages)."""
    try:
        raw = await resp.content.read(limit)
    except (TimeoutError, aiohttp.ClientError):
        return ""
    return printable_line(raw)


def printable_line(raw: bytes) -> str:
    """Bytes as one printable line (control characters and line breaks become spaces)."""
    text = raw.decode("utf-8", "replace")
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
