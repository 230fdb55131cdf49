"""N simulated nodes in their own process (so their CPU is not the dashboard's event loop).

Prints one JSON line ``{"urls": {...}}`` when ready; then reads commands from stdin, one per line:
``stats`` -> one JSON line with every node's counters; ``quit`` (or EOF) -> stop and exit.
With ``USERS_RATE`` > 0, "other users" also start that many runs per second on every node over plain HTTP
(``/chat``, as ``traffic_farm.py``): runs the dashboard did not start, seen only in the nodes' records.
Usage: ``python benchmarks/sim_farm.py NODES EVENT_RATE [USERS_RATE]``.
"""

from __future__ import annotations

import asyncio
import json
import sys

import aiohttp
from traffic_farm import users

from oxytui.sim import NodeKnobs, SimNode


async def main(count: int, rate: float, users_rate: float = 0.0) -> None:
    knobs = NodeKnobs(latency_ms=1, token_ms=0, burst_ms=100, event_rate=rate, queue_max=10**7)
    nodes = [SimNode("math_agent", seed=i, knobs=knobs) for i in range(count)]
    for node in nodes:
        await node.start(port=0)
    print(json.dumps({"urls": {f"node{i:02d}": n.url for i, n in enumerate(nodes)}}), flush=True)
    loop = asyncio.get_running_loop()
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    done = [[0, 0] for _ in nodes]
    others = [
        asyncio.create_task(users(session, n.url, users_rate, d)) for n, d in zip(nodes, done, strict=True)
    ] if users_rate > 0 else []  # fmt: skip
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if line == "stats":
            out = {f"node{i:02d}": dict(n.stats) for i, n in enumerate(nodes)}
            out["users"] = {"done": sum(d[0] for d in done), "errors": sum(d[1] for d in done)}
            print(json.dumps(out), flush=True)
        elif line in ("quit", ""):
            break
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)
    await session.close()
    for node in nodes:
        await node.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else 0.0))
