"""The traffic watcher's options and bookkeeping: what it is told (:class:`TrafficOptions`), what it
keeps per node (:class:`NodeWatch`, :class:`PendingTrace`) and what it reports (:class:`NodeHealth`).

Kept apart from :mod:`oxytui.ops.traffic` (which re-exports the public ones) so the watcher module is
about polling and deciding when a run ends.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

__all__ = ["NodeHealth", "NodeWatch", "PendingTrace", "TrafficOptions"]


@dataclass(slots=True)
class TrafficOptions:
    every: float = 2.0
    """Seconds between history polls of a node while something changes (``traffic_every``)."""
    max_every: float = 10.0
    """Back-off ceiling while a node's history stays the same."""
    page_size: int = 10
    """The node reads ``page_size × 10`` traces per request: keep it small."""
    max_pages: int = 3
    """Pages read in one tick when every trace on a page is new (a busy node)."""
    views_per_tick: int = 4
    backfill: int = 10
    """Finished traces of a node's first history page also viewed (recent history at start; 0: none).
    Viewed after in-flight and new ones; page 1 only."""
    give_up_after: float = 900.0
    """Seconds a trace may stay unfinished before it is marked "unknown"."""
    no_records_every: float = 300.0
    """Seconds between re-probes of a node that keeps no run records."""
    max_pending: int = 256
    """Traces per node awaiting ``/view``; beyond it the oldest are given up (counted)."""
    search_wait: float = 20.0
    """Seconds a look-up of a hop's other side on another node may stay unanswered (that node is down
    or slow): then it counts as "not there"."""
    anchor_wait: float = 60.0
    """Seconds a run seen only on a hop's callee node waits for its entry record (the caller node's
    records may lag) while other watched nodes are asked; then it ends "unknown"."""


@dataclass(frozen=True, slots=True)
class NodeHealth:
    """How the watcher fares with one node (for ``/metrics``): what it costs and what it cannot see."""

    node: str
    requests: int
    """GETs sent (history pages and views)."""
    errors: int
    """GETs that failed (no answer, bad status, malformed body)."""
    pending: int
    """Traces awaiting a ``/view``."""
    records: bool
    """False while the node keeps no run records we can read."""


@dataclass(slots=True)
class PendingTrace:
    since: float
    running: bool = True
    polls: int = 0
    confirmed: bool = False
    """Every record had a state at the last poll: one more poll, then done."""
    search: bool = False
    """Only looking for a hop's other side: an empty view means "not here"."""
    backfill: bool = False
    """Already finished at the node's first poll: viewed last."""
    last: float = 0.0


@dataclass(slots=True)
class NodeWatch:
    name: str
    interval: float
    due: float = 0.0
    first: bool = True
    no_records: bool = False
    down: bool = False
    """Its last history poll failed: not asked to look traces up until it answers again."""
    signature: tuple[tuple[str, bool], ...] = ()
    seen: OrderedDict[str, bool] = field(default_factory=OrderedDict)
    pending: dict[str, PendingTrace] = field(default_factory=dict)
    requests: int = 0
    errors: int = 0
