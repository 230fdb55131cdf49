"""``SSEOxyGent``: a fast, sturdy client for one remote OxyGent node, compatible with OxyGent's own.

A plain class (not a pydantic model) so subclasses written against OxyGent's docs can call
``super().__init__(**kwargs)`` and then set any attribute they like. Override points, as in OxyGent:
``prepare_payload(request)`` and ``async _execute(request)``; ``execute()`` (from :class:`RemoteAgent`)
wraps the latter and turns every failure into a FAILED :class:`OxyResponse` that names the node and the
cause.
"""

from __future__ import annotations

import json
import logging
import ssl as _ssl
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import aclosing
from typing import Any

import aiohttp
from pydantic import SecretStr

from . import _transport as tr
from ._http import get_view, start_async_run
from ._reader import read_events
from .connection import Connection
from .errors import RemoteError, StreamAborted
from .events import CallEvent, KeepAlive, OxyEvent, StreamClosed
from .payload import build_payload, resolve_strategy
from .records import NodeRecord, TraceSummary, TraceView
from .remote import RemoteAgent
from .runlog import fetch_history, fetch_node, fetch_view
from .schemas import OxyRequest, OxyResponse, OxyState, parse_organization
from .sse import DEFAULT_MAX_EVENT_SIZE, SSEComment, SSEMessage
from .stats import ConnectionStats

MAX_BODY_SIZE = 16 * 2**20
"""Default cap of a non-stream response body (organization, check_alive, view), wire and inflated."""

__all__ = ["EventHandler", "SSEOxyGent", "WireTap"]

log = logging.getLogger("oxytui.client")

EventHandler = Callable[[Any], Awaitable[Any]]
"""``async fn(content)``: called with the event's ``content`` dict (or its whole data if not a dict)."""
WireTap = Callable[[str, str, "SSEMessage | SSEComment", float], Any]
"""``fn(node, trace_id, item, wall)``: sees every raw SSE item (recording); must be cheap."""


