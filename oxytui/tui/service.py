"""Transport side of the app: owns the :class:`NodePool`, probes nodes, runs chats into the RunStore,
and in demo mode starts the embedded simulated cluster plus a driver that keeps every pane busy.

No widgets here: it only mutates the store; the app redraws on its own refresh tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable
from typing import Any

from oxytui.client import NodePool, RemoteError, SSEOxyGent
from oxytui.config import NodeConfig, Settings
from oxytui.runs import RunState, RunStore

log = logging.getLogger(__name__)

PROBE_EVERY = 5.0


class Controller:
    """Starts runs (``send``), tracks their tasks (``live``), cancels them on close."""

    def __init__(self, store: RunStore, settings: Settings, *, demo_interval: float = 1.5) -> None:
        self.store = store
        self.settings = settings
        self.pool = NodePool(seed=settings.seed)
        self.tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._bg: set[asyncio.Task[Any]] = set()
        self.cluster: Any = None
        self.demo = settings.demo or not settings.nodes
        self.demo_interval = demo_interval
        self.demo_driver = self.demo
        self._groups = itertools.count(1)
        self.notify: Callable[[str, str], None] = lambda msg, severity: None

    # --- lifecycle ----------------------------------------------------------------------------------

    async def start(self) -> None:
        nodes = list(self.settings.nodes)
        if self.demo:
            from oxytui.sim import SimCluster

            self.cluster = SimCluster(nodes=3, dead_nodes=1, seed=self.settings.seed)
            await self.cluster.__aenter__()
            nodes = [NodeConfig(name=n, url=u) for n, u in self.cluster.urls.items()]
        for nc in nodes:
            self.add_node(nc)
        self._spawn(self._probe_loop())
        if self.demo:
            self._spawn(self._demo_loop())

    async def aclose(self) -> None:
        for t in [*self.tasks.values(), *self._bg]:
            t.cancel()
        await asyncio.gather(*self.tasks.values(), *self._bg, return_exceptions=True)
        await self.pool.aclose()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                await self.cluster.__aexit__(None, None, None)
            self.cluster = None

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._bg.add(task)
        task.add_done_callback(self._bg.discard)
        return task

    # --- nodes --------------------------------------------------------------------------------------

    def add_node(self, nc: NodeConfig) -> None:
        """Add a node (from config or the palette); it starts 'connecting' until the first probe."""
        token = nc.token.get_secret_value() if nc.token is not None else None
        agent = SSEOxyGent(name=nc.name, server_url=nc.url, token=token, max_retries=1, retry_delay=0.5,
                           connect_timeout=3.0)
        old = self.pool.remove(nc.name)
        if old is not None:
            self._spawn(old.aclose())
        self.pool.add(agent)
        self.store.add_node(nc.name, nc.url, nc.tags)
        self._spawn(self._init(agent))

    def remove_node(self, name: str) -> None:
        for key, task in list(self.tasks.items()):
            if key[0] == name:
                task.cancel()
        agent = self.pool.remove(name)
        if agent is not None:
            self._spawn(agent.aclose())
        self.store.remove_node(name)

    async def _init(self, agent: SSEOxyGent) -> None:
        try:
            await agent.init()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a dead node is a status, not a crash
            self.store.set_alive(agent.name, False, time.monotonic(), str(exc))
            return
        self.pool.mark(agent.name, True)
        self.store.set_alive(agent.name, True, time.monotonic())
        self.store.set_org(agent.name, agent.org if isinstance(agent.org, dict) else None)

    async def refresh_orgs(self) -> None:
        await asyncio.gather(*(self._init(a) for a in self.pool), return_exceptions=True)

    async def _probe_loop(self) -> None:
        while True:
            await asyncio.sleep(PROBE_EVERY)
            for agent in list(self.pool):
                ok = await agent.check_alive()
                self.pool.mark(agent.name, ok)
                info = self.store.nodes.get(agent.name)
                self.store.set_alive(agent.name, ok, time.monotonic(), "" if ok else "check_alive failed")
                if ok and info is not None and info.org is None:
                    self._spawn(self._init(agent))

    # --- runs ---------------------------------------------------------------------------------------

    def targets(self, mode: str, focused: str | None) -> list[SSEOxyGent]:
        if mode == "all":
            return list(self.pool)
        if mode == "balanced":
            return [self.pool.select(self.settings.balancing)]
        agent = self.pool.get(focused) if focused else None
        if agent is None:
            return [self.pool.select(self.settings.balancing)]
        return [agent]

    def send(self, query: str, mode: str = "focused", focused: str | None = None) -> list[tuple[str, str]]:
        """Start one run per target; returns their ``(node, trace_id)`` keys. Raises NoHealthyNode."""
        if self.settings.read_only:
            raise PermissionError("read-only mode: prompts are disabled")
        group = f"g{next(self._groups)}"
        keys = []
        for agent in self.targets(mode, focused):
            request = agent.build_request(query)
            trace = request.current_trace_id
            self.store.start_run(agent.name, trace, query, time.monotonic(), time.time(), group=group)
            key = (agent.name, trace)
            task = asyncio.get_running_loop().create_task(self._run(agent, request))
            self.tasks[key] = task
            task.add_done_callback(lambda _t, k=key: self.tasks.pop(k, None))
            keys.append(key)
        return keys

    async def _run(self, agent: SSEOxyGent, request: Any) -> None:
        trace = request.current_trace_id
        try:
            async for ev in agent.stream(request):
                self.store.add_event(ev)
        except asyncio.CancelledError:
            self.store.finish_run(agent.name, trace, time.monotonic(), time.time(), RunState.CANCELED,
                                  "canceled by the user (the node cancels the run on disconnect)")
            raise
        except RemoteError as exc:
            self.store.finish_run(agent.name, trace, time.monotonic(), time.time(), RunState.FAILED, str(exc))
            return
        except Exception as exc:  # never let one run take the app down
            log.exception("run %s on %s crashed", trace, agent.name)
            self.store.finish_run(agent.name, trace, time.monotonic(), time.time(), RunState.FAILED,
                                  f"internal error: {exc!r}")
            return
        self.store.finish_run(agent.name, trace, time.monotonic(), time.time())

    def live(self) -> int:
        return len(self.tasks)

    def cancel_all(self) -> None:
        for task in list(self.tasks.values()):
            task.cancel()

    # --- demo -----------------------------------------------------------------------------------------

    async def _demo_loop(self) -> None:
        from oxytui.sim.scenarios import demo_queries

        queries = iter(demo_queries(self.settings.seed))
        await asyncio.sleep(0.5)
        n = 0
        while True:
            if self.demo_driver and len(self.tasks) < 12:
                query = next(queries, None)
                if query is None:
                    queries = iter(demo_queries(self.settings.seed + n))
                    continue
                n += 1
                try:
                    self.send(query, "all" if n % 7 == 0 else "balanced")
                except Exception as exc:  # no healthy node yet: try again next tick
                    log.debug("demo driver: %s", exc)
            await asyncio.sleep(self.demo_interval)
