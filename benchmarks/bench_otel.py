"""OTLP trace export: what it costs the app and how many spans per second the exporter sustains.

    python benchmarks/bench_otel.py [SECONDS=5] [REPEATS=3]

Three figures, each the median of REPEATS:

1. **mapping**: records -> finished spans (``run_spans``) on the caller's thread, spans/s.
2. **offer**: ``export_run`` (mapping + the bounded queue hand-off), i.e. what the watcher/dashboard loop
   pays per finished run, spans/s — measured against a collector that answers nothing (all drops after
   the queue fills), so it is the pure caller cost.
3. **sustained**: spans/s actually delivered over OTLP/HTTP (protobuf encoding + POST on the SDK worker
   thread) to a local collector in a separate process that reads each body and answers 200; runs are
   offered as fast as the queue takes them for SECONDS, then flushed.

The run is the captured remote ``add`` (8 spans over two nodes) with a fresh trace id each time.
"""

from __future__ import annotations

import json
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from oxytui.client.records import NodeRecord, parse_view  # noqa: E402
from oxytui.ops.telemetry import NodeInfo, run_spans  # noqa: E402
from oxytui.ops.telemetry_export import OtlpExporter, service_resource  # noqa: E402

TRAFFIC = ROOT / "tests" / "fixtures" / "traffic"
NODES = {"master": NodeInfo("http://10.0.0.5:18080"), "math": NodeInfo("http://10.0.0.6:18081", 0.2)}
COLLECTOR = """
import sys
from aiohttp import web
async def traces(request):
    await request.read()
    return web.Response(body=b"", content_type="application/x-protobuf")
app = web.Application(client_max_size=64 * 1024 * 1024)
app.router.add_post("/v1/traces", traces)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def base_run() -> list[NodeRecord]:
    out: list[NodeRecord] = []
    for node, name in (("master", "master_remote_add"), ("math", "math_remote_add")):
        out += parse_view(json.loads((TRAFFIC / f"view_{name}.json").read_text()), node).records
    return out


def runs(n: int) -> list[list[NodeRecord]]:
    base = base_run()
    return [[replace(r, trace_id=f"BENCH{i:09d}") for r in base] for i in range(n)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_mapping(seconds: float) -> float:
    resource = service_resource({})
    batch = runs(2000)
    spans = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for recs in batch:
            spans += len(run_spans(recs, NODES, resource))
    return spans / (time.perf_counter() - t0)


def bench_offer(seconds: float) -> float:
    exp = OtlpExporter(f"http://127.0.0.1:{free_port()}", env={}, max_queue=2048, timeout=0.2)
    batch = runs(20000)
    t0 = time.perf_counter()
    i = 0
    while time.perf_counter() - t0 < seconds and i < len(batch):
        exp.export_run(batch[i], NODES)
        i += 1
    rate = exp.stats.spans / (time.perf_counter() - t0)
    exp.shutdown(1.0)
    return rate


def bench_sustained(seconds: float) -> tuple[float, int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", COLLECTOR, str(port)])
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        exp = OtlpExporter(
            f"http://127.0.0.1:{port}", env={}, max_queue=8192, batch_size=512, delay_ms=100, timeout=30
        )
        batch = runs(40000)
        t0 = time.perf_counter()
        i = 0
        while time.perf_counter() - t0 < seconds and i < len(batch):
            if exp.stats.pending < 8192 - 16:
                exp.export_run(batch[i], NODES)
                i += 1
            else:
                time.sleep(0.001)
        exp.force_flush()
        elapsed = time.perf_counter() - t0
        stats = exp.stats
        exp.shutdown()
        assert stats.failed == 0, stats
        return stats.exported / elapsed, stats.dropped
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    mapping = statistics.median(bench_mapping(seconds) for _ in range(repeats))
    offer = statistics.median(bench_offer(seconds) for _ in range(repeats))
    sustained = [bench_sustained(seconds) for _ in range(repeats)]
    rate = statistics.median(r for r, _ in sustained)
    print(f"mapping (records -> spans, caller thread): {mapping:,.0f} spans/s")
    print(f"offer   (export_run incl. mapping, collector dead): {offer:,.0f} spans/s")
    print(
        f"sustained OTLP/HTTP delivery to a local collector: {rate:,.0f} spans/s (dropped {sustained[0][1]})"
    )


if __name__ == "__main__":
    main()
