"""The dashboard controller's demo driver: keeps every pane busy against the embedded simulated cluster.

A mixin of :class:`oxytui.tui.service.Controller` (kept apart so that module stays about transport):
walks :func:`~oxytui.sim.scenarios.demo_plan` and sends each prompt where it shows something (remote
hops to a master, tool queries to a node having the tool, ``down`` to a dead node).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable

from oxytui.client import NodePool
from oxytui.config import Settings
from oxytui.runs import RunStore

__all__ = ["DemoControl"]

log = logging.getLogger("oxytui.tui.service")  # the controller's logger, as before the split


class DemoControl:
    """Needs from the controller: ``pool``, ``store``, ``settings``, ``tasks``, ``demo_driver``,
    ``demo_interval`` and ``send``."""

    pool: NodePool
    store: RunStore
    settings: Settings
    tasks: dict[tuple[str, str], asyncio.Task[None]]
    demo_driver: bool
    demo_interval: float
    send: Callable[..., list[tuple[str, str]]]

    async def _demo_loop(self) -> None:
        from oxytui.sim.scenarios import demo_plan

        plan = demo_plan(self.settings.seed)
        await asyncio.sleep(0.5)
        turn = itertools.count()
        while True:
            if self.demo_driver and len(self.tasks) < 12:
                hint, query = next(plan)
                mode, node = self.demo_target(hint, next(turn))
                try:
                    self.send(query, mode, node, source="demo")
                except Exception as exc:  # no healthy node yet: try again next tick
                    log.debug("demo driver: %s", exc)
            await asyncio.sleep(self.demo_interval)

    def _tools(self, name: str) -> tuple[set[str], bool]:
        """A node's own tools and whether it has remote sub-agents, from its ``/get_organization``."""
        info = self.store.nodes.get(name)
        children = (info.org or {}).get("children") if info is not None else None
        tools: set[str] = set()
        remotes = False
        for child in children if isinstance(children, list) else ():
            if isinstance(child, dict):
                if child.get("type") == "tool":
                    tools.add(str(child.get("name", "")))
                elif child.get("type") in ("agent", "flow"):
                    remotes = True
        return tools, remotes

    def demo_target(self, hint: str, turn: int) -> tuple[str, str | None]:
        """``(mode, node)`` for a :func:`~oxytui.sim.scenarios.demo_plan` hint: remote hops and plans to a
        master, tool queries to a master or a node having the tool (alternating), others round-robin over
        live nodes, ``down`` to a dead node when there is one. Deterministic for a given turn."""
        if hint == "all":
            return "all", None
        names = list(self.pool.names)
        live = [n for n in names if self.pool.is_healthy(n)] or names
        if not live:
            return "balanced", None
        if hint == "down":
            dead = [n for n in names if (i := self.store.nodes.get(n)) is not None and i.alive is False]
            return "focused", dead[turn % len(dead)] if dead else live[0]
        info = {n: self._tools(n) for n in live}
        masters = [n for n in live if info[n][1]]
        if hint == "master":
            return "focused", (masters or live)[0]
        if hint.startswith("tool:"):
            tool = hint.removeprefix("tool:")
            able = [n for n in live if tool in info[n][0]] + masters[:1]
            if able:
                return "focused", able[turn % len(able)]
        return "focused", live[turn % len(live)]
