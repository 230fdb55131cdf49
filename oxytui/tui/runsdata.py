"""The runs screen's window on the app: rows, call trees and callee figures from the model, and the one
network call the screen makes (``/node`` for a call's full input and output, on demand).

Screens ask this object, never the store, the fleet or the controller directly, so how runs are kept
(streamed by the dashboard, or stitched from node records by the traffic watcher) stays in one place.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

from textual.app import App

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

if TYPE_CHECKING:
    from oxytui.tui.app import OxyApp

DETAIL_CAP = 200_000
"""Characters of a call's input or output shown in the detail view (the rest is counted, not shown)."""


def find_fleet(app: App[Any]) -> Fleet | None:
    """The traffic watcher's fleet model: the live transport's, or one the app was given (snapshots).
    Any widget may ask (it holds a plain ``App``); it is always an :class:`~oxytui.tui.app.OxyApp`."""
    oxy = cast("OxyApp", app)
    transport = oxy.transport()
    return transport.fleet if transport is not None else oxy.fleet


class RunsData:
    def __init__(self, app: OxyApp) -> None:
        self.app = app
        self.by_node = True
        """Callee figures per node (where it fails) or fleet totals."""
        self._sources: dict[tuple[str, str], str] = {}
        """Who started each run, remembered while the controller still knows (it forgets finished runs)."""
        self._trees: dict[Any, tuple[Any, list[CallItem]]] = {}
        self._rows: dict[Any, tuple[Any, RunRow]] = {}

    @property
    def store(self) -> RunStore:
        return self.app.store

    @property
    def fleet(self) -> Fleet | None:
        return find_fleet(self.app)

    def _remember_sources(self) -> None:
        transport = self.app.transport()
        if transport is not None:
            for key, who in transport.sources.items():
                self._sources.setdefault(key, who)
            if len(self._sources) > 20_000:  # bounded: keep the newest half
                for key in list(self._sources)[:10_000]:
                    del self._sources[key]

    def wall_now(self) -> float:
        """Our wall clock; frozen (snapshots): the newest wall time in the model, so pictures never move."""
        if not self.app.frozen:
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
            return "" if self.app.frozen else "traffic watcher off: only this dashboard's runs"
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
        transport = self.app.transport()
        pool = transport.pool if transport is not None else None
        local = CallDetail(decode_json(item.input), decode_json(item.output), item.headers, "")
        if pool is None:
            return replace(local, note="no live node to ask (snapshot or replay): showing what is known")
        order = [item.node, *(n for n in row.nodes if n != item.node)]
        order += [a.name for a in pool if a.name not in order]
        problems: list[str] = []
        for name in order[:8]:
            agent = pool.get(name)
            if agent is None:
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
