"""The dashboard controller's traffic side: everyone's runs, from the records the nodes keep.

A mixin of :class:`oxytui.tui.service.Controller` (kept apart so that module stays readable): starts the
headless :class:`~oxytui.ops.traffic.TrafficWatcher` over the controller's pool, feeds its events into
the RunStore (runs, log rows marked traffic, stats), the recording and the history, and in demo mode
starts the simulated "other users".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from oxytui.client import NodePool
from oxytui.config import Settings
from oxytui.runs import Fleet, RunStore

if TYPE_CHECKING:
    from oxytui.ops.telemetry_live import OtlpSwitch

__all__ = ["TrafficControl"]


class TrafficControl:
    """Needs from the controller: ``pool``, ``store``, ``settings``, ``cluster``, ``recorder``,
    ``history``, ``restored``, ``fleet``, ``traffic``, ``otlp``, ``_mark`` and ``_spawn``."""

    pool: NodePool
    store: RunStore
    settings: Settings
    cluster: Any
    recorder: Any
    history: Any
    restored: set[str]
    fleet: Fleet
    traffic: Any
    otlp: OtlpSwitch
    _mark: Callable[..., None]
    _spawn: Callable[[Coroutine[Any, Any, Any]], Any]

    def _start_traffic(self) -> None:
        from oxytui.ops.traffic import TrafficOptions, TrafficWatcher

        every = self.settings.traffic_every
        self.traffic = TrafficWatcher(
            lambda: list(self.pool),
            self.fleet,
            TrafficOptions(every=every, max_every=max(10.0, every)),
            on_events=self._traffic_events,
            on_notice=self._traffic_notice,
        )
        self._spawn(self.traffic.run())

    async def _other_users(self) -> None:
        """Demo: other users start runs straight on the sim nodes (plain HTTP), seen only as traffic."""
        from oxytui.sim.users import other_users

        def live() -> dict[str, str]:
            cluster = self.cluster
            if cluster is None:
                return {}
            return {name: node.url for name, node in cluster.nodes.items() if not node.down}

        await other_users(live, seed=self.settings.seed)

    def _traffic_notice(self, node: str, message: str) -> None:
        """Said once per change (e.g. "keeps no run records"): a log row marked traffic."""
        mono, wall = time.monotonic(), time.time()
        self.store.log.append(
            mono=mono, wall=wall, node=node, trace_id="", type="traffic", summary=message, source="traffic"
        )
        self.store.version += 1

    def _traffic_events(self, events: list[Any]) -> None:
        from oxytui.runs.fleetlog import apply_fleet_events

        apply_fleet_events(self.store, events, time.monotonic(), time.time())
        self.otlp.on_events(events)  # finished runs out as OTel traces when export is on
        if self.recorder is not None or self.history is not None:
            from oxytui.ops.traffic_record import record_traffic

            record_traffic(events, self._mark, self.history, known=self.restored)
