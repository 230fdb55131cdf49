"""One OxyGent run (the records every node keeps of it) -> one OpenTelemetry trace, as SDK span objects.

Why build finished spans instead of tracing live: the runs already happened on other processes; we only
read their records (``/view``). So each record becomes a ``ReadableSpan`` with ids **derived** from the
OxyGent ids (same run -> same OTel trace and span ids on every export and after a restart, so backends
deduplicate), and times taken from the records, shifted by the recording node's clock offset.

Mapping (OpenTelemetry GenAI semantic conventions, plus ``openinference.span.kind`` for OpenInference
backends such as Arize Phoenix):

* agent -> ``invoke_agent {agent}`` (AGENT), tool -> ``execute_tool {tool}`` (TOOL), llm ->
  ``chat {model}`` (LLM, kind CLIENT, token usage), flow -> ``invoke_workflow {flow}`` (CHAIN).
* span id from (trace, node id, node that recorded it): a remote hop is recorded on both nodes under one
  node id, giving two spans — the caller's (CLIENT) is the parent of the callee's (SERVER).
* parents from ``father_node_id``, looked up across nodes; a failed record -> status ERROR + ``error.type``.
* inputs/outputs only when asked (``content_limit`` > 0), truncated; request headers never.

Needs the ``otel`` extra; nothing in the base install imports this module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.util.types import AttributeValue

from oxytui.client.records import NodeRecord
from oxytui.runs.fleetrun import by_node, hop_sides

SCOPE = InstrumentationScope("oxytui", schema_url="https://opentelemetry.io/schemas/1.37.0")
_EPOCH = datetime(1970, 1, 1)
_OPS = {  # node_type -> (gen_ai.operation.name, openinference.span.kind, span kind)
    "agent": ("invoke_agent", "AGENT", SpanKind.INTERNAL),
    "tool": ("execute_tool", "TOOL", SpanKind.INTERNAL),
    "llm": ("chat", "LLM", SpanKind.CLIENT),
    "flow": ("invoke_workflow", "CHAIN", SpanKind.INTERNAL),
}


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """What the mapping needs to know about the node that recorded a record."""

    url: str = ""
    clock_offset: float = 0.0
    """Seconds to subtract from a node-local record time (read as UTC) to get our wall clock: the node's
    zone minus its skew, see :meth:`from_clock`."""

    @classmethod
    def from_clock(cls, url: str, zone: float | None, skew: float | None) -> NodeInfo:
        """From ``oxytui.runs.NodeClock``'s estimates (unknown parts count as 0)."""
        return cls(url, (zone or 0.0) - (skew or 0.0))

    @property
    def address(self) -> tuple[str, int | None]:
        try:
            parts = urlsplit(self.url)
            return parts.hostname or "", parts.port
        except ValueError:
            return "", None


def otel_trace_id(trace_id: str) -> int:
    """128-bit OTel trace id derived from the OxyGent trace id (never 0)."""
    digest = hashlib.sha256(b"oxygent-trace\0" + trace_id.encode("utf-8", "replace")).digest()
    return int.from_bytes(digest[:16], "big") or 1


def otel_span_id(trace_id: str, node_id: str, recorded_on: str) -> int:
    """64-bit OTel span id from the trace, the record's node id and the node that recorded it (never 0)."""
    key = "\0".join((trace_id, node_id, recorded_on)).encode("utf-8", "replace")
    return int.from_bytes(hashlib.sha256(b"oxygent-span\0" + key).digest()[:8], "big") or 1


def _ns(t: datetime | None, offset: float) -> int | None:
    """Epoch nanoseconds of a zone-less node time (node clock, read as UTC) shifted onto our clock."""
    if t is None:
        return None
    micros = (t.replace(tzinfo=None) - _EPOCH) // timedelta(microseconds=1)
    return micros * 1000 - round(offset * 1e9)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"… [{len(text):,} chars]"


@dataclass(frozen=True, slots=True)
class _Side:
    """Which record of a node id is which (one per recording node)."""

    record: NodeRecord
    kind: SpanKind | None
    """CLIENT/SERVER for the two records of a remote hop; None: from the node type."""


def _sides(records: Sequence[NodeRecord]) -> dict[tuple[str, str], _Side]:
    """(node id, recording node) -> side. A node id recorded on several nodes is a remote hop: the model's
    rule (:func:`oxytui.runs.fleetrun.hop_sides`) names the work side, SERVER; the others are the caller's
    side, CLIENT."""
    out: dict[tuple[str, str], _Side] = {}
    for node_id, (work, callers) in hop_sides(by_node(records)).items():
        out[(node_id, work.node)] = _Side(work, SpanKind.SERVER if callers else None)
        for r in callers:
            out[(node_id, r.node)] = _Side(r, SpanKind.CLIENT)
    return out


