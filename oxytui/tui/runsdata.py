"""The runs screen's window on the app: rows, call trees and callee figures from the model, and the one
network call the screen makes (``/node`` for a call's full input and output, on demand).

Screens ask this object, never the store, the fleet or the controller directly, so how runs are kept
(streamed by the dashboard, or stitched from node records by the traffic watcher) stays in one place.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from typing import Any

from oxytui.runs import Fleet, RunStore
from oxytui.tui.runsview import (
    CalleeRow,
    CallItem,
    RunRow,
    callees_of_fleet,
    callees_of_runs,
    collect,
    tree_of_fleet,
    tree_of_run,
)

DETAIL_CAP = 200_000
"""Characters of a call's input or output shown in the detail view (the rest is counted, not shown)."""


def find_fleet(app: Any) -> Fleet | None:
    """The traffic watcher's fleet model: the controller's (live), or one the app was given (snapshots)."""
    ctl = getattr(app, "controller", None)
    for holder in (ctl, getattr(ctl, "traffic", None), app):
        fleet = getattr(holder, "fleet", None)
        if isinstance(fleet, Fleet):
            return fleet
    return None


class RunsData:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.by_node = True
        """Callee figures per node (where it fails) or fleet totals."""
        self._sources: dict[tuple[str, str], str] = {}
        """Who started each run, remembered while the controller still knows (it forgets finished runs)."""
        self._trees: dict[Any, tuple[Any, list[CallItem]]] = {}
        self._rows: dict[Any, tuple[Any, RunRow]] = {}

    @property
    def store(self) -> RunStore:
        store: RunStore = self.app.store
        return store

    @property
    def fleet(self) -> Fleet | None:
        return find_fleet(self.app)

    def _remember_sources(self) -> None:
        ctl = self.app.controller
        sources = getattr(ctl, "sources", None)
        if isinstance(sources, dict):
            for key, who in sources.items():
                self._sources.setdefault(key, who)
            if len(self._sources) > 20_000:  # bounded: keep the newest half
                for key in list(self._sources)[:10_000]:
                    del self._sources[key]

    def wall_now(self) -> float:
        """Our wall clock; frozen (snapshots): the newest wall time in the model, so pictures never move."""
        if not getattr(self.app, "frozen", False):
            return time.time()
        rows = self.store.log.rows
        fleet = self.fleet
        seen = max((r.first_seen for r in fleet.runs.values()), default=0.0) if fleet is not None else 0.0
        return max(rows[-1].wall if rows else 0.0, seen)

    def version(self) -> Any:
        fleet = self.fleet
        return (self.store.version, fleet.version if fleet is not None else -1, self.by_node)

    def live(self) -> bool:
        return bool(self.store.live_runs())

    def rows(self) -> list[RunRow]:
        self._remember_sources()
        return collect(self.store, self.fleet, self.app.clock(), self.wall_now(), self._sources, self._rows)

    def callees(self) -> list[CalleeRow]:
        fleet = self.fleet
        if fleet is not None and fleet.callees.total:
            return callees_of_fleet(fleet.callees, self.by_node)
        return callees_of_runs(self.store.runs.values())

    def nodes(self) -> list[str]:
        return list(self.store.nodes)

    def note(self) -> str:
        """Nodes whose run records cannot be read (their traffic is missing from the table)."""
        fleet = self.fleet
        if fleet is None:
            return (
                ""
                if getattr(self.app, "frozen", False)
                else "traffic watcher off: only this dashboard's runs"
            )
        if not fleet.no_records:
            return ""
        return "no run records on " + ", ".join(sorted(fleet.no_records))

    def find(self, row: RunRow) -> RunRow | None:
        """The same run as it is now (its row may have changed since the table showed it)."""
        for r in self.rows():
            if r.key == row.key:
                return r
        return None

    def tree(self, row: RunRow) -> list[CallItem]:
        """The run's call tree: stitched from every node's records, else as the dashboard streamed it."""
        kind, key = row.key if isinstance(row.key, tuple) and len(row.key) == 2 else ("", "")
        fleet = self.fleet
        if kind == "fleet" and fleet is not None:
            frun = fleet.get(key)
            if frun is not None and frun.records:
                cached = self._trees.get(key)
                if cached is not None and cached[0] == frun.version:
                    return cached[1]
                items = tree_of_fleet(frun)
                if len(self._trees) > 16:
                    self._trees.clear()
                self._trees[key] = (frun.version, items)
                return items
            for run in self.store.runs.values():  # no records yet: the streamed run of this trace
                if run.trace_id == key:
                    return tree_of_run(run, self.app.clock())
            return []
        if kind == "run" and isinstance(key, tuple):
            mine = self.store.runs.get(key)
            if mine is not None:
                return tree_of_run(mine, self.app.clock())
        return []

    async def fetch_call(self, row: RunRow, item: CallItem) -> CallDetail:
        """One call's input and output from its node's ``/node`` record; falls back to what the dashboard
        already holds. The note says where the text came from or why it could not be fetched."""
        ctl = self.app.controller
        pool = getattr(ctl, "pool", None)
        local = CallDetail(decode_json(item.input), decode_json(item.output), item.headers, "")
        if pool is None:
            return replace(local, note="no live node to ask (snapshot or replay): showing what is known")
        order = [item.node, *(n for n in row.nodes if n != item.node)]
        order += [a.name for a in pool if a.name not in order]
        problems: list[str] = []
        for name in order[:8]:
            agent = pool.get(name)
            if agent is None or not hasattr(agent, "node"):
                continue
            try:
                record = await agent.node(item.node_id)
            except Exception as exc:  # node down, no records kept, malformed body: say so, try the next
                problems.append(f"{name}: {exc}")
                continue
            if record is None:
                continue
            return CallDetail(
                record.decoded_input(),
                decode_json(record.raw_output),
                record.headers,
                f"from {name}'s /node record",
            )
        why = "; ".join(problems[:2]) or "no node knows this call id"
        return replace(local, note=f"/node: {why} — showing what is known")


@dataclass(frozen=True, slots=True)
class CallDetail:
    """What the call detail shows: input, output, the starting request's (redacted) headers, a note."""

    input: Any
    output: Any
    headers: tuple[tuple[str, str], ...]
    note: str


def decode_json(raw: Any) -> Any:
    """OxyGent stores inputs and outputs as JSON text: the value when it is JSON, the text otherwise."""
    if not isinstance(raw, str) or not raw or raw[:1] not in '{["0123456789-tfn':
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw
