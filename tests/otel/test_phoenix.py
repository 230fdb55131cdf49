"""OTLP export into a real Arize Phoenix: captured runs and live OxyGent 1.1.3 traffic arrive as one
stitched trace per run (``make test-otel``)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from oxytui.client.records import NodeRecord, parse_view
from oxytui.ops.telemetry import NodeInfo, otel_trace_id
from oxytui.ops.telemetry_export import OtlpExporter
from tests.otel.phoenix import Phoenix

TRAFFIC = Path(__file__).parents[1] / "fixtures" / "traffic"


def wait_for(check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.5)
    return result


def stitched(spans: list[dict[str, Any]], trace_id: str, count: int) -> list[dict[str, Any]]:
    """The spans of one OTel trace once all ``count`` arrived, checked to form one tree."""
    tid = f"{otel_trace_id(trace_id):032x}"
    mine = [s for s in spans if s["context"]["trace_id"] == tid]
    if len(mine) < count:
        return []
    ids = {s["context"]["span_id"] for s in mine}
    roots = [s for s in mine if not s.get("parent_id")]
    assert len(roots) == 1, roots
    assert all(s["parent_id"] in ids for s in mine if s is not roots[0])
    return mine


def records(node: str, name: str) -> list[NodeRecord]:
    return parse_view(json.loads((TRAFFIC / f"view_{name}.json").read_text()), node).records


def test_captured_remote_run_is_one_trace_in_phoenix(phoenix: Phoenix) -> None:
    exp = OtlpExporter(phoenix.url, env={}, delay_ms=50)
    recs = records("master", "master_remote_add") + records("math", "math_remote_add")
    exp.export_run(recs, {"master": NodeInfo("http://127.0.0.1:1"), "math": NodeInfo("http://127.0.0.1:2")})
    exp.export_run(records("math", "math_boom"), {})
    assert exp.force_flush()
    exp.shutdown()
    assert exp.stats.exported == 12 and exp.stats.failed == 0
    spans = wait_for(lambda: stitched(phoenix.spans(), "TRremoteAdd00001", 8))
    kinds = {s["name"]: s["span_kind"] for s in spans}
    assert kinds["execute_tool add"] == "TOOL" and kinds["invoke_agent master_agent"] == "AGENT"
    llm = next(s for s in spans if s["span_kind"] == "LLM")
    assert isinstance(llm["attributes"].get("gen_ai.usage.input_tokens"), int)
    boom = wait_for(lambda: stitched(phoenix.spans(), "TRmathBoom000001", 4))
    assert [s["name"] for s in boom if s["status_code"] == "ERROR"] == ["execute_tool boom"]


def test_live_oxygent_traffic_arrives_stitched(phoenix: Phoenix) -> None:
    from tests.interop.peer import OxyNode, PeerUnavailable, ensure_venv

    try:
        py = ensure_venv()
    except PeerUnavailable as exc:
        pytest.skip(str(exc))
    math = OxyNode("math", python=py).start()
    master = OxyNode("master", remote=math.url, python=py).start()
    try:
        recs = asyncio.run(_remote_run(master.url, math.url))
    finally:
        master.stop()
        math.stop()
    exp = OtlpExporter(phoenix.url, env={}, delay_ms=50)
    trace = recs[0].trace_id
    assert exp.export_run(recs, {"master": NodeInfo(master.url), "math": NodeInfo(math.url)})
    assert exp.force_flush()
    exp.shutdown()
    spans = wait_for(lambda: stitched(phoenix.spans(), trace, len(recs)))
    assert {s["attributes"]["oxygent.node"] for s in spans} == {"master", "math"}
    hop = [s for s in spans if s["name"] == "invoke_agent math_agent"]
    assert len(hop) == 2 and {s["attributes"]["oxygent.node"] for s in hop} == {"master", "math"}


async def _remote_run(master_url: str, math_url: str) -> list[NodeRecord]:
    """A run started by a plain client on the master (remote hop to math); both nodes' records of it."""
    from oxytui.client import SSEOxyGent

    master = SSEOxyGent(name="master", server_url=master_url)
    math = SSEOxyGent(name="math", server_url=math_url)
    try:
        request = master.build_request("remote add 2 3")
        await master.execute(request)
        trace = request.current_trace_id
        for _ in range(100):
            views = [await master.view(trace), await math.view(trace)]
            if all(v.finished for v in views):
                return [r for v in views for r in v.records]
            await asyncio.sleep(0.2)
        raise AssertionError("records never finished")
    finally:
        await master.aclose()
        await math.aclose()


def test_watch_otlp_bridges_real_oxygent_traffic_to_phoenix(phoenix: Phoenix) -> None:
    """The headless bridge end to end: ``Watcher`` with ``--otlp`` polls real OxyGent 1.1.3 nodes' records;
    a run a plain HTTP client started on the master (remote hop to math) lands in Phoenix as one trace."""
    from tests.interop.peer import OxyNode, PeerUnavailable, ensure_venv

    try:
        py = ensure_venv()
    except PeerUnavailable as exc:
        pytest.skip(str(exc))
    math = OxyNode("math", python=py).start()
    master = OxyNode("master", remote=math.url, python=py).start()
    try:
        trace = asyncio.run(_bridge(master.url, math.url, phoenix.url))
    finally:
        master.stop()
        math.stop()
    tid = f"{otel_trace_id(trace):032x}"
    try:
        spans = wait_for(lambda: stitched(phoenix.spans(), trace, 6), timeout=20)
    except AssertionError:
        got = [s for s in phoenix.spans() if s["context"]["trace_id"] == tid]
        raise AssertionError(
            [
                (s["name"], s["attributes"].get("oxygent.node"), s["context"]["span_id"], s.get("parent_id"))
                for s in got
            ]
        ) from None
    assert {s["attributes"]["oxygent.node"] for s in spans} == {"master", "math"}
    assert {s["span_kind"] for s in spans} >= {"AGENT", "LLM", "TOOL"}


async def _bridge(master_url: str, math_url: str, endpoint: str) -> str:
    import io

    import aiohttp

    from oxytui.config import NodeConfig, Settings
    from oxytui.ops.watch import Watcher, WatchOptions

    nodes = [NodeConfig(name="master", url=master_url), NodeConfig(name="math", url=math_url)]
    opts = WatchOptions(every=60, timeout=30, traffic=True, traffic_every=0.5, otlp=endpoint)
    w = Watcher(Settings(nodes=nodes), opts, io.StringIO(), io.StringIO())
    task = asyncio.create_task(w.run())
    trace = "TRphoenixBridge1"
    try:
        async with aiohttp.ClientSession() as s:
            body = {"query": "remote add 2 3", "current_trace_id": trace}
            async with s.post(master_url + "/sse/chat", json=body) as r:
                await r.read()
        for _ in range(300):
            if w.otlp is not None and w.otlp.stats.runs >= 1:
                break
            await asyncio.sleep(0.1)
        assert w.otlp is not None and w.otlp.stats.runs >= 1, "the bridge never exported the run"
        await asyncio.to_thread(w.otlp.force_flush)
    finally:
        w.stop()
        await asyncio.wait_for(task, 30)
    return trace
