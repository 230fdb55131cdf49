"""Deterministic query mixes that steer the simulator (the demo driver sends them through the client)."""

from __future__ import annotations

import random
from collections.abc import Iterator

__all__ = ["ALL", "ANY", "DOWN", "FAULT_QUERIES", "MASTER", "demo_plan", "demo_queries"]

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


MASTER = "master"
"""Target hint: a node with remote sub-agents (remote hops, multi-step plans, delegated tools)."""
ANY = "any"
"""Target hint: any live node can serve it (its own tools ``now echo boom slow_tool big_output flaky``)."""
ALL = "all"
"""Target hint: fan out to every node (``hello``-style queries every node answers)."""
DOWN = "down"
"""Target hint: a node that is down, if there is one (the dashboard should show the failure)."""


def _one(rng: random.Random) -> tuple[str, str]:
    """One ``(target hint, query)``; a ``tool:NAME`` hint means a node with that tool or a master."""
    roll = rng.random()
    a, b = rng.randint(1, 999), rng.randint(1, 99)
    if roll < 0.16:
        return "tool:add", f"add {a} {b}"
    if roll < 0.26:
        return "tool:multiply", f"multiply {a} {b}"
    if roll < 0.33:
        return ANY, "what time is it now"
    if roll < 0.42:
        return MASTER, f"steps {rng.randint(2, 6)}"
    if roll < 0.50:
        return ANY, f"slow {rng.choice((0.5, 1, 1.5, 2.5))}"
    if roll < 0.56:
        return ANY, "boom"
    if roll < 0.61:
        return "tool:add", f"fail add {a} {b}"
    if roll < 0.66:
        return ANY, f"big {rng.choice((20_000, 80_000, 200_000))}"
    if roll < 0.74:
        return MASTER, f"remote research search {rng.choice(_TOPICS)}"
    if roll < 0.79:
        return MASTER, f"remote code run_code {rng.randint(1, 9)}"
    if roll < 0.85:
        return ANY, "hostile"
    if roll < 0.90:
        return ANY, rng.choice(("unicode", "multiline"))
    if roll < 0.93:
        return ANY, f"flood {rng.choice((200, 500))}"
    if roll < 0.95:
        return DOWN, "now"
    if roll < 0.97:
        return ALL, f"hello {rng.choice(_WORDS)}"
    return ANY, f"hello {rng.choice(_WORDS)}"


def demo_plan(seed: int = 0, *, faults: bool = False) -> Iterator[tuple[str, str]]:
    """:func:`demo_queries` with a target hint per query, so a driver sends each one to a node that can
    serve it: ``master`` (remote hops, ``steps``), ``tool:NAME`` (a node having that tool, or a master,
    which delegates), ``any``, ``all`` (fan-out) or ``down`` (a dead node, when the cluster has one)."""
    rng = random.Random(f"demo|{seed}")
    while True:
        if faults and rng.random() < 1 / 12:
            yield MASTER, rng.choice(FAULT_QUERIES)
        else:
            yield _one(rng)


def demo_queries(seed: int = 0, *, faults: bool = False) -> Iterator[str]:
    """An endless, reproducible mix: successes, tool errors, slow calls, remote hops, big and hostile text.

    With ``faults`` about one query in twelve also carries a stream-level fault from :data:`FAULT_QUERIES`.
    """
    for _hint, query in demo_plan(seed, faults=faults):
        yield query
