"""The dashboard's OTLP export: on from ``[otlp]``, runs someone else started arrive at a local collector
as traces, the top bar shows the marker, the palette switches it off (and the marker goes)."""

from __future__ import annotations

import asyncio

from oxytui.config import NodeConfig, OtlpConfig, Settings
from oxytui.ops.telemetry import otel_trace_id
from oxytui.sim import NodeKnobs, SimCluster
from oxytui.tui.app import OxyApp
from tests.integration.test_ops_otlp_wire import collector
from tests.integration.test_traffic_watch import SECRET, other_client
from tests.tui.test_live import until

SIZE = (160, 45)


async def test_otlp_from_config_marker_and_palette_toggle() -> None:
    fast = NodeKnobs(latency_ms=0, token_ms=0, burst_ms=0)
    async with collector() as col, SimCluster(nodes=2, seed=9, burst_ms=0, knobs=fast) as c:
        nodes = [NodeConfig(name=n, url=u) for n, u in c.urls.items()]
        otlp = OtlpConfig(enabled=True, endpoint=col.url)
        app = OxyApp(Settings(nodes=nodes, seed=9, traffic_every=0.3, otlp=otlp))
        async with app.run_test(size=SIZE) as pilot:
            ctl = app.controller
            await until(pilot, lambda: ctl.traffic is not None and ctl.traffic.requests >= 2)  # type: ignore[union-attr]
            await other_client(c.urls["master_agent"], "remote add 2 3", "TRdashOtlp000001")
            await until(pilot, lambda: ctl.otlp.on and ctl.otlp.exporter.stats.runs >= 1, limit=20)  # type: ignore[union-attr]
            await asyncio.to_thread(ctl.otlp.exporter.force_flush)  # type: ignore[union-attr]
            await until(pilot, lambda: "OTLP" in str(app.main.query_one("#topbar").render()))
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"OTLP trace export")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await until(pilot, lambda: not ctl.otlp.on)  # type: ignore[union-attr]
            await until(pilot, lambda: "OTLP" not in str(app.main.query_one("#topbar").render()))
    tid = otel_trace_id("TRdashOtlp000001").to_bytes(16, "big")
    spans = [s for _, s in col.spans if s.trace_id == tid]
    assert len({s.span_id for s in spans}) == len(spans) > 3
    assert SECRET.encode() not in b"".join(r.SerializeToString() for r in col.requests)