class SSEOxyGent(RemoteAgent):
    """Remote agent talking to one OxyGent node over ``/sse/chat`` (see the module docstring)."""

    def __init__(
        self,
        name: str,
        server_url: str,
        is_share_call_stack: bool = True,
        *,
        token: str | SecretStr | None = None,
        headers: Mapping[str, str] | None = None,
        max_retries: int = 3,
        retry_delay: float = 1.0,
        connect_timeout: float = 10.0,
        idle_timeout: float | None = 45.0,
        total_timeout: float | None = None,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        require_https: bool = False,
        session: aiohttp.ClientSession | None = None,
        wire_tap: WireTap | None = None,
        call_stack_strategy: str | None = None,
        ssl: _ssl.SSLContext | bool | None = None,
        desc: str = "",
        stats_window: int = 256,
        org: dict[str, Any] | list[Any] | None = None,
        short_timeout: float | None = 30.0,
        max_body_size: int = MAX_BODY_SIZE,
    ) -> None:
        super().__init__(name, server_url, desc, org, require_https=require_https)
        self.is_share_call_stack = is_share_call_stack
        self.call_stack_strategy = call_stack_strategy
        resolve_strategy(call_stack_strategy, is_share_call_stack)  # fail fast on a typo
        self._token = token if isinstance(token, SecretStr) or token is None else SecretStr(token)
        self.headers: dict[str, str] = dict(headers or {})
        self.max_retries = max_retries
        self.retry_delay = retry_delay
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout
        self.total_timeout = total_timeout
        self.short_timeout = short_timeout
        self.max_body_size = max_body_size
        self.max_event_size = max_event_size
        self.wire_tap = wire_tap
        self.ssl = ssl
        self.event_handlers: dict[str, Any] = {}
        self.connection = Connection(self, session, stats_window)
        """Session, TLS, timeouts, retries, stats and redaction (reads the settings above when used)."""

    # --- identity, security ---------------------------------------------------------------------------

    @property
    def token(self) -> SecretStr | None:
        return self._token

    @token.setter
    def token(self, value: str | SecretStr | None) -> None:
        self._token = value if isinstance(value, SecretStr) or value is None else SecretStr(value)

    def __repr__(self) -> str:
        auth = ", token=SecretStr('**********')" if self._token is not None else ""
        return (
            f"{type(self).__name__}(name={self.name!r}, server_url={tr.display_url(self.server_url)!r}{auth})"
        )

    def _scrub(self, text: str) -> str:
        """Text safe for a log or a UI: the token, credential header values and credential-shaped values
        masked (:meth:`Connection.scrub`, the shared rules of :mod:`oxytui.redact`)."""
        return self.connection.scrub(text)

    def request_headers(self, request: OxyRequest | None = None, sse: bool = True) -> dict[str, str]:
        """Headers for one request: forwarded caller headers < custom headers < ours."""
        h = tr.forwarded_headers(request.get_shared_data("_headers")) if request is not None else {}
        h.update(self.headers)
        h["User-Agent"] = tr.USER_AGENT
        h["Accept"] = "text/event-stream" if sse else "application/json"
        if self._token is not None:
            h["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        return h

    # --- lifecycle ------------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the pooled session (unless it was given to us) and any background drains."""
        await self.connection.aclose()

    async def __aenter__(self) -> SSEOxyGent:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- organization / liveness -----------------------------------------------------------------------

    async def init(self) -> None:
        """Fetch ``/get_organization`` into ``self.org`` (and the description if none was given)."""
        try:
            self.org = parse_organization(await self.connection.get_json("/get_organization"), self.name)
        except RemoteError as exc:
            raise self.connection.scrub_error(exc) from None
        if not self.desc:
            try:
                data = await self.connection.get_json("/get_description")
                if isinstance(data, dict) and data.get("code") == 200 and isinstance(data.get("data"), dict):
                    self.desc = str(data["data"].get("description", ""))
            except RemoteError as exc:  # optional endpoint: a node without it still works
                log.debug("%s: no description: %s", self.name, exc)

    async def view_raw(self, item_id: str) -> dict[str, Any] | None:
        """``GET /view`` as the node sent it (trace or node id; NOT redacted); None: no /view there."""
        return await get_view(self.connection, item_id)

    async def check_alive(self) -> bool:
        """``GET /check_alive`` answered ``{"alive": 1}``; never raises for network problems."""
        return not await self.why_not_alive()

    async def why_not_alive(self) -> str:
        """``GET /check_alive``: "" when it answered ``{"alive": 1}``, else why not (refused, timeout, DNS,
        HTTP status, another answer), in the client's own words and without the node name; never raises
        for network problems. For reports that must say why a node is down (``oxytui watch``)."""
        try:
            data = await self.connection.get_json("/check_alive")
        except RemoteError as exc:
            return exc.cause or str(exc)
        if isinstance(data, dict) and data.get("alive") == 1:
            return ""
        text = json.dumps(data, ensure_ascii=False, default=str)
        return f"/check_alive answered {text if len(text) <= 80 else text[:79] + '…'}"

    # --- requests and payloads -----------------------------------------------------------------------

    def build_request(self, query: str, **fields: Any) -> OxyRequest:
        """A top-level request as a user would send it: fresh ids, this agent at the end of the stack.

        With the default ``partial`` strategy the node then receives exactly what a plain client sends
        (``caller="user"``, ``call_stack=["user"]``) and runs its master agent (``callee`` empty).
        """
        fields.setdefault("call_stack", ["user", self.name])
        fields.setdefault("node_id_stack", ["", ""])
        request = OxyRequest(**fields)
        request.arguments.setdefault("query", query)
        return request

    def prepare_payload(self, oxy_request: OxyRequest) -> dict[str, Any]:
        """The JSON object POSTed to the node (override point, as in OxyGent)."""
        strategy = resolve_strategy(self.call_stack_strategy, self.is_share_call_stack)
        return build_payload(oxy_request, strategy, self.name)

    @staticmethod
    def _encode(payload: dict[str, Any]) -> bytes:
        return json.dumps(payload, ensure_ascii=False, default=str).encode()

    # --- streaming --------------------------------------------------------------------------------------

    def on(self, event_type: str, handler: EventHandler) -> EventHandler:
        """Register ``async handler(content)`` for an event type (``progress``, ``metrics``, anything)."""
        current = self.event_handlers.get(event_type)
        if current is None:
            self.event_handlers[event_type] = handler
        elif isinstance(current, list):
            current.append(handler)
        else:
            self.event_handlers[event_type] = [current, handler]
        return handler

    def _run(
        self, path: str, body: bytes, trace_id: str, request: OxyRequest | None
    ) -> AsyncGenerator[list[OxyEvent], None]:
        return read_events(self, path, body, trace_id, request)

    async def stream(self, request: OxyRequest) -> AsyncIterator[OxyEvent]:
        """Typed events of one run, ending with :class:`StreamClosed`; raises :class:`RemoteError`."""
        body = self._encode(self.prepare_payload(request))
        async with aclosing(self._run("/sse/chat", body, request.current_trace_id or "", request)) as batches:
            async for batch in batches:
                for ev in batch:
                    yield ev

    async def attach(self, trace_id: str) -> AsyncIterator[OxyEvent]:
        """Stream the events of a run started with :meth:`start_async` (``POST /async/trace``)."""
        body = self._encode({"trace_id": trace_id, "timestamp": str(int(time.time() * 1000))})
        async with aclosing(self._run("/async/trace", body, trace_id, None)) as batches:
            async for batch in batches:
                for ev in batch:
                    yield ev

    async def start_async(self, request: OxyRequest) -> str:
        """Start a run that survives reader disconnects (``POST /async/chat``); returns its trace id."""
        try:
            body = self._encode(self.prepare_payload(request))
            await start_async_run(self.connection, body, request)
            return request.current_trace_id or ""
        except RemoteError as exc:
            raise self.connection.scrub_error(exc) from None

    # --- execute -----------------------------------------------------------------------------------------

    async def _execute(self, oxy_request: OxyRequest) -> OxyResponse:
        """Stream the run and forward events to the request's handler like OxyGent's SSEOxyGent.

        Raises transport errors (``aiohttp.ClientError`` subclasses) for ``execute()`` or a subclass.
        """
        strategy = resolve_strategy(self.call_stack_strategy, self.is_share_call_stack)
        rebuild = strategy == "none"
        base_stack = list(oxy_request.call_stack)
        # the handler is called directly (not via send_message): pydantic private-attribute lookups per
        # event would cost more than the decode; same semantics as OxyRequest.send_message
        handler = oxy_request.message_handler if oxy_request.is_send_message else None
        if type(oxy_request).send_message is not OxyRequest.send_message:
            handler = oxy_request.send_message  # a subclass customised delivery: respect it
        answer: Any = ""
        answered = False
        events = 0
        body = self._encode(self.prepare_payload(oxy_request))
        trace_id = oxy_request.current_trace_id or ""
        extra: dict[str, Any] = {"node": self.name, "trace_id": trace_id}
        try:
            async with aclosing(self._run("/sse/chat", body, trace_id, oxy_request)) as batches:
                async for batch in batches:
                    for ev in batch:
                        cls = type(ev)
                        if cls is KeepAlive or cls is StreamClosed:
                            continue
                        events += 1
                        kind = ev.type
                        if kind == "answer":
                            answer, answered = ev.content, True  # type: ignore[attr-defined]
                            continue
                        if isinstance(ev, CallEvent):  # tool_call and observation
                            if ev.caller_category == "user" or ev.callee_category == "user":
                                continue
                            if rebuild:
                                stack = base_stack + ev.call_stack[2:]
                                ev.call_stack = stack
                                ev.raw["content"]["call_stack"] = stack
                        if handler is not None:
                            await handler(ev.raw, ev.sse_event, ev.sse_id, ev.retry)
        except StreamAborted as exc:
            # OxyGent's loop returns COMPLETED on any clean end of the body; we do so only when the
            # answer arrived, and say so. A broken body, or a clean end without an answer, stays FAILED.
            if not (exc.clean_end and answered):
                raise
            note = "completed with the answer received, as OxyGent does"
            extra["warning"] = self._scrub(f"{exc.cause}; {note}")
        extra["events"] = events
        return OxyResponse(state=OxyState.COMPLETED, output=answer, extra=extra)

    # --- monitoring --------------------------------------------------------------------------------------

    def get_connection_stats(self) -> dict[str, Any]:
        """A copy of the counters, latency percentiles and rolling success rate (see stats.py)."""
        return self.connection.stats.snapshot()

    @property
    def stats(self) -> ConnectionStats:
        return self.connection.stats

    # --- run records (plain GETs; implementations in runlog.py / records.py) ------------------------------

    async def history(
        self, page: int = 1, page_size: int = 10, search: str | None = None
    ) -> list[TraceSummary]:
        """Recent traces, newest first, in-flight ones included; raises ``NoRunRecords`` (see runlog)."""
        return (await fetch_history(self, page, page_size, search)).value.traces

    async def view(self, trace_id: str) -> TraceView:
        """This node's typed, credential-redacted records of a trace (``/view``); raises ``NoRunRecords``."""
        return (await fetch_view(self, trace_id)).value

    async def node(self, node_id: str) -> NodeRecord | None:
        """One record in full (``/node``); None when the node does not know the id."""
        return await fetch_node(self, node_id)
