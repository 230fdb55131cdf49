"""The traffic watcher: every run on every node, whoever started it, from the records nodes keep.

Headless (no Textual). Per node it polls page 1 of ``/history_with_ratings`` (small ``page_size``) every
``every`` seconds, backing off to ``max_every`` while nothing changes, and ``/view`` for new or in-flight
traces (at most ``views_per_tick`` per node per tick, in-flight first) until every record has a state,
then once more. At a node's first poll the finished traces of page 1 (at most ``backfill``) are viewed
too, after everything else: recent history, so an operator opening oxytui mid-incident sees the last
minutes at once; those runs are marked ``FleetRun.backfill`` (``watch`` does not report them as news).
Plain GETs: no run's stream is touched. Results go into a :class:`~oxytui.runs.Fleet`,
whose events (run/call start and end) are handed to ``on_events``.

A run that made a remote hop is finished only once the hop's other side was looked for on the other
watched nodes (a ``/view`` of an unknown trace is an empty list), so a failure on the callee node is
never missed because the caller node finished first. The other way round (real OxyGent finishes a hop's
callee records before the caller node lists the trace), a run seen only on a callee node ends only once
its entry record was found on another watched node (asked on each of its ticks, for ``anchor_wait``;
then "unknown"): it belongs to the node that started it, with that node's query.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from oxytui.client import NoRunRecords, RemoteError, SSEOxyGent
from oxytui.client.errors import RemoteBodyTooLarge
from oxytui.client.records import HistoryPage, TraceSummary
from oxytui.client.runlog import fetch_history, fetch_view
from oxytui.redact import scrub_text
from oxytui.runs.fleet import Fleet, FleetEvent

from .traffic_state import NodeHealth, NodeWatch, PendingTrace, TrafficOptions

__all__ = ["NodeHealth", "TrafficOptions", "TrafficWatcher"]

log = logging.getLogger("oxytui.traffic")

_SEEN_CAP = 4000


class TrafficWatcher:
    """Polls every agent ``agents()`` returns; :meth:`run` until :meth:`stop`; :meth:`tick` for tests."""

    def __init__(
        self,
        agents: Callable[[], Iterable[SSEOxyGent]],
        fleet: Fleet | None = None,
        opts: TrafficOptions | None = None,
        *,
        on_events: Callable[[list[FleetEvent]], Any] | None = None,
        on_notice: Callable[[str, str], Any] | None = None,
        wall: Callable[[], float] = time.time,
        mono: Callable[[], float] = time.monotonic,
    ) -> None:
        self.agents = agents
        self.fleet = fleet if fleet is not None else Fleet()
        self.opts = opts or TrafficOptions()
        self.on_events = on_events or (lambda events: None)
        self.on_notice = on_notice or (lambda node, message: None)
        self.wall, self.mono = wall, mono
        self.nodes: dict[str, NodeWatch] = {}
        self.overflow = 0
        """Traces given up because a node had more than ``max_pending`` awaiting a view."""
        self.progress = asyncio.Event()
        """Set after every node tick (tests and embedders wait on it)."""
        self._stop = asyncio.Event()
        self._open: dict[str, set[str]] = {}
        """trace id -> nodes still polling it (the run ends when the set empties)."""
        self._searched: OrderedDict[str, None] = OrderedDict()
        self._anchor_since: dict[str, float] = {}
        """trace id -> when the other nodes were first asked for its entry record."""
        self._unseen: set[str] = set()
        """Open traces a node stopped following before its records ended (they end "unknown")."""

    # --- public -------------------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()

    @property
    def requests(self) -> int:
        return sum(n.requests for n in self.nodes.values())

    def health(self) -> list[NodeHealth]:
        """Per watched node, sorted by name."""
        return [
            NodeHealth(nw.name, nw.requests, nw.errors, len(nw.pending), not nw.no_records)
            for nw in sorted(self.nodes.values(), key=lambda nw: nw.name)
        ]

    async def run(self) -> None:
        """Poll until :meth:`stop`: one loop per node (a slow or hung node delays only itself); the node
        set follows ``agents()`` (nodes added or removed in the dashboard)."""
        loops: dict[str, asyncio.Task[None]] = {}
        try:
            while not self._stop.is_set():
                agents = {a.name: a for a in self.agents()}
                for name in [n for n in loops if n not in agents or loops[n].done()]:
                    task = loops.pop(name)
                    if task.done() and not task.cancelled() and (exc := task.exception()) is not None:
                        why = scrub_text(f"{type(exc).__name__}: {exc}")[:300]  # read: never "not retrieved"
                        log.warning("traffic watcher: %s's loop stopped (%s); restarted", name, why)
                    task.cancel()
                    if name not in agents:
                        self._forget(name)
                for name, agent in agents.items():
                    if name not in loops:
                        loops[name] = asyncio.create_task(self._node_loop(agent))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self.opts.every)
        finally:
            for task in loops.values():
                task.cancel()
            await asyncio.gather(*loops.values(), return_exceptions=True)

    async def _node_loop(self, agent: SSEOxyGent) -> None:
        while not self._stop.is_set():
            await self.tick(agent)
            delay = self._node(agent.name).due - self.mono()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)

    async def tick(self, agent: SSEOxyGent) -> None:
        """One poll of one node: history, then a few views; schedules the node's next poll."""
        nw = self._node(agent.name)
        try:
            await self._tick(agent, nw)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug must not stop the other nodes' traffic
            log.exception("traffic watcher: %s", agent.name)
            nw.due = self.mono() + self.opts.max_every
        finally:
            self.progress.set()

    # --- one node -----------------------------------------------------------------------------------

    def _node(self, name: str) -> NodeWatch:
        nw = self.nodes.get(name)
        if nw is None:
            nw = self.nodes[name] = NodeWatch(name, self.opts.every)
        return nw

    def _forget(self, name: str) -> None:
        """A node left the dashboard: what it was still showing never ended for us (a search: not there)."""
        nw = self.nodes.pop(name, None)
        if nw is not None:
            for trace, p in list(nw.pending.items()):
                self._done(name, trace, unseen=not p.search)

    async def _tick(self, agent: SSEOxyGent, nw: NodeWatch) -> None:
        self._expire(nw)  # every tick: a node that stops answering must not keep its runs open
        changed = await self._poll_history(agent, nw)
        nw.down = changed is None and not nw.no_records
        if nw.no_records:
            nw.due = self.mono() + self.opts.no_records_every
            return
        if changed is None:  # the node did not answer: try again later, keep what we have
            nw.interval = self.opts.max_every
        else:
            changed |= await self._poll_views(agent, nw)
            busy = changed or any(p.running for p in nw.pending.values())
            nw.interval = self.opts.every if busy else min(self.opts.max_every, nw.interval * 2)
        nw.due = self.mono() + nw.interval

    async def _poll_history(self, agent: SSEOxyGent, nw: NodeWatch) -> bool | None:
        """Read page 1 (and more pages while all is new); True when something changed, None: no answer."""
        traces: list[TraceSummary] = []
        for page in range(1, self.opts.max_pages + 1):
            nw.requests += 1
            try:
                got = await fetch_history(agent, page, self.opts.page_size)
            except NoRunRecords as exc:
                if self.fleet.set_no_records(agent.name, exc.cause):
                    self.on_notice(agent.name, f"keeps no run records ({exc.cause}); traffic not visible")
                nw.no_records = True
                return None
            except RemoteError as exc:
                nw.errors += 1
                log.debug("traffic: %s: %s", agent.name, exc)
                return None
            if nw.no_records:
                nw.no_records = False
                self.on_notice(agent.name, "run records available again")
            wall = self.wall()
            fresh = [t for t in got.value.traces if t.trace_id not in nw.seen]
            keep = self._accept(nw, got.value.traces)
            page_of = _page(keep, got.value)
            self._emit(self.fleet.observe_history(agent.name, page_of, wall, got.date, first=nw.first))
            traces += got.value.traces
            if nw.first or len(fresh) < len(got.value.traces) or len(got.value.traces) < self.opts.page_size:
                break
        nw.first = False
        signature = tuple((t.trace_id, t.running) for t in traces)
        changed = signature != nw.signature
        nw.signature = signature
        return changed

    def _accept(self, nw: NodeWatch, traces: list[TraceSummary]) -> list[TraceSummary]:
        """Traces to follow: new or in flight; of those already finished at the first poll (recent
        history) the newest ``backfill``, viewed after the others."""
        keep = []
        now = self.mono()
        backfill = self.opts.backfill
        for t in traces:
            known = nw.seen.get(t.trace_id)
            if known is None:
                nw.seen[t.trace_id] = t.running
                while len(nw.seen) > _SEEN_CAP:
                    nw.seen.popitem(last=False)
                old = nw.first and not t.running
                if old:
                    if backfill <= 0:
                        continue
                    backfill -= 1
                self._pend(nw, t.trace_id, now, t.running, backfill=old)
                keep.append(t)
            elif t.trace_id in nw.pending or t.trace_id in self._open:
                nw.seen[t.trace_id] = t.running
                p = nw.pending.get(t.trace_id)
                if p is not None:
                    p.running = t.running
                keep.append(t)
        return keep

    def _pend(
        self,
        nw: NodeWatch,
        trace: str,
        now: float,
        running: bool,
        search: bool = False,
        backfill: bool = False,
    ) -> None:
        if trace in nw.pending:
            p = nw.pending[trace]
            if not search and p.search:  # the node lists it after all: a full poll, not a look-up
                p.search, p.running = False, running
            return
        nw.pending[trace] = PendingTrace(since=now, running=running, search=search, backfill=backfill)
        self._open.setdefault(trace, set()).add(nw.name)
        while len(nw.pending) > self.opts.max_pending:
            oldest = min(nw.pending, key=lambda k: nw.pending[k].since)
            self.overflow += 1
            self._done(nw.name, oldest, gave_up=True)

    def _expire(self, nw: NodeWatch) -> None:
        """Give up on traces unfinished for ``give_up_after``; a look-up unanswered for ``search_wait``
        means "not there"."""
        now = self.mono()
        for trace, p in list(nw.pending.items()):
            if p.search and now - p.since > self.opts.search_wait:
                self._done(nw.name, trace)
            elif now - p.since > self.opts.give_up_after:
                self._done(nw.name, trace, gave_up=True)

    async def _poll_views(self, agent: SSEOxyGent, nw: NodeWatch) -> bool:
        now = self.mono()
        # in-flight first, then the least recently polled; among never-polled the newest (under overload the
        # oldest wait and are given up at max_pending, rather than everything shown late); history last
        order = sorted(
            nw.pending.items(),
            key=lambda kv: (not kv[1].running, kv[1].backfill, kv[1].last, -kv[1].since),
        )
        changed = False
        for trace, p in order[: self.opts.views_per_tick]:
            nw.requests += 1
            p.polls += 1
            p.last = now
            try:
                got = await fetch_view(agent, trace)
            except NoRunRecords:  # its records vanished: a search means "not here", else we never saw it end
                self._done(nw.name, trace, unseen=not p.search)
                continue
            except RemoteBodyTooLarge:  # it will not shrink: say "unknown" now, not after give_up_after
                self._done(nw.name, trace, gave_up=True)
                continue
            except RemoteError as exc:
                nw.errors += 1
                log.debug("traffic: %s /view %s: %s", agent.name, trace, exc)
                continue
            view = got.value
            if p.search and not view.records:
                self._done(nw.name, trace)
                continue
            p.search = False  # found here: followed until its records end, no look-up deadline
            events = self.fleet.apply_view(agent.name, view, self.wall(), got.date)
            changed |= bool(events)
            self._emit(events)
            if not view.finished:
                p.confirmed = False
            elif p.confirmed or not p.running:  # finished in history too: the records are final
                self._done(nw.name, trace)
            else:
                p.confirmed = True
        return changed

    def _done(self, node: str, trace: str, gave_up: bool = False, unseen: bool = False) -> None:
        """``node`` is done with ``trace``; ``gave_up``: end the run "unknown" now; ``unseen``: this node
        stopped looking before its records ended, so the run ends "unknown" once the others are done."""
        nw = self.nodes.get(node)
        if nw is not None:
            nw.pending.pop(trace, None)
        waiting = self._open.get(trace)
        if waiting is None:
            return
        waiting.discard(node)
        if unseen:
            self._unseen.add(trace)
        if gave_up:
            self._open.pop(trace, None)
            self._anchor_since.pop(trace, None)
            self._unseen.discard(trace)
            for other in self.nodes.values():
                other.pending.pop(trace, None)
            self._emit(self.fleet.finish(trace, self.wall(), gave_up=True))
            return
        if waiting:
            return
        verdict = "unknown" if trace in self._unseen else self._settle(trace)
        if verdict == "wait":
            return
        self._open.pop(trace, None)
        self._anchor_since.pop(trace, None)
        self._unseen.discard(trace)
        self._emit(self.fleet.finish(trace, self.wall(), gave_up=verdict == "unknown"))

    def _settle(self, trace: str) -> str:
        """Every node is done with ``trace``: "done", "wait" (other nodes asked) or "unknown".

        A run not anchored yet (only a hop's callee side seen: its entry call is on a caller node whose
        records may lag) asks the other watched nodes again on each of their ticks, for ``anchor_wait``
        seconds; an anchored run whose hop shows no callee side asks them once."""
        run = self.fleet.get(trace)
        if run is None:
            return "done"
        if not run.anchored:
            now = self.mono()
            if now - self._anchor_since.setdefault(trace, now) > self.opts.anchor_wait:
                return "unknown"
            return "wait" if self._ask_others(trace, set(run.records)) else "done"  # else: all we see
        return "wait" if self._search_hops(trace) else "done"

    def _ask_others(self, trace: str, have: set[str]) -> bool:
        """Look ``trace`` up on every watched node not in ``have``; False when there is none."""
        others = [
            nw for name, nw in self.nodes.items() if name not in have and not (nw.no_records or nw.down)
        ]
        now = self.mono()
        for nw in others:
            self._pend(nw, trace, now, running=False, search=True)
        return bool(others)

    def _search_hops(self, trace: str) -> bool:
        """A hop whose callee side nobody showed yet: ask the other nodes once; True if asked."""
        run = self.fleet.get(trace)
        if run is None or trace in self._searched:
            return False
        self._searched[trace] = None
        while len(self._searched) > _SEEN_CAP:
            self._searched.popitem(last=False)
        lonely = [c for c in run.walk() if c.node_type == "agent" and not c.children and not c.hop]
        return bool(lonely) and self._ask_others(trace, set(run.records))

    def _emit(self, events: list[FleetEvent]) -> None:
        if events:
            self.on_events(events)


def _page(traces: list[TraceSummary], page: HistoryPage) -> HistoryPage:
    return HistoryPage(traces=traces, total=page.total, skipped=page.skipped)
