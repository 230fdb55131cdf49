"""Per-node tuning knobs of a simulated node: latency, failures, pacing, payload size and faults."""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["FAULTS", "LATENCY_DISTRIBUTIONS", "NodeKnobs"]

LATENCY_DISTRIBUTIONS = ("fixed", "uniform", "exponential", "lognormal")

FAULTS = (
    "down",  # nothing listens on the node's port
    "http500",  # every streaming/chat request answers HTTP 500 text/plain
    "hang_headers",  # the request is accepted but no response headers are ever sent
    "hang",  # headers and the first events arrive, then silence (no pings either)
    "disconnect",  # the first events arrive, then the TCP connection is closed without `close`
    "malformed",  # one event's data is truncated (invalid) JSON; the run goes on
    "badutf8",  # one event's data line holds invalid UTF-8 bytes; the run goes on
    "oversized",  # one 600,000-byte event (over OxyGent's own 512 KiB parser limit); the run goes on
    "flood",  # 10,000 stream deltas as fast as the queue takes them
)


@dataclass(slots=True)
class NodeKnobs:
    """How a simulated node behaves. Defaults look like the captured real nodes; tests set latencies to 0."""

    latency_ms: float = 60.0
    """Typical delay before an LLM's first token and before a tool returns (ms)."""
    latency_dist: str = "lognormal"
    """One of ``fixed``, ``uniform``, ``exponential``, ``lognormal`` (median ``latency_ms``)."""
    latency_jitter: float = 0.4
    """Spread: relative half-width for ``uniform``, sigma for ``lognormal``; ignored otherwise."""
    token_ms: float = 12.0
    """Delay between two streamed LLM deltas (ms)."""
    chunk_chars: int = 24
    """Characters per streamed LLM delta (the captured fake LLM sent 24)."""
    failure_rate: float = 0.0
    """Probability that any tool call fails (the error is text in the observation, as OxyGent does)."""
    event_rate: float = 0.0
    """Upper bound on events per second per run (0 = unbounded)."""
    payload_bytes: int = 0
    """Pad every string tool output to at least this many characters (0 = natural size)."""
    fault: str | None = None
    """A node-wide fault applied to every run, one of :data:`FAULTS` (None = healthy)."""
    burst_ms: float = 100.0
    """Queue poll period when the queue is empty, like OxyGent's 100 ms (0 = wake at once)."""
    ping_interval: float = 15.0
    """Seconds between ``: ping`` comments, a fixed timer from the response start."""
    queue_max: int = 1024
    """Messages kept per trace queue; older ones are dropped, as OxyGent's LocalRedis does."""
    strict: bool = False
    """Answer bad request bodies with HTTP 400 + JSON instead of OxyGent's HTTP 500 text/plain."""
    remote_retries: int = 3
    """Retries of a remote hop (passed to the SSEOxyGent client)."""
    remote_retry_delay: float = 1.0
    """First retry delay of a remote hop (seconds, doubled each time)."""
    remote_idle_timeout: float = 45.0
    """Idle read timeout of a remote hop (seconds)."""
    run_records: str = "on"
    """``on``: ``/history_with_ratings``, ``/view``, ``/node`` as OxyGent; ``missing``: 404 (not an
    OxyGent, or a proxy without those routes); ``broken``: ``{"code": 500}`` (its store is down)."""

    def __post_init__(self) -> None:
        if self.latency_dist not in LATENCY_DISTRIBUTIONS:
            raise ValueError(f"latency_dist must be one of {LATENCY_DISTRIBUTIONS}: {self.latency_dist!r}")
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(f"fault must be one of {FAULTS} or None, not {self.fault!r}")
        if not 0.0 <= self.failure_rate <= 1.0:
            raise ValueError("failure_rate must be within [0, 1]")
        if self.run_records not in ("on", "missing", "broken"):
            raise ValueError(f"run_records must be on, missing or broken, not {self.run_records!r}")
        if self.queue_max < 1 or self.chunk_chars < 1:
            raise ValueError("queue_max and chunk_chars must be positive")

    def latency(self, rng: random.Random, scale: float = 1.0) -> float:
        """Draw one delay in seconds from the configured distribution (deterministic for a seeded rng)."""
        mean = max(0.0, self.latency_ms * scale) / 1000.0
        if mean == 0.0:
            return 0.0
        dist = self.latency_dist
        if dist == "fixed":
            return mean
        if dist == "uniform":
            j = min(max(self.latency_jitter, 0.0), 1.0)
            return rng.uniform(mean * (1 - j), mean * (1 + j))
        if dist == "exponential":
            return rng.expovariate(1.0 / mean)
        return mean * rng.lognormvariate(0.0, max(self.latency_jitter, 0.0))
