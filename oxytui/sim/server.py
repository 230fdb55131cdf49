"""``SimNode``: one simulated OxyGent 1.1.3 node (an aiohttp app) with a seeded brain.

See the package docstring for the endpoints, steering words and knobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import random
import socket
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from . import chat, views
from .brain import COMMON_TOOLS, ROLE_TOOLS, AgentSpec, Plan, direct_call_plan, make_plan
from .framing import new_id
from .httputil import (
    cors_on_prepare,
    json_response,
    preflight,
    web_response,
)
from .knobs import NodeKnobs
from .queues import QueueHub, TraceQueue
from .records import RecordStore
from .remote import RemoteHub, tool_names
from .runner import RunContext, execute_run

__all__ = ["Prepared", "SimNode", "default_tools"]

log = logging.getLogger(__name__)

OXY_REQUEST_FIELDS = frozenset(
    "request_id group_id from_trace_id current_trace_id reference_trace_id restart_node_id "
    "restart_node_output restart_node_order original_payload input_md5 root_trace_ids mas caller callee "
    "call_stack node_id_stack "
    "father_node_id pre_node_ids latest_node_ids caller_category callee_category node_id copied_node_id "
    "is_save_history is_send_message is_async_storage parallel_id parallel_dict arguments shared_data "
    "group_data create_time update_time".split()
)
DESCRIPTIONS = {
    "master_agent": "The master agent: answers directly or routes work to its sub-agents on other nodes.",
    "math_agent": (
        "A math agent: adds and multiplies numbers, tells the time, and has slow/failing/big test tools."
    ),
    "research_agent": "A research agent: searches and fetches pages (simulated), plus test tools.",
    "code_agent": "A code agent: runs snippets (simulated), with slow/failing/big test tools.",
}


def default_tools(name: str, has_remotes: bool) -> tuple[str, ...]:
    """A master with remotes keeps only ``now``/``echo`` (work goes remote); others are self-sufficient."""
    if has_remotes:
        return ("now", "echo")
    return COMMON_TOOLS + ROLE_TOOLS.get(name, ("add", "multiply") if name == "master_agent" else ("lookup",))


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass(slots=True)
class Prepared:
    """A run ready to start: its trace id, plan, context and call fields (from :meth:`SimNode.prepare`)."""

    trace_id: str
    plan: Plan
    ctx: RunContext
    call: dict[str, Any]
    unknown_callee: str | None = None


class SimNode:
    """A simulated node. ``await start(port=0)``, then ``url``; ``await stop()``. Seeded: reproducible."""

    def __init__(
        self,
        name: str = "math_agent",
        seed: int = 1,
        knobs: NodeKnobs | None = None,
        *,
        host: str = "127.0.0.1",
        remotes: dict[str, str] | None = None,
        tools: tuple[str, ...] | None = None,
        description: str | None = None,
    ) -> None:
        self.name = name
        self.seed = seed
        self.knobs = knobs or NodeKnobs()
        self.host = host
        self.remotes = RemoteHub(remotes or {}, self.knobs)
        self.tools = tools if tools is not None else default_tools(name, bool(remotes))
        self.description = description or DESCRIPTIONS.get(name, f"A simulated agent named {name}.")
        self.hub = QueueHub(self.knobs.queue_max)
        self.records = RecordStore()
        self.cancelled: deque[str] = deque(maxlen=10_000)
        """Trace ids of runs cancelled because their reader went away (newest last)."""
        self.stats: Counter[str] = Counter()
        self.port = 0
        self.org: dict[str, Any] = {}
        self._runs = 0
        self._active: dict[str, set[asyncio.Task[Any]]] = {}
        self._handlers: set[asyncio.Task[Any]] = set()
        self._readers: Counter[str] = Counter()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    # --- lifecycle ----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def down(self) -> bool:
        return self._site is None

    def spec(self) -> AgentSpec:
        remotes = {name: tool_names(children) for name, children in self.remotes.children.items()}
        return AgentSpec(self.name, self.tools, remotes, self.description)

    async def start(self, port: int = 0) -> None:
        """Copy the remotes' organizations, then listen (unless the ``down`` fault keeps the port closed)."""
        await self.remotes.connect()
        children: list[dict[str, Any]] = [{"name": t, "type": "tool"} for t in self.tools]
        for name, remote_children in self.remotes.children.items():
            children.append({"name": name, "type": "agent", "children": remote_children})
        self.org = {"name": self.name, "type": "agent", "children": children}
        app = web.Application(client_max_size=256 * 2**20)
        app.on_response_prepare.append(cors_on_prepare)
        r = app.router

        def reply(make: Callable[[], web.Response]) -> Callable[[web.Request], Awaitable[web.Response]]:
            async def handler(_: web.Request) -> web.Response:
                return make()

            return handler

        r.add_get("/", views.root)
        r.add_get("/check_alive", reply(lambda: json_response({"alive": 1})))
        r.add_get("/get_organization", functools.partial(views.get_organization, self))
        r.add_get("/get_description", reply(lambda: web_response({"description": self.description})))
        r.add_get("/get_welcome_message", reply(lambda: web_response({"welcome_message": ""})))
        first = {"first_query": "", "shared_data": {}, "group_data": {}}
        r.add_get("/get_first_query", reply(lambda: web_response(first)))
        for path, view in (
            ("/get_agents", views.get_agents),
            ("/view", views.view),
            ("/node", views.node),
            ("/history_with_ratings", views.history),
        ):
            r.add_get(path, functools.partial(view, self))
        for path, handler in (
            ("/sse/chat", chat.sse_chat),
            ("/chat", chat.chat),
            ("/async/chat", chat.async_chat),
            ("/async/trace", chat.async_trace),
        ):
            bound = functools.partial(handler, self)
            r.add_route("GET", path, bound)
            r.add_route("POST", path, bound)
        r.add_route("OPTIONS", "/{tail:.*}", preflight)
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        self.port = port
        if self.knobs.fault != "down":
            await self.set_down(False)  # port 0: the kernel picks, no reserve-then-bind race
        elif not self.port:
            self.port = _free_port(self.host)

    async def set_down(self, down: bool) -> None:
        """Close the port (connections are refused) or listen again on the same port."""
        if down and self._site is not None:
            site, self._site = self._site, None
            await site.stop()
            server = self._runner.server if self._runner is not None else None
            for conn in list(server.connections if server is not None else []):
                if conn.transport is not None:  # kept-alive sockets die too, as with a killed process
                    conn.transport.abort()
        elif not down and self._site is None and self._runner is not None:
            site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
            await site.start()
            self._site = site
            if not self.port:
                self.port = int(self._runner.addresses[-1][1])

    async def stop(self) -> None:
        """Cancel every run and open stream, close the port and the remote client."""
        for task in [*self._handlers, *(t for ts in self._active.values() for t in ts)]:
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        self._site = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.remotes.aclose()

    # --- runs ----------------------------------------------------------------------------------------

    def prepare(self, payload: dict[str, Any], send: bool) -> Prepared:
        """A run from a request body (``send``: its events go to the trace queue for a stream to read).

        OxyGent's payload rules: OxyRequest fields stay top-level, every other key is an argument.
        """
        payload.setdefault("query", "")
        fields: dict[str, Any] = {}
        arguments: dict[str, Any] = {}
        for key, value in payload.items():
            if key == "arguments":
                arguments = dict(value) if isinstance(value, dict) else {}
            elif key in OXY_REQUEST_FIELDS:
                fields[key] = value
            else:
                arguments[key] = value
        query = arguments.get("query", "")
        if isinstance(query, list):  # multimodal: OxyGent shows the first text part on the wire
            query = next(
                (str(q.get("text", "")) for q in query if isinstance(q, dict) and q.get("type") == "text"),
                query,
            )
        text = query if isinstance(query, str) else json.dumps(query, ensure_ascii=False, default=str)
        self._runs += 1
        ids = random.Random(f"ids|{self.seed}|{self.name}|{self._runs}|{text}")
        rng = random.Random(f"brain|{self.seed}|{self.name}|{text}")

        def pick(key: str, length: int = 16) -> str:
            drawn = new_id(ids, length)  # always drawn, so later ids do not depend on which fields came
            value = fields.get(key)
            return value if isinstance(value, str) and value else drawn

        def stack(key: str, default: list[str]) -> list[str]:
            value = fields.get(key)
            return [str(v) for v in value] if isinstance(value, list) and value else default

        trace_id = pick("current_trace_id")
        ctx = RunContext(
            knobs=self.knobs,
            trace_id=trace_id,
            request_id=pick("request_id", 22),
            group_id=pick("group_id"),
            ids=ids,
            rng=rng,
            queue=self.hub.get(trace_id) if send else None,
            records=self.records,
            remote=self.remotes.call if self.remotes.urls else None,
        )
        call = {
            "query": query,
            "caller": str(fields.get("caller") or "user"),
            "caller_category": str(fields.get("caller_category") or "user"),
            "call_stack": stack("call_stack", ["user"]),
            "node_id_stack": stack("node_id_stack", [""]),
            "node_id": pick("node_id"),
            "copied_node_id": str(fields.get("copied_node_id") or ""),
            "father_node_id": str(fields.get("father_node_id") or ""),
        }
        callee = fields.get("callee")
        unknown = None
        if callee and callee != self.name and callee in self.tools:
            plan = direct_call_plan(str(callee), arguments)
        else:
            unknown = str(callee) if callee and callee != self.name else None
            plan = make_plan(text, self.spec(), rng, self.knobs.fault)
        return Prepared(trace_id, plan, ctx, call, unknown)

    def start_run(self, prep: Prepared) -> asyncio.Task[Any]:
        """Run ``prep`` as a task the node tracks (``stop()`` cancels it; the end is counted in ``stats``)."""
        self.stats["runs_started"] += 1
        task = asyncio.create_task(self._run(prep), name=f"sim-run-{self.name}-{prep.trace_id}")
        self._active.setdefault(prep.trace_id, set()).add(task)
        task.add_done_callback(lambda t: self._finished(prep.trace_id, t))
        return task

    async def _run(self, prep: Prepared) -> Any:
        if prep.unknown_callee is not None:  # OxyGent: KeyError inside the task, so no event and no close
            raise KeyError(prep.unknown_callee)
        try:
            return await execute_run(prep.ctx, self.spec(), prep.plan, **prep.call)
        except asyncio.CancelledError:
            self.cancelled.append(prep.trace_id)
            self.stats["runs_cancelled"] += 1
            self.records.cancel_open(prep.trace_id)
            raise
        finally:
            self.stats["events_emitted"] += prep.ctx.emitted

    def _finished(self, trace_id: str, task: asyncio.Task[Any]) -> None:
        tasks = self._active.get(trace_id)
        if tasks is not None:
            tasks.discard(task)
            if not tasks:
                del self._active[trace_id]
                if task.cancelled() and not self._readers.get(trace_id):  # nobody will read the rest
                    self.hub.discard(trace_id)
                else:
                    self._forget_queue(trace_id)  # drops it only if already read to the end
        if not task.cancelled() and task.exception() is None:
            self.records.end_trace(trace_id, task.result())
            self.stats["runs_completed"] += 1
        elif not task.cancelled():
            self.stats["runs_failed"] += 1

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """While inside, the calling handler task is one ``stop()`` cancels at once (open streams, hangs)."""
        task = asyncio.current_task()
        if task is None:  # not in a task (never for an aiohttp handler): nothing to cancel
            yield
            return
        self._handlers.add(task)
        try:
            yield
        finally:
            self._handlers.discard(task)

    @contextlib.contextmanager
    def reading(self, trace_id: str) -> Iterator[TraceQueue]:
        """The trace's event queue, counted as read while inside; the last reader out drops it if drained."""
        queue = self.hub.get(trace_id)
        self._readers[trace_id] += 1
        try:
            yield queue
        finally:
            self._readers[trace_id] -= 1
            if self._readers[trace_id] <= 0:
                del self._readers[trace_id]
                self._forget_queue(trace_id)

    def _forget_queue(self, trace_id: str) -> None:
        q = self.hub.peek(trace_id)
        if q is not None and not q and trace_id not in self._active and not self._readers.get(trace_id):
            self.hub.discard(trace_id)