def _attributes(
    r: NodeRecord, address: tuple[str, int | None], group_id: str, content_limit: int
) -> tuple[str, dict[str, AttributeValue]]:
    op, oi_kind, _ = _OPS.get(r.node_type, ("invoke_agent", "CHAIN", SpanKind.INTERNAL))
    callee = r.callee or r.node_type or "call"
    attrs: dict[str, AttributeValue] = {
        "gen_ai.operation.name": op,
        "openinference.span.kind": oi_kind,
        "oxygent.trace_id": r.trace_id,
        "oxygent.node_id": r.node_id,
        "oxygent.node": r.node,
        "oxygent.node_type": r.node_type,
        "oxygent.caller": r.caller,
        "oxygent.callee": r.callee,
        "oxygent.father_node_id": r.father_id,
        "oxygent.state": r.state.name if r.state is not None else "RUNNING",
    }
    if r.call_stack:
        attrs["oxygent.call_stack"] = list(r.call_stack)
    host, port = address
    if host:
        attrs["server.address"] = host
    if port is not None:
        attrs["server.port"] = port
    if group_id or r.group_id:
        attrs["gen_ai.conversation.id"] = group_id or r.group_id
    if r.node_type == "llm":
        model = r.model or callee
        name = f"chat {model}"
        attrs["gen_ai.request.model"] = model
        attrs["llm.model_name"] = model
        if r.input_tokens is not None:
            attrs["gen_ai.usage.input_tokens"] = r.input_tokens
            attrs["llm.token_count.prompt"] = r.input_tokens
        if r.output_tokens is not None:
            attrs["gen_ai.usage.output_tokens"] = r.output_tokens
            attrs["llm.token_count.completion"] = r.output_tokens
        if r.total_tokens is not None:
            attrs["llm.token_count.total"] = r.total_tokens
    elif r.node_type == "tool":
        name = f"execute_tool {callee}"
        attrs["gen_ai.tool.name"] = callee
    else:
        name = f"{op} {callee}"
        attrs["gen_ai.agent.name"] = callee
    if content_limit > 0:
        if r.raw_input:
            attrs["input.value"] = _cut(r.raw_input, content_limit)
            attrs["input.mime_type"] = "application/json"
        if r.raw_output:
            attrs["output.value"] = _cut(r.raw_output, content_limit)
    return name, attrs


def run_spans(
    records: Iterable[NodeRecord],
    nodes: Mapping[str, NodeInfo],
    resource: Resource,
    *,
    group_id: str = "",
    content_limit: int = 0,
) -> list[ReadableSpan]:
    """Finished spans of one run from all its nodes' records (one OTel trace; records of other traces
    are ignored). ``nodes`` maps node name -> :class:`NodeInfo`; unknown nodes get defaults."""
    recs = list(records)
    if not recs:
        return []
    trace = recs[0].trace_id
    recs = [r for r in recs if r.trace_id == trace]
    sides = _sides(recs)
    tid = otel_trace_id(trace)
    flags = TraceFlags(TraceFlags.SAMPLED)
    where: dict[str, list[str]] = {}  # node id -> recording nodes, the SERVER side first
    for (node_id, node), side in sides.items():
        lst = where.setdefault(node_id, [])
        if side.kind == SpanKind.SERVER:
            lst.insert(0, node)  # a child of a hop hangs under the callee's side, where the work was
        else:
            lst.append(node)
    fallback = min((t for r in recs for t in (r.create_time, r.update_time) if t is not None), default=None)
    spans: list[ReadableSpan] = []
    addresses: dict[str, tuple[str, int | None]] = {}
    for (node_id, node), side in sides.items():
        r = side.record
        info = nodes.get(node, NodeInfo())
        start = _ns(r.create_time or r.update_time or fallback, info.clock_offset)
        if start is None:
            continue
        end = _ns(r.update_time, info.clock_offset)
        end = start if end is None or end < start else end
        parent_node: str | None = None
        parent_id = r.father_id
        if side.kind == SpanKind.SERVER:
            parent_id = node_id
            parent_node = next(
                (n for n in where[node_id] if sides[(node_id, n)].kind == SpanKind.CLIENT), None
            )
        elif parent_id and (parent_id, node) in sides:
            parent_node = node
        elif parent_id and parent_id in where:
            parent_node = where[parent_id][0]
        parent = (
            SpanContext(tid, otel_span_id(trace, parent_id, parent_node), True, flags)
            if parent_node is not None
            else None
        )
        if node not in addresses:
            addresses[node] = info.address
        name, attrs = _attributes(r, addresses[node], group_id, content_limit)
        kind = side.kind or _OPS.get(r.node_type, ("", "", SpanKind.INTERNAL))[2]
        if not r.father_id and side.kind is None:
            kind = SpanKind.SERVER  # the run's root: the node served a request
        status = Status(StatusCode.UNSET)
        if r.failed and r.state is not None:
            status = Status(StatusCode.ERROR, f"OxyGent state {r.state.name}")
            attrs["error.type"] = r.state.name
        spans.append(
            ReadableSpan(
                name=name,
                context=SpanContext(tid, otel_span_id(trace, node_id, node), False, flags),
                parent=parent,
                resource=resource,
                attributes=attrs,
                kind=kind,
                status=status,
                start_time=start,
                end_time=end,
                instrumentation_scope=SCOPE,
            )
        )
    return spans
