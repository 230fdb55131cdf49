"""Fleet traffic against real OxyGent 1.1.3 nodes: runs started with plain HTTP (as curl would) on the
master (remote hop to math) and on math appear stitched, with failures found by node state."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from oxytui.client import SSEOxyGent
from oxytui.ops.traffic import TrafficOptions, TrafficWatcher
from oxytui.ops.traffic_report import TrafficTally
from oxytui.runs import FleetState
from oxytui.runs.fleet import FleetEvent
from tests.integration.test_traffic_watch import SECRET, Harness, other_client, until
from tests.interop.peer import OxyNode

pytestmark = pytest.mark.interop


@pytest.fixture
async def harness(master_node: OxyNode, math_node: OxyNode) -> AsyncIterator[Harness]:
    async with Harness({"master": master_node.url, "math": math_node.url}) as h:
        await until(lambda: h.watcher.requests >= 2, 30)
        yield h


async def test_curl_runs_on_real_nodes_appear_stitched(
    harness: Harness, master_node: OxyNode, math_node: OxyNode
) -> None:
    h = harness
    await other_client(master_node.url, "remote add 2 3", "TRinteropAdd0001")
    await other_client(master_node.url, "remote boom", "TRinteropBoom001")
    await other_client(math_node.url, "add 4 5", "TRinteropMath001")
    add = await until(lambda: h.ended("TRinteropAdd0001"), 60)
    boom = await until(lambda: h.ended("TRinteropBoom001"), 60)
    direct = await until(lambda: h.ended("TRinteropMath001"), 60)
    assert add.state is FleetState.COMPLETED and add.nodes == ["master", "math"] and add.hops == 1
    hop = next(c for c in add.walk() if c.hop)
    assert hop.caller_node == "master" and hop.node == "math" and hop.overhead is not None
    assert {c.callee for c in hop.children} >= {"add"} and add.tokens > 0
    assert boom.state is FleetState.FAILED and [(c.node, c.callee) for c in boom.failed_calls()] == [
        ("math", "boom")
    ]
    assert direct.state is FleetState.COMPLETED and direct.nodes == ["math"]
    assert SECRET not in repr(h.events) + repr(list(h.store.log.rows))


async def test_callee_node_polled_first_then_master_reports_the_run_on_master(
    master_node: OxyNode, math_node: OxyNode
) -> None:
    """The tester's bug: the math node lists the master's trace (its own agent, the hop's input) and is
    polled first, alone, until it has finished its part; the run must still be the master's."""
    agents = {
        "master": SSEOxyGent(name="master", server_url=master_node.url, connect_timeout=5.0),
        "math": SSEOxyGent(name="math", server_url=math_node.url, connect_timeout=5.0),
    }
    events: list[FleetEvent] = []
    watcher = TrafficWatcher(lambda: agents.values(), on_events=events.extend)
    trace = "TRinteropFirst01"
    try:
        for a in agents.values():
            await watcher.tick(a)
        await other_client(master_node.url, "remote boom", trace)
        for _ in range(40):  # the callee node alone until it is done with the trace
            await watcher.tick(agents["math"])
            if watcher.fleet.get(trace) is not None and trace not in watcher.nodes["math"].pending:
                break
        assert watcher.fleet.get(trace) is not None and trace not in watcher.nodes["math"].pending
        assert [e for e in events if e.run.trace_id == trace] == []  # not shown on math, not finished
        for _ in range(40):
            for a in agents.values():
                await watcher.tick(a)
            if any(e.kind == "run_end" and e.run.trace_id == trace for e in events):
                break
        mine = [e for e in events if e.run.trace_id == trace]
        assert [e.kind for e in mine].count("run_start") == 1 and mine[0].kind == "run_start"
        (end,) = [e for e in mine if e.kind == "run_end"]
        run = end.run
        assert run.start_node == "master" and run.query == "remote boom" and run.nodes == ["master", "math"]
        assert run.state is FleetState.FAILED and [c.node for c in run.failed_calls()] == ["math"]
        (root,) = run.calls()
        assert root.node == "master" and any(c.hop and c.caller_node == "master" for c in root.children)
        tally = TrafficTally()
        assert tally.finished(events, set()) == [run] and set(tally.nodes) == {"master"}
    finally:
        for a in agents.values():
            await a.aclose()


async def test_three_watchers_report_every_curl_run_once_on_master(
    master_node: OxyNode, math_node: OxyNode
) -> None:
    """The tester's ``watch --traffic`` session: three watchers started together, four curl runs on the
    master (remote hops): each watcher reports each run exactly once, on the master, with its query."""
    urls = [
        {"master": master_node.url, "math": math_node.url},
        {"math": math_node.url, "master": master_node.url},
    ]
    harnesses = [Harness(urls[i % 2], TrafficOptions(every=0.2 + 0.15 * i, max_every=1.0)) for i in range(3)]
    runs = {
        "TRinterop3w00001": "remote add 1 1",
        "TRinterop3w00002": "remote boom",
        "TRinterop3w00003": "remote add 2 2",
        "TRinterop3w00004": "remote boom",
    }
    for h in harnesses:
        await h.__aenter__()
    try:
        await until(lambda: all(h.watcher.requests >= 2 for h in harnesses), 30)
        for trace, query in runs.items():
            await other_client(master_node.url, query, trace)
        for h in harnesses:
            await until(lambda h=h: all(h.ended(t) for t in runs), 90)
        for h in harnesses:
            ends = [e.run for e in h.events if e.kind == "run_end" and e.run.trace_id in runs]
            assert sorted((r.trace_id, r.start_node, r.query) for r in ends) == [
                (t, "master", q) for t, q in sorted(runs.items())
            ]
            tally = TrafficTally()
            printed = tally.finished(h.events, set())
            assert sorted(r.trace_id for r in printed if r.trace_id in runs) == sorted(runs)
            assert "math" not in tally.nodes
    finally:
        for h in harnesses:
            await h.__aexit__(None, None, None)
