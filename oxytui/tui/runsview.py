"""What the runs screen shows, from the model: turns the dashboard's own streamed runs and the fleet's
traffic runs (stitched from node records) into table rows, call trees and callee figures.

The screen and its widgets only see these rows (``oxytui.tui.runrows``, re-exported here), so they do not
depend on how the model keeps runs. Pure: no Textual.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from oxytui.client.schemas import OxyState
from oxytui.runs import Call, CallStatus, Fleet, FleetCall, FleetRun, Run, RunState, RunStore, percentile
from oxytui.runs.callees import CalleeStat, CalleeStats
from oxytui.runs.sanitize import one_line
from oxytui.tui.runrows import (
    COLUMNS,
    SOURCES,
    STATES,
    CalleeRow,
    CallItem,
    RunFilter,
    RunRow,
    cycle,
    sort_callees,
    sort_rows,
)

__all__ = [
    "COLUMNS",
    "SOURCES",
    "STATES",
    "CallItem",
    "CalleeRow",
    "RunFilter",
    "RunRow",
    "callees_of_fleet",
    "callees_of_runs",
    "collect",
    "cycle",
    "row_of_fleet",
    "row_of_run",
    "sort_callees",
    "sort_rows",
    "source_of_run",
    "tree_of_fleet",
    "tree_of_run",
]


# --- the dashboard's own streamed runs --------------------------------------------------------------------


def source_of_run(run: Run, sources: dict[tuple[str, str], str]) -> str:
    """``probe`` for probe runs, ``demo`` for demo-driver runs the controller told us about, else ``mine``."""
    if run.group == "probe":
        return "probe"
    return "demo" if sources.get(run.key) == "demo" else "mine"


def _call_state(call: Call) -> str:
    if call.status is CallStatus.RUNNING:
        return "running"
    return "failed" if call.status is CallStatus.ERROR else "completed"


def row_of_run(run: Run, now: float, start: float | None, source: str) -> RunRow:
    """A streamed run (one node, calls from its SSE events) as a table row."""
    state = run.state.value if run.state is not RunState.CANCELED else "failed"
    hops = sum(1 for c in run.calls.values() if c.category == "agent" and c.parent is not None)
    return RunRow(
        trace_id=run.trace_id,
        start=start,
        nodes=(run.node,),
        query=one_line(run.query, 200),
        state=state,
        duration=run.duration(now),
        tokens=None,
        hops=hops,
        source=source,
        failed_calls=len(run.error_calls()),
        key=("run", run.key),
    )


def tree_of_run(run: Run, now: float) -> list[CallItem]:
    """The streamed run's calls nested as the SSE call stacks say."""

    def item(call: Call) -> CallItem:
        return CallItem(
            node_id=call.node_id,
            node=run.node,
            callee=call.callee,
            category=call.category,
            state=_call_state(call),
            duration=call.duration(now) if call.end is not None else None,
            caller=call.caller,
            input_preview=call.query,
            output_preview=call.output_preview,
            input=call.query or None,
            output=call.output,
            children=[item(c) for c in call.children],
        )

    return [item(c) for c in run.roots]


def callees_of_runs(runs: Iterable[Run]) -> list[CalleeRow]:
    """Per-callee figures over streamed runs (all nodes together), most failures first, then slowest."""
    acc: dict[tuple[str, str], tuple[int, int, list[float]]] = {}
    for run in runs:
        for call in run.calls.values():
            if call.status is CallStatus.RUNNING:
                continue
            k = (call.category or "?", call.callee)
            n, failed, durations = acc.get(k, (0, 0, []))
            durations.append(max(0.0, call.duration(call.end or 0.0)))
            acc[k] = (n + 1, failed + (call.status is CallStatus.ERROR), durations)
    rows = [
        CalleeRow(cat, name, "all", n, failed, percentile(sorted(d), 95) if d else None, None)
        for (cat, name), (n, failed, d) in acc.items()
    ]
    return sort_callees(rows)


def collect(
    store: RunStore,
    fleet: Fleet | None,
    now: float,
    wall_now: float,
    sources: dict[tuple[str, str], str],
    cache: dict[Any, tuple[Any, RunRow]] | None = None,
) -> list[RunRow]:
    """Every run the model knows, one row per trace id, newest first: fleet runs (with the dashboard's own
    streamed run of the same trace merged in) and streamed runs the fleet does not know.

    ``cache`` keeps the rows of finished runs between calls (a finished run's row only changes with its
    records), so a refresh over thousands of runs costs little more than the live ones."""
    memo: dict[Any, tuple[Any, RunRow]] = cache if cache is not None else {}
    rows: list[RunRow] = []
    fleet_runs = fleet.runs if fleet is not None else {}
    streamed: dict[str, Run] = {}
    for run in store.runs.values():
        if run.trace_id in fleet_runs:
            if run.source != "traffic":  # the traffic copy is the fleet's own projection: not ours
                streamed[run.trace_id] = run
            continue
        source = "traffic" if run.source == "traffic" else source_of_run(run, sources)
        sig: Any = (run.state, run.end_mono, len(run.calls), source)
        hit = memo.get(run.key)
        if hit is not None and hit[0] == sig and not run.live:
            rows.append(hit[1])
            continue
        row = row_of_run(run, now, run.start_wall or None, source)
        memo[run.key] = (sig, row)
        rows.append(row)
    for trace_id, frun in fleet_runs.items():
        mine = streamed.get(trace_id)
        sig = (
            frun.version,
            frun.ended,
            frun.gave_up,
            mine.state if mine else None,
            mine.end_mono if mine else 0,
        )
        hit = memo.get(trace_id)
        if hit is not None and hit[0] == sig and hit[1].state != "running":
            rows.append(hit[1])
            continue
        row = row_of_fleet(frun, mine, now, wall_now)
        memo[trace_id] = (sig, row)
        rows.append(row)
    if len(memo) > 2 * len(rows) + 100:  # forget runs the model dropped
        keep = {r.key[1] if isinstance(r.key, tuple) else r.key for r in rows}
        for k in [k for k in memo if k not in keep]:
            del memo[k]
    rows.sort(key=lambda r: r.start or 0.0, reverse=True)
    return rows


