"""OxyGent's node states: shared by the client (responses, records) and the pure runs model."""

from __future__ import annotations

from enum import Enum, auto

__all__ = ["OxyState"]


class OxyState(Enum):
    """OxyGent's node states, plus ``ERROR`` (used by the SSEOxyGent spec's examples)."""

    CREATED = auto()
    RUNNING = auto()
    COMPLETED = auto()
    FAILED = auto()
    PAUSED = auto()
    SKIPPED = auto()
    CANCELED = auto()
    ERROR = auto()
