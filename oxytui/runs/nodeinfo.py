"""What the dashboard knows of each watched node: its status and its :class:`NodeInfo` record.

Kept apart from :mod:`.store` (which holds one ``NodeInfo`` per node and re-exports both) so the
store module is about runs, events and stats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["NodeInfo", "NodeStatus"]


class NodeStatus(StrEnum):
    CONNECTING = "connecting"
    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"


@dataclass(slots=True, eq=False)
class NodeInfo:
    """A watched node: where it is, whether it answers, and its organization tree."""

    name: str
    url: str = ""
    alive: bool | None = None
    """Result of the last ``/check_alive`` probe (None: not probed yet)."""
    probe_error: str = ""
    last_probe: float | None = None
    org: dict[str, Any] | None = None
    tags: list[str] = field(default_factory=list)
    auto_name: bool = False
    """Given as a bare URL: shown as its MAS root agent once ``/get_organization`` answers."""
