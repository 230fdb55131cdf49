"""Fleet traffic against real OxyGent 1.1.3 nodes: runs started with plain HTTP (as curl would) on the
master (remote hop to math) and on math appear stitched, with failures found by node state."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from oxytui.runs import FleetState
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
