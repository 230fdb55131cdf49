"""OTLP/HTTP on the wire: a local collector (aiohttp) decodes the protobuf with ``opentelemetry-proto``;
a dead and a blocked collector never block the caller, memory stays bounded, drops are counted."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from oxytui.client.records import NodeRecord, parse_view
from oxytui.ops.telemetry import NodeInfo, otel_span_id, otel_trace_id
from oxytui.ops.telemetry_export import OtlpExporter
from tests.support.scripted_server import free_port

TRAFFIC = Path(__file__).parents[1] / "fixtures" / "traffic"
NODES = {"master": NodeInfo("http://127.0.0.1:18080"), "math": NodeInfo("http://127.0.0.1:18081")}


def records(node: str, name: str) -> list[NodeRecord]:
    return parse_view(json.loads((TRAFFIC / f"view_{name}.json").read_text()), node).records


def remote_add() -> list[NodeRecord]:
    return records("master", "master_remote_add") + records("math", "math_remote_add")


def value(v: Any) -> Any:
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [value(x) for x in v.array_value.values]
    return getattr(v, kind)


@dataclass
class Collector:
    url: str = ""
    requests: list[ExportTraceServiceRequest] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    got: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def spans(self) -> list[tuple[dict[str, Any], Span]]:
        out = []
        for req in self.requests:
            for rs in req.resource_spans:
                res = {a.key: value(a.value) for a in rs.resource.attributes}
                out += [(res, s) for ss in rs.scope_spans for s in ss.spans]
        return out


@asynccontextmanager
async def collector(blocked: bool = False) -> AsyncIterator[Collector]:
    col = Collector()
    if not blocked:
        col.release.set()

    async def traces(request: web.Request) -> web.Response:
        assert request.content_type == "application/x-protobuf"
        col.requests.append(ExportTraceServiceRequest.FromString(await request.read()))
        col.headers.append({k.lower(): v for k, v in request.headers.items()})
        col.got.set()
        await col.release.wait()
        return web.Response(
            body=ExportTraceServiceResponse().SerializeToString(), content_type="application/x-protobuf"
        )

    app = web.Application()
    app.router.add_post("/v1/traces", traces)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    col.url = f"http://{host}:{port}"
    try:
        yield col
    finally:
        col.release.set()
        await runner.cleanup()


async def test_a_run_arrives_as_one_stitched_trace() -> None:
    env = {"OTEL_EXPORTER_OTLP_HEADERS": "x-collector-key=K3Y-abc", "OTEL_SERVICE_NAME": "bridge"}
    async with collector() as col:
        exp = OtlpExporter(col.url, env=env, delay_ms=20)
        exp.export_run(remote_add(), NODES, group_id="G")
        exp.export_run(records("math", "math_boom"), NODES)
        assert await asyncio.to_thread(exp.force_flush)
        await asyncio.to_thread(exp.shutdown)
    assert col.headers[0]["x-collector-key"] == "K3Y-abc"  # headers go to the collector
    spans = col.spans
    assert len(spans) == 12 and {r["service.name"] for r, _ in spans} == {"bridge"}
    by_trace: dict[bytes, list[Span]] = {}
    for _, s in spans:
        by_trace.setdefault(s.trace_id, []).append(s)
    add = by_trace[otel_trace_id("TRremoteAdd00001").to_bytes(16, "big")]
    assert len(add) == 8
    ids = {s.span_id for s in add}
    roots = [s for s in add if not s.parent_span_id]
    assert len(roots) == 1 and all(s.parent_span_id in ids for s in add if s is not roots[0])
    hop = {s.kind: s for s in add if s.name == "invoke_agent math_agent"}
    assert set(hop) == {Span.SPAN_KIND_CLIENT, Span.SPAN_KIND_SERVER}
    assert hop[Span.SPAN_KIND_SERVER].parent_span_id == hop[Span.SPAN_KIND_CLIENT].span_id
    assert hop[Span.SPAN_KIND_CLIENT].span_id == otel_span_id(
        "TRremoteAdd00001", "RAhpp2d5vCs7ETxM", "master"
    ).to_bytes(8, "big")
    llm = next(s for s in add if s.name.startswith("chat "))
    attrs = {a.key: value(a.value) for a in llm.attributes}
    assert isinstance(attrs["gen_ai.usage.input_tokens"], int) and attrs["openinference.span.kind"] == "LLM"
    assert attrs["server.address"] == "127.0.0.1" and attrs["gen_ai.conversation.id"] == "G"
    boom = [s for s in by_trace[otel_trace_id("TRmathBoom000001").to_bytes(16, "big")]]
    failed = [s for s in boom if s.status.code == Status.STATUS_CODE_ERROR]
    assert [s.name for s in failed] == ["execute_tool boom"]
    wire = b"".join(r.SerializeToString() for r in col.requests)
    assert b"K3Y-abc" not in wire and b"SECRET" not in wire
    assert exp.stats.exported == 12 and exp.stats.dropped == 0 and exp.stats.failed == 0


async def test_dead_collector_counts_failures_and_never_raises() -> None:
    url = f"http://user:PASSW0RD@127.0.0.1:{free_port()}/v1/traces?key=SECRETQ"
    exp = OtlpExporter(url, env={}, delay_ms=20, timeout=0.5)
    for _ in range(3):
        exp.export_run(remote_add(), NODES)  # a re-export of the same run is ignored
    exp.export_run(records("math", "math_boom"), NODES)
    assert exp.stats.spans == 12  # handed over at once: nothing waited for the collector
    await asyncio.to_thread(exp.force_flush)
    stats = exp.stats
    assert stats.failed == 12 and stats.exported == 0 and stats.pending == 0
    assert "failed" in stats.summary() and exp.last_error
    shown = exp.last_error + repr(exp) + exp.shown_endpoint
    assert "SECRETQ" not in shown and "PASSW0RD" not in shown
    await asyncio.wait_for(asyncio.to_thread(exp.shutdown, 2.0), 30)  # guard against a hang, not a timing


async def test_blocked_collector_bounds_memory_and_counts_drops() -> None:
    async with collector(blocked=True) as col:
        exp = OtlpExporter(col.url, env={}, max_queue=64, batch_size=16, delay_ms=10, timeout=60)
        recs = remote_add()
        exp.export_run(recs, NODES)
        await asyncio.wait_for(col.got.wait(), 30)  # the worker is now stuck in one export
        for i in range(300):  # 2,400 more spans while the collector answers nothing
            exp.export_run([r.__class__(**{**_fields(r), "trace_id": f"T{i}"}) for r in recs], NODES)
            assert exp.stats.pending <= 64  # bounded at every step
        stats = exp.stats
        assert stats.spans == 2408 and stats.dropped >= 2408 - 64 - 16
        accepted = stats.spans - stats.dropped
        col.release.set()
        assert await asyncio.to_thread(exp.force_flush)
        await asyncio.to_thread(exp.shutdown)
    assert len(col.spans) == accepted == exp.stats.exported  # every accepted span arrived exactly once
    assert exp.stats.spans == exp.stats.exported + exp.stats.dropped


def _fields(r: NodeRecord) -> dict[str, Any]:
    return {f: getattr(r, f) for f in r.__slots__}  # type: ignore[attr-defined]


async def test_watch_otlp_bridges_sim_traffic_to_the_collector() -> None:
    """``oxytui watch --otlp`` (traffic implied): someone else's remote run arrives as one stitched
    trace, with the watcher's exporter counters on /metrics; the other client's token goes nowhere."""
    import io

    from oxytui.config import NodeConfig, Settings
    from oxytui.ops.watch import Watcher, WatchOptions
    from oxytui.sim import NodeKnobs, SimCluster
    from tests.integration.test_traffic_watch import SECRET, other_client, until
    from tests.unit.test_ops_prom import parse_prometheus

    fast = NodeKnobs(latency_ms=0, token_ms=0, burst_ms=0)
    async with collector() as col, SimCluster(nodes=2, seed=5, burst_ms=0, knobs=fast) as c:
        nodes = [NodeConfig(name=n, url=u) for n, u in c.urls.items()]
        opts = WatchOptions(
            every=60, timeout=5, metrics_port=0, traffic=True, traffic_every=0.3, otlp=col.url
        )
        w = Watcher(Settings(nodes=nodes), opts, io.StringIO(), err := io.StringIO())
        task = asyncio.create_task(w.run())
        await until(lambda: w.traffic_watcher is not None and w.traffic_watcher.requests >= 2)
        await other_client(c.urls["master_agent"], "remote add 2 3", "TRotlpAdd0000001")
        await until(lambda: w.otlp is not None and w.otlp.stats.runs >= 1, limit=20)
        await asyncio.to_thread(w.otlp.force_flush)
        assert w.metrics_url is not None
        async with aiohttp.ClientSession() as s, s.get(w.metrics_url) as r:
            fams = parse_prometheus(await r.text())
        w.stop()
        await asyncio.wait_for(task, 20)
    spans = [s for _, s in col.spans if s.trace_id == otel_trace_id("TRotlpAdd0000001").to_bytes(16, "big")]
    nodes_seen = {value(a.value) for s in spans for a in s.attributes if a.key == "oxygent.node"}
    assert nodes_seen == {"master_agent", "math_agent"}
    ids = {s.span_id for s in spans}
    assert sum(1 for s in spans if not s.parent_span_id) == 1
    assert all(s.parent_span_id in ids for s in spans if s.parent_span_id)
    exported = fams["oxytui_otlp_spans_exported_total"]["samples"][0][2]
    assert exported >= len(spans) > 0 and fams["oxytui_otlp_spans_dropped_total"]["samples"][0][2] == 0
    wire = b"".join(r.SerializeToString() for r in col.requests)
    assert SECRET.encode() not in wire and SECRET not in err.getvalue()
    assert "otlp:" in err.getvalue()  # the exporter's totals at exit
