"""``oxytui watch --traffic``: one line per finished traffic run, its share of the success rate, metrics.

Kept apart from :mod:`oxytui.ops.watch` so the probe loop stays as it is; the watcher owns one
:class:`TrafficTally` and asks it for lines, counts and metric families.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oxytui.runs.fleet import Fleet, FleetEvent
from oxytui.runs.fleetrun import FleetRun, FleetState, Source
from oxytui.runs.sanitize import one_line

from .metrics import Family, Histogram

__all__ = ["TrafficTally", "report_runs", "run_object"]


def run_object(run: FleetRun) -> dict[str, Any]:
    """The ``--json`` object of a finished run (issue 11's schema); text is made safe to print."""
    return {
        "kind": "run",
        "trace_id": one_line(run.trace_id, 200),
        "node": one_line(run.start_node or (run.nodes[0] if run.nodes else ""), 200),
        "nodes": [one_line(n, 200) for n in run.nodes],
        "state": "failed" if run.state is FleetState.FAILED else "completed",
        "duration": None if run.duration is None else round(run.duration, 6),
        "query": one_line(run.query, 500),
        "failed": [one_line(f"{c.node}:{c.callee}", 200) for c in run.failed_calls()],
        "tokens": run.tokens,
    }


@dataclass(slots=True)
class _NodeTally:
    runs: int = 0
    failed: int = 0
    latency: Histogram = field(default_factory=Histogram)


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

    def finished(self, events: list[FleetEvent], ours: set[str]) -> list[FleetRun]:
        """Runs that just finished and should be printed and counted (not ours, not given up)."""
        out = []
        for ev in events:
            run = ev.run
            if ev.kind != "run_end" or run.source is not Source.TRAFFIC or run.trace_id in ours:
                continue
            if run.state is FleetState.UNKNOWN:
                self.unknown += 1
                continue
            tally = self.nodes.setdefault(run.start_node or "?", _NodeTally())
            tally.runs += 1
            tally.failed += run.state is FleetState.FAILED
            if run.duration is not None:
                tally.latency.observe(run.duration)
            out.append(run)
        return out

    def families(self, fleet: Fleet) -> list[Family]:
        runs = Family("oxytui_traffic_runs_total", "counter", "Finished runs seen in the nodes' records.")
        fails = Family("oxytui_traffic_failures_total", "counter", "Finished traffic runs that failed.")
        lat = Family("oxytui_traffic_run_duration_seconds", "histogram", "Traffic run durations.")
        no_rec = Family("oxytui_node_run_records", "gauge", "0 when a node keeps no run records we can read.")
        calls = Family("oxytui_callee_calls_total", "counter", "Calls per agent/tool/llm across the fleet.")
        cfail = Family("oxytui_callee_failures_total", "counter", "Failed calls per agent/tool/llm.")
        for node, t in sorted(self.nodes.items()):
            runs.add(t.runs, {"node": node})
            fails.add(t.failed, {"node": node})
            lat.add_histogram(t.latency, {"node": node})
        for node in sorted(fleet.no_records):
            no_rec.add(0, {"node": node})
        for stat in fleet.callees.ranked()[:200]:
            labels = {"type": one_line(stat.node_type, 40), "callee": one_line(stat.callee, 120)}
            calls.add(stat.calls, labels)
            cfail.add(stat.failures, labels)
        return [runs, fails, lat, no_rec, calls, cfail]


def report_runs(
    tally: TrafficTally,
    events: list[FleetEvent],
    ours: set[str],
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
        else:
            emit(obj["node"], "run", obj["state"] == "completed", obj["duration"], detail)
        if history is not None:
            history.add(summary_of(run))
