"""Typed records OxyGent nodes keep of every run (``/history_with_ratings``, ``/view``, ``/node``).

Parsing is where trust ends: every function here accepts any decoded JSON, skips and counts what it cannot
read, caps sizes, and **redacts credentials** (``shared_data._headers`` holds the headers of whoever started
the run, ``Authorization`` included) before anything reaches the model, a screen, a recording or a log.
Pure: stdlib only, no I/O (the fetches live in :mod:`oxytui.client.runlog`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .redact import REDACTED, is_secret_header, redact_headers, scrub_text
from .schemas import OxyState

__all__ = [
    "MAX_RAW",
    "MAX_RECORDS",
    "REDACTED",
    "HistoryPage",
    "NodeRecord",
    "TraceSummary",
    "TraceView",
    "is_secret_header",
    "parse_history",
    "parse_node",
    "parse_node_time",
    "parse_view",
    "redact_headers",
]

MAX_RAW = 64 * 1024
"""Characters of a record's raw input/output/extra kept from ``/view`` (``/node`` keeps more)."""
MAX_RECORDS = 20_000
"""Records parsed from one ``/view``; the rest are counted in ``TraceView.dropped``."""
MAX_TRACES = 1_000
"""Traces parsed from one history page (a node may ignore ``page_size``)."""

_STATES = {s.value: s for s in OxyState}
_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(text: str) -> str:
    """``text`` with lone surrogates (JSON ``"\\ud800"`` decodes to one) as U+FFFD: they cannot be encoded
    as UTF-8, so one would break every later write of it (SQLite, a recording, a printed line)."""
    return text if text.isascii() or not _SURROGATE.search(text) else _SURROGATE.sub("\ufffd", text)


def parse_node_time(value: Any) -> datetime | None:
    """OxyGent's ``2026-11-29 13:59:35.266653000``: node-local wall clock, no zone -> a naive datetime.

    Always naive: an offset some other writer adds is dropped (the wall reading is kept), so one node's
    times never mix naive and aware (their differences would raise) and all go through its NodeClock."""
    if not isinstance(value, str) or len(value) < 19 or len(value) > 40:
        return None
    head, dot, frac = value.strip().partition(".")
    digits = ""
    for ch in frac[:6]:  # "266653000", or "12+08:00" (fraction then an offset, which is dropped)
        if not ch.isdigit():
            break
        digits += ch
    try:
        parsed = datetime.fromisoformat(head + ("." + digits.ljust(6, "0") if dot and digits else ""))
    except ValueError:
        return None
    return parsed.replace(tzinfo=None)


def _s(value: Any, limit: int = 500) -> str:
    """A bounded string for identity fields (ids, names); non-strings become ``""``."""
    return _text(value[:limit] if isinstance(value, str) else ("" if value is None else str(value)[:limit]))


def _raw(value: Any, limit: int) -> str:
    """Raw JSON text kept as received (objects re-encoded), cut at ``limit`` with a note."""
    if value is None:
        return ""
    text: str
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    if len(text) > limit:
        return _text(f"{text[:limit]}… [{len(text):,} chars, cut by oxytui]")
    return _text(text)


def _loads(text: Any) -> Any:
    if isinstance(text, dict):
        return text
    if not isinstance(text, str) or not text or len(text) > 8 * MAX_RAW:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(_s(v, 200) for v in value[:200]) if isinstance(value, list) else ()


@dataclass(frozen=True, slots=True)
class TraceSummary:
    """One run as a node's ``/history_with_ratings`` lists it (newest first, in-flight ones included)."""

    node: str
    """Name of the node that answered (a remote hop is listed on both nodes)."""
    trace_id: str
    group_id: str
    query: str
    callee: str
    output: str
    create_time: datetime | None
    from_trace_id: str = ""

    @property
    def running(self) -> bool:
        """OxyGent writes the trace's ``output`` only when the run ends."""
        return self.output == ""


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """One node's record of one call (agent, llm, tool, flow) in a trace; credentials already redacted."""

    node: str
    trace_id: str
    node_id: str
    father_id: str
    node_type: str
    caller: str
    callee: str
    call_stack: tuple[str, ...]
    state: OxyState | None
    """None while the call is in flight (OxyGent writes ``state`` when the call ends)."""
    create_time: datetime | None
    update_time: datetime | None
    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    model: str = ""
    first_response_ms: float | None = None
    raw_input: str = ""
    raw_output: str = ""
    raw_extra: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    """The starting request's headers, credential values masked (:data:`oxytui.redact.MASK`)."""
    node_id_stack: tuple[str, ...] = ()
    group_id: str = ""
    index: int = -1

    @property
    def finished(self) -> bool:
        return self.state is not None

    @property
    def failed(self) -> bool:
        return self.state in (OxyState.FAILED, OxyState.ERROR)

    @property
    def duration(self) -> float | None:
        """Seconds from this node's own create and update times (never across nodes' clocks)."""
        if self.create_time is None or self.update_time is None:
            return None
        return max(0.0, (self.update_time - self.create_time).total_seconds())

    def decoded_input(self) -> Any:
        """The input decoded (OxyGent stores it as a JSON string); the raw text if it is not JSON."""
        value = _loads(self.raw_input)
        return self.raw_input if value is None else value

    def decoded_extra(self) -> Any:
        value = _loads(self.raw_extra)
        return self.raw_extra if value is None else value


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """A parsed ``/history_with_ratings`` page. ``available`` False: this node keeps no run records."""

    traces: list[TraceSummary] = field(default_factory=list)
    total: int = 0
    skipped: int = 0
    available: bool = True
    reason: str = ""


