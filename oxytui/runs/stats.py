"""Per-node statistics computed from explicit event times (no clock calls: deterministic and testable)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from oxytui.common.stats import percentile

__all__ = ["NodeStats", "percentile"]


@dataclass(slots=True)
class NodeStats:
    """Counters and bounded time series for one node (or for "all nodes")."""

    name: str
    window: int = 50
    """Outcomes remembered for the rolling success rate."""
    keep: int = 1000
    """Latencies remembered for averages and percentiles."""
    bucket: float = 1.0
    """Seconds per event-rate bucket."""
    buckets: int = 60
    runs: int = 0
    active: int = 0
    completed: int = 0
    failed: int = 0
    canceled: int = 0
    events: int = 0
    latencies: deque[float] = field(default_factory=deque)
    ttfes: deque[float] = field(default_factory=deque)
    outcomes: deque[bool] = field(default_factory=deque)
    _rate: deque[list[float]] = field(default_factory=deque)  # [bucket_start, count]

    def on_start(self) -> None:
        self.runs += 1
        self.active += 1

    def on_event(self, mono: float) -> None:
        self.events += 1
        start = mono - (mono % self.bucket)
        if self._rate and self._rate[-1][0] == start:
            self._rate[-1][1] += 1
        elif not self._rate or start > self._rate[-1][0]:
            self._rate.append([start, 1.0])
            while len(self._rate) > self.buckets:
                self._rate.popleft()
        else:  # out of order (another node's clock? same monotonic clock, so only tiny reorders)
            self._rate[-1][1] += 1

    def on_first_event(self, ttfe: float) -> None:
        _push(self.ttfes, ttfe, self.keep)

    def on_finish(self, ok: bool | None, duration: float) -> None:
        """``ok`` None means canceled: counted, but not a success or failure."""
        self.active = max(0, self.active - 1)
        if ok is None:
            self.canceled += 1
            return
        if ok:
            self.completed += 1
        else:
            self.failed += 1
        _push(self.outcomes, ok, self.window)
        _push(self.latencies, duration, self.keep)

    # --- derived -----------------------------------------------------------------------------------

    @property
    def finished(self) -> int:
        return self.completed + self.failed

    @property
    def success_total(self) -> float | None:
        return self.completed / self.finished if self.finished else None

    @property
    def success_rolling(self) -> float | None:
        return sum(self.outcomes) / len(self.outcomes) if self.outcomes else None

    @property
    def latency_avg(self) -> float:
        return sum(self.latencies) / len(self.latencies) if self.latencies else 0.0

    def latency_pct(self, q: float) -> float:
        """Latency percentile; 0.0 while no run finished (callers show "—" then: they test ``latencies``)."""
        return percentile(sorted(self.latencies), q) or 0.0

    def latency_percentiles(self) -> tuple[float, float, float]:
        """p50, p95, p99; 0.0 each while no run finished (exports keep a number in every column)."""
        s = sorted(self.latencies)
        return percentile(s, 50) or 0.0, percentile(s, 95) or 0.0, percentile(s, 99) or 0.0

    @property
    def ttfe_avg(self) -> float:
        return sum(self.ttfes) / len(self.ttfes) if self.ttfes else 0.0

    def rate_series(self, now: float) -> list[float]:
        """Events per second for the last ``buckets`` buckets ending at ``now`` (oldest first)."""
        end = now - (now % self.bucket)
        first = end - (self.buckets - 1) * self.bucket
        out = [0.0] * self.buckets
        for start, count in self._rate:
            i = round((start - first) / self.bucket)
            if 0 <= i < self.buckets:
                out[i] += count / self.bucket
        return out

    def events_per_second(self, now: float, span: float = 5.0) -> float:
        """Average rate over the last ``span`` seconds (completed buckets plus the current one)."""
        total = 0.0
        for start, count in reversed(self._rate):
            if start + self.bucket <= now - span:
                break
            total += count
        return total / span

    def latency_series(self, n: int = 60) -> list[float]:
        return list(self.latencies)[-n:]


def _push(d: deque, value: object, cap: int) -> None:  # type: ignore[type-arg]
    d.append(value)
    while len(d) > cap:
        d.popleft()
