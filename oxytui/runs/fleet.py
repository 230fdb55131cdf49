"""Distributed runs across the fleet, from the records every OxyGent node keeps (see TRAFFIC.md).

A trace id names one run everywhere: each node holds only its own records, so the run is the union of
every node's records by ``node_id`` (stitched in :mod:`oxytui.runs.fleetrun`).

Pure: the watcher (:mod:`oxytui.ops.traffic`) feeds parsed pages and views with the times it saw them;
the model answers with :class:`FleetEvent` s (run/call start and end) for logs, stats and ``watch``.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from oxytui.client.records import HistoryPage, NodeRecord, TraceView

from .callees import CalleeStats
from .clock import NodeClock
from .fleetrun import FAILED_STATES, FleetCall, FleetRun, FleetState, Source
from .sanitize import one_line

__all__ = ["Fleet", "FleetCall", "FleetEvent", "FleetRun", "FleetState", "Source"]


@dataclass(frozen=True, slots=True)
class FleetEvent:
    """Something consumers show once: ``run_start``, ``call_start``, ``call_end`` or ``run_end``."""

    kind: str
    run: FleetRun
    wall: float
    record: NodeRecord | None = None


class Fleet:
    """Every distributed run by trace id, each node's clock, and per-callee stats. Bounded by ``max_runs``."""

    def __init__(self, max_runs: int = 2000) -> None:
        self.runs: OrderedDict[str, FleetRun] = OrderedDict()
        self.clocks: dict[str, NodeClock] = {}
        self.callees = CalleeStats()
        self.no_records: dict[str, str] = {}
        """Nodes that keep no run records we can read, with the reason."""
        self.skipped = 0
        """Malformed records and history entries skipped so far."""
        self.dropped = 0
        """Records beyond the per-view cap (a hostile or enormous trace), not parsed."""
        self.max_runs = max_runs
        self.version = 0

    def clock(self, node: str) -> NodeClock:
        c = self.clocks.get(node)
        if c is None:
            c = self.clocks[node] = NodeClock()
        return c

    def get(self, trace_id: str) -> FleetRun | None:
        return self.runs.get(trace_id)

    def _run(self, trace_id: str, wall: float) -> tuple[FleetRun, bool]:
        run = self.runs.get(trace_id)
        if run is not None:
            return run, False
        run = self.runs[trace_id] = FleetRun(trace_id=trace_id, first_seen=wall)
        while len(self.runs) > self.max_runs:
            for key, old in self.runs.items():
                if old.ended or old.gave_up:
                    del self.runs[key]
                    break
            else:
                break
        return run, True

    def claim(self, trace_id: str, source: Source, node: str, query: str, wall: float) -> FleetRun:
        """A run this dashboard started: traffic sightings of the same trace id merge into it."""
        run, _ = self._run(trace_id, wall)
        run.source, run.start_node = source, run.start_node or node
        run.query = run.query or one_line(query, 500)
        run.start_wall = run.start_wall if run.start_wall is not None else wall
        self.version += 1
        return run

    def set_no_records(self, node: str, reason: str) -> bool:
        """Remember that ``node`` keeps no run records; True the first time (say it once)."""
        first = node not in self.no_records
        self.no_records[node] = one_line(reason, 200)
        self.version += first
        return first

    def observe_history(
        self,
        node: str,
        page: HistoryPage,
        received_wall: float,
        date: datetime | None = None,
        first: bool = False,
    ) -> list[FleetEvent]:
        """A history page from ``node``: new runs start (``run_start`` for traffic), answers recorded.
        ``first``: the node's first poll; runs it lists as finished are :attr:`FleetRun.backfill`."""
        self.no_records.pop(node, None)
        self.skipped += page.skipped
        clock = self.clock(node)
        newest = max((t.create_time for t in page.traces if t.create_time), default=None)
        clock.observe(date, received_wall, newest)
        events: list[FleetEvent] = []
        for t in page.traces:
            run, new = self._run(t.trace_id, received_wall)
            if node not in run.listed:
                run.listed.add(node)
                run.version += 1
            run.listed_on(node, one_line(t.query, 500) if t.query else "", t.running, first)
            if t.output and (not run.answer or node == run.start_node):
                run.answer = t.output
            start = _clamp(clock.to_wall(t.create_time), received_wall)
            if new and run.source is Source.TRAFFIC:
                run.backfill = first and not t.running
                run.start_wall = start
            if node == run.start_node and start is not None and not run.announced:
                run.start_wall = start
            events += self._release(run, [])
        self.version += 1
        return events

    def apply_view(
        self, node: str, view: TraceView, received_wall: float, date: datetime | None = None
    ) -> list[FleetEvent]:
        """One node's records of a trace: merged into its run; ``call_start``/``call_end`` once per call."""
        self.skipped += view.skipped
        self.dropped += view.dropped
        run, _ = self._run(view.trace_id, received_wall)
        events: list[FleetEvent] = []
        clock = self.clock(node)
        newest = max((r.create_time for r in view.records if r.create_time), default=None)
        clock.observe(date, received_wall, newest)
        run.records.setdefault(node, {})  # listed among the run's nodes even before any record
        for rec in view.records:
            run.put_record(node, rec)
            if not rec.father_id and (not run.rooted or rec.caller == "user"):
                self._anchor(run, node, rec, received_wall)
        for rec in view.records:
            if run.first_start(rec.node_id):
                when = _clamp(clock.to_wall(rec.create_time), received_wall)
                events.append(FleetEvent("call_start", run, when or received_wall, rec))
        for call in run.walk():
            side = call.record if call.record.state is not None else call.caller_record
            if side is None or side.state is None or not run.first_finish(call.node_id):
                continue
            failed = side.state in FAILED_STATES
            self.callees.add(call.node_type, call.callee, side.node, failed, side.duration, side.total_tokens)
            when = _clamp(self.clock(side.node).to_wall(side.update_time), received_wall)
            events.append(FleetEvent("call_end", run, when or received_wall, side))
        self.version += 1
        return self._release(run, events)

    def _anchor(self, run: FleetRun, node: str, root: NodeRecord, received_wall: float) -> None:
        """The entry call's record: the run started on ``node``, with that node's query and start time
        (provisional values from a hop's callee node are replaced), and is news unless that node's
        first poll already listed it finished."""
        run.anchor(node, one_line(_query_of(root), 500))
        when = _clamp(self.clock(node).to_wall(root.create_time), received_wall)
        run.start_wall = when if when is not None else run.start_wall
        if root.state is not None and root.raw_output:
            run.answer = root.raw_output[:4000]

    def _release(self, run: FleetRun, events: list[FleetEvent], force: bool = False) -> list[FleetEvent]:
        """Traffic events wait until the run is anchored (or ``force``: it ends unanchored); then
        ``run_start`` first and the held calls parents first, so the start node, the query and the call
        tree are right from the first event on."""
        if run.source is not Source.TRAFFIC:
            return events
        if not (run.anchored or force):
            run.hold(events)
            return []
        first, held = run.release()
        out: list[FleetEvent] = []
        if first:
            wall = run.start_wall if run.start_wall is not None else run.first_seen
            out.append(FleetEvent("run_start", run, wall))
        if not held:
            return out + events
        held += events
        order = {c.node_id: i for i, c in enumerate(run.walk())}

        def rank(e: FleetEvent) -> int:
            return order.get(e.record.node_id, len(order)) if e.record is not None else -1

        out += sorted((e for e in held if e.kind == "call_start"), key=rank)
        return out + [e for e in held if e.kind != "call_start"]

    def finish(self, trace_id: str, received_wall: float, gave_up: bool = False) -> list[FleetEvent]:
        """The watcher is done with a trace (every record stated, seen once more; or it gave up)."""
        run = self.runs.get(trace_id)
        if run is None or run.ended or run.gave_up:
            return []
        run.ended, run.gave_up = not gave_up, gave_up
        root = run.root
        end = None
        if root is not None:
            end = _clamp(self.clock(root.node).to_wall(root.update_time), received_wall)
        run.end_wall = end if end is not None else received_wall
        run.version += 1
        self.version += 1
        return [*self._release(run, [], force=True), FleetEvent("run_end", run, run.end_wall)]

    def recent(self, n: int | None = None) -> list[FleetRun]:
        """Runs newest first."""
        runs = list(reversed(self.runs.values()))
        return runs if n is None else runs[:n]


def _query_of(rec: NodeRecord) -> str:
    """The entry record's ``query`` argument (its input is written when it finishes)."""
    value = rec.decoded_input() if rec.raw_input else None
    query = value.get("query") if isinstance(value, dict) else None
    return query if isinstance(query, str) else ""


def _clamp(wall: float | None, received: float) -> float | None:
    """A node-time estimate never lies in our future (the Date header has whole seconds)."""
    return None if wall is None else min(wall, received)
