"""The other direction: OxyGent 1.1.3's own SSEOxyGent (in a real master node) against our simulator."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from oxytui.client import AnswerEvent, ObservationEvent, OxyEvent, SSEOxyGent, StreamClosed, ToolCallEvent
from oxytui.sim import NodeKnobs, SimNode
from tests.interop.peer import OxyNode

pytestmark = pytest.mark.interop


@pytest.fixture
async def sim_master(oxy_python: Path) -> AsyncIterator[tuple[SimNode, SSEOxyGent]]:
    """A sim math node, a real OxyGent master delegating to it, and our client on the master."""
    sim = SimNode("math_agent", seed=7, knobs=NodeKnobs(latency_ms=5, token_ms=1, burst_ms=100))
    await sim.start(port=0)
    node = OxyNode("master", remote=sim.url, python=oxy_python)
    node.spawn()
    try:
        deadline = time.monotonic() + 90
        while not await asyncio.to_thread(node.poll_ready):  # the sim must keep serving meanwhile
            assert time.monotonic() < deadline, node.log_tail()
            await asyncio.sleep(0.2)
        async with SSEOxyGent("master_agent", node.url, max_retries=0, idle_timeout=30.0) as agent:
            yield sim, agent
    finally:
        await asyncio.to_thread(node.stop)
        await sim.stop()


async def run(agent: SSEOxyGent, query: str) -> list[OxyEvent]:
    return [ev async for ev in agent.stream(agent.build_request(query))]


def hop_output(events: list[OxyEvent]) -> str:
    hops = [ev for ev in events if isinstance(ev, ObservationEvent) and ev.callee == "math_agent"]
    assert len(hops) == 1, [ev.type for ev in events]
    return str(hops[0].output)


async def test_oxygent_master_reads_sim_org_and_runs(sim_master: tuple[SimNode, SSEOxyGent]) -> None:
    sim, master = sim_master
    await master.init()
    (sub,) = master.get_org()
    direct = {c["name"] for c in sim_org_children(await sim_org(sim))}
    assert sub["name"] == "math_agent" and {c["name"] for c in sub["children"]} == direct

    events = await run(master, "remote add 2 3")
    assert isinstance(events[-1], StreamClosed)
    forwarded_add = [ev for ev in events if isinstance(ev, ObservationEvent) and ev.callee == "add"]
    assert forwarded_add and forwarded_add[0].output == 5
    assert forwarded_add[0].call_stack == ["user", "master_agent", "math_agent", "add"]
    assert "5" in hop_output(events)
    assert [ev for ev in events if isinstance(ev, AnswerEvent)]


async def test_oxygent_forwards_sim_tool_errors_and_unicode(sim_master: tuple[SimNode, SSEOxyGent]) -> None:
    _, master = sim_master
    events = await run(master, "remote boom")
    assert "boom tool failed on purpose" in hop_output(events)
    events = await run(master, "remote unicode")
    assert "\u2028" in hop_output(events)  # raw U+2028 in the sim's bytes survives OxyGent's parser


async def test_oxygent_limits_hold_against_the_sim(sim_master: tuple[SimNode, SSEOxyGent]) -> None:
    _, master = sim_master
    ok = await run(master, "remote big 200000")
    big = [ev for ev in ok if isinstance(ev, ObservationEvent) and ev.callee == "big_output"]
    assert big and len(str(big[0].output)) == 200_000
    failed = await run(master, "remote oversized")
    assert "SSE event too large (> 524288 bytes)" in hop_output(failed)
    assert any(isinstance(ev, ToolCallEvent) and ev.callee == "big_output" for ev in failed)


async def sim_org(sim: SimNode) -> dict:
    async with SSEOxyGent("direct", sim.url, max_retries=0) as agent:
        await agent.init()
        return agent.org


def sim_org_children(org: dict) -> list[dict]:
    return list(org.get("children", []))
