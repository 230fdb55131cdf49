"""N simulated nodes, each serving RATE runs/s started by "other users" over plain HTTP, in their own
process (so neither the nodes' nor the users' CPU is counted as the watcher's).

Prints ``{"urls": {...}}`` when ready; stdin commands: ``go`` (start users), ``idle`` (stop them),
``stats`` (runs started/completed per node, one JSON line), ``quit``.
Usage: ``python benchmarks/traffic_farm.py NODES RATE``.
"""

from __future__ import annotations

import asyncio
import json
import sys

import aiohttp

from oxytui.sim import NodeKnobs, SimNode


async def users(session: aiohttp.ClientSession, url: str, rate: float, done: list[int]) -> None:
    """Start ``rate`` runs per second on one node (``/chat``: a whole run, answer as JSON)."""
    loop = asyncio.get_running_loop()
    tick = loop.time()
    tasks: set[asyncio.Task[None]] = set()

    async def one(i: int) -> None:
        try:
            async with session.post(url + "/chat", json={"query": f"add {i} 3"}) as r:
                await r.read()
            done[0] += 1
        except aiohttp.ClientError:
            done[1] += 1

    i = 0
    try:
        while True:
            tick += 1.0 / rate
            await asyncio.sleep(max(0.0, tick - loop.time()))
            i += 1
            task = asyncio.create_task(one(i))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    finally:
        for t in list(tasks):
            t.cancel()


async def main(count: int, rate: float) -> None:
    knobs = NodeKnobs(latency_ms=1, token_ms=0, burst_ms=0)
    nodes = [SimNode("math_agent", seed=i, knobs=knobs) for i in range(count)]
    for node in nodes:
        await node.start(port=0)
    print(json.dumps({"urls": {f"node{i:02d}": n.url for i, n in enumerate(nodes)}}), flush=True)
    loop = asyncio.get_running_loop()
    done = [[0, 0] for _ in nodes]
    running: list[asyncio.Task[None]] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        while True:
            line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
            if line == "go" and not running:
                running = [
                    asyncio.create_task(users(session, n.url, rate, d))
                    for n, d in zip(nodes, done, strict=True)
                ]
            elif line == "idle":
                for t in running:
                    t.cancel()
                await asyncio.gather(*running, return_exceptions=True)
                running = []
            elif line == "stats":
                print(
                    json.dumps({"done": sum(d[0] for d in done), "errors": sum(d[1] for d in done)}),
                    flush=True,
                )
            elif line in ("quit", ""):
                break
    for node in nodes:
        await node.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), float(sys.argv[2])))
