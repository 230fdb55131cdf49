"""Captured OxyGent records -> OTel spans, checked with the SDK's in-memory exporter: ids, parents across
the remote hop, names, GenAI/OpenInference attributes, status, times, content and secrets, once per run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from oxytui.client.records import NodeRecord, parse_view
from oxytui.ops.telemetry import NodeInfo, otel_span_id, otel_trace_id, run_spans
from oxytui.ops.telemetry_export import (
    DEFAULT_ENDPOINT,
    OtlpExporter,
    otlp_headers,
    resolve_endpoint,
    service_resource,
    shown_endpoint,
)

ROOT = Path(__file__).parents[2]
TRAFFIC = ROOT / "tests" / "fixtures" / "traffic"
NODES = {"master": NodeInfo("http://10.0.0.5:18080"), "math": NodeInfo("https://math.example:8443", 0.5)}


def records(node: str, name: str) -> list[NodeRecord]:
    return parse_view(json.loads((TRAFFIC / f"view_{name}.json").read_text()), node).records


def remote_add() -> list[NodeRecord]:
    return records("master", "master_remote_add") + records("math", "math_remote_add")


def export(recs: list[NodeRecord], **kw: object) -> tuple[list[ReadableSpan], OtlpExporter]:
    mem = InMemorySpanExporter()
    exp = OtlpExporter(exporter=mem, env={}, **kw)  # type: ignore[arg-type]
    try:
        assert exp.export_run(recs, NODES, group_id="G-1")
        exp.force_flush()
        return list(mem.get_finished_spans()), exp
    finally:
        exp.shutdown()


def by_key(spans: list[ReadableSpan]) -> dict[tuple[str, str], ReadableSpan]:
    return {(str(s.attributes["oxygent.node_id"]), str(s.attributes["oxygent.node"])): s for s in spans}


def test_remote_hop_is_one_trace_with_client_and_server_spans() -> None:
    spans, _ = export(remote_add())
    assert len(spans) == 8 and {s.context.trace_id for s in spans} == {otel_trace_id("TRremoteAdd00001")}
    k = by_key(spans)
    root = k[("BtVGpwYqK6yicp3U", "master")]
    client, server = k[("RAhpp2d5vCs7ETxM", "master")], k[("RAhpp2d5vCs7ETxM", "math")]
    assert root.parent is None and root.kind == SpanKind.SERVER and root.name == "invoke_agent master_agent"
    assert client.kind == SpanKind.CLIENT and server.kind == SpanKind.SERVER
    assert client.parent is not None and client.parent.span_id == root.context.span_id
    assert server.parent is not None and server.parent.span_id == client.context.span_id
    assert server.parent.is_remote
    for (node_id, node), s in k.items():
        assert s.context.span_id == otel_span_id("TRremoteAdd00001", node_id, node)
        if node == "math" and node_id != "RAhpp2d5vCs7ETxM":  # the callee's work hangs under its SERVER span
            assert s.parent is not None and s.parent.span_id == server.context.span_id
    tool = k[("dq3FiAWcTMh6LyYV", "math")]
    assert tool.name == "execute_tool add" and tool.attributes["gen_ai.tool.name"] == "add"
    assert tool.attributes["openinference.span.kind"] == "TOOL"
    assert client.attributes["gen_ai.agent.name"] == "math_agent"


def test_attributes_tokens_and_addresses() -> None:
    recs = remote_add()
    spans, _ = export(recs)
    k = by_key(spans)
    for r in recs:
        a = k[(r.node_id, r.node)].attributes
        assert a["oxygent.trace_id"] == "TRremoteAdd00001" and a["gen_ai.conversation.id"] == "G-1"
        assert a["server.address"] == {"master": "10.0.0.5", "math": "math.example"}[r.node]
        if r.node_type == "llm":
            assert k[(r.node_id, r.node)].name == f"chat {r.model}" and r.model
            assert k[(r.node_id, r.node)].kind == SpanKind.CLIENT
            assert a["gen_ai.operation.name"] == "chat" and a["openinference.span.kind"] == "LLM"
            assert a["gen_ai.request.model"] == r.model
            assert a["gen_ai.usage.input_tokens"] == r.input_tokens and isinstance(r.input_tokens, int)
            assert a["gen_ai.usage.output_tokens"] == r.output_tokens and isinstance(r.output_tokens, int)
        assert k[(r.node_id, r.node)].status.status_code == StatusCode.UNSET


def test_times_come_from_the_records_shifted_by_the_node_clock_offset() -> None:
    recs = remote_add()
    spans, _ = export(recs)
    k = by_key(spans)
    for r in recs:
        assert r.create_time is not None and r.update_time is not None
        off = NODES[r.node].clock_offset
        start = round((r.create_time.replace(tzinfo=UTC).timestamp() - off) * 1e6) * 1000
        s = k[(r.node_id, r.node)]
        assert s.start_time == start
        assert s.end_time is not None and s.end_time - s.start_time == round(r.duration * 1e6) * 1000  # type: ignore[operator]


def test_failed_record_is_an_error_span() -> None:
    spans, _ = export(records("math", "math_boom"))
    errors = [s for s in spans if s.status.status_code == StatusCode.ERROR]
    assert [s.name for s in errors] == ["execute_tool boom"]
    assert errors[0].attributes["error.type"] == "FAILED"
    assert all("error.type" not in s.attributes for s in spans if s not in errors)


def test_content_only_when_asked_truncated_and_never_credentials() -> None:
    recs = records("math", "math_auth_header")
    assert any(r.headers for r in recs)
    plain, _ = export(recs)
    assert not any(k.startswith(("input.", "output.")) for s in plain for k in s.attributes)
    full, exp = export(recs, content=True)
    values = [str(v) for s in full for v in s.attributes.values()]
    assert any(s.attributes.get("output.value") for s in full)
    assert all(len(str(s.attributes.get("input.value", ""))) <= exp.content_limit + 40 for s in full)
    dump = json.dumps([s.to_json() for s in full])
    assert "SECRET-TOKEN-123" not in dump and "SECRET-TOKEN-123" not in " ".join(values)
    assert not any("authorization" in k.lower() or "header" in k.lower() for s in full for k in s.attributes)


def test_ids_are_deterministic_and_each_run_is_exported_once() -> None:
    first, _ = export(remote_add())
    again, _ = export(remote_add())
    assert sorted((s.context.span_id, s.parent and s.parent.span_id) for s in first) == sorted(
        (s.context.span_id, s.parent and s.parent.span_id) for s in again
    )
    mem = InMemorySpanExporter()
    exp = OtlpExporter(exporter=mem, env={})
    assert exp.export_run(remote_add(), NODES) and not exp.export_run(remote_add(), NODES)
    exp.force_flush()
    assert len(mem.get_finished_spans()) == 8 and exp.stats.runs == 1 and exp.stats.exported == 8
    exp.shutdown()


def test_records_of_other_traces_and_missing_fathers_are_tolerated() -> None:
    recs = records("master", "master_remote_add")[1:]  # root missing: its children become roots
    recs += records("math", "math_boom")  # another trace: ignored
    spans = run_spans(recs, NODES, service_resource({}))
    assert len(spans) == 3 and all(
        s.parent is None for s in spans if s.attributes["oxygent.node"] == "master"
    )


def test_service_name_endpoint_and_headers_from_the_standard_env() -> None:
    assert service_resource({}).attributes["service.name"] == "oxytui"
    assert service_resource({"OTEL_SERVICE_NAME": "ops-bridge"}).attributes["service.name"] == "ops-bridge"
    assert resolve_endpoint(None, {}) == DEFAULT_ENDPOINT
    assert (
        resolve_endpoint(None, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/"}) == "http://c:4318/v1/traces"
    )
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://t/x"}
    assert resolve_endpoint(None, env) == "http://t/x"
    assert resolve_endpoint("http://h:4318", env) == "http://h:4318/v1/traces"
    assert resolve_endpoint("https://h/otlp/v1/traces", env) == "https://h/otlp/v1/traces"
    with pytest.raises(ValueError):
        resolve_endpoint("ftp://h", {})
    assert otlp_headers({"OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer%20abc,x-k=v"}) == {
        "authorization": "Bearer abc",
        "x-k": "v",
    }
    assert shown_endpoint("https://user:pw@h:4318/v1/traces?k=secret") == "https://h:4318/v1/traces"
    exp = OtlpExporter("https://user:pw@h:4318/v1/traces", env={"OTEL_EXPORTER_OTLP_HEADERS": "k=SECRETVAL"})
    assert "pw" not in repr(exp) and "SECRETVAL" not in repr(exp)
    exp.shutdown()


def test_base_install_and_version_do_not_import_opentelemetry() -> None:
    code = (
        "import sys, contextlib, io\n"
        "import oxytui.cli, oxytui.ops.watch, oxytui.ops.metrics, oxytui.ops.export\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    oxytui.cli.main(['--version'])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'opentelemetry'))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def _fleet_run() -> tuple[object, object]:
    from datetime import datetime

    from oxytui.runs import Fleet

    fleet = Fleet()
    date = datetime(2026, 11, 29, 13, 59, 39, tzinfo=UTC)  # the captures' Date header; node clocks in UTC
    received = date.timestamp() + 2.0  # our clock 2 s ahead of the nodes'
    for node, name in (("master", "master_remote_add"), ("math", "math_remote_add")):
        view = parse_view(json.loads((TRAFFIC / f"view_{name}.json").read_text()), node)
        fleet.apply_view(node, view, received, date)
    fleet.finish("TRremoteAdd00001", received)
    return fleet, fleet.get("TRremoteAdd00001")


def test_a_fleet_run_exports_with_the_fleet_clock_and_feeds_metrics() -> None:
    from oxytui.ops.metrics import FleetMetrics
    from tests.unit.test_ops_prom import parse_prometheus

    fleet, run = _fleet_run()
    mem = InMemorySpanExporter()
    exp = OtlpExporter(exporter=mem, env={})
    urls = {"master": "http://10.0.0.5:18080", "math": "http://10.0.0.6:18081"}
    assert exp.export_fleet_run(run, urls, fleet.clock)  # type: ignore[attr-defined,arg-type]
    exp.force_flush()
    spans = by_key(list(mem.get_finished_spans()))
    root = spans[("BtVGpwYqK6yicp3U", "master")]
    rec = next(r for r in remote_add() if r.node_id == "BtVGpwYqK6yicp3U")
    assert rec.create_time is not None
    assert root.start_time == round((rec.create_time.replace(tzinfo=UTC).timestamp() + 2.0) * 1e6) * 1000
    assert spans[("RAhpp2d5vCs7ETxM", "math")].attributes["server.address"] == "10.0.0.6"
    exp.shutdown()

    m = FleetMetrics()
    m.observe_fleet_run(run)  # type: ignore[arg-type]
    fams = parse_prometheus(m.text())
    runs = {(s[1]["node"], s[1]["source"]): s[2] for s in fams["oxytui_runs_total"]["samples"]}
    assert runs == {("master", "traffic"): 1}
    calls = {
        (s[1]["node"], s[1]["callee"], s[1]["type"]): s[2] for s in fams["oxytui_calls_total"]["samples"]
    }
    # the hop counts once, on the node that did the work; 3 LLM calls + the tool on math, 2 LLM on master
    assert calls[("math", "math_agent", "agent")] == 1 and ("master", "math_agent", "agent") not in calls
    assert calls[("math", "add", "tool")] == 1 and calls[("master", "master_agent", "agent")] == 1
    tokens = sum(s[2] for s in fams["oxytui_tokens_total"]["samples"])
    assert tokens == sum((r.input_tokens or 0) + (r.output_tokens or 0) for r in remote_add()) > 0


def test_cli_otlp_usage_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    from oxytui.cli import main

    monkeypatch.setenv("OXYTUI_CONFIG_DIR", "/nonexistent-oxytui")
    assert main(["watch", "http://127.0.0.1:9", "--otlp-content"]) == 2
    assert main(["watch", "http://127.0.0.1:9", "--otlp", "ftp://collector"]) == 2
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name.startswith("opentelemetry") else real(name, *a),
    )
    assert main(["watch", "http://127.0.0.1:9", "--otlp"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and "--otlp-content needs --otlp" in lines[0]
    assert "invalid OTLP endpoint" in lines[1] and "pip install 'oxytui[otel]'" in lines[2]


def test_otel_sdk_warnings_are_scrubbed_of_remembered_tokens() -> None:
    """The OTel SDK's last warning (shown as the exporter's error) masks configured collector headers and
    the node tokens oxytui remembers, with the one mask every output uses."""
    import logging

    from oxytui.redact import MASK, remember

    remember("NODE-TOKEN-remembered-51c2")
    env = {"OTEL_EXPORTER_OTLP_HEADERS": "x-k=HDR-SECRET-77"}
    exp = OtlpExporter("http://127.0.0.1:9/v1/traces", env=env, exporter=InMemorySpanExporter())
    try:
        logging.getLogger("opentelemetry.sdk").warning("failed: NODE-TOKEN-remembered-51c2 HDR-SECRET-77")
        assert exp.last_error == f"failed: {MASK} {MASK}"
    finally:
        exp.shutdown()