@dataclass(frozen=True, slots=True)
class TraceView:
    """One node's records of a trace (``/view``), oldest first; ``skipped`` malformed, ``dropped`` capped."""

    trace_id: str
    records: list[NodeRecord] = field(default_factory=list)
    skipped: int = 0
    dropped: int = 0
    available: bool = True
    reason: str = ""

    @property
    def finished(self) -> bool:
        """Every record has a state (an empty view is not finished: the node knows nothing yet)."""
        return bool(self.records) and all(r.state is not None for r in self.records)


def _envelope(payload: Any) -> tuple[Any, str]:
    """``(data, "")`` from OxyGent's ``{"code","message","data"}``; ``(None, reason)`` when it says no."""
    if not isinstance(payload, dict):
        return None, f"expected a JSON object, got {type(payload).__name__}"
    if "detail" in payload and "data" not in payload:  # FastAPI's 422 body
        return None, "the node rejected the request (422)"
    code = payload.get("code", 200)
    if code != 200:
        return None, f"code {_s(code, 20)}: {_s(payload.get('message'), 120)}"
    return payload.get("data", payload), ""


def _query(raw_input: Any) -> str:
    """The ``query`` argument from the trace's ``input`` JSON string (anything else: the text itself)."""
    value = _loads(raw_input)
    if isinstance(value, dict):
        q = value.get("query")
        return _s(q, 2000) if isinstance(q, str) else _raw(q, 2000) if q is not None else ""
    return _raw(raw_input, 2000)


def parse_history(payload: Any, node: str) -> HistoryPage:
    """Traces of one ``/history_with_ratings`` page, in the node's order; never raises. Query and output
    are scrubbed as /view records are (remembered tokens, credential-shaped text): they reach tables."""
    data, reason = _envelope(payload)
    if reason or not isinstance(data, dict):
        return HistoryPage(available=False, reason=reason or "no data")
    groups = data.get("conversation_groups")
    if not isinstance(groups, list):
        return HistoryPage(available=False, reason="no conversation_groups")
    traces: list[TraceSummary] = []
    skipped = 0
    for group in groups[:MAX_TRACES]:
        convs = group.get("conversations") if isinstance(group, dict) else None
        if not isinstance(convs, list):
            skipped += 1
            continue
        for c in convs[:MAX_TRACES]:
            trace_id = c.get("trace_id") if isinstance(c, dict) else None
            if not isinstance(trace_id, str) or not trace_id or len(traces) >= MAX_TRACES:
                skipped += 1
                continue
            output = c.get("output")
            traces.append(
                TraceSummary(
                    node=node,
                    trace_id=_s(trace_id, 200),
                    group_id=_s(c.get("group_id") or group.get("group_id"), 200),
                    query=scrub_text(_query(c.get("input")), []),
                    callee=_s(c.get("callee"), 200),
                    output=scrub_text(_raw(output, 4000), []) if output not in (None, "") else "",
                    create_time=parse_node_time(c.get("create_time")),
                    from_trace_id=_s(c.get("from_trace_id"), 200),
                )
            )
    total = data.get("total")
    return HistoryPage(traces=traces, total=total if isinstance(total, int) else len(traces), skipped=skipped)


_Shared = tuple[tuple[tuple[str, str], ...], list[str], float | None]


