"""Per-callee statistics across the fleet: which agent, tool or LLM is failing or slow, and where.

Fed once per finished call (see :class:`oxytui.runs.fleet.Fleet`); durations come from the node's own
records. Bounded: at most ``keep`` durations per (callee, node) and ``max_callees`` callees.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from .stats import percentile

__all__ = ["CalleeKey", "CalleeStat", "CalleeStats"]

CalleeKey = tuple[str, str]
"""``(node_type, callee)``: e.g. ``("tool", "boom")``, ``("llm", "default_llm")``."""


@dataclass(slots=True)
class CalleeStat:
    """Counters for one callee on one node (or on every node: ``node == "*"``)."""

    node_type: str
    callee: str
    node: str
    keep: int = 1000
    calls: int = 0
    failures: int = 0
    tokens: int = 0
    durations: deque[float] = field(default_factory=deque)

    @property
    def error_rate(self) -> float:
        return self.failures / self.calls if self.calls else 0.0

    def pct(self, q: float) -> float:
        return percentile(sorted(self.durations), q) or 0.0  # the shared percentile gives None when empty

    def percentiles(self) -> tuple[float, float, float]:
        """p50, p95, p99 of the kept durations (seconds; 0 without data)."""
        s = sorted(self.durations)
        return percentile(s, 50) or 0.0, percentile(s, 95) or 0.0, percentile(s, 99) or 0.0

    def add(self, failed: bool, duration: float | None, tokens: int | None) -> None:
        self.calls += 1
        self.failures += failed
        self.tokens += tokens or 0
        if duration is not None:
            self.durations.append(duration)
            if len(self.durations) > self.keep:
                self.durations.popleft()


class CalleeStats:
    """``total[(type, callee)]`` over the fleet and ``by_node[(type, callee)][node]``."""

    def __init__(self, keep: int = 1000, max_callees: int = 2000) -> None:
        self.keep = keep
        self.max_callees = max_callees
        self.total: dict[CalleeKey, CalleeStat] = {}
        self.by_node: dict[CalleeKey, dict[str, CalleeStat]] = {}
        self.overflow = 0
        """Calls not counted because ``max_callees`` distinct callees were already known."""
        self.version = 0

    def add(
        self, node_type: str, callee: str, node: str, failed: bool, duration: float | None, tokens: int | None
    ) -> None:
        key = (node_type, callee)
        total = self.total.get(key)
        if total is None:
            if len(self.total) >= self.max_callees:
                self.overflow += 1
                return
            total = self.total[key] = CalleeStat(node_type, callee, "*", self.keep)
        per = self.by_node.setdefault(key, {})
        stat = per.get(node)
        if stat is None:
            stat = per[node] = CalleeStat(node_type, callee, node, self.keep)
        total.add(failed, duration, tokens)
        stat.add(failed, duration, tokens)
        self.version += 1

    def ranked(self, node: str | None = None) -> list[CalleeStat]:
        """Callees by failures, then p95 (worst first); ``node`` limits to one node's share."""
        if node is None:
            stats = list(self.total.values())
        else:
            stats = [per[node] for per in self.by_node.values() if node in per]
        return sorted(stats, key=lambda s: (-s.failures, -s.pct(95), s.node_type, s.callee))
