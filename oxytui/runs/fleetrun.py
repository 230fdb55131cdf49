"""A distributed run and its stitched call tree (see :mod:`oxytui.runs.fleet` for how they are fed).

A remote hop is recorded on both nodes under the same ``node_id``: the caller's record spans the network
call, the callee's its own work, and both are kept (the difference is the hop's overhead). The callee side
is the record whose father is not among its own node's records (the call entered that node there).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from oxytui.common.state import OxyState

if TYPE_CHECKING:
    from oxytui.client.records import NodeRecord

from .errors import is_error_output

__all__ = ["FAILED_STATES", "FleetCall", "FleetRun", "FleetState", "Source", "by_node", "hop_sides"]


class Source(StrEnum):
    """Who started a run: this dashboard's chat, a traffic sighting, a configured probe, the demo driver."""

    MINE = "mine"
    TRAFFIC = "traffic"
    PROBE = "probe"
    DEMO = "demo"


class FleetState(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"
    UNKNOWN = "unknown"
    """The watcher gave up before every record had a state."""


FAILED_STATES = (OxyState.FAILED, OxyState.ERROR)
_FAILED = FAILED_STATES


@dataclass(slots=True, eq=False)
class FleetCall:
    """One call of the stitched tree: the work side's record, plus the caller side's for a remote hop."""

    record: NodeRecord
    caller_record: NodeRecord | None = None
    children: list[FleetCall] = field(default_factory=list)
    depth: int = 0

    @property
    def node_id(self) -> str:
        return self.record.node_id

    @property
    def callee(self) -> str:
        return self.record.callee

    @property
    def caller(self) -> str:
        return self.record.caller

    @property
    def node_type(self) -> str:
        return self.record.node_type

    @property
    def node(self) -> str:
        """Where the work ran (the callee side of a hop)."""
        return self.record.node

    @property
    def model(self) -> str:
        return self.record.model

    @property
    def state(self) -> OxyState | None:
        """The work side's state (None while running)."""
        return self.record.state

    @property
    def duration(self) -> float | None:
        """Seconds of work, from the working node's own records."""
        return self.record.duration

    @property
    def tokens(self) -> int | None:
        return self.record.total_tokens

    @property
    def failed(self) -> bool:
        return self.record.state in _FAILED or (
            self.caller_record is not None and self.caller_record.state in _FAILED
        )

    @property
    def running(self) -> bool:
        return self.record.state is None

    @property
    def hop(self) -> bool:
        return self.caller_record is not None

    @property
    def caller_node(self) -> str:
        return self.caller_record.node if self.caller_record is not None else ""

    @property
    def call_duration(self) -> float | None:
        """A hop's network call as its caller measured it (caller node's own records)."""
        return self.caller_record.duration if self.caller_record is not None else None

    @property
    def overhead(self) -> float | None:
        """Hop overhead: the caller's span minus the callee's work (each from one node's clock)."""
        a, b = self.call_duration, self.duration
        return None if a is None or b is None else max(0.0, a - b)


@dataclass(slots=True, eq=False)
class FleetRun:
    """One distributed run (trace id) with every node's records of it."""

    trace_id: str
    source: Source = Source.TRAFFIC
    query: str = ""
    answer: str = ""
    start_node: str = ""
    first_seen: float = 0.0
    """Our wall clock when the run was first seen (or started by us)."""
    start_wall: float | None = None
    """Our wall-clock estimate of its start (node time through the node's ``Date`` offset)."""
    end_wall: float | None = None
    records: dict[str, dict[str, NodeRecord]] = field(default_factory=dict)
    """node -> node_id -> record."""
    listed: set[str] = field(default_factory=set)
    """Nodes whose history lists the trace."""
    ended: bool = False
    gave_up: bool = False
    store_node: str = ""
    """The node its dashboard RunStore entry is keyed by, fixed at first sight (see fleetlog)."""
    backfill: bool = False
    """Recent history, not news: already finished when a node's first poll listed it (so before the
    watcher started). The dashboard shows it; ``watch`` neither prints nor counts it."""
    version: int = 0
    rooted: bool = False
    """The entry call's record (``father_node_id`` empty) was seen: :attr:`start_node`, :attr:`query` and
    :attr:`start_wall` come from the node holding it (a remote hop's callee node lists the caller's trace
    too, with the hop's sub-query; see :attr:`anchored`)."""
    _started: set[str] = field(default_factory=set)
    _finished: set[str] = field(default_factory=set)
    _tree: list[FleetCall] | None = None
    _queries: dict[str, str] = field(default_factory=dict)
    """node -> the query its history lists (the entry node's is the run's)."""
    _old: set[str] = field(default_factory=set)
    """Nodes whose first poll listed the run as finished (backfill there)."""
    _live: bool = False
    """Some node listed the run in flight."""
    _held: list[Any] = field(default_factory=list, repr=False)
    """Events of a traffic run not anchored yet (``FleetEvent``), released when it is."""
    _announced: bool = False

    @property
    def anchored(self) -> bool:
        """Its start node is known: the entry record was seen, or this dashboard started it. Traffic
        events wait until then (else a run first seen on a hop's callee node is keyed there)."""
        return self.rooted or self.source is not Source.TRAFFIC

    @property
    def nodes(self) -> list[str]:
        """Every node that recorded (or lists) the run, the starting node first."""
        rest = sorted((set(self.records) | self.listed) - {self.start_node})
        return [self.start_node, *rest] if self.start_node else rest

    def all_records(self) -> Iterator[NodeRecord]:
        for recs in self.records.values():
            yield from recs.values()

    @property
    def root(self) -> NodeRecord | None:
        """The record of the run's entry call (``father`` empty), preferring the starting node."""
        best = None
        for rec in self.all_records():
            if not rec.father_id:
                if rec.node == self.start_node:
                    return rec
                best = best or rec
        return best

    @property
    def finished(self) -> bool:
        return self.ended

    @property
    def state(self) -> FleetState:
        if self.gave_up:
            return FleetState.UNKNOWN
        if not self.ended:
            return FleetState.RUNNING
        root = self.root
        if any(r.state in _FAILED for r in self.all_records()) or is_error_output(self.answer):
            return FleetState.FAILED
        if root is not None and root.state is OxyState.CANCELED:
            return FleetState.CANCELED
        return FleetState.COMPLETED

    @property
    def has_failures(self) -> bool:
        """A record failed already (the run may still be running)."""
        return any(r.state in _FAILED for r in self.all_records())

    @property
    def duration(self) -> float | None:
        """The entry call's span on its own node (None while running or unknown)."""
        root = self.root
        return root.duration if root is not None else None

    @property
    def tokens(self) -> int:
        seen: dict[str, int] = {}
        for rec in self.all_records():
            if rec.total_tokens:
                seen[rec.node_id] = rec.total_tokens
        return sum(seen.values())

    @property
    def hops(self) -> int:
        """Calls recorded on two nodes (remote hops whose both sides we can see)."""
        count: dict[str, int] = {}
        for rec in self.all_records():
            count[rec.node_id] = count.get(rec.node_id, 0) + 1
        return sum(1 for n in count.values() if n > 1)

    def put_record(self, node: str, rec: NodeRecord) -> None:
        """Keep ``node``'s ``rec``; a new or changed record bumps ``version`` and drops the cached tree."""
        mine = self.records.setdefault(node, {})
        if mine.get(rec.node_id) != rec:
            mine[rec.node_id] = rec
            self._tree = None
            self.version += 1

    def first_start(self, node_id: str) -> bool:
        """True only the first time this call is seen (so its ``call_start`` is reported once)."""
        if node_id in self._started:
            return False
        self._started.add(node_id)
        return True

    def first_finish(self, node_id: str) -> bool:
        """True only the first time this call is seen finished (so its ``call_end`` is reported once)."""
        if node_id in self._finished:
            return False
        self._finished.add(node_id)
        return True

    def listed_on(self, node: str, query: str, running: bool, first: bool) -> None:
        """``node``'s history lists the run: its query kept per node (the entry node's is the run's),
        whether it was in flight, or already finished at that node's first poll."""
        if query:
            self._queries[node] = query
            if not self.query or node == self.start_node:
                self.query = query
        if running:
            self._live = True
            self.backfill = False  # in flight somewhere: news after all
        elif first:
            self._old.add(node)

    def anchor(self, node: str, root_query: str) -> None:
        """The entry record is on ``node``: the run started there, with that node's query; it is recent
        history only if that node's first poll listed it finished (and nobody saw it in flight)."""
        self.rooted, self.start_node = True, node
        self.query = self._queries.get(node) or root_query or self.query
        if not self._announced and self.source is Source.TRAFFIC:
            self.backfill = node in self._old and not self._live
        self.version += 1

    def hold(self, events: list[Any]) -> None:
        """Events of a run not anchored yet, kept for :meth:`release`."""
        self._held += events

    def release(self) -> tuple[bool, list[Any]]:
        """``(first, held)``: True the first time (its ``run_start`` is due), and the events held."""
        first, self._announced = not self._announced, True
        held, self._held = self._held, []
        return first, held

    @property
    def announced(self) -> bool:
        """Its ``run_start`` went out."""
        return self._announced

    def calls(self) -> list[FleetCall]:
        """Roots of the stitched call tree (cached until the records change)."""
        if self._tree is None:
            self._tree = _stitch(self.records)
        return self._tree

    def walk(self) -> list[FleetCall]:
        """Every call depth first."""
        out: list[FleetCall] = []
        todo = list(reversed(self.calls()))
        while todo:
            c = todo.pop()
            out.append(c)
            todo.extend(reversed(c.children))
        return out

    def failed_calls(self) -> list[FleetCall]:
        return [c for c in self.walk() if c.failed]


def by_node(records: Iterable[NodeRecord]) -> dict[str, dict[str, NodeRecord]]:
    """A flat record list as ``node -> node_id -> record`` (the shape :attr:`FleetRun.records` has)."""
    out: dict[str, dict[str, NodeRecord]] = {}
    for rec in records:
        out.setdefault(rec.node, {})[rec.node_id] = rec
    return out


def hop_sides(
    records: Mapping[str, Mapping[str, NodeRecord]],
) -> dict[str, tuple[NodeRecord, list[NodeRecord]]]:
    """``node_id -> (work side, caller sides)`` of a run's records (``node -> node_id -> record``).

    The one rule for telling a remote hop's two records apart (the tree here, the OTel spans in
    :mod:`oxytui.ops.telemetry`): the callee (work) side is the record whose father is not among its own
    node's records — the call entered that node there; among several candidates (a missing father, hostile
    records) the one with children on its own node (it did work there), then the node holding more of the
    run. Every other record of the node id is a caller side (normally exactly one). A node id recorded
    once is its own work side with no caller side.
    """
    sides: dict[str, list[NodeRecord]] = {}
    fathers: set[tuple[str, str]] = set()
    for per_node in records.values():
        for rec in per_node.values():
            sides.setdefault(rec.node_id, []).append(rec)
            if rec.father_id:
                fathers.add((rec.father_id, rec.node))
    out: dict[str, tuple[NodeRecord, list[NodeRecord]]] = {}
    for node_id, recs in sides.items():
        if len(recs) == 1:
            out[node_id] = (recs[0], [])
            continue

        ranked = sorted((_work_rank(r, node_id, records, fathers), i) for i, r in enumerate(recs))
        work = recs[ranked[0][1]]
        out[node_id] = (work, sorted((r for r in recs if r is not work), key=lambda r: r.node))
    return out


def _work_rank(
    r: NodeRecord,
    node_id: str,
    records: Mapping[str, Mapping[str, NodeRecord]],
    fathers: set[tuple[str, str]],
) -> tuple[bool, bool, int, str]:
    """Lowest first: entered its node, has children there, its node holds more of the run, by name."""
    here = records.get(r.node, {})
    return (r.father_id in here, (node_id, r.node) not in fathers, -len(here), r.node)


def _stitch(records: dict[str, dict[str, NodeRecord]]) -> list[FleetCall]:
    calls: dict[str, FleetCall] = {}
    for node_id, (work, callers) in hop_sides(records).items():
        calls[node_id] = FleetCall(work, callers[0] if callers else None)
    roots: list[FleetCall] = []
    for call in calls.values():
        parent = calls.get(call.record.father_id) if call.record.father_id != call.node_id else None
        (parent.children if parent is not None else roots).append(call)

    def order(c: FleetCall) -> tuple[str, int, str]:
        ct = c.record.create_time
        return (c.record.node, c.record.index, ct.isoformat() if ct else "")

    todo = [(c, 0) for c in roots]
    seen: set[int] = set()
    while todo:
        c, depth = todo.pop()
        if id(c) in seen:  # a cycle in hostile records: cut it
            continue
        seen.add(id(c))
        c.depth = depth
        c.children.sort(key=order)
        todo.extend((k, depth + 1) for k in c.children)
    roots.sort(key=order)
    return roots
