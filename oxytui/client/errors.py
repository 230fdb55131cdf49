"""Errors raised by the client. Every message names the node and the cause, never a secret.

Transport errors subclass ``aiohttp.ClientError`` so code written against OxyGent's docs
(``except aiohttp.ClientError``) keeps working; protocol and configuration errors do not.
"""

from __future__ import annotations

import aiohttp

__all__ = [
    "NoHealthyNode",
    "RemoteBodyTooLarge",
    "RemoteConfigError",
    "RemoteConnectionError",
    "RemoteError",
    "RemoteEventTooLarge",
    "RemoteHTTPError",
    "RemoteProtocolError",
    "RemoteTimeout",
    "StreamAborted",
]


class RemoteError(Exception):
    """Base of every client error: ``node`` is the agent name, ``cause`` the reason without the node."""

    def __init__(self, node: str, cause: str) -> None:
        super().__init__(f"{node}: {cause}")
        self.node = node
        self.cause = cause

    def add_note_to_cause(self, note: str) -> None:
        """Append to the cause (and the message), e.g. how many retries were made."""
        self.cause = f"{self.cause} ({note})"
        self.args = (f"{self.node}: {self.cause}",)


class RemoteConfigError(RemoteError, ValueError):
    """The agent is configured in a way that cannot work (bad URL, plain HTTP with ``require_https``)."""


class RemoteProtocolError(RemoteError):
    """The node answered, but not with what OxyGent sends (bad envelope, wrong content type)."""


class RemoteBodyTooLarge(RemoteProtocolError):
    """A short (non-stream) response grew past ``max_body_size``, on the wire or once inflated."""


class RemoteEventTooLarge(RemoteProtocolError):
    """One SSE event grew past ``max_event_size``; the run is failed, the process is fine."""


class RemoteTransportError(RemoteError, aiohttp.ClientError):
    """Network-level failure. ``retried`` says how many extra attempts were made before giving up."""

    retried: int = 0


class RemoteConnectionError(RemoteTransportError, aiohttp.ClientConnectionError):
    """Could not connect (refused, DNS, TLS) or the connection dropped before a response."""


class RemoteTimeout(RemoteTransportError):
    """Connect, idle-read or total timeout."""


class RemoteHTTPError(RemoteTransportError):
    """A non-200 status; ``status`` and the first bytes of the body (``body``) are kept."""

    def __init__(self, node: str, status: int, body: str, url: str = "") -> None:
        where = f" from {url}" if url else ""
        snippet = f": {body}" if body else ""
        super().__init__(node, f"HTTP {status}{where}{snippet}")
        self.status = status
        self.body = body


class StreamAborted(RemoteTransportError, aiohttp.ClientPayloadError):
    """The stream ended (or broke) after it started but before ``event: close``. Never retried.

    ``clean_end`` is True when the body ended cleanly (no transport error) without a close marker:
    ``execute()`` then completes the run if an answer arrived, as OxyGent does, with a warning."""

    clean_end: bool = False


class NoHealthyNode(RemoteError, LookupError):
    """A :class:`~oxytui.client.pool.NodePool` had no healthy node to select."""

    def __init__(self, detail: str) -> None:
        super().__init__("pool", detail)