def _shared(raw: Any, cache: dict[str, _Shared]) -> _Shared:
    """Redacted headers, secret values and first-response time from a record's ``shared_data``; records of
    one trace mostly carry the same string, so it is parsed once per distinct value."""
    key = raw if isinstance(raw, str) else None
    if key is not None and key in cache:
        return cache[key]
    shared = _loads(raw)
    result: _Shared = ((), [], None)
    if isinstance(shared, dict):
        pairs, found = redact_headers(shared.get("_headers"))
        headers = tuple((_text(k), _text(v)) for k, v in pairs)
        metrics = shared.get("_metrics")
        first_ms = None
        if isinstance(metrics, dict):
            frt = metrics.get("first_response_time_ms")
            first_ms = float(frt) if isinstance(frt, int | float) and not isinstance(frt, bool) else None
        result = (headers, found, first_ms)
    if key is not None and len(cache) < 10_000:
        cache[key] = result
    return result


def _record(
    n: Any, node: str, trace_id: str, limit: int, secrets: list[str], cache: dict[str, _Shared]
) -> NodeRecord | None:
    if not isinstance(n, dict):
        return None
    node_id = n.get("node_id")
    if not isinstance(node_id, str) or not node_id:
        return None
    headers, found, first_ms = _shared(n.get("shared_data"), cache)
    secrets.extend(s for s in found if s not in secrets)
    raw_extra = _raw(n.get("extra"), limit)
    in_tok = out_tok = tot_tok = None
    model = ""
    if n.get("node_type") == "llm" or '"usage"' in raw_extra[:200]:
        extra = _loads(raw_extra)
        usage = extra.get("usage") if isinstance(extra, dict) else None
        if isinstance(usage, dict):
            in_tok, out_tok = _int(usage.get("input_tokens")), _int(usage.get("output_tokens"))
            tot_tok = _int(usage.get("total_tokens"))
            if tot_tok is None and in_tok is not None and out_tok is not None:
                tot_tok = in_tok + out_tok
            model = _s(usage.get("model_name"), 200)
    state_value = n.get("state")
    state = (
        _STATES.get(state_value)
        if isinstance(state_value, int) and not isinstance(state_value, bool)
        else None
    )
    if state is None and isinstance(state_value, str):  # "OxyState.FAILED" / "FAILED" from other stores
        state = OxyState.__members__.get(state_value.rpartition(".")[2].upper())
    index = n.get("index")
    return NodeRecord(
        node=node,
        trace_id=_s(n.get("trace_id"), 200) or trace_id,
        node_id=_s(node_id, 200),
        father_id=_s(n.get("father_node_id"), 200),
        node_type=_s(n.get("node_type"), 40),
        caller=_s(n.get("caller"), 200),
        callee=_s(n.get("callee"), 200),
        call_stack=_strs(n.get("call_stack")),
        state=state,
        create_time=parse_node_time(n.get("create_time")),
        update_time=parse_node_time(n.get("update_time")),
        input_tokens=in_tok,
        output_tokens=out_tok,
        total_tokens=tot_tok,
        model=model,
        first_response_ms=first_ms,
        raw_input=scrub_text(_raw(n.get("input"), limit), secrets),
        raw_output=scrub_text(_raw(n.get("output"), limit), secrets),
        raw_extra=scrub_text(raw_extra, secrets),
        headers=headers,
        node_id_stack=_strs(n.get("node_id_stack")),
        group_id=_s(n.get("group_id"), 200),
        index=index if isinstance(index, int) and not isinstance(index, bool) else -1,
    )


def parse_view(payload: Any, node: str, trace_id: str = "", *, limit: int = MAX_RAW) -> TraceView:
    """This node's records of a trace (``/view``); malformed records skipped and counted, never raises."""
    data, reason = _envelope(payload)
    if reason or not isinstance(data, dict):
        return TraceView(trace_id, available=False, reason=reason or "no data")
    nodes = data.get("nodes")
    if not isinstance(nodes, list):
        return TraceView(trace_id, available=False, reason="no nodes list")
    tid = _s(data.get("trace_id"), 200) or trace_id
    cache: dict[str, _Shared] = {}
    secrets: list[str] = []
    for n in nodes[:MAX_RECORDS]:  # every secret first: one found late may sit in an earlier record's text
        if isinstance(n, dict):
            secrets.extend(s for s in _shared(n.get("shared_data"), cache)[1] if s not in secrets)
    records: list[NodeRecord] = []
    skipped = 0
    for n in nodes[:MAX_RECORDS]:
        rec = _record(n, node, tid, limit, secrets, cache)
        if rec is None:
            skipped += 1
        else:
            records.append(rec)
    return TraceView(tid, records, skipped=skipped, dropped=max(0, len(nodes) - MAX_RECORDS))


def parse_node(payload: Any, node: str, *, limit: int = 16 * MAX_RAW) -> NodeRecord | None:
    """One record in full (``/node``); None for an unknown id (``{"code": 400}``) or anything unreadable."""
    data, reason = _envelope(payload)
    if reason:
        return None
    return _record(data, node, "", limit, [], {})
