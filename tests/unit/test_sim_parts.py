"""Knobs, queues, records and scenario mixes of the simulator (pure parts, no network)."""

from __future__ import annotations

import itertools
import random

import pytest

from oxytui.sim import FAULTS, NodeKnobs
from oxytui.sim.queues import Item, QueueHub, TraceQueue
from oxytui.sim.records import STATE_CANCELED, STATE_COMPLETED, RecordStore
from oxytui.sim.scenarios import FAULT_QUERIES, demo_queries


@pytest.mark.parametrize("dist", ["fixed", "uniform", "exponential", "lognormal"])
def test_latency_distributions_are_seeded_and_non_negative(dist: str) -> None:
    k = NodeKnobs(latency_ms=50, latency_dist=dist, latency_jitter=0.5)
    a = [k.latency(random.Random(3)) for _ in range(5)]
    r1, r2 = random.Random(9), random.Random(9)
    assert [k.latency(r1) for _ in range(50)] == [k.latency(r2) for _ in range(50)]
    assert all(x >= 0 for x in a)
    if dist == "fixed":
        assert a == [0.05] * 5
    if dist == "uniform":
        assert all(0.025 <= x <= 0.075 for x in a)
    assert NodeKnobs(latency_ms=0, latency_dist=dist).latency(random.Random(1)) == 0.0


@pytest.mark.parametrize(
    "bad",
    [{"latency_dist": "gauss"}, {"fault": "explode"}, {"failure_rate": 1.5}, {"queue_max": 0}],
)
def test_knobs_reject_nonsense(bad: dict) -> None:
    with pytest.raises(ValueError):
        NodeKnobs(**bad)


def test_every_fault_is_accepted() -> None:
    for fault in FAULTS:
        assert NodeKnobs(fault=fault).fault == fault


def test_queue_keeps_the_newest_and_counts_drops() -> None:
    q = TraceQueue(3)
    for i in range(5):
        q.push(Item("frame", bytes([i])))
    assert q.dropped == 2 and q.pushed == 5 and len(q) == 3
    assert [q.pop().data for _ in range(3)] == [b"\x02", b"\x03", b"\x04"]  # type: ignore[union-attr]
    assert q.pop() is None


async def test_queue_wait_wakes_on_push_and_times_out() -> None:
    q = TraceQueue(4)
    await q.wait(0.01)  # nothing pushed: returns after the timeout
    q.push(Item("close"))
    await q.wait(10)  # already non-empty: returns at once
    assert q.pop() == Item("close")


def test_hub_shares_a_queue_per_trace_and_is_bounded() -> None:
    hub = QueueHub(8, max_queues=2)
    assert hub.get("a") is hub.get("a")
    hub.get("b")
    hub.get("c")
    assert len(hub) == 2 and hub.peek("a") is None and hub.peek("c") is not None
    hub.discard("c")
    assert hub.peek("c") is None


def _open(store: RecordStore, trace: str, nid: str, father: str = "", pre: list[str] | None = None) -> dict:
    return store.open(
        trace_id=trace,
        node_id=nid,
        node_type="tool",
        caller="a",
        callee=nid,
        call_stack=["user", "a", nid],
        node_id_stack=["", "r", nid],
        father_node_id=father,
        pre_node_ids=pre or [],
        request_id="req",
        group_id="g",
        class_name="FunctionTool",
        arguments={"x": 1},
    )


def test_records_view_links_children_and_successors() -> None:
    store = RecordStore(max_traces=2)
    root = _open(store, "T", "root")
    one = _open(store, "T", "one", father="root")
    _open(store, "T", "two", father="root", pre=["one"])
    store.close(one, 5, STATE_COMPLETED)
    store.cancel_open("T")
    view = store.view("one")  # a node id resolves to its trace
    assert view["trace_id"] == "T"
    nodes = {n["node_id"]: n for n in view["nodes"]}
    assert [n["index"] for n in view["nodes"]] == [0, 1, 2]
    assert nodes["root"]["child_node_ids"] == ["one", "two"] and nodes["one"]["post_node_ids"] == ["two"]
    assert nodes["one"]["state"] == STATE_COMPLETED and nodes["one"]["output"] == "5"
    assert nodes["two"]["state"] == STATE_CANCELED and root["state"] == STATE_CANCELED
    assert {"create_time", "update_time", "input", "call_stack", "father_node_id"} <= set(nodes["one"])
    _open(store, "U", "u1")
    _open(store, "V", "v1")
    assert store.view("T")["nodes"] == []  # oldest trace forgotten
    assert store.view("missing") == {"nodes": [], "trace_id": "missing"}


def test_demo_queries_are_an_endless_deterministic_mix() -> None:
    a = list(itertools.islice(demo_queries(3), 400))
    assert a == list(itertools.islice(demo_queries(3), 400))
    assert a != list(itertools.islice(demo_queries(4), 400))
    words = {q.split()[0] for q in a}
    assert {"add", "multiply", "steps", "slow", "boom", "fail", "big", "remote", "hostile", "flood"} <= words
    assert not set(a) & set(FAULT_QUERIES)
    with_faults = list(itertools.islice(demo_queries(3, faults=True), 400))
    assert set(with_faults) & set(FAULT_QUERIES)


def test_records_cut_huge_outputs() -> None:
    store = RecordStore()
    rec = _open(store, "T", "big")
    store.close(rec, "x" * 100_000, STATE_COMPLETED)
    assert len(rec["output"]) < 17_000 and rec["output"].endswith("[100000 chars, cut by the simulator]")
