"""A shared time budget for turning network events into store updates, so the UI always gets a turn.

Every stream task asks :meth:`IngestGate.admit` before applying an event. All streams together may work
for ``slice_ms``; then they all sleep (a timer, not ``sleep(0)``) for ``gap_ms``, which leaves the event
loop's ready queue to key handling and rendering. A key therefore waits at most about one slice behind
ingest, however many nodes flood. Data is never dropped: paused streams leave bytes in the socket buffers
(TCP back-pressure), and the ingest rate is still many thousands of events per second.
"""

from __future__ import annotations

import asyncio
from time import perf_counter

SLICE_MS = 5.0
GAP_MS = 3.0


class IngestGate:
    def __init__(self, slice_ms: float = SLICE_MS, gap_ms: float = GAP_MS) -> None:
        self.slice = slice_ms / 1000
        self.gap = gap_ms / 1000
        self.deadline = 0.0
        """perf_counter() at which the current ingest slice ends."""
        self.pauses = 0
        self._pause: asyncio.Future[None] | None = None

    def open(self) -> bool:
        """True while the current slice has time left (one cheap clock read: call per event)."""
        return perf_counter() < self.deadline

    async def admit(self) -> None:
        """Return when an event may be applied: at once inside a slice, else after the UI's gap."""
        now = perf_counter()
        if now < self.deadline:
            return
        if self._pause is None and now - self.deadline >= self.gap:  # idle for a gap already: new slice
            self.deadline = now + self.slice
            return
        if self._pause is None:
            loop = asyncio.get_running_loop()
            self._pause = loop.create_future()
            self.pauses += 1
            loop.call_later(self.gap, self._reopen)
        await asyncio.shield(self._pause)

    def _reopen(self) -> None:
        pause, self._pause = self._pause, None
        self.deadline = perf_counter() + self.slice
        if pause is not None and not pause.done():
            pause.set_result(None)
