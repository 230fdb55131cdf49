"""Fewer cyclic-GC passes while the dashboard runs, and the host's settings back exactly on exit.

The store keeps ~10^5-10^6 long-lived containers (log rows, raw event dicts, call trees); with the default
thresholds (700, 10, 10) the collector ran every few hundred allocations and a full pass over that heap
stalled keys for up to ~500 ms every few seconds. Raising the thresholds spaces the passes out (young
passes every 50,000 allocations, a full pass rarely). This replaces ``gc.freeze()``: ``gc.unfreeze()``
gives back everything frozen in the process, not only what the app froze, so it could not be undone
exactly. Thresholds can: the previous values are restored on exit (unless the host changed them while
the app ran: then the host's newer choice stands). The collector is never disabled or frozen.
"""

from __future__ import annotations

import gc

__all__ = ["RUNNING_THRESHOLDS", "GCTuning"]

RUNNING_THRESHOLDS = (50_000, 20, 100)
"""Generation thresholds while the app runs (each only ever raised: a host that set higher keeps it)."""


class GCTuning:
    """``apply()`` on mount, ``restore()`` on unmount; both idempotent."""

    __slots__ = ("_mine", "_saved")

    def __init__(self) -> None:
        self._saved: tuple[int, int, int] | None = None
        self._mine: tuple[int, int, int] | None = None

    @property
    def active(self) -> bool:
        return self._saved is not None

    def apply(self) -> None:
        if self._saved is not None:
            return
        saved = gc.get_threshold()
        if saved[0] == 0:  # threshold 0 = automatic collection off: the host decided, leave it
            return
        mine = (
            max(saved[0], RUNNING_THRESHOLDS[0]),
            max(saved[1], RUNNING_THRESHOLDS[1]),
            max(saved[2], RUNNING_THRESHOLDS[2]),
        )
        gc.set_threshold(*mine)
        self._saved, self._mine = saved, mine

    def restore(self) -> None:
        saved, mine = self._saved, self._mine
        self._saved = self._mine = None
        if saved is not None and gc.get_threshold() == mine:
            gc.set_threshold(*saved)
