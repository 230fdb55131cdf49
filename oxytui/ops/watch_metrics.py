"""What ``oxytui watch`` adds to ``/metrics`` besides the run metrics: per-node check counters, and the
small aiohttp server that serves the page (aiohttp imported only when ``--metrics-port`` is given)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .metrics import Family, FleetMetrics

if TYPE_CHECKING:
    from .watch import NodeState


def node_check_families(nodes: Iterable[NodeState]) -> list[Family]:
    """Per-node state, /check_alive and probe counters, read at scrape time."""
    state = Family("oxytui_node_state", "gauge", "Node state (1 for the current one).")
    alive = Family("oxytui_alive_checks_total", "counter", "/check_alive checks.")
    alive_f = Family("oxytui_alive_failures_total", "counter", "/check_alive checks that failed.")
    runs = Family("oxytui_probe_runs_total", "counter", "Probe runs.")
    fails = Family("oxytui_probe_failures_total", "counter", "Probe runs that failed.")
    alat = Family("oxytui_alive_latency_seconds", "gauge", "Latency of the last /check_alive.")
    last = Family("oxytui_last_check_timestamp_seconds", "gauge", "Unix time of the last check.")
    lat = Family("oxytui_probe_latency_seconds", "histogram", "Latency of successful probe runs.")
    for ns in nodes:
        lab = {"node": ns.name}
        if ns.alive_total:
            alat.add(ns.alive_latency, lab)
            last.add(ns.last_check, lab)
        for s in ("up", "degraded", "down"):
            state.add(1 if ns.state == s else 0, {**lab, "state": s})
        alive.add(ns.alive_total, lab)
        alive_f.add(ns.alive_failed, lab)
        runs.add(ns.probe_total, lab)
        fails.add(ns.probe_failed, lab)
        lat.add_histogram(ns.latency, lab)
    return [state, alive, alive_f, runs, fails, alat, last, lat]


async def serve_metrics(metrics: FleetMetrics, host: str, port: int | None) -> tuple[Any, str]:
    """Serve ``/metrics`` (text or OpenMetrics, by the scraper's Accept header); the runner and its URL."""
    from aiohttp import web

    async def handler(request: web.Request) -> web.Response:
        body, content_type = metrics.exposition(request.headers.get("Accept", ""))
        return web.Response(body=body, headers={"Content-Type": content_type})

    app = web.Application()
    app.router.add_get("/metrics", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port or 0)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    return runner, f"http://{bound_host}:{bound_port}/metrics"
