"""Per-agent connection statistics in O(1) memory: counters plus bounded rings of recent samples.

Percentiles are computed over the last ``window`` runs (a ring, not all history), which is what a
dashboard wants: how the node behaves now, not since start-up.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from oxytui.common.stats import percentile

__all__ = ["ConnectionStats", "percentile"]


class ConnectionStats:
    """Counters (all-time) and rolling windows (last ``window`` runs) for one agent."""

    __slots__ = (
        "_latencies",
        "_outcomes",
        "_ttfes",
        "bytes_received",
        "cancelled_requests",
        "events_received",
        "failed_requests",
        "in_flight",
        "last_error",
        "retries",
        "successful_requests",
        "total_requests",
        "total_time",
    )

    def __init__(self, window: int = 256) -> None:
        self.total_requests = 0
        self.successful_requests = 0
        self.failed_requests = 0
        self.cancelled_requests = 0
        self.in_flight = 0
        self.retries = 0
        self.total_time = 0.0
        self.events_received = 0
        self.bytes_received = 0
        self.last_error: str | None = None
        self._latencies: deque[float] = deque(maxlen=window)
        self._ttfes: deque[float] = deque(maxlen=window)
        self._outcomes: deque[bool] = deque(maxlen=window)

    def start(self) -> None:
        self.total_requests += 1
        self.in_flight += 1

    def finish(
        self,
        ok: bool | None,
        elapsed: float,
        ttfe: float | None,
        events: int,
        nbytes: int,
        error: str | None = None,
    ) -> None:
        """Record one run; ``ok=None`` means the caller abandoned it (neither success nor failure)."""
        self.in_flight -= 1
        self.events_received += events
        self.bytes_received += nbytes
        if ttfe is not None:
            self._ttfes.append(ttfe)
        if ok is None:
            self.cancelled_requests += 1
            return
        self.total_time += elapsed
        self._latencies.append(elapsed)
        self._outcomes.append(ok)
        if ok:
            self.successful_requests += 1
        else:
            self.failed_requests += 1
            self.last_error = error

    def p95(self) -> float | None:
        return percentile(sorted(self._latencies), 95)

    def snapshot(self) -> dict[str, Any]:
        """A fresh dict (callers may keep or mutate it)."""
        lat = sorted(self._latencies)
        ttfe = sorted(self._ttfes)
        done = self.successful_requests + self.failed_requests
        outcomes = self._outcomes
        return {
            "total_requests": self.total_requests,
            "successful_requests": self.successful_requests,
            "failed_requests": self.failed_requests,
            "cancelled_requests": self.cancelled_requests,
            "in_flight": self.in_flight,
            "retries": self.retries,
            "average_response_time": self.total_time / done if done else 0.0,
            "p50_response_time": percentile(lat, 50),
            "p95_response_time": percentile(lat, 95),
            "p99_response_time": percentile(lat, 99),
            "p50_time_to_first_event": percentile(ttfe, 50),
            "p95_time_to_first_event": percentile(ttfe, 95),
            "events_received": self.events_received,
            "bytes_received": self.bytes_received,
            "last_error": self.last_error,
            "rolling_success_rate": (sum(outcomes) / len(outcomes)) if outcomes else None,
            "rolling_window": len(outcomes),
        }
