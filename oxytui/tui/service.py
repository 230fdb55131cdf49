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
from typing import TYPE_CHECKING, Any

from oxytui.client import NodePool, RemoteError, SSEOxyGent, agent_from_profile
from oxytui.config import NodeConfig, Settings, node_name_from_url
from oxytui.runs import Fleet, RunState, RunStore, Source
from oxytui.tui.control import Notify, Transport, no_notify
from oxytui.tui.conversations import Conversations
from oxytui.tui.demo import DemoControl
from oxytui.tui.ingest import IngestGate
from oxytui.tui.persist import PersistControl
from oxytui.tui.probes import ProbeSchedule
from oxytui.tui.traffic import TrafficControl

if TYPE_CHECKING:
    from oxytui.ops.record import Recorder

log = logging.getLogger(__name__)

_SOURCES = {"user": Source.MINE, "demo": Source.DEMO, "probe": Source.PROBE}

PROBE_EVERY = 5.0
YIELD_EVERY = 64
"""Events handled per stream before giving other streams a turn (buffered data never awaits)."""
ATTACH_IDLE = 60.0
"""Seconds an attach may go without a real event (pings do not count) before it is given up: a trace
the node does not know, or whose events another reader takes, would otherwise stay 'live' for ever."""


_WHY = "without an answer (an unknown trace, or another reader took its events); not counted as a failure"


