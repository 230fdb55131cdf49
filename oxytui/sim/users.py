"""Other users of a simulated cluster: runs started straight on the nodes over plain HTTP, not through
the dashboard, so ``make demo`` shows fleet traffic (the dashboard sees them only in the nodes' records)."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable

import aiohttp

__all__ = ["USER_QUERIES", "other_users"]

USER_QUERIES = (
    ("master", "remote add 2 3"),
    ("any", "add 17 25"),
    ("master", "remote boom"),
    ("any", "multiply 6 7"),
    ("master", "remote slow 2"),
    ("any", "now"),
    ("master", "steps 3"),
    ("any", "hello from another team"),
    ("any", "fail"),
)


async def _one(session: aiohttp.ClientSession, url: str, query: str) -> None:
    body = {"query": query}
    with contextlib.suppress(aiohttp.ClientError, TimeoutError):
        async with session.post(url + "/sse/chat", json=body, timeout=aiohttp.ClientTimeout(total=60)) as r:
            await r.read()  # read to the end like a real client (leaving would cancel the run)


async def other_users(
    urls: Callable[[], dict[str, str]], seed: int = 42, interval: float = 2.5, concurrency: int = 4
) -> None:
    """Start a run every ``interval`` seconds (jittered) on a live node until cancelled; ``urls()`` gives
    the live nodes (master first). The users send their own bearer token: the dashboard must redact it."""
    rng = random.Random(f"users|{seed}")
    running: set[asyncio.Task[None]] = set()
    headers = {"Authorization": "Bearer demo-user-token", "User-Agent": "curl/8.5.0"}
    async with aiohttp.ClientSession(headers=headers) as session:
        try:
            while True:
                live = urls()
                if live and len(running) < concurrency:
                    where, query = rng.choice(USER_QUERIES)
                    names = list(live)
                    name = names[0] if where == "master" else rng.choice(names)
                    task = asyncio.create_task(_one(session, live[name], query))
                    running.add(task)
                    task.add_done_callback(running.discard)
                await asyncio.sleep(interval * rng.uniform(0.5, 1.5))
        finally:
            for task in list(running):
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
