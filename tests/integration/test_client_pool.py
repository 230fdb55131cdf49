"""NodePool: runtime add/remove, concurrent fault-isolated init, health-aware selection."""

from __future__ import annotations

import asyncio

import pytest

from oxytui.client import NodePool, NoHealthyNode, SSEOxyGent
from tests.support.captures import org_body
from tests.support.scripted_server import ScriptedServer, Silent, Status, free_port


async def test_init_all_is_concurrent_and_fault_isolated() -> None:
    async with ScriptedServer() as a, ScriptedServer() as b, ScriptedServer() as hang:
        for srv in (a, b):
            srv.on("GET", "/get_organization", Status(200, org_body("math"), "application/json"))
        hang.on("GET", "/get_organization", Silent())
        pool = NodePool(
            [
                SSEOxyGent(name="a", server_url=a.url),
                SSEOxyGent(name="b", server_url=b.url),
                SSEOxyGent(name="dead", server_url=f"http://127.0.0.1:{free_port()}", max_retries=0),
                SSEOxyGent(name="hang", server_url=hang.url, connect_timeout=0.5, max_retries=0),
            ]
        )
        results = await asyncio.wait_for(pool.init_all(), 10)
        assert {n: r.ok for n, r in results.items()} == {"a": True, "b": True, "dead": False, "hang": False}
        assert "connection refused" in (results["dead"].error or "")
        assert "timeout" in (results["hang"].error or "")
        assert [x.name for x in pool.healthy()] == ["a", "b"]
        assert [pool.select("round_robin").name for _ in range(4)] == ["a", "b", "a", "b"]
        pool.remove("a")
        assert pool.select().name == "b" and "a" not in pool
        await pool.aclose()


def test_selection_strategies_and_no_healthy_node() -> None:
    pool = NodePool(seed=3)
    agents = [SSEOxyGent(name=f"n{i}", server_url="http://127.0.0.1:1") for i in range(3)]
    for a in agents:
        pool.add(a)
    with pytest.raises(NoHealthyNode, match="no healthy node among 3"):
        pool.select()
    for a in agents:
        pool.mark(a.name, True)
    for a, lat in zip(agents, (0.5, 0.1, 0.9), strict=True):
        for _ in range(20):
            a.stats.start()
            a.stats.finish(True, lat, 0.01, 1, 1)
    assert pool.select("lowest_latency").name == "n1"
    pool.mark("n1", False)
    assert pool.select("lowest_latency").name == "n0"
    assert {pool.select("random").name for _ in range(50)} == {"n0", "n2"}
    fresh = SSEOxyGent(name="new", server_url="http://127.0.0.1:1")
    pool.add(fresh, healthy=True)
    assert pool.select("lowest_latency") is fresh  # no samples yet: gets tried first
    with pytest.raises(ValueError, match="unknown strategy"):
        pool.select("fastest")
