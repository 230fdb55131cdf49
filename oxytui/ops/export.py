"""Export stats (JSON, CSV, Prometheus text) and single runs (events + call tree, JSON).

Inputs are what the app already has: the client's ``get_connection_stats()`` dicts and/or the runs
model's ``NodeStats`` (``RunStore.stats``), keyed by node name. Both are normalised to the same columns
so every format says the same thing. Nothing here touches tokens, and every export still passes through
:mod:`oxytui.redact` (a node can echo a token or a credential header into an answer or an event) and is
written 0600 in a 0700 directory.

Depth is bounded: a call tree nests at most :data:`CALL_DEPTH_CAP` levels (deeper calls are listed flat
under ``deeper_calls`` of the last nested call, nothing is dropped) and other values at most
:data:`VALUE_DEPTH_CAP` containers, so writing JSON never hits the recursion limit.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from oxytui.redact import scrub_text, scrub_value

from .metrics import Family, Histogram, render

CALL_DEPTH_CAP = 100
"""Call-tree levels nested in a run export; the calls below the cap are listed flat with their depth."""
VALUE_DEPTH_CAP = 400
"""Containers nested in an exported value (JSON encoding recurses; Python's limit is ~1000 frames)."""

COLUMNS = (
    "node",
    "runs",
    "completed",
    "failed",
    "canceled",
    "success_rate",
    "rolling_success_rate",
    "latency_avg_seconds",
    "latency_p50_seconds",
    "latency_p95_seconds",
    "latency_p99_seconds",
    "ttfe_seconds",
    "events",
)


def normalize(node: str, stats: Any) -> dict[str, Any]:
    """One row of :data:`COLUMNS` from a client stats dict or a ``NodeStats``-like object."""
    if isinstance(stats, Mapping):
        ok, bad = int(stats.get("successful_requests", 0)), int(stats.get("failed_requests", 0))
        return {
            "node": node,
            "runs": int(stats.get("total_requests", 0)),
            "completed": ok,
            "failed": bad,
            "canceled": int(stats.get("cancelled_requests", 0)),
            "success_rate": ok / (ok + bad) if ok + bad else None,
            "rolling_success_rate": stats.get("rolling_success_rate"),
            "latency_avg_seconds": float(stats.get("average_response_time", 0.0)),
            "latency_p50_seconds": float(stats.get("p50_response_time", stats.get("p50", 0.0))),
            "latency_p95_seconds": float(stats.get("p95_response_time", stats.get("p95", 0.0))),
            "latency_p99_seconds": float(stats.get("p99_response_time", stats.get("p99", 0.0))),
            "ttfe_seconds": float(stats.get("p50_time_to_first_event", 0.0)),
            "events": int(stats.get("events_received", 0)),
        }
    p50, p95, p99 = stats.latency_percentiles()
    return {
        "node": node,
        "runs": stats.runs,
        "completed": stats.completed,
        "failed": stats.failed,
        "canceled": stats.canceled,
        "success_rate": stats.success_total,
        "rolling_success_rate": stats.success_rolling,
        "latency_avg_seconds": stats.latency_avg,
        "latency_p50_seconds": p50,
        "latency_p95_seconds": p95,
        "latency_p99_seconds": p99,
        "ttfe_seconds": stats.ttfe_avg,
        "events": stats.events,
    }


def rows(stats: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [normalize(str(node), s) for node, s in stats.items()]


def stats_to_json(stats: Mapping[str, Any]) -> str:
    return json.dumps(scrub_value({"nodes": rows(stats)}), indent=2, ensure_ascii=False) + "\n"


def stats_to_csv(stats: Mapping[str, Any]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows(stats):
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return scrub_text(buf.getvalue())


def stats_to_prometheus(stats: Mapping[str, Any], prefix: str = "oxytui") -> str:
    """Counters, gauges, a latency summary (quantiles), and a latency histogram when raw latencies exist."""
    fams = {
        "runs": Family(f"{prefix}_runs_total", "counter", "Runs started per node."),
        "completed": Family(f"{prefix}_runs_completed_total", "counter", "Runs completed with an answer."),
        "failed": Family(f"{prefix}_runs_failed_total", "counter", "Runs that failed."),
        "events": Family(f"{prefix}_events_total", "counter", "SSE events received."),
        "success": Family(f"{prefix}_success_ratio", "gauge", "Completed / finished runs (0..1)."),
        "rolling": Family(f"{prefix}_rolling_success_ratio", "gauge", "Success ratio over recent runs."),
        "ttfe": Family(f"{prefix}_time_to_first_event_seconds", "gauge", "Time to first event."),
    }
    summary = Family(f"{prefix}_latency_seconds", "summary", "Run latency quantiles (seconds).")
    hist = Family(f"{prefix}_run_latency_seconds", "histogram", "Run latency distribution (recent runs).")
    for node, s in stats.items():
        row = normalize(str(node), s)
        lab = {"node": str(node)}
        for key in ("runs", "completed", "failed", "events"):
            fams[key].add(row[key], lab)
        if row["success_rate"] is not None:
            fams["success"].add(row["success_rate"], lab)
        if row["rolling_success_rate"] is not None:
            fams["rolling"].add(row["rolling_success_rate"], lab)
        fams["ttfe"].add(row["ttfe_seconds"], lab)
        finished = row["completed"] + row["failed"]
        for q, key in (
            ("0.5", "latency_p50_seconds"),
            ("0.95", "latency_p95_seconds"),
            ("0.99", "latency_p99_seconds"),
        ):
            summary.add(row[key], {**lab, "quantile": q})
        summary.add(row["latency_avg_seconds"] * finished, lab, "_sum")
        summary.add(finished, lab, "_count")
        latencies = getattr(s, "latencies", None)
        if latencies is not None:
            hist.add_histogram(Histogram.of(latencies), lab)
    families = [*fams.values(), summary]
    if hist.samples:
        families.append(hist)
    return scrub_text(render(families))


# --- runs ------------------------------------------------------------------------------------------


def _call_fields(call: Any) -> dict[str, Any]:
    end = call.end
    marker = {"clipped": True} if getattr(call, "clipped", False) else {}  # the model flattened it
    return marker | {
        "node_id": call.node_id,
        "caller": call.caller,
        "callee": call.callee,
        "category": call.category,
        "call_stack": list(call.call_stack),
        "query": call.query,
        "status": str(call.status),
        "start": call.start,
        "end": end,
        "duration": None if end is None else end - call.start,
        "output": call.output,
    }


def call_to_dict(call: Any, max_depth: int = CALL_DEPTH_CAP) -> dict[str, Any]:
    """A call and its subtree, built iteratively. Calls deeper than ``max_depth`` levels are not nested:
    the last nested call gets ``"depth_capped": true`` and ``deeper_calls`` (its whole subtree, flat, in
    tree order, each with ``parent`` and ``depth``)."""
    root = _call_fields(call)
    todo: list[tuple[Any, dict[str, Any], int]] = [(call, root, 1)]
    while todo:
        node, out, depth = todo.pop()
        children = list(node.children)
        if depth < max_depth or not children:
            out["children"] = [_call_fields(c) for c in children]
            todo.extend((c, d, depth + 1) for c, d in zip(children, out["children"], strict=True))
            continue
        out["children"] = []
        out["depth_capped"] = True
        flat: list[dict[str, Any]] = []
        below: list[tuple[Any, Any, int]] = [(c, node, depth + 1) for c in reversed(children)]
        while below:
            c, parent, d = below.pop()
            flat.append({**_call_fields(c), "parent": parent.node_id, "depth": d})
            below.extend((g, c, d + 1) for g in reversed(c.children))
        out["deeper_calls"] = flat
    return root


def run_to_dict(run: Any, events: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A ``oxytui.runs.Run`` with its call tree; ``events`` defaults to nothing (the caller knows them)."""
    end = run.end_mono
    return {
        "node": run.node,
        "trace_id": run.trace_id,
        "source": getattr(run, "source", "") or "mine",
        "query": run.query,
        "state": str(run.state),
        "answer": run.answer,
        "error": run.error,
        "start_wall": run.start_wall,
        "duration": None if end is None else end - run.start_mono,
        "events_count": run.events,
        "calls": [call_to_dict(c) for c in run.roots],
        "events": events or [],
    }


def run_from_store(store: Any, node: str, trace_id: str) -> dict[str, Any]:
    """For the palette: the run plus its event-log rows (stream rows coalesced as the log shows them)."""
    run = store.get_run(node, trace_id)
    if run is None:
        raise KeyError(f"no run {trace_id!r} on {node!r}")
    events = [r.detail() for r in store.log.rows if r.node == node and r.trace_id == trace_id]
    out = run_to_dict(run, events)
    if hasattr(store, "display"):  # the dashboard's one display name (a bare URL shows as its root agent)
        out["node_name"] = store.display(node)
    return out


def dumps(obj: Any) -> str:
    """Indented JSON with secrets masked and nesting bounded (:data:`VALUE_DEPTH_CAP`)."""
    clean = scrub_value(obj, max_depth=VALUE_DEPTH_CAP)
    return json.dumps(clean, indent=2, ensure_ascii=False, default=str) + "\n"


def export_dir() -> Path:
    from oxytui.config.paths import data_dir

    return data_dir() / "exports"


def write_export(
    store: Any,
    what: str = "stats",
    fmt: str = "json",
    run_key: tuple[str, str] | None = None,
    directory: Path | None = None,
) -> Path:
    """One call for the palette: ``what`` is ``stats`` (fmt json | csv | prom) or ``run`` (json, needs
    ``run_key``). Writes a timestamped file under the data dir's ``exports/``; raises OSError/KeyError."""
    import time

    from oxytui.runs import ALL

    if what == "run":
        if run_key is None:
            raise KeyError("no run selected")
        text, ext = dumps(run_from_store(store, *run_key)), "json"
    else:
        name = store.display if hasattr(store, "display") else str  # the name every pane shows
        stats = {name(n): s for n, s in store.stats.items() if n != ALL}
        render_fn = {"json": stats_to_json, "csv": stats_to_csv, "prom": stats_to_prometheus}[fmt]
        text, ext = render_fn(stats), {"json": "json", "csv": "csv", "prom": "prom"}[fmt]
    from oxytui.config.paths import make_private_dir, write_private_text

    directory = make_private_dir(directory or export_dir())
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        path = directory / f"oxytui-{what}-{stamp}{'' if n == 1 else f'-{n}'}.{ext}"
        try:
            write_private_text(path, text, exclusive=True)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"too many exports named oxytui-{what}-{stamp}-* in {directory}")


# --- CLI: oxytui export RECORDING -----------------------------------------------------------------


def export_recording(path: str | Path, fmt: str, run: str | None = None, output: str | None = None) -> int:
    """Replay a recording into a fresh model and export it. 0 ok, 1 damaged/unknown run/unwritable,
    2 not a readable regular file (the same one-line refusal as ``oxytui replay``)."""
    from oxytui.runs import RunStore

    from .record import recording_problem, remember_configured_tokens
    from .replay import ReplayItem, apply, load, to_event

    problem = recording_problem(Path(path).expanduser())
    if problem is not None:
        print(f"oxytui export: {problem}", file=sys.stderr)
        return 2
    remember_configured_tokens()
    records, damage = load(Path(path).expanduser())
    if damage is not None and damage.line == 0:
        print(f"oxytui export: {damage.reason}", file=sys.stderr)
        return 2
    store = RunStore()
    base = records[0].wall if records else 0.0
    raw_events: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for rec in records:
        ev = to_event(rec, rec.wall - base)
        apply(store, ReplayItem(rec, ev, rec.wall - base))
        if ev is not None and ev.type != "ping":
            raw_events.setdefault((rec.node, rec.trace_id), []).append(
                {"wall": rec.wall, "sse_id": rec.id, "event": rec.event, "type": ev.type, "data": ev.raw}
            )
    if fmt == "run":
        keys = [k for k in store.runs if run is None or k[1] == run]
        if not keys:
            print(
                f"oxytui export: no run {run!r} in {path}" if run else f"oxytui export: no runs in {path}",
                file=sys.stderr,
            )
            return 1
        key = keys[-1]
        text = dumps(run_to_dict(store.runs[key], raw_events.get(key, [])))
    else:
        from oxytui.runs import ALL

        name = store.display if hasattr(store, "display") else str  # the name every pane shows
        stats = {name(n): s for n, s in store.stats.items() if n != ALL}
        text = {"json": stats_to_json, "csv": stats_to_csv, "prom": stats_to_prometheus}[fmt](stats)
    try:
        if output:
            from oxytui.config.paths import write_private_text

            write_private_text(Path(output).expanduser(), text)
        else:
            sys.stdout.write(text)
    except OSError as exc:
        print(f"oxytui export: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if damage is not None:
        print(f"oxytui export: recording damaged at {damage}; exported up to there", file=sys.stderr)
        return 1
    return 0
