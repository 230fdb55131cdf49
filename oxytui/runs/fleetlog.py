"""Traffic runs into the dashboard's :class:`~oxytui.runs.store.RunStore`: runs, call trees, log rows, stats.

Only runs someone else started (``Source.TRAFFIC``) are added: the dashboard's own runs already arrive
through their streams, and the fleet merges their records by trace id. Recent history fetched at start
(``FleetRun.backfill``) that the SQLite history already restored joins that run: counted once. One log
row per call start and finish, marked ``source="traffic"``; times come from the node's records through
its ``Date`` offset.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from oxytui.client.records import NodeRecord

from .calltree import CallStatus, RunState
from .fleet import FleetEvent
from .fleetrun import FleetRun, FleetState, Source
from .sanitize import one_line
from .store import TRAFFIC, RunStore

__all__ = ["apply_call_row", "apply_fleet_events", "record_detail"]

_STATES = {
    FleetState.COMPLETED: RunState.COMPLETED,
    FleetState.FAILED: RunState.FAILED,
    FleetState.CANCELED: RunState.CANCELED,
    FleetState.UNKNOWN: RunState.CANCELED,
}


def record_detail(rec: NodeRecord, output_limit: int = 4000) -> dict[str, Any]:
    """What a log row's detail view shows for a record (credentials were redacted at parse time)."""
    return {
        "node_id": rec.node_id,
        "node_type": rec.node_type,
        "caller": rec.caller,
        "callee": rec.callee,
        "call_stack": list(rec.call_stack),
        "state": rec.state.name if rec.state is not None else None,
        "create_time": rec.create_time.isoformat(" ") if rec.create_time else None,
        "update_time": rec.update_time.isoformat(" ") if rec.update_time else None,
        "duration": rec.duration,
        "tokens": rec.total_tokens,
        "model": rec.model or None,
        "output": rec.raw_output[:output_limit] if rec.state is not None else None,
    }


def _key_node(run: FleetRun) -> str:
    """Fixed once: the starting node may only become known after another node listed the run."""
    if not run.store_node:
        run.store_node = run.start_node or (run.nodes[0] if run.nodes else "?")
    return run.store_node


def apply_fleet_events(store: RunStore, events: list[FleetEvent], mono_now: float, wall_now: float) -> int:
    """Apply traffic events to ``store``; returns how many were applied. ``*_now``: our two clocks."""

    def mono(wall: float) -> float:
        return mono_now - max(0.0, wall_now - wall)

    applied = 0
    for ev in events:
        run = ev.run
        if run.source is not Source.TRAFFIC:
            continue
        if not run.store_node and run.backfill:
            restored = store.find_trace(run.trace_id)
            if restored is not None:  # already counted from the SQLite history: add its calls, not a run
                run.store_node = restored.node
        node = _key_node(run)
        target = store.get_run(node, run.trace_id)
        if target is None:
            target = store.start_run(node, run.trace_id, run.query, mono(ev.wall), ev.wall, source=TRAFFIC)
        applied += 1
        rec = ev.record
        if ev.kind in ("call_start", "call_end") and rec is not None:
            kind = "tool_call" if ev.kind == "call_start" else "observation"
            apply_call_row(
                store, node, run.trace_id, kind, rec.node, record_detail(rec), mono(ev.wall), ev.wall
            )
        elif ev.kind == "run_end" and target.live:
            target.answer = run.answer
            target.query = one_line(run.query, 500) or target.query  # the entry node's, if it came late
            duration = run.duration
            end = target.start_mono + duration if duration is not None else mono(ev.wall)
            where = [f"{c.node}:{c.callee}" for c in run.failed_calls()]
            error = "failed: " + ", ".join(where) if where else ""
            if run.state is FleetState.UNKNOWN:
                error = "gave up: records never finished"
            store.finish_run(node, run.trace_id, end, ev.wall, _STATES.get(run.state), error)
    return applied


def apply_call_row(
    store: RunStore,
    run_node: str,
    trace_id: str,
    kind: str,
    node: str,
    detail: dict[str, Any],
    mono: float,
    wall: float,
) -> None:
    """One traffic call start (``tool_call``) or finish (``observation``) from a :func:`record_detail`:
    the run's call tree and one log row marked traffic. Shared by the live path and replay."""
    target = store.get_run(run_node, trace_id)
    if target is None:
        target = store.start_run(run_node, trace_id, "", mono, wall, source=TRAFFIC)

    def text(key: str) -> str:
        value = detail.get(key)
        return value if isinstance(value, str) else ""

    stack = detail.get("call_stack")
    call_stack = [str(s) for s in stack] if isinstance(stack, list) else []
    node_id, caller, callee, category = text("node_id"), text("caller"), text("callee"), text("node_type")
    if kind == "tool_call":
        target.on_tool_call(
            node_id=node_id,
            caller=caller,
            callee=callee,
            category=category,
            call_stack=call_stack,
            arguments={},
            mono=mono,
        )
        summary, failed = (f"{category} call" if category else ""), False
    else:
        output = text("output")
        call = target.on_observation(
            node_id=node_id,
            caller=caller,
            callee=callee,
            category=category,
            call_stack=call_stack,
            output=output[:2000],
            mono=mono,
        )
        failed = detail.get("state") in ("FAILED", "ERROR")
        if failed:
            call.status = CallStatus.ERROR
        summary = one_line(output, 300)
    store.log.append(
        mono=mono,
        wall=wall,
        node=node,
        trace_id=trace_id,
        type=kind,
        caller=caller,
        callee=callee,
        summary=summary,
        raw=detail,
        error=failed,
        source=TRAFFIC,
    )
