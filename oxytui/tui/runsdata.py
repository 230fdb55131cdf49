"""The runs screen's window on the app: rows, call trees and callee figures from the model, and the one
network call the screen makes (``/node`` for a call's full input and output, on demand).

Screens ask this object, never the store or the controller directly, so how runs are kept (streamed by the
dashboard, or stitched from node records by the traffic watcher) stays in one place.
"""

from __future__ import annotations

import json
from typing import Any

from oxytui.runs import RunStore
from oxytui.tui.runsview import CalleeRow, CallItem, RunRow, callees_of_runs, collect, tree_of_run

DETAIL_CAP = 200_000
"""Characters of a call's input or output shown in the detail view (the rest is counted, not shown)."""


class RunsData:
    def __init__(self, app: Any) -> None:
        self.app = app
        self._sources: dict[tuple[str, str], str] = {}
        """Who started each run, remembered while the controller still knows (it forgets finished runs)."""

    @property
    def store(self) -> RunStore:
        store: RunStore = self.app.store
        return store

    def _remember_sources(self) -> None:
        ctl = self.app.controller
        sources = getattr(ctl, "sources", None)
        if isinstance(sources, dict):
            for key, who in sources.items():
                self._sources.setdefault(key, who)
            if len(self._sources) > 20_000:  # bounded: keep the newest half
                for key in list(self._sources)[:10_000]:
                    del self._sources[key]

    def version(self) -> Any:
        return self.store.version

    def live(self) -> bool:
        return bool(self.store.live_runs())

    def rows(self) -> list[RunRow]:
        self._remember_sources()
        return collect(self.store, self.app.clock(), self._sources)

    def callees(self) -> list[CalleeRow]:
        return callees_of_runs(self.store.runs.values())

    def nodes(self) -> list[str]:
        return list(self.store.nodes)

    def note(self) -> str:
        return ""

    def find(self, row: RunRow) -> RunRow | None:
        """The same run as it is now (its row may have changed since the table showed it)."""
        for r in self.rows():
            if r.key == row.key:
                return r
        return None

    def tree(self, row: RunRow) -> list[CallItem]:
        kind, key = row.key if isinstance(row.key, tuple) and len(row.key) == 2 else ("", ("", ""))
        if kind == "run":
            run = self.store.runs.get(key)
            if run is not None:
                return tree_of_run(run, self.app.clock())
        return []

    async def fetch_call(self, row: RunRow, item: CallItem) -> tuple[Any, Any, str]:
        """``(input, output, note)`` of one call from its node's ``/node`` record; falls back to what the
        dashboard streamed. The note says where the text came from or why it could not be fetched."""
        ctl = self.app.controller
        pool = getattr(ctl, "pool", None)
        if pool is None:
            return item.input, item.output, "no live node to ask (snapshot or replay): showing what streamed"
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
            return record.decoded_input(), decode_output(record.raw_output), f"from {name}'s /node record"
        why = "; ".join(problems[:2]) or "no node knows this call id"
        return item.input, item.output, f"/node: {why} — showing what streamed"


def decode_output(raw: str) -> Any:
    """OxyGent stores outputs as JSON text; show the value when it is JSON, the text otherwise."""
    if not raw or raw[:1] not in '{["0123456789-tfn"':
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw
