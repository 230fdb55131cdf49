"""``oxytui watch --traffic``: one line per finished traffic run, its share of the success rate, metrics.

Kept apart from :mod:`oxytui.ops.watch` so the probe loop stays as it is; the watcher owns one
:class:`TrafficTally` and asks it for lines, counts (``--fail-below``) and the traffic watcher's health
families (runs, calls and durations are issue 12's families in :class:`~oxytui.ops.metrics.FleetMetrics`).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from oxytui.runs.fleet import Fleet, FleetEvent
from oxytui.runs.fleetlog import run_outcome
from oxytui.runs.fleetrun import FleetRun, FleetState, Source
from oxytui.runs.sanitize import one_line

from .metrics import Family

if TYPE_CHECKING:
    from .traffic import NodeHealth

__all__ = ["TrafficTally", "report_runs", "run_object"]


def run_object(run: FleetRun) -> dict[str, Any]:
    """The ``--json`` object of a finished run (issue 11's schema); text is made safe to print."""
    return {
        "kind": "run",
        "trace_id": one_line(run.trace_id, 200),
        "node": one_line(run.start_node or (run.nodes[0] if run.nodes else ""), 200),
        "nodes": [one_line(n, 200) for n in run.nodes],
        "state": str(run.state),  # completed, failed or canceled (unknown runs are not reported)
        "duration": None if run.duration is None else round(run.duration, 6),
        "query": one_line(run.query, 500),
        "failed": [one_line(f"{c.node}:{c.callee}", 200) for c in run.failed_calls()],
        "tokens": run.tokens,
    }


@dataclass(slots=True)
class _NodeTally:
    runs: int = 0
    """Successes and failures (the rate's denominator); canceled runs are neither."""
    failed: int = 0
    canceled: int = 0


class TrafficTally:
    """Finished traffic runs per starting node (runs we started ourselves are not counted twice)."""

    def __init__(self) -> None:
        self.nodes: dict[str, _NodeTally] = {}
        self.unknown = 0

    @property
    def total(self) -> int:
        return sum(t.runs for t in self.nodes.values())

    @property
    def failed(self) -> int:
        return sum(t.failed for t in self.nodes.values())

    def finished(self, events: list[FleetEvent], ours: Container[str]) -> list[FleetRun]:
        """Runs that just finished and should be printed and counted (not ours, not given up, not recent
        history loaded at start: those had finished before the watch began)."""
        out = []
        for ev in events:
            run = ev.run
            if ev.kind != "run_end" or run.source is not Source.TRAFFIC or run.trace_id in ours:
                continue
            if run.backfill:
                continue
            if run.state is FleetState.UNKNOWN:
                self.unknown += 1
                continue
            tally = self.nodes.setdefault(run.start_node or "?", _NodeTally())
            ok = run_outcome(run)
            tally.runs += ok is not None
            tally.failed += ok is False
            tally.canceled += ok is None
            out.append(run)
        return out

    def families(self, fleet: Fleet, health: Iterable[NodeHealth] = ()) -> list[Family]:
        """The watcher's own health for ``/metrics``. Runs, calls, durations and tokens are not here: they
        are in issue 12's families (``oxytui_runs_total{source="traffic"}``, ``oxytui_calls_total``, ...,
        fed by :meth:`~oxytui.ops.watch.Watcher.on_fleet_run`)."""
        req = Family("oxytui_traffic_requests_total", "counter", "GETs the traffic watcher sent to a node.")
        err = Family("oxytui_traffic_request_errors_total", "counter", "Traffic watcher GETs that failed.")
        pend = Family("oxytui_traffic_pending_traces", "gauge", "Traces awaiting a /view of a node.")
        avail = Family(
            "oxytui_traffic_records_available", "gauge", "0 while a node keeps no run records we can read."
        )
        unknown = Family(
            "oxytui_traffic_runs_unknown_total",
            "counter",
            "Runs given up on before every record had a state (shown as unknown, not counted as runs).",
        )
        skipped = Family(
            "oxytui_traffic_records_skipped_total", "counter", "Malformed records/history entries skipped."
        )
        dropped = Family(
            "oxytui_traffic_records_dropped_total", "counter", "Records beyond the per-view cap, not parsed."
        )
        for h in health:
            lab = {"node": h.node}
            req.add(h.requests, lab)
            err.add(h.errors, lab)
            pend.add(h.pending, lab)
            avail.add(1 if h.records and h.node not in fleet.no_records else 0, lab)
        unknown.add(self.unknown)
        skipped.add(fleet.skipped)
        dropped.add(fleet.dropped)
        return [req, err, pend, avail, unknown, skipped, dropped]


def report_runs(
    tally: TrafficTally,
    events: list[FleetEvent],
    ours: Container[str],
    emit: Callable[..., None],
    *,
    json_lines: bool,
    history: Any = None,
) -> None:
    """``oxytui watch --traffic``: print each newly finished traffic run with ``emit`` (the watcher's line
    printer) and keep it in the ``history`` (``--history``); ``ours``: the watcher's own probe traces."""
    from .traffic_record import summary_of

    for run in tally.finished(events, ours):
        obj = run_object(run)
        detail = f"{obj['trace_id']} {obj['query']}"
        if obj["failed"]:
            detail += " failed: " + ", ".join(obj["failed"])
        fields = {k: v for k, v in obj.items() if k not in ("kind", "node")}
        if json_lines:
            emit(obj["node"], "run", None, None, "", **fields)
        else:  # ok None (canceled): the line says its state, not ok/FAIL
            emit(obj["node"], "run", run_outcome(run), obj["duration"], detail, state=obj["state"])
        if history is not None:
            history.add(summary_of(run))
