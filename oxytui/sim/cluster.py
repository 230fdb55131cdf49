"""``SimCluster``: a master node that delegates over HTTP to sub-agent nodes, plus optional dead nodes."""

from __future__ import annotations

import socket
from dataclasses import replace
from types import TracebackType

from .knobs import NodeKnobs
from .server import SimNode

__all__ = ["NODE_NAMES", "SimCluster", "node_names"]

NODE_NAMES = (
    "master_agent",
    "math_agent",
    "research_agent",
    "code_agent",
    "travel_agent",
    "weather_agent",
    "finance_agent",
    "support_agent",
)


def node_names(count: int) -> list[str]:
    """Distinct agent names: the master first, then the known roles, then ``worker_agent_N``."""
    return [NODE_NAMES[i] if i < len(NODE_NAMES) else f"worker_agent_{i}" for i in range(count)]


def _reserve_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class SimCluster:
    """``nodes`` live nodes (node 0 = ``master_agent``, whose sub-agents are all the others, reached
    remotely) plus ``dead_nodes`` whose URL has nothing listening. ``base_port=0`` picks free ports,
    otherwise node *i* listens on ``base_port + i``. ``knobs`` apply to every node with ``burst_ms`` and
    ``ping_interval`` taken from the arguments; ``node_knobs[name]`` replaces them for one node as given.
    """

    def __init__(
        self,
        nodes: int = 3,
        seed: int = 42,
        host: str = "127.0.0.1",
        base_port: int = 0,
        burst_ms: float = 100.0,
        ping_interval: float = 15.0,
        dead_nodes: int = 0,
        *,
        knobs: NodeKnobs | None = None,
        node_knobs: dict[str, NodeKnobs] | None = None,
    ) -> None:
        if nodes < 1 or dead_nodes < 0:
            raise ValueError("a cluster needs at least one live node and a non-negative number of dead ones")
        self.host = host
        self.base_port = base_port
        base = replace(knobs or NodeKnobs(), burst_ms=burst_ms, ping_interval=ping_interval)
        names = node_names(nodes + dead_nodes)
        self._live = names[:nodes]
        self._dead = names[nodes:]
        # live nodes with base_port=0 bind port 0 at start (no race); dead ones need a number up front
        self._ports = {
            name: base_port + i if base_port else (_reserve_port(host) if name in self._dead else 0)
            for i, name in enumerate(names)
        }
        per_node = node_knobs or {}
        self.nodes: dict[str, SimNode] = {}
        for i, name in enumerate(names):
            node_kn = per_node.get(name, base)
            if name in self._dead:
                node_kn = replace(node_kn, fault="down")
            remotes = {n: "" for n in names[1:]} if i == 0 and len(names) > 1 else None  # URLs set at start
            self.nodes[name] = SimNode(name, seed=seed * 1000 + i, knobs=node_kn, host=host, remotes=remotes)

    @property
    def urls(self) -> dict[str, str]:
        """Node name -> base URL, master first (dead nodes included); complete once started."""
        return {name: node.url for name, node in self.nodes.items()}

    @property
    def master(self) -> SimNode:
        return next(iter(self.nodes.values()))

    async def start(self) -> None:
        """Sub-agents first, so the master copies their organizations at its start-up, as OxyGent does."""
        try:
            names = list(self.nodes)
            for name in reversed(names[1:]):
                await self.nodes[name].start(self._ports[name])
            master = self.nodes[names[0]]
            master.remotes.urls = {name: self.nodes[name].url for name in names[1:]}
            await master.start(self._ports[names[0]])
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        for node in self.nodes.values():
            await node.stop()

    async def __aenter__(self) -> SimCluster:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
