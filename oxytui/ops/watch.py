"""Headless watch: periodic ``/check_alive`` and probe prompts per node, one line per result and per state
change, an exit code for cron/CI, and optionally Prometheus ``/metrics``.

Why a separate headless path: a fleet too large for one terminal, or a CI job, needs the same probes the
dashboard runs but as text and metrics that existing tools (cron mail, Prometheus, Grafana) consume.

Success rate: each node counts its probe runs when it has a probe, otherwise its ``/check_alive`` checks.
A probe run fails when it errors, times out, or any call inside it failed (an error-shaped observation),
even if the agent still answered. A node is ``up`` (alive and its probe, if any, succeeded), ``degraded``
(alive, probe failed) or ``down``. ``--fail-below`` also fails when a node ends down or was never checked:
a rate over zero runs is not 100%.

Every line (text or JSON) is remote text made safe: secrets masked (:mod:`oxytui.redact`: our tokens, a
node echoing them, credential headers) and control/bidi characters replaced, in both modes.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import IO, Any

from oxytui.redact import remember_settings

from .metrics import Family, FleetMetrics, Histogram
from .probe import ProbeResult as ProbeResult
from .probe import alive_check as alive_check
from .probe import alive_reason, run_probe
from .watch_metrics import node_check_families, serve_metrics
from .watch_output import safe_text, watch_line

DEFAULT_EVERY = 30.0
OURS_MAX = 1000
"""Own probe trace ids remembered (a probe's run is seen as traffic within seconds; 1000 is many minutes)."""


@dataclass(slots=True)
class WatchOptions:
    probe: str | None = None
    every: float | None = None
    """Seconds between checks; None: each node's ``probe_every``, else :data:`DEFAULT_EVERY`."""
    count: int | None = None
    json: bool = False
    fail_below: float | None = None
    timeout: float = 60.0
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    history: bool = False
    otlp: str | None = None
    """Export traffic runs as OTLP traces: None off; "" endpoint from the OTEL_* environment."""
    otlp_content: bool = False
    traffic: bool = False
    """Also report every run anyone starts on the nodes (their run records; see ops/traffic.py)."""
    traffic_every: float = 2.0


@dataclass
class NodeState:
    name: str
    url: str
    query: str | None
    every: float
    state: str = "unknown"
    alive_total: int = 0
    alive_failed: int = 0
    probe_total: int = 0
    probe_failed: int = 0
    alive_latency: float = 0.0
    last_check: float = 0.0
    latency: Histogram = field(default_factory=Histogram)


class Watcher:
    """Drives the probes; :meth:`run` returns the exit code. ``agents`` maps node name -> SSEOxyGent."""

    def __init__(
        self, settings: Any, opts: WatchOptions, out: IO[str] | None = None, err: IO[str] | None = None
    ) -> None:
        self.opts = opts
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.nodes = {
            n.name: NodeState(
                n.name, n.url, opts.probe or n.probe_query, opts.every or n.probe_every or DEFAULT_EVERY
            )
            for n in settings.nodes
        }
        self._settings = settings
        remember_settings(settings)  # a node echoing its token must not get it printed or stored
        self.agents: dict[str, Any] = {}
        self.metrics_url: str | None = None
        self.metrics = FleetMetrics()
        """Live run/call/token metrics (probes, and traffic runs when watched), served on ``/metrics``."""
        self.metrics.add_snapshot(self._node_families)
        self._stop = asyncio.Event()
        self._history: Any = None
        self.otlp: Any = None
        """The :class:`~oxytui.ops.telemetry_export.OtlpExporter` while ``--otlp`` runs."""
        self._otlp_noted = 0
        self._otlp_noted_at = -1e9
        self.fleet_clock: Any = None
        """``Fleet.clock`` of the traffic model, so exported spans sit on our clock."""
        self._tasks: list[asyncio.Task[None]] = []
        self.checked = asyncio.Event()
        """Set after every check (for embedding code and tests that wait for progress)."""
        self.traffic: Any = None
        """A :class:`~oxytui.ops.traffic_report.TrafficTally` with ``--traffic``."""
        self.traffic_watcher: Any = None
        self._ours: OrderedDict[str, None] = OrderedDict()
        """Trace ids of our latest probes (at most :attr:`ours_max`: a weeks-long watch must not grow):
        not reported again as traffic."""
        self.ours_max = OURS_MAX

    # --- results ------------------------------------------------------------------------------------

    def emit(
        self,
        node: str,
        kind: str,
        ok: bool | None = None,
        latency: float | None = None,
        detail: str = "",
        **extra: Any,
    ) -> None:
        line = watch_line(node, kind, ok, latency, detail, extra, json_lines=self.opts.json, wall=time.time())
        print(line, file=self.out, flush=True)

    def _set_state(self, ns: NodeState, new: str) -> None:
        if new != ns.state:
            old, ns.state = ns.state, new
            change: dict[str, Any] = {"from": old, "to": new}  # "from" is a keyword: passed as a dict
            self.emit(ns.name, "state", **change)

    @property
    def success_rate(self) -> float | None:
        """Over every node: its probe runs if it has a probe, else its /check_alive checks; plus the
        runs seen in the nodes' own records (``--traffic``)."""
        total = failed = 0
        for n in self.nodes.values():
            probed = n.query is not None
            total += n.probe_total if probed else n.alive_total
            failed += n.probe_failed if probed else n.alive_failed
        if self.traffic is not None:
            total += self.traffic.total
            failed += self.traffic.failed
        return (total - failed) / total if total else None

    # --- probes -------------------------------------------------------------------------------------

    async def check(self, ns: NodeState) -> None:
        """One alive check (and probe) for one node."""
        agent = self.agents[ns.name]
        why, ns.alive_latency = await alive_reason(agent, self.opts.timeout)
        alive = not why
        ns.last_check = time.time()
        ns.alive_total += 1
        ns.alive_failed += not alive
        self.metrics.set_node_up(ns.name, alive)
        self.emit(ns.name, "alive", alive, ns.alive_latency, why)
        if ns.query is None:
            self._set_state(ns, "up" if alive else "down")
            return
        ns.probe_total += 1
        if not alive:
            ns.probe_failed += 1
            self.emit(ns.name, "probe", False, None, "skipped: node is down")
            self._set_state(ns, "down")
            return
        res = await run_probe(agent, ns.query, self.opts.timeout)
        ok, detail, elapsed, trace = res.ok, res.detail, res.elapsed, res.trace_id
        self._ours[trace] = None
        while len(self._ours) > self.ours_max:
            self._ours.popitem(last=False)
        ns.probe_failed += not ok
        if ok:
            ns.latency.observe(elapsed)
        self.metrics.observe_run(ns.name, "probe", elapsed, not ok)
        self.emit(ns.name, "probe", ok, elapsed, detail, trace_id=trace)
        self._set_state(ns, "up" if ok else "degraded")
        if self._history is not None:
            from .history import RunSummary

            self._history.add(
                RunSummary(
                    node=ns.name,
                    trace_id=trace,
                    started=time.time() - elapsed,
                    duration=elapsed,
                    state="completed" if ok else "failed",
                    query=ns.query,
                    answer=detail if ok else "",
                    error="" if ok else detail,
                    source="probe",
                )
            )

    async def _node_loop(self, ns: NodeState) -> None:
        n = 0
        while not self._stop.is_set():
            await self.check(ns)
            self.checked.set()
            n += 1
            if self.opts.count is not None and n >= self.opts.count:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), ns.every)

    def on_fleet_run(self, run: Any, count_run: bool = True) -> None:
        """A finished distributed run (``oxytui.runs.FleetRun``): into ``/metrics`` (the run itself only
        with ``count_run``: probes are counted by :meth:`check`) and, with ``--otlp``, out as one trace
        (queued; never blocks)."""
        self.metrics.observe_fleet_run(run, count_run=count_run)
        self._export(run)

    def _export(self, run: Any) -> None:
        if self.otlp is None:
            return
        self.otlp.export_fleet_run(run, {n.name: n.url for n in self._settings.nodes}, self.fleet_clock)
        stats = self.otlp.stats
        if stats.dropped + stats.failed > self._otlp_noted and time.monotonic() - self._otlp_noted_at > 60:
            self._otlp_noted, self._otlp_noted_at = stats.dropped + stats.failed, time.monotonic()
            why = f" ({safe_text(self.otlp.last_error, 120)})" if self.otlp.last_error else ""
            print(f"oxytui watch: otlp: {stats.summary()}{why}", file=self.err, flush=True)

    # --- metrics ------------------------------------------------------------------------------------

    def metrics_text(self) -> str:
        """The ``/metrics`` page in the Prometheus text format."""
        return self.metrics.text()

    def _node_families(self) -> list[Family]:
        """Per-node check counters, read at scrape time (the live run metrics are in ``self.metrics``)."""
        extra: list[Family] = []
        if self.traffic is not None:
            tw = self.traffic_watcher
            extra = self.traffic.families(tw.fleet, tw.health())
        return [*node_check_families(self.nodes.values()), *extra]

    async def _start_metrics(self) -> Any:
        runner, self.metrics_url = await serve_metrics(
            self.metrics, self.opts.metrics_host, self.opts.metrics_port
        )
        print(f"oxytui watch: serving metrics on {self.metrics_url}", file=self.err, flush=True)
        return runner

    # --- main ---------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop now (signal handler): in-flight checks are cancelled, results so far still count."""
        self._stop.set()
        for task in self._tasks:
            task.cancel()

    def _history_notice(self, message: str) -> None:
        print(f"oxytui watch: {safe_text(message, 300)}", file=self.err, flush=True)

    async def run(self) -> int:
        from oxytui.client import SSEOxyGent

        runner = None
        traffic: asyncio.Task[None] | None = None
        if self.opts.history:
            from .history import History

            self._history = History(on_notice=self._history_notice)  # prints every notice once
        for node in self._settings.nodes:
            self.agents[node.name] = SSEOxyGent(
                name=node.name,
                server_url=node.url,
                token=node.token,
                max_retries=0,
                connect_timeout=min(10.0, self.opts.timeout),
                idle_timeout=self.opts.timeout,
                require_https=node.profile == "production",
            )
        try:
            if self.opts.metrics_port is not None:
                try:
                    runner = await self._start_metrics()
                except OSError as exc:
                    print(
                        f"oxytui watch: cannot serve metrics on port {self.opts.metrics_port}: "
                        f"{exc.strerror or exc}",
                        file=self.err,
                    )
                    return 2
            if self.opts.otlp is not None:
                from .telemetry_export import OtlpExporter, otlp_families

                self.otlp = OtlpExporter(self.opts.otlp or None, content=self.opts.otlp_content)
                self.metrics.add_snapshot(lambda: otlp_families(self.otlp.stats))
                print(
                    f"oxytui watch: exporting traces to {self.otlp.shown_endpoint}", file=self.err, flush=True
                )
            self._tasks = [asyncio.create_task(self._node_loop(ns)) for ns in self.nodes.values()]
            traffic = self._start_traffic()
            for result in await asyncio.gather(*self._tasks, return_exceptions=True):
                if isinstance(result, Exception):
                    raise result
        finally:
            if self.traffic_watcher is not None and traffic is not None:
                self.traffic_watcher.stop()
                with contextlib.suppress(Exception, asyncio.CancelledError):  # stop() cancels it
                    await traffic
            for agent in self.agents.values():
                await agent.aclose()
            if runner is not None:
                await runner.cleanup()
            if self._history is not None:
                self._history.close()
            if self.otlp is not None:
                await asyncio.to_thread(self.otlp.shutdown, 5.0)
                print(f"oxytui watch: otlp: {self.otlp.stats.summary()}", file=self.err, flush=True)
        return self._verdict()

    # --- traffic (--traffic) ---------------------------------------------------------------------------

    def _start_traffic(self) -> asyncio.Task[None] | None:
        """Poll the nodes' run records; with ``--count`` the probes decide when to stop, else forever."""
        if not self.opts.traffic:
            return None
        from .traffic import TrafficOptions, TrafficWatcher
        from .traffic_report import TrafficTally

        self.traffic = TrafficTally()
        opts = TrafficOptions(every=self.opts.traffic_every, max_every=max(10.0, self.opts.traffic_every))
        self.traffic_watcher = TrafficWatcher(
            lambda: self.agents.values(), opts=opts, on_events=self._traffic_events, on_notice=self._notice
        )
        self.fleet_clock = self.traffic_watcher.fleet.clock
        task = asyncio.create_task(self.traffic_watcher.run())
        if self.opts.count is None:
            self._tasks.append(task)
        return task

    def _notice(self, node: str, message: str) -> None:
        self.emit(node, "traffic", None, None, message)

    def _traffic_events(self, events: list[Any]) -> None:
        from .traffic_report import report_runs

        for ev in events:  # every finished run, ours included, feeds /metrics' call stats and OTLP
            if ev.kind != "run_end" or ev.run.state == "unknown":
                continue
            if ev.run.backfill:  # finished before we started: exported (same ids: deduplicated), not counted
                self._export(ev.run)
            else:
                self.on_fleet_run(ev.run, ev.run.source == "traffic" and ev.run.trace_id not in self._ours)
        report_runs(
            self.traffic, events, self._ours, self.emit, json_lines=self.opts.json, history=self._history
        )
        self.checked.set()

    def _verdict(self) -> int:
        rate = self.success_rate
        shown = "n/a" if rate is None else f"{rate * 100:.1f}%"
        print(f"oxytui watch: success rate {shown} over {len(self.nodes)} node(s)", file=self.err)
        if self.opts.fail_below is None:
            return 0
        if rate is None or rate < self.opts.fail_below:
            print(f"oxytui watch: success rate {shown} is below {self.opts.fail_below:g}", file=self.err)
            return 1
        bad = [n.name for n in self.nodes.values() if n.state in ("down", "unknown")]
        if bad:
            names = ", ".join(safe_text(b, 60) for b in bad[:5]) + (
                f" and {len(bad) - 5} more" if len(bad) > 5 else ""
            )
            print(f"oxytui watch: down or never checked: {names} (fails --fail-below)", file=self.err)
            return 1
        return 0


def run_watch(settings: Any, opts: WatchOptions, out: IO[str] | None = None) -> int:
    """Blocking entry for the CLI: SIGINT/SIGTERM stop after the current checks and still report."""

    async def main() -> int:
        watcher = Watcher(settings, opts, out=out)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, watcher.stop)
        return await watcher.run()

    return asyncio.run(main())
