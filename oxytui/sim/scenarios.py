"""Deterministic query mixes that steer the simulator (the demo driver sends them through the client)."""

from __future__ import annotations

import random
from collections.abc import Iterator

__all__ = ["FAULT_QUERIES", "demo_queries"]

_TOPICS = ("asyncio", "backpressure", "SSE", "OxyGent", "Textual", "latency", "ReAct")
_WORDS = ("there", "master", "team", "world", "oxytui", "friend")

FAULT_QUERIES = (
    "add 1 2 malformed",
    "add 3 4 badutf8",
    "remote math add 5 6 malformed",
    "oversized 600000",
    "flood 2000",
)
"""Stream-level trouble that still ends with an answer and ``close`` (used when ``faults=True``)."""


def _one(rng: random.Random) -> str:
    roll = rng.random()
    a, b = rng.randint(1, 999), rng.randint(1, 99)
    if roll < 0.16:
        return f"add {a} {b}"
    if roll < 0.26:
        return f"multiply {a} {b}"
    if roll < 0.33:
        return "what time is it now"
    if roll < 0.42:
        return f"steps {rng.randint(2, 6)}"
    if roll < 0.50:
        return f"slow {rng.choice((0.5, 1, 1.5, 2.5))}"
    if roll < 0.56:
        return "boom"
    if roll < 0.61:
        return f"fail add {a} {b}"
    if roll < 0.66:
        return f"big {rng.choice((20_000, 80_000, 200_000))}"
    if roll < 0.74:
        return f"remote research search {rng.choice(_TOPICS)}"
    if roll < 0.79:
        return f"remote code run_code {rng.randint(1, 9)}"
    if roll < 0.85:
        return "hostile"
    if roll < 0.90:
        return rng.choice(("unicode", "multiline"))
    if roll < 0.93:
        return f"flood {rng.choice((200, 500))}"
    return f"hello {rng.choice(_WORDS)}"


def demo_queries(seed: int = 0, *, faults: bool = False) -> Iterator[str]:
    """An endless, reproducible mix: successes, tool errors, slow calls, remote hops, big and hostile text.

    With ``faults`` about one query in twelve also carries a stream-level fault from :data:`FAULT_QUERIES`.
    """
    rng = random.Random(f"demo|{seed}")
    while True:
        if faults and rng.random() < 1 / 12:
            yield rng.choice(FAULT_QUERIES)
        else:
            yield _one(rng)
