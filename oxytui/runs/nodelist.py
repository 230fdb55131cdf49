"""The node list as rows: sorted, filtered, optionally grouped by tag, with problem nodes pinned on top.

Pure (no Textual): the Nodes pane renders :func:`node_rows`; tests check order and grouping directly.
An incident must never hide the down node: the "all nodes" row and every down/degraded node come first
(pinned: they stay in view while the rest scrolls), whatever the sort, filter or grouping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .stats import percentile
from .store import ALL, NodeStatus

if TYPE_CHECKING:
    from .store import RunStore

SORTS = ("status", "name", "success", "p95", "runs")
"""Sort keys of the node list, in the order the sort key cycles through them."""
STATUS_RANK = {NodeStatus.DOWN: 0, NodeStatus.DEGRADED: 1, NodeStatus.CONNECTING: 2, NodeStatus.UP: 3}
UNTAGGED = "(untagged)"


@dataclass(frozen=True, slots=True)
class NodeRow:
    """One row of the Nodes pane. ``kind``: ``all``, ``group`` (aggregate of one tag) or ``node``."""

    kind: str
    key: str
    """Node key (``node``), :data:`ALL`, or the tag (``group``)."""
    row_key: str
    """Unique table key: a pinned problem node shown again in its group needs another key."""
    members: tuple[str, ...] = field(default=())
    """Node keys a group row aggregates."""


@dataclass(frozen=True, slots=True)
class ListView:
    """How the list is shown: sort key, descending or not, text filter, tag filter, grouping."""

    sort: str = "status"
    reverse: bool = False
    text: str = ""
    tag: str = ""
    group: bool = False


def is_problem(store: RunStore, key: str) -> bool:
    return store.status(key) in (NodeStatus.DOWN, NodeStatus.DEGRADED)


def matches(store: RunStore, key: str, view: ListView) -> bool:
    """Text matches the display name, key, URL or a tag (``tag:eu`` / ``#eu`` match tags only)."""
    info = store.nodes[key]
    tags = [t.lower() for t in info.tags]
    if view.tag and view.tag.lower() not in tags:
        return False
    needle = view.text.strip().lower()
    if not needle:
        return True
    for prefix in ("tag:", "#"):
        if needle.startswith(prefix):
            want = needle.removeprefix(prefix)
            return any(want in t for t in tags)
    hay = f"{store.display(key)} {key} {info.url} {' '.join(tags)}".lower()
    return all(word in hay for word in needle.split())


def sort_key(store: RunStore, key: str, how: str) -> tuple[object, ...]:
    """Missing data sorts last in the default direction (a node without runs is not "best")."""
    st = store.stats.get(key)
    name = store.display(key).lower()
    if how == "name":
        return (name,)
    if how == "success":
        ok = st.success_rolling if st else None
        return (ok is None, ok if ok is not None else 0.0, name)
    if how == "p95":
        has = bool(st and st.latencies)
        return (not has, -(st.latency_pct(95) if st and has else 0.0), name)
    if how == "runs":
        return (-(st.runs if st else 0), name)
    return (STATUS_RANK[store.status(key)], name)


def node_rows(store: RunStore, view: ListView) -> tuple[list[NodeRow], int]:
    """Rows to show and how many of them are pinned (the "all nodes" row plus problem nodes)."""
    keys = [k for k in store.nodes if matches(store, k, view)]
    keys.sort(key=lambda k: sort_key(store, k, view.sort), reverse=view.reverse)
    problems = [k for k in keys if is_problem(store, k)]
    rows = [NodeRow("all", ALL, ALL)]
    rows += [NodeRow("node", k, k) for k in problems]
    pinned = len(rows)
    if view.group:
        groups: dict[str, list[str]] = {}
        for k in keys:
            for tag in store.nodes[k].tags or [UNTAGGED]:
                groups.setdefault(tag, []).append(k)
        for tag in sorted(groups, key=lambda t: (t == UNTAGGED, t.lower())):
            members = groups[tag]
            rows.append(NodeRow("group", tag, f"\0group:{tag}", tuple(members)))
            for k in members:  # a node with two tags shows in both groups
                rows.append(NodeRow("node", k, f"\0in:{tag}:{k}"))
    else:
        rows += [NodeRow("node", k, k) for k in keys if k not in problems]
    return rows, pinned


def group_stats(
    store: RunStore, members: tuple[str, ...]
) -> tuple[int, int, float | None, float | None, int]:
    """(up, total, rolling success, p95 latency, live runs) over a group's nodes."""
    up = sum(1 for k in members if store.status(k) in (NodeStatus.UP, NodeStatus.DEGRADED))
    outcomes = 0
    good = 0
    lat: list[float] = []
    active = 0
    for k in members:
        st = store.stats.get(k)
        if st is None:
            continue
        outcomes += len(st.outcomes)
        good += sum(st.outcomes)
        lat.extend(st.latencies)
        active += st.active
    ok = good / outcomes if outcomes else None
    p95 = percentile(sorted(lat), 95) if lat else None
    return up, len(members), ok, p95, active
