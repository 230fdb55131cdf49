"""When to probe each node next: jittered (60 nodes added together must not probe in lock-step, every
5 s on the same tick) and backed off for down nodes (a dead URL is asked every 5, 10, 20, ... 60 s, not
every 5 s for ever); a node that answers again is back to the base interval. Pure: times are passed in.
"""

from __future__ import annotations

import random

BASE = 5.0
MAX_DOWN = 60.0
JITTER = 0.2
"""Each interval is scaled by a random factor in [1 - JITTER, 1 + JITTER]."""


class ProbeSchedule:
    def __init__(self, base: float = BASE, max_down: float = MAX_DOWN, seed: int | None = None) -> None:
        self.base = base
        self.max_down = max_down
        self.rng = random.Random(seed)
        self.due: dict[str, float] = {}
        self.fails: dict[str, int] = {}

    def add(self, name: str, now: float) -> None:
        """A new node: first probe within one (jittered) base interval, spread over it."""
        self.due[name] = now + self.base * self.rng.uniform(0.2, 1.0)
        self.fails.pop(name, None)

    def remove(self, name: str) -> None:
        self.due.pop(name, None)
        self.fails.pop(name, None)

    def interval(self, name: str) -> float:
        fails = self.fails.get(name, 0)
        step = min(self.max_down, self.base * (2 ** max(0, fails - 1))) if fails else self.base
        return step * self.rng.uniform(1 - JITTER, 1 + JITTER)

    def result(self, name: str, ok: bool, now: float) -> None:
        """Record a probe outcome and set the node's next due time."""
        if name not in self.due:
            return
        self.fails[name] = 0 if ok else self.fails.get(name, 0) + 1
        self.due[name] = now + self.interval(name)

    def take_due(self, now: float) -> list[str]:
        """Nodes whose probe is due (each is then not due again until its result is recorded)."""
        out = [n for n, t in self.due.items() if t <= now]
        for n in out:
            self.due[n] = float("inf")
        return out

    def next_wake(self, now: float) -> float:
        """Seconds until the next probe is due (at most one base interval)."""
        soonest = min(self.due.values(), default=now + self.base)
        return max(0.05, min(self.base, soonest - now))
