"""N simulated nodes in their own process (so their CPU is not the dashboard's event loop).

Prints one JSON line ``{"urls": {...}}`` when ready; then reads commands from stdin, one per line:
``stats`` -> one JSON line with every node's counters; ``quit`` (or EOF) -> stop and exit.
Usage: ``python benchmarks/sim_farm.py NODES EVENT_RATE``.
"""

from __future__ import annotations

import asyncio
import json
import sys

from oxytui.sim import NodeKnobs, SimNode


async def main(count: int, rate: float) -> None:
    knobs = NodeKnobs(latency_ms=1, token_ms=0, burst_ms=100, event_rate=rate, queue_max=10**7)
    nodes = [SimNode("math_agent", seed=i, knobs=knobs) for i in range(count)]
    for node in nodes:
        await node.start(port=0)
    print(json.dumps({"urls": {f"node{i:02d}": n.url for i, n in enumerate(nodes)}}), flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if line == "stats":
            print(json.dumps({f"node{i:02d}": dict(n.stats) for i, n in enumerate(nodes)}), flush=True)
        elif line in ("quit", ""):
            break
    for node in nodes:
        await node.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), float(sys.argv[2])))
