"""Placing a node's zone-less, node-local record times on the dashboard's wall clock.

OxyGent writes ``create_time``/``update_time`` in the node's local time without a zone, and node clocks
drift. Durations therefore always come from one node's own records; the only bridge to our clock is the
HTTP ``Date`` header of the node's responses (UTC, whole seconds):

* skew = our wall clock at receipt − the node's ``Date`` (smallest of recent samples: latency and the
  truncated fraction only ever add);
* the node's zone = its newest local record time − its ``Date``, rounded to 15 minutes. A record is never
  from the future, so the largest sample is the best one; fresh runs make it exact.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

__all__ = ["NodeClock"]

_QUARTER = 900.0
_SAMPLES = 32


@dataclass(slots=True)
class NodeClock:
    """Offset estimates for one node (see the module docstring). Pure: times are passed in."""

    zone: float | None = None
    """Seconds to subtract from a node-local time to get the node's UTC (None: unknown yet)."""
    _zone_max: float | None = None
    _skews: deque[float] = field(default_factory=lambda: deque(maxlen=_SAMPLES))

    @property
    def skew(self) -> float | None:
        """Seconds to add to the node's UTC to get ours (None: no ``Date`` header seen)."""
        return min(self._skews) if self._skews else None

    def observe(self, date: datetime | None, received_wall: float, newest_local: datetime | None) -> None:
        """One response: its ``Date`` header (aware), our wall time at receipt, its newest record time."""
        if date is None:
            return
        if date.tzinfo is None:
            date = date.replace(tzinfo=UTC)
        node_utc = date.timestamp()
        self._skews.append(received_wall - node_utc)
        if newest_local is not None:
            sample = (newest_local - date.astimezone(UTC).replace(tzinfo=None)).total_seconds()
            if abs(sample) < 15 * 3600 and (self._zone_max is None or sample > self._zone_max):
                self._zone_max = sample
                self.zone = round((sample + 1.0) / _QUARTER) * _QUARTER

    def to_wall(self, local: datetime | None) -> float | None:
        """Our wall-clock estimate (epoch seconds) of a node-local record time; None when unknown."""
        skew = self.skew
        if local is None or skew is None or self.zone is None:
            return None
        utc = (local - timedelta(seconds=self.zone)).replace(tzinfo=UTC).timestamp()
        return utc + skew
