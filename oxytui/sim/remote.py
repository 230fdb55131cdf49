"""Remote sub-agents of a simulated node, reached for real over HTTP through our own SSEOxyGent client."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

from oxytui.client import OxyRequest, SSEOxyGent

from .knobs import NodeKnobs
from .runner import Forward

__all__ = ["RemoteHub", "tool_names"]

log = logging.getLogger(__name__)


def tool_names(children: list[dict[str, Any]]) -> frozenset[str]:
    """Names of every non-agent node in an organization subtree."""
    names: set[str] = set()
    stack = list(children)
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        if node.get("type") not in ("agent", "flow"):
            names.add(str(node.get("name", "")))
        stack.extend(node.get("children") or [])
    return frozenset(names)


class RemoteHub:
    """One SSEOxyGent per remote node, sharing one aiohttp session owned by the hub."""

    def __init__(self, urls: dict[str, str], knobs: NodeKnobs) -> None:
        self.urls = dict(urls)
        self.knobs = knobs
        self.children: dict[str, list[dict[str, Any]]] = {}
        self._session: aiohttp.ClientSession | None = None
        self._agents: dict[str, SSEOxyGent] = {}

    async def connect(self) -> None:
        """Copy each remote's organization at start-up (OxyGent does it once); a dead remote has none."""
        if not self.urls:
            return
        self._session = aiohttp.ClientSession()
        k = self.knobs
        for name, url in self.urls.items():
            agent = SSEOxyGent(
                name=name,
                server_url=url,
                max_retries=k.remote_retries,
                retry_delay=k.remote_retry_delay,
                connect_timeout=5.0,
                idle_timeout=k.remote_idle_timeout,
                session=self._session,
            )
            self._agents[name] = agent
            try:
                await agent.init()
                self.children[name] = agent.get_org()
            except Exception as exc:  # a remote that is down at start-up still gets hops (that then fail)
                log.info("remote %s at %s: no organization (%s)", name, url, exc)
                self.children[name] = []

    async def call(self, name: str, fields: dict[str, Any], forward: Forward) -> Any:
        """Run the remote agent; its events go to ``forward``; returns the answer or the failure text."""
        request = OxyRequest(**fields)
        request.set_message_handler(forward)
        response = await self._agents[name].execute(request)
        return response.output

    async def aclose(self) -> None:
        for agent in self._agents.values():
            await agent.aclose()
        if self._session is not None:
            await self._session.close()
            self._session = None
