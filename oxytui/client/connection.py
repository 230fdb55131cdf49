"""``Connection``: everything one :class:`~oxytui.client.agent.SSEOxyGent` needs to talk to its node —
the pooled session, TLS, timeouts, the retry rule, statistics and secret redaction — behind a public
surface, so the agent's helper modules (``_http``, ``_reader``, ``runlog``) use no private names.

The agent owns one (``agent.connection``). The settings stay plain attributes of the agent
(``max_retries``, ``idle_timeout``, ``ssl``, ``token``, ``headers``…), as in OxyGent, so a subclass or a
caller may change them at any time; the connection reads them when it needs them.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import aiohttp

from oxytui.redact import is_credential_name, scrub_text

from ._http import get_json, open_with_retries
from .errors import RemoteError
from .stats import ConnectionStats

if TYPE_CHECKING:
    from .agent import SSEOxyGent
    from .schemas import OxyRequest

__all__ = ["Connection"]


class Connection:
    """The agent's link to its node; see the module docstring."""

    def __init__(self, agent: SSEOxyGent, session: aiohttp.ClientSession | None, stats_window: int) -> None:
        self.agent = agent
        self.stats = ConnectionStats(stats_window)
        self._session = session
        self._owns_session = session is None
        self._drains: set[asyncio.Task[None]] = set()

    # --- session and TLS -----------------------------------------------------------------------------

    def session(self) -> aiohttp.ClientSession:
        """The pooled session: the one given to the agent, or our own (created on first use)."""
        s = self._session
        if s is None or s.closed:
            if not self._owns_session:
                raise RemoteError(self.agent.name, "the shared aiohttp session is closed")
            # no pool limit: a stream holds its connection for minutes, and waiting for a free slot must
            # not count against connect_timeout; keep-alive below uvicorn's 5 s so reuse never races a close
            connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=4.0, ssl=self.ssl)
            s = self._session = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=None), read_bufsize=2**18
            )
        return s

    @property
    def ssl(self) -> Any:
        """aiohttp's ``ssl=`` argument: the agent's context or flag (default: verify certificates)."""
        ssl = self.agent.ssl
        return True if ssl is None else ssl

    # --- timeouts ------------------------------------------------------------------------------------

    def client_timeout(self, quick: bool = False, short: bool | None = None) -> aiohttp.ClientTimeout:
        """``quick``: small JSON bodies (check_alive, get_organization): reads as short as connects.
        ``short`` (default: ``quick``): every non-stream request, bounded by ``short_timeout`` in total,
        so a node trickling a byte per second cannot hold ``init()`` or a probe."""
        t = self.agent.connect_timeout
        return aiohttp.ClientTimeout(
            total=self.limits(quick if short is None else short)[2],
            connect=t,  # DNS + TCP + TLS
            sock_connect=t,
            sock_read=t if quick else self.agent.idle_timeout,
        )

    def limits(self, short: bool = False) -> tuple[float | None, float | None, float | None]:
        """(connect, idle, total) as used in error messages; ``short``: the limits of a short request."""
        a = self.agent
        total = a.total_timeout
        if short and a.short_timeout is not None:
            total = a.short_timeout if total is None else min(total, a.short_timeout)
        return (a.connect_timeout, a.idle_timeout, total)

    # --- redaction -----------------------------------------------------------------------------------

    def secrets(self) -> list[str]:
        """Our token and the values of credential-named custom headers."""
        a = self.agent
        found = [a.token.get_secret_value()] if a.token is not None else []
        return found + [v for k, v in a.headers.items() if is_credential_name(k)]

    def scrub(self, text: str) -> str:
        """``text`` safe for a log or a UI: our secrets and credential-shaped values masked (the shared
        rules of :mod:`oxytui.redact`)."""
        return scrub_text(text, self.secrets())

    def scrub_error(self, err: RemoteError) -> RemoteError:
        """The same error with any secret removed from its message (in place)."""
        clean = self.scrub(err.cause)
        if clean != err.cause:
            err.cause = clean
            err.args = (f"{err.node}: {clean}",)
        return err

    # --- requests ------------------------------------------------------------------------------------

    async def open(
        self,
        method: str,
        path: str,
        body: bytes | None,
        *,
        sse: bool,
        request: OxyRequest | None = None,
        retries: int | None = None,
    ) -> aiohttp.ClientResponse:
        """Send one request; retry only while the node cannot have started the run (see ``_transport``)."""
        return await open_with_retries(self, method, path, body, sse=sse, request=request, retries=retries)

    async def get_json(self, path: str) -> Any:
        """``GET path``, one attempt, body capped at ``max_body_size``; errors come scrubbed."""
        try:
            return await get_json(self, path)
        except RemoteError as exc:
            raise self.scrub_error(exc) from None

    # --- lifecycle -----------------------------------------------------------------------------------

    def keep_draining(self, task: asyncio.Task[None]) -> None:
        """Hold a background task that drains a finished stream's tail (``aclose`` cancels it)."""
        self._drains.add(task)
        task.add_done_callback(self._drains.discard)

    async def aclose(self) -> None:
        """Cancel background drains and close our own session (a given one stays open for its owner)."""
        for task in list(self._drains):
            task.cancel()
        if self._drains:
            await asyncio.gather(*self._drains, return_exceptions=True)
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None if self._owns_session else self._session
