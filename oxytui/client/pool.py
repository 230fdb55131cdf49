"""``NodePool``: named agents, concurrent fault-isolated init, and health-aware selection."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass

from .agent import SSEOxyGent
from .errors import NoHealthyNode

__all__ = ["STRATEGIES", "InitResult", "NodePool"]

STRATEGIES = ("round_robin", "random", "lowest_latency")


@dataclass(slots=True)
class InitResult:
    """Outcome of one node's ``init()`` inside :meth:`NodePool.init_all`."""

    name: str
    ok: bool
    error: str | None = None


class NodePool:
    """Agents by name. A node is healthy after a successful ``init()`` or ``check_alive()``, until a
    later check or run fails (``mark(name, healthy)`` lets callers feed their own observations)."""

    def __init__(self, agents: list[SSEOxyGent] | None = None, *, seed: int | None = None) -> None:
        self._agents: dict[str, SSEOxyGent] = {}
        self._healthy: dict[str, bool] = {}
        self._rr = itertools.count()
        self._random = random.Random(seed)
        for agent in agents or []:
            self.add(agent)

    def add(self, agent: SSEOxyGent, healthy: bool = False) -> None:
        """Add (or replace) a node; it is not selected until known healthy."""
        self._agents[agent.name] = agent
        self._healthy[agent.name] = healthy

    def remove(self, name: str) -> SSEOxyGent | None:
        """Forget a node and return it (the caller decides whether to ``aclose()`` it)."""
        self._healthy.pop(name, None)
        return self._agents.pop(name, None)

    def get(self, name: str) -> SSEOxyGent | None:
        return self._agents.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._agents

    def __iter__(self) -> Iterator[SSEOxyGent]:
        return iter(list(self._agents.values()))

    def __len__(self) -> int:
        return len(self._agents)

    @property
    def names(self) -> list[str]:
        return list(self._agents)

    def healthy(self) -> list[SSEOxyGent]:
        return [a for n, a in self._agents.items() if self._healthy.get(n)]

    def is_healthy(self, name: str) -> bool:
        return bool(self._healthy.get(name))

    def mark(self, name: str, healthy: bool) -> None:
        if name in self._agents:
            self._healthy[name] = healthy

    async def _init_one(self, agent: SSEOxyGent) -> InitResult:
        try:
            await agent.init()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # one dead node never fails the others
            self.mark(agent.name, False)
            return InitResult(agent.name, False, str(exc))
        self.mark(agent.name, True)
        return InitResult(agent.name, True)

    async def init_all(self) -> dict[str, InitResult]:
        """``init()`` every node concurrently; per-node results, never raises for a node's failure."""
        agents = list(self._agents.values())
        results = await asyncio.gather(*(self._init_one(a) for a in agents))
        return {r.name: r for r in results}

    async def check_all(self) -> dict[str, bool]:
        """``check_alive()`` every node concurrently and update health."""
        agents = list(self._agents.values())
        alive = await asyncio.gather(*(a.check_alive() for a in agents))
        for agent, ok in zip(agents, alive, strict=True):
            self.mark(agent.name, ok)
        return {a.name: ok for a, ok in zip(agents, alive, strict=True)}

    def select(self, strategy: str = "round_robin") -> SSEOxyGent:
        """A healthy node by ``round_robin``, ``random`` or ``lowest_latency`` (p95 of recent runs;
        nodes without samples count as fastest so they get tried)."""
        nodes = self.healthy()
        if not nodes:
            total = len(self._agents)
            raise NoHealthyNode(f"no healthy node among {total} (run init_all() or check_all() first)")
        if strategy == "round_robin":
            return nodes[next(self._rr) % len(nodes)]
        if strategy == "random":
            return self._random.choice(nodes)
        if strategy == "lowest_latency":

            def key(agent: SSEOxyGent) -> float:
                p95 = agent.stats.p95()
                return -1.0 if p95 is None else p95

            return min(nodes, key=key)
        raise ValueError(f"unknown strategy {strategy!r}; use one of {STRATEGIES}")

    async def aclose(self) -> None:
        """Close every agent's session."""
        await asyncio.gather(*(a.aclose() for a in self._agents.values()), return_exceptions=True)
