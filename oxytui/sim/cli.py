"""``oxytui sim``: a standalone simulated cluster on fixed ports until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys

from .cluster import SimCluster

__all__ = ["run"]


async def _serve(nodes: int, port: int, host: str, seed: int) -> int:
    cluster = SimCluster(nodes=nodes, seed=seed, host=host, base_port=port)
    try:
        await cluster.start()
    except OSError as exc:
        print(f"oxytui sim: cannot listen on {host}:{port}..{port + nodes - 1}: {exc}", file=sys.stderr)
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows' default loop
            loop.add_signal_handler(sig, stop.set)
    try:
        for i, (name, url) in enumerate(cluster.urls.items()):
            role = (
                "master, delegates to the others" if i == 0 and nodes > 1 else "sub-agent" if i else "master"
            )
            print(f"{name:<16} {url}  ({role})")
        print(f'seed {seed}; try: curl -N {cluster.master.url}/sse/chat -d \'{{"query": "add 2 3"}}\'')
        print("Ctrl-C to stop.", flush=True)
        await stop.wait()
    finally:
        await cluster.stop()
    print("stopped.", flush=True)
    return 0


def run(nodes: int = 3, port: int = 18080, host: str = "127.0.0.1", seed: int = 42) -> int:
    """Start ``nodes`` nodes on ``port``..``port+nodes-1`` (0 = free ports), print their URLs, serve until
    Ctrl-C/SIGTERM, stop cleanly. Returns the process exit status (0, or 1 if a port is taken)."""
    if nodes < 1:
        print("oxytui sim: --nodes must be at least 1", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_serve(nodes, port, host, seed))
    except KeyboardInterrupt:  # signal handlers unavailable: Ctrl-C arrives as an exception
        return 0
