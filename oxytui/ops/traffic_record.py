"""Keeping traffic runs as evidence: recording marks (replay and export show them) and history rows.

A recording gets, per traffic run: a ``start`` mark (``source="traffic"``), one ``traffic`` record per
call start/finish holding the call's :func:`~oxytui.runs.fleetlog.record_detail` (credentials were
redacted when the node's records were parsed; the recorder scrubs our own tokens too) and a ``finish``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Container
from typing import Any

from oxytui.runs.fleet import FleetEvent
from oxytui.runs.fleetlog import record_detail, run_error
from oxytui.runs.fleetrun import FleetRun, FleetState, Source

__all__ = ["record_traffic", "run_error", "summary_of"]

Mark = Callable[..., None]


def _node(run: FleetRun) -> str:
    return run.store_node or run.start_node or (run.nodes[0] if run.nodes else "?")


def summary_of(run: FleetRun) -> Any:
    """A history :class:`~oxytui.ops.history.RunSummary` of a finished traffic run."""
    from .history import RunSummary

    state = {FleetState.COMPLETED: "completed", FleetState.FAILED: "failed"}.get(run.state, "canceled")
    return RunSummary(
        node=_node(run),
        trace_id=run.trace_id,
        started=run.start_wall or run.first_seen,
        duration=run.duration,
        state=state,
        query=run.query,
        answer=run.answer[:500],
        error=run_error(run),
        source="traffic",
    )


def record_traffic(
    events: list[FleetEvent], mark: Mark | None, history: Any = None, known: Container[str] = ()
) -> None:
    """Write traffic events as recording marks (``mark(kind, node, trace, wall=..., **fields)``) and
    finished runs into ``history``, except those whose trace ids are ``known`` there already (restored
    at start, and fetched again as recent history)."""
    for ev in events:
        run = ev.run
        if run.source is not Source.TRAFFIC:
            continue
        node = _node(run)
        if ev.kind == "run_start" and mark is not None:
            mark(
                "start", node, run.trace_id, wall=ev.wall, query=run.query, group="traffic", source="traffic"
            )
        elif ev.kind in ("call_start", "call_end") and ev.record is not None and mark is not None:
            kind = "tool_call" if ev.kind == "call_start" else "observation"
            detail = json.dumps(record_detail(ev.record), ensure_ascii=False, default=str)
            mark(
                "traffic", ev.record.node, run.trace_id, wall=ev.wall, type=kind, run_node=node, detail=detail
            )
        elif ev.kind == "run_end":
            if mark is not None:
                state = {FleetState.COMPLETED: "completed", FleetState.FAILED: "failed"}.get(
                    run.state, "canceled"
                )
                mark("finish", node, run.trace_id, wall=ev.wall, state=state, error=run_error(run))
            if history is not None and run.trace_id not in known:
                history.add(summary_of(run))
