"""Fleet traffic cost: the watcher's CPU and the request rate it puts on each node, and /view parsing.

1. ``NODES`` simulated nodes (another process, ``traffic_farm.py``), each serving ``RATE`` runs/s started by
   other users; the watcher (this process, default options: 2 s polls, page_size 10, 4 views/tick) runs for
   ``SECONDS`` busy, then ``SECONDS`` idle (users stopped; back-off to 10 s). Measured: this process's CPU
   (% of one core, ``time.process_time``), requests per node per second, runs seen finished vs started.
2. ``/view`` parsing of a 10,000-record trace shaped like the captures (decode, typed parse, redaction).

Run: ``python benchmarks/bench_traffic.py [seconds] [nodes,...]`` (default 30 s, 10 and 50 nodes).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import REPO, table

RATE = 5.0
FIXTURES = REPO / "tests" / "fixtures" / "traffic"


async def farm(nodes: int) -> tuple[asyncio.subprocess.Process, dict[str, str]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(Path(__file__).with_name("traffic_farm.py")), str(nodes), str(RATE),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=str(REPO),
    )  # fmt: skip
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 120)
    return proc, json.loads(line)["urls"]


async def command(proc: asyncio.subprocess.Process, cmd: str) -> Any:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(cmd.encode() + b"\n")
    await proc.stdin.drain()
    if cmd == "stats":
        return json.loads(await proc.stdout.readline())
    return None


async def watch_phase(nodes: int, seconds: float) -> dict[str, Any]:
    from oxytui.client import SSEOxyGent
    from oxytui.ops.traffic import TrafficWatcher
    from oxytui.runs import FleetState

    proc, urls = await farm(nodes)
    agents = [SSEOxyGent(name=n, server_url=u) for n, u in urls.items()]
    ended: list[Any] = []
    watcher = TrafficWatcher(
        lambda: agents, on_events=lambda evs: ended.extend(e for e in evs if e.kind == "run_end")
    )
    task = asyncio.create_task(watcher.run())
    out: dict[str, Any] = {"nodes": nodes}
    try:
        await asyncio.sleep(3)  # first polls: the backlog-free baseline
        await command(proc, "go")
        r0, c0, t0, n0 = watcher.requests, time.process_time(), time.monotonic(), len(ended)
        before = await command(proc, "stats")
        await asyncio.sleep(seconds)
        after = await command(proc, "stats")
        r1, c1, t1 = watcher.requests, time.process_time(), time.monotonic()
        wall = t1 - t0
        out["busy_cpu_pct"] = 100 * (c1 - c0) / wall
        out["busy_req_per_node_s"] = (r1 - r0) / wall / nodes
        out["runs_started"] = after["done"] - before["done"]
        out["runs_seen_finished"] = len(ended) - n0
        out["gave_up"] = sum(1 for e in ended if e.run.state is FleetState.UNKNOWN)
        await command(proc, "idle")
        drained = time.monotonic()
        while any(nw.pending for nw in watcher.nodes.values()) and time.monotonic() - drained < 300:
            watcher.progress.clear()  # the backlog of runs not viewed yet
            await asyncio.wait_for(watcher.progress.wait(), 30)
        out["backlog_drain_s"] = time.monotonic() - drained
        await asyncio.sleep(25)  # then let the back-off reach its ceiling
        r0, c0, t0 = watcher.requests, time.process_time(), time.monotonic()
        await asyncio.sleep(seconds)
        r1, c1, t1 = watcher.requests, time.process_time(), time.monotonic()
        out["idle_cpu_pct"] = 100 * (c1 - c0) / (t1 - t0)
        out["idle_req_per_node_s"] = (r1 - r0) / (t1 - t0) / nodes
        out["overflow"] = watcher.overflow
    finally:
        watcher.stop()
        await task
        for a in agents:
            await a.aclose()
        await command(proc, "quit")
        await proc.wait()
    return out


def view_parse(records: int = 10_000, repeats: int = 5) -> dict[str, Any]:
    from oxytui.client.events import decode_json
    from oxytui.client.records import parse_view

    base = json.loads((FIXTURES / "view_math_auth_header.json").read_text())["data"]["nodes"]
    nodes = []
    for i in range(records):
        rec = dict(base[i % len(base)])
        rec["node_id"] = f"N{i:07d}"
        nodes.append(rec)
    body = json.dumps({"code": 200, "message": "SUCCESS", "data": {"nodes": nodes, "trace_id": "T"}}).encode()
    times, parse_only = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        data = decode_json(body)
        t1 = time.perf_counter()
        view = parse_view(data, "n", "T")
        t2 = time.perf_counter()
        assert len(view.records) == records and all("SECRET" not in r.raw_input for r in view.records[:10])
        times.append(t2 - t0)
        parse_only.append(t2 - t1)
    return {
        "records": records,
        "body_mb": round(len(body) / 2**20, 1),
        "decode_parse_s": round(statistics.median(times), 3),
        "parse_s": round(statistics.median(parse_only), 3),
    }


async def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    counts = [int(x) for x in sys.argv[2].split(",")] if len(sys.argv) > 2 else [10, 50]
    rows = [await watch_phase(n, seconds) for n in counts]
    print(_table(rows))
    print(_table([view_parse()]))


def _table(rows: list[dict[str, Any]]) -> str:
    header = list(rows[0])
    fmt = [[f"{v:,.2f}" if isinstance(v, float) else f"{v:,}" for v in r.values()] for r in rows]
    return table(header, fmt)


if __name__ == "__main__":
    asyncio.run(main())