class Controller(TrafficControl, PersistControl, DemoControl):
    """Starts runs (``send``), tracks their tasks (``live``), cancels them on close. Implements
    :class:`~oxytui.tui.control.DashboardController` and is its own :class:`~oxytui.tui.control.Transport`;
    ``notify`` (the app's toasts) is injected."""

    def __init__(
        self, store: RunStore, settings: Settings, *, demo_interval: float = 1.5, notify: Notify = no_notify
    ) -> None:
        self.store = store
        self.settings = settings
        self.pool = NodePool(seed=settings.seed)
        self.tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self.sources: dict[tuple[str, str], str] = {}
        """Who started each live run: ``user`` (chat, fan-out, attach), ``demo`` or ``probe``."""
        self._bg: set[asyncio.Task[Any]] = set()
        self.cluster: Any = None
        self.demo = settings.demo or not settings.nodes
        self.demo_interval = demo_interval
        self.demo_driver = self.demo
        self._groups = itertools.count(1)
        self.attach_idle = ATTACH_IDLE
        self.probes = ProbeSchedule(PROBE_EVERY, seed=settings.seed)
        """When each node is probed next (jittered; backed off while it is down)."""
        self.conversations = Conversations()
        """Per-node chat conversations (``from_trace_id``/``group_id``) of prompts the user sends."""
        self.gate = IngestGate()
        """Shared ingest budget: all streams together get a slice, then the UI gets a gap."""
        self.notify = notify
        from oxytui.redact import remember_settings

        remember_settings(settings)  # every export/history/notification scrub then knows node tokens
        self.recorder: Recorder | None = None
        self.history: Any = None
        self.restored: set[str] = set()
        """Trace ids restored from the SQLite history at start (not written there again)."""
        self.fleet = Fleet()
        """Every run on every node by trace id (ours merged with what the nodes' records show)."""
        self.traffic: Any = None
        """The :class:`~oxytui.ops.traffic.TrafficWatcher` (None with ``traffic = false``)."""
        from oxytui.ops.telemetry_live import OtlpSwitch

        self.otlp = OtlpSwitch(
            settings.otlp, lambda: {a.name: a.server_url for a in self.pool}, self.fleet.clock
        )
        """Finished runs out as OpenTelemetry traces (``[otlp]``, palette toggle, top-bar marker)."""
        if settings.record is not None:
            from oxytui.ops.record import Recorder

            self.recorder = Recorder.for_settings(settings)

    # --- the app's view of it -----------------------------------------------------------------------

    @property
    def transport(self) -> Transport:
        return self

    def status_text(self) -> str:
        return ""

    # --- lifecycle ----------------------------------------------------------------------------------

    async def start(self) -> None:
        nodes = list(self.settings.nodes)
        if self.demo:
            from oxytui.sim import SimCluster

            self.cluster = SimCluster(nodes=3, dead_nodes=1, seed=self.settings.seed)
            await self.cluster.__aenter__()
            nodes = [NodeConfig(name=n, url=u) for n, u in self.cluster.urls.items()]
        for nc in list(nodes):
            try:
                self.add_node(nc)
            except ValueError as exc:  # e.g. a production node on plain http: that node only, said once
                self.notify(f"node {nc.name!r} ({nc.profile} profile) not added: {exc}", "error")
                nodes.remove(nc)
        if not self.demo:
            self._load_history()
        self._spawn(self._probe_loop())
        for nc in nodes:
            if nc.probe_query and nc.probe_every:
                self._spawn(self._query_probe(nc.name, nc.probe_query, max(1.0, float(nc.probe_every))))
        if self.demo:
            self._spawn(self._demo_loop())
            if self.settings.traffic:
                self._spawn(self._other_users())
        if self.settings.traffic:
            self._start_traffic()
        if self.settings.otlp.enabled:
            self.notify(self.toggle_otlp(), "information")

    def toggle_otlp(self) -> str:
        """Palette: OTLP trace export on/off; returns a message."""
        msg = self.otlp.toggle()
        if self.otlp.on and self.traffic is None:
            msg += " (traffic is off: runs are read from the nodes' records, so none will be exported)"
        return msg

    async def aclose(self) -> None:
        await self.otlp.aclose()
        for t in [*self.tasks.values(), *self._bg]:
            t.cancel()
        await asyncio.gather(*self.tasks.values(), *self._bg, return_exceptions=True)
        await self.pool.aclose()
        if self.recorder is not None:
            self.recorder.close()
        if self.history is not None:
            self.history.close()
            self.history = None
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
        """Add a node (from config or the palette); it starts 'connecting' until the first probe.

        The agent follows the node's ``profile`` (retries, timeouts, call-stack sharing, https); the
        dashboard adds only the token and its wire tap. Raises ValueError (e.g. a production node on
        plain http) before anything changes."""
        token = nc.token.get_secret_value() if nc.token is not None else None
        agent = agent_from_profile(
            nc.profile, name=nc.name, server_url=nc.url, token=token, wire_tap=self._tap
        )
        if token and self.recorder is not None:
            self.recorder.add_secret(token)
        old = self.pool.remove(nc.name)
        if old is not None:
            self._spawn(old.aclose())
        self.pool.add(agent)
        self.probes.add(nc.name, time.monotonic())
        auto = nc.name == node_name_from_url(nc.url)  # a bare URL: shown as its root agent once known
        self.store.add_node(nc.name, nc.url, nc.tags, auto_name=auto)
        self._spawn(self._init(agent))

    def remove_node(self, name: str) -> None:
        for key, task in list(self.tasks.items()):
            if key[0] == name:
                task.cancel()
        agent = self.pool.remove(name)
        if agent is not None:
            self._spawn(agent.aclose())
        self.probes.remove(name)
        self.store.remove_node(name)

    async def _init(self, agent: SSEOxyGent) -> None:
        try:
            await agent.init()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a dead node is a status, not a crash
            self.store.set_alive(agent.name, False, time.monotonic(), str(exc))
            self.probes.result(agent.name, False, time.monotonic())
            return
        self.probes.result(agent.name, True, time.monotonic())
        self.pool.mark(agent.name, True)
        self.store.set_alive(agent.name, True, time.monotonic())
        self.store.set_org(agent.name, agent.org if isinstance(agent.org, dict) else None)

    async def refresh_orgs(self) -> None:
        await asyncio.gather(*(self._init(a) for a in self.pool), return_exceptions=True)

    async def _probe_loop(self) -> None:
        """Probe each node when its turn comes (:class:`~oxytui.tui.probes.ProbeSchedule`: jittered,
        backed off while down), concurrently, so one slow node never delays another node's health."""
        schedule = self.probes
        while True:
            await asyncio.sleep(schedule.next_wake(time.monotonic()))
            for name in schedule.take_due(time.monotonic()):
                agent = self.pool.get(name)
                if agent is not None:
                    self._spawn(self._probe(agent))

    async def _probe(self, agent: SSEOxyGent) -> None:
        ok = False
        try:
            ok = await agent.check_alive()
        finally:
            if self.pool.get(agent.name) is agent:  # the next probe is scheduled whatever happened
                self.probes.result(agent.name, ok, time.monotonic())
        if self.pool.get(agent.name) is not agent:  # removed or replaced while probing
            return
        self.pool.mark(agent.name, ok)
        info = self.store.nodes.get(agent.name)
        self.store.set_alive(agent.name, ok, time.monotonic(), "" if ok else "check_alive failed")
        if ok and info is not None and info.org is None and not agent.org:  # init failed earlier
            self._spawn(self._init(agent))

    async def _query_probe(self, node: str, query: str, every: float) -> None:
        """Per-node probe prompt from the config, so stats have data when nobody chats (skips read-only)."""
        while not self.settings.read_only:
            await asyncio.sleep(every)
            if node in self.pool and not any(k[0] == node for k in self.tasks):
                with contextlib.suppress(Exception):
                    self.send(query, "focused", node, source="probe")

    async def fetch_view(self, node: str, trace_id: str) -> dict[str, Any] | None:
        """``GET /view?item_id=<trace>`` on the node (OxyGent's server-side record); None: no /view there."""
        agent = self.pool.get(node)
        if agent is None:
            raise KeyError(f"no node named {node!r}")
        return await agent.view_raw(trace_id)

    # --- runs ---------------------------------------------------------------------------------------

    def default_node(self) -> str | None:
        """Where "focused node" sends while "all nodes" is selected: the first live node (the master in
        the demo), else the first node; None without nodes."""
        agents = list(self.pool)
        for agent in agents:
            if self.pool.is_healthy(agent.name):
                return agent.name
        return agents[0].name if agents else None

    def targets(self, mode: str, focused: str | None) -> list[SSEOxyGent]:
        if mode == "all":
            return list(self.pool)
        if mode == "balanced":
            return [self.pool.select(self.settings.balancing)]
        agent = self.pool.get(focused or self.default_node() or "")
        if agent is None:
            return [self.pool.select(self.settings.balancing)]
        return [agent]

    def send(
        self, query: str, mode: str = "focused", focused: str | None = None, *, source: str = "user"
    ) -> list[tuple[str, str]]:
        """Start one run per target; returns their ``(node, trace_id)`` keys. Raises NoHealthyNode.

        ``source`` (``user``, ``demo``, ``probe``) decides whether quitting asks first (only for ``user``)."""
        if self.settings.read_only:
            raise PermissionError("read-only mode: prompts are disabled")
        group = "probe" if source == "probe" else f"g{next(self._groups)}"
        keys = []
        for agent in self.targets(mode, focused):
            fields: dict[str, str] = {}
            conv = None
            if source == "user":  # a follow-up continues the node's conversation (probes/demo: fresh)
                fields, conv = self.conversations.next_turn(agent.name)
            request = agent.build_request(query, **fields)
            trace = request.current_trace_id or ""  # build_request always draws one
            run = self.store.start_run(agent.name, trace, query, time.monotonic(), time.time(), group=group)
            if conv is not None:
                run.conversation, run.turn = conv.group_id, conv.turns
            self.fleet.claim(trace or "", _SOURCES.get(source, Source.MINE), agent.name, query, time.time())
            self._mark("start", agent.name, trace, query=query, group=group)
            key = (agent.name, trace)
            self._track(key, asyncio.get_running_loop().create_task(self._run(agent, request)), source)
            keys.append(key)
        return keys

    def _track(self, key: tuple[str, str], task: asyncio.Task[None], source: str) -> None:
        self.tasks[key] = task
        self.sources[key] = source

        def done(_t: asyncio.Task[None]) -> None:
            self.tasks.pop(key, None)
            self.sources.pop(key, None)

        task.add_done_callback(done)

    def attach(self, node: str, trace_id: str) -> tuple[str, str]:
        """Stream a run someone started with ``/async/chat`` (each event reaches one reader only)."""
        agent = self.pool.get(node)
        if agent is None:
            raise KeyError(f"no node named {node!r}")
        self.store.replace_traffic(trace_id)  # seen by the traffic watcher already: this run replaces it
        self.store.start_run(node, trace_id, "(attached)", time.monotonic(), time.time())
        self.fleet.claim(trace_id, Source.MINE, node, "(attached)", time.time())
        self._mark("start", node, trace_id, query="(attached)")
        key = (node, trace_id)
        self._track(key, asyncio.get_running_loop().create_task(self._run(agent, None, trace_id)), "user")
        return key

    async def _run(self, agent: SSEOxyGent, request: Any, attach_trace: str = "") -> None:
        trace = request.current_trace_id if request is not None else attach_trace
        idle = None if request is not None else self.attach_idle
        bound = asyncio.timeout(idle)
        try:
            stream = agent.stream(request) if request is not None else agent.attach(attach_trace)
            n = 0
            gate = self.gate
            add = self.store.add_event
            loop = asyncio.get_running_loop()
            async with bound:
                async for ev in stream:
                    if idle is not None and ev.type != "ping":
                        if ev.type == "close":  # an attach judges its own end (below), not the store
                            break
                        bound.reschedule(loop.time() + idle)
                    if not gate.open():  # the slice is spent: the UI gets its gap before more ingest
                        await gate.admit()
                    add(ev)
                    n += 1
                    if n % YIELD_EVERY == 0:  # and one flooding node must not starve the other streams
                        await asyncio.sleep(0)
            closer = getattr(stream, "aclose", None)  # after a break: release the connection now
            if closer is not None:
                await closer()
        except TimeoutError:
            if not bound.expired():
                self._finish(agent.name, trace, RunState.FAILED, f"{agent.name}: timed out")
                return
            self._finish(
                agent.name, trace, RunState.CANCELED, f"attach ended: nothing received for {idle:g}s {_WHY}"
            )
            return
        except asyncio.CancelledError:
            self._finish(
                agent.name,
                trace,
                RunState.CANCELED,
                "canceled by the user (the node cancels the run on disconnect)",
            )
            raise
        except RemoteError as exc:
            self._finish(agent.name, trace, RunState.FAILED, str(exc))
            return
        except Exception as exc:  # never let one run take the app down
            log.exception("run %s on %s crashed", trace, agent.name)
            self._finish(agent.name, trace, RunState.FAILED, f"internal error: {exc!r}")
            return
        run = self.store.get_run(agent.name, trace)
        if request is None and run is not None and not run.answer and not run.error_calls():
            self._finish(agent.name, trace, RunState.CANCELED, f"attach ended: the stream closed {_WHY}")
            return
        self._finish(agent.name, trace, None, "")

    def _finish(self, node: str, trace: str, state: RunState | None, error: str) -> None:
        run = self.store.finish_run(node, trace, time.monotonic(), time.time(), state, error)
        if run is not None and run.conversation and run.state is RunState.COMPLETED:
            self.conversations.answered(node, run.conversation, trace)
        final = run.state.value if run is not None else (state.value if state else "")
        self._mark("finish", node, trace, state=final, error=run.error if run is not None else error)
        if run is not None:
            self._remember(run)

    def live(self) -> int:
        return len(self.tasks)

    def live_user(self) -> int:
        """Live runs the user started (chat, fan-out, attach): only these make quitting ask first."""
        return sum(1 for key in self.tasks if self.sources.get(key, "user") == "user")

    def cancel_all(self) -> None:
        for task in list(self.tasks.values()):
            task.cancel()