# --- the fleet's distributed runs (stitched from every node's records) --------------------------------

_FLEET_STATE = {"running": "running", "completed": "completed", "failed": "failed"}


def row_of_fleet(run: FleetRun, mine: Run | None, now: float, wall_now: float) -> RunRow:
    """A distributed run as a row; ``mine`` is the dashboard's streamed run of the same trace, if any."""
    state = _FLEET_STATE.get(run.state.value, run.state.value)
    if mine is not None:
        if mine.live and state != "failed":
            state = "running"
        elif mine.state is RunState.FAILED or (mine.state is RunState.CANCELED and state == "running"):
            state = "failed" if mine.state is RunState.FAILED else "canceled"
    start = mine.start_wall if mine is not None and mine.start_wall else run.start_wall or run.first_seen
    duration = run.duration
    if duration is None and mine is not None:
        duration = mine.duration(now)
    elif duration is None and state == "running" and start:
        duration = max(0.0, wall_now - start)
    has_records = bool(run.records)
    failed_calls = len(run.failed_calls()) if has_records else (len(mine.error_calls()) if mine else 0)
    return RunRow(
        trace_id=run.trace_id,
        start=start or None,
        nodes=tuple(run.nodes) or ((mine.node,) if mine is not None else ()),
        query=one_line(run.query or (mine.query if mine is not None else ""), 200),
        state=state,
        duration=duration,
        tokens=run.tokens or None,
        hops=run.hops,
        source=run.source.value,
        failed_calls=failed_calls,
        key=("fleet", run.trace_id),
    )


def _preview(raw: str, limit: int) -> str:
    """A call's arguments from its record's input JSON text (``{"class_attr": …, "arguments": …}``):
    the ``query`` when there is one. Only the arguments object is decoded, not the (long) class_attr."""
    at = raw.find('"arguments": ')
    if at >= 0:
        try:
            value, _end = _DECODER.raw_decode(raw, at + len('"arguments": '))
        except ValueError:
            value = None
        if isinstance(value, str):  # some stores keep it as the repr of a dict
            return one_line(value, limit)
        if isinstance(value, dict):
            query = value.get("query")
            messages = value.get("messages")
            if query is None and isinstance(messages, list) and messages and isinstance(messages[-1], dict):
                query = messages[-1].get("content")  # an LLM call: what it was last asked
            return one_line(query if query is not None else value, limit)
    return one_line(raw[: limit * 4], limit)


_DECODER = json.JSONDecoder()


def _fleet_state(call: FleetCall) -> str:
    if call.running:
        return "running"
    if call.failed:
        return "failed"
    return "canceled" if call.state is OxyState.CANCELED else "completed"


def tree_of_fleet(run: FleetRun) -> list[CallItem]:
    """The stitched tree: every node's calls, a remote hop shown once (its work) with the calling node."""

    def item(call: FleetCall, depth: int) -> CallItem:
        rec = call.record
        return CallItem(
            node_id=call.node_id,
            node=call.node,
            callee=call.callee,
            category=call.node_type,
            state=_fleet_state(call),
            duration=call.duration,
            tokens=call.tokens,
            caller=call.caller,
            hop_from=call.caller_node,
            overhead=call.overhead,
            input_preview=_preview(rec.raw_input, 120),
            output_preview=one_line(rec.raw_output[:800], 160) if rec.state is not None else "",
            input=rec.raw_input or None,
            output=rec.raw_output if rec.state is not None else None,
            headers=rec.headers,
            children=[item(c, depth + 1) for c in call.children] if depth < 200 else [],
        )

    return [item(c, 0) for c in run.calls()]


def callees_of_fleet(stats: CalleeStats, by_node: bool) -> list[CalleeRow]:
    """The fleet's per-callee figures: per node ("where"), or fleet totals; worst first."""
    ranked: list[CalleeStat] = []
    if by_node:
        for per in stats.by_node.values():
            ranked.extend(per.values())
    else:
        ranked = list(stats.total.values())
    rows = [
        CalleeRow(
            s.node_type or "?",
            s.callee,
            "all" if s.node == "*" else s.node,
            s.calls,
            s.failures,
            s.pct(95) if s.durations else None,
            s.tokens or None,
        )
        for s in ranked
    ]
    return sort_callees(rows)
