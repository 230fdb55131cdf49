"""Placing a node's zone-less, node-local record times on the dashboard's wall clock.

OxyGent writes ``create_time``/``update_time`` in the node's local time without a zone, and node clocks
drift. Durations therefore always come from one node's own records; the only bridge to our clock is the
HTTP ``Date`` header of the node's responses (UTC, whole seconds):

* skew = our wall clock at receipt − the node's ``Date`` (smallest of recent samples: latency and the
  truncated fraction only ever add). A node clock that is off by seconds or hours is absorbed here.
* the node's zone = its newest local record time − its ``Date``. Both come from the node's own clock,
  so its skew cancels; what is left is the zone minus the record's age (a record is never from the
  future), plus up to a few seconds of ``Date`` truncation and caching (servers refresh the header once
  a second). Zones are whole quarter hours, so the estimate is the nearest quarter at or above the
  sample less :data:`DATE_SLACK`; the largest sample wins (the freshest record).

Limits: exact once a node shows a record less than ~15 minutes old at a poll (any in-flight run, any run
started while we watch). Before that — a node idle for longer, seen only through older records — the
zone is the smallest one consistent with them, i.e. it assumes the newest record is recent, and times may
be placed early by whole quarter hours until a fresh record corrects it. Times carrying an offset are
read as zone-less wall readings like the rest (the parser drops the offset), so one node never mixes
both kinds.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

__all__ = ["DATE_SLACK", "NodeClock"]

_QUARTER = 900.0
_SAMPLES = 32
DATE_SLACK = 5.0
"""Seconds a ``Date`` header may lag the node's clock (whole-second truncation, per-second caching)."""
_MAX_ZONE = 15 * 3600


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
            local = newest_local.replace(tzinfo=None)
            sample = (local - date.astimezone(UTC).replace(tzinfo=None)).total_seconds()
            if abs(sample) <= _MAX_ZONE + _QUARTER and (self._zone_max is None or sample > self._zone_max):
                self._zone_max = sample
                self.zone = math.ceil((sample - DATE_SLACK) / _QUARTER) * _QUARTER

    def to_wall(self, local: datetime | None) -> float | None:
        """Our wall-clock estimate (epoch seconds) of a node-local record time; None when unknown."""
        skew = self.skew
        if local is None or skew is None or self.zone is None:
            return None
        naive = local.replace(tzinfo=None)
        utc = (naive - timedelta(seconds=self.zone)).replace(tzinfo=UTC).timestamp()
        return utc + skew
