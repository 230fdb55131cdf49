"""Reading the run records a node keeps (plain GETs that disturb no run's stream), with body caps.

Used by :class:`~oxytui.client.agent.SSEOxyGent`'s ``history``/``view``/``node`` and by the traffic watcher
(which also wants the response ``Date`` header: the only clock offset between a node and us it may use).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import urlencode

import aiohttp

from . import _transport as tr
from ._http import read_body
from .errors import RemoteError, RemoteHTTPError, RemoteProtocolError
from .events import decode_json
from .records import HistoryPage, NodeRecord, TraceView, parse_history, parse_node, parse_view

if TYPE_CHECKING:
    from .agent import SSEOxyGent

__all__ = [
    "HISTORY_CAP",
    "NODE_CAP",
    "NO_RECORDS_STATUSES",
    "VIEW_CAP",
    "Dated",
    "NoRunRecords",
    "fetch_history",
    "fetch_node",
    "fetch_view",
]

NO_RECORDS_STATUSES = frozenset({404, 405, 422})
"""Statuses meaning "this node keeps no run records here" (not OxyGent, an old one, or a proxy)."""
HISTORY_CAP = 4 * 2**20
VIEW_CAP = 32 * 2**20
NODE_CAP = 16 * 2**20
"""Body caps in bytes (and never above the agent's ``max_body_size``, 16 MiB by default): a hostile or
huge trace costs at most this much memory, then fails politely."""

T = TypeVar("T")


class NoRunRecords(RemoteError):
    """The node answered, but keeps no run records we can read (404/405/422 or ``{"code": 500}``)."""


@dataclass(frozen=True, slots=True)
class Dated(Generic[T]):
    """A parsed body with the node's ``Date`` header (UTC, 1 s resolution) when it sent one."""

    value: T
    date: datetime | None


def _date(header: str | None) -> datetime | None:
    if not header:
        return None
    try:
        d = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    return d if d.tzinfo is not None else d.replace(tzinfo=UTC)


async def _get(agent: SSEOxyGent, path: str, cap: int) -> Dated[Any]:
    """One GET (no retries: the watcher polls again anyway): decoded JSON and the Date header."""
    conn = agent.connection
    try:
        resp = await conn.open("GET", path, None, sse=False, retries=0)
    except RemoteHTTPError as exc:
        if exc.status in NO_RECORDS_STATUSES:
            raise NoRunRecords(agent.name, f"{path.partition('?')[0]}: HTTP {exc.status}") from None
        raise conn.scrub_error(exc) from None
    except RemoteError as exc:
        raise conn.scrub_error(exc) from None
    where = path.partition("?")[0]
    try:
        date = _date(resp.headers.get("Date"))
        limit = min(cap, agent.max_body_size) if agent.max_body_size else cap  # the agent's cap rules
        raw = await read_body(conn, resp, path, limit)  # capped on the wire and once inflated
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise tr.map_error(agent.name, exc, started=True, events=0, timeouts=conn.limits(True)) from None
    finally:
        resp.release()
    try:
        return Dated(decode_json(raw), date)
    except ValueError:
        raise RemoteProtocolError(agent.name, f"{where}: body is not JSON") from None


async def fetch_history(
    agent: SSEOxyGent, page: int = 1, page_size: int = 10, search: str | None = None
) -> Dated[HistoryPage]:
    """``GET /history_with_ratings``: recent traces newest first; raises :class:`NoRunRecords`."""
    query: dict[str, str | int] = {"page": page, "page_size": page_size}
    if search:
        query["search_term"] = search
    got = await _get(agent, f"/history_with_ratings?{urlencode(query)}", HISTORY_CAP)
    parsed = parse_history(got.value, agent.name)
    if not parsed.available:
        raise NoRunRecords(agent.name, f"/history_with_ratings: {parsed.reason}")
    return Dated(parsed, got.date)


async def fetch_view(agent: SSEOxyGent, trace_id: str) -> Dated[TraceView]:
    """``GET /view?item_id=``: this node's records of the trace; raises :class:`NoRunRecords`."""
    got = await _get(agent, f"/view?{urlencode({'item_id': trace_id})}", VIEW_CAP)
    parsed = parse_view(got.value, agent.name, trace_id)
    if not parsed.available:
        raise NoRunRecords(agent.name, f"/view: {parsed.reason}")
    return Dated(parsed, got.date)


async def fetch_node(agent: SSEOxyGent, node_id: str) -> NodeRecord | None:
    """``GET /node?item_id=``: one record in full (larger caps); None when the node does not know it."""
    got = await _get(agent, f"/node?{urlencode({'item_id': node_id})}", NODE_CAP)
    value = got.value
    if isinstance(value, dict) and value.get("code") == 500:
        raise NoRunRecords(agent.name, f"/node: code 500: {str(value.get('message'))[:120]}")
    return parse_node(value, agent.name)
