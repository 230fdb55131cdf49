"""Our client (``oxytui.client``) against real OxyGent 1.1.3 nodes (math node + master with a hop)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from oxytui.client import (
    AnswerEvent,
    KeepAlive,
    ObservationEvent,
    OxyEvent,
    OxyState,
    SSEOxyGent,
    StreamClosed,
    StreamEndEvent,
    StreamEvent,
    ThinkEvent,
    ToolCallEvent,
)
from tests.interop.peer import OxyNode

pytestmark = pytest.mark.interop

MATH_TOOLS = {"add", "boom", "big_output", "slow"}


@pytest.fixture
async def math(math_node: OxyNode) -> AsyncIterator[SSEOxyGent]:
    async with SSEOxyGent("math_agent", math_node.url, max_retries=0, idle_timeout=30.0) as agent:
        yield agent


@pytest.fixture
async def master(master_node: OxyNode) -> AsyncIterator[SSEOxyGent]:
    async with SSEOxyGent("master_agent", master_node.url, max_retries=0, idle_timeout=30.0) as agent:
        yield agent


async def run(agent: SSEOxyGent, query: str) -> tuple[list[OxyEvent], str]:
    request = agent.build_request(query)
    events = [ev async for ev in agent.stream(request)]
    return events, request.current_trace_id


def answer_of(events: list[OxyEvent]) -> str:
    answers = [ev for ev in events if isinstance(ev, AnswerEvent)]
    assert len(answers) == 1, [ev.type for ev in events]
    return str(answers[0].content)


def observation(events: list[OxyEvent], callee: str) -> ObservationEvent:
    found = [ev for ev in events if isinstance(ev, ObservationEvent) and ev.callee == callee]
    assert found, f"no observation of {callee}: {[ev.type for ev in events]}"
    return found[-1]


def check_run_shape(events: list[OxyEvent], node: str, trace_id: str, paired: bool = True) -> None:
    """Every event tagged with our node and trace; exactly one close, last; calls paired by node_id."""
    assert all(ev.node == node and ev.trace_id == trace_id for ev in events)
    assert isinstance(events[-1], StreamClosed)
    assert sum(isinstance(ev, StreamClosed) for ev in events) == 1
    calls = {ev.node_id for ev in events if isinstance(ev, ToolCallEvent)}
    results = {ev.node_id for ev in events if isinstance(ev, ObservationEvent)}
    assert calls == results if paired else results <= calls


async def test_org_of_math_node(math: SSEOxyGent) -> None:
    await math.init()
    assert math.org["name"] == "math_agent"
    children = math.get_org()
    assert {c["name"] for c in children} == MATH_TOOLS
    assert all(c["is_remote"] is True for c in children)
    assert await math.check_alive() is True


async def test_org_of_master_lists_the_remote_hop(master: SSEOxyGent) -> None:
    await master.init()
    assert master.org["name"] == "master_agent"
    (sub,) = master.get_org()
    assert sub["name"] == "math_agent"
    assert {c["name"] for c in sub["children"]} == MATH_TOOLS
    assert all(c["is_remote"] is True for c in sub["children"])


async def test_run_with_tool_call_and_llm_stream(math: SSEOxyGent) -> None:
    events, trace_id = await run(math, "add 2 3")
    check_run_shape(events, "math_agent", trace_id)
    first = events[0]
    assert isinstance(first, ToolCallEvent) and first.caller == "user" and first.callee == "math_agent"
    add = observation(events, "add")
    assert add.output == 5 and add.call_stack == ["user", "math_agent", "add"]
    deltas = [ev for ev in events if type(ev) is StreamEvent]
    assert len(deltas) >= 4 and all(ev.agent == "math_agent" for ev in deltas)
    assert any(isinstance(ev, StreamEndEvent) for ev in events)
    assert any(isinstance(ev, ThinkEvent) and ev.content == "I should call add." for ev in events)
    assert answer_of(events).endswith("execution result: 5")


async def test_failing_tool_is_an_observation_and_the_run_completes(math: SSEOxyGent) -> None:
    events, trace_id = await run(math, "boom")
    check_run_shape(events, "math_agent", trace_id)
    assert "boom tool failed on purpose" in str(observation(events, "boom").output)
    assert "boom tool failed on purpose" in answer_of(events)


async def test_execute_returns_completed_with_the_answer(math: SSEOxyGent) -> None:
    forwarded: list[str] = []

    async def handler(message: Any, event: Any = None, id: Any = None, retry: Any = None) -> None:
        forwarded.append(message["type"] if isinstance(message, dict) else "text")

    request = math.build_request("add 20 22")
    request.set_message_handler(handler)
    response = await math.execute(request)
    assert response.state is OxyState.COMPLETED
    assert str(response.output).endswith("execution result: 42")
    assert "answer" not in forwarded and "tool_call" in forwarded and "observation" in forwarded


@pytest.mark.parametrize("size", [600_000, 3_000_000])
async def test_large_outputs_arrive_whole(math: SSEOxyGent, size: int) -> None:
    """Over OxyGent's own limits (512 KiB per event, 2 MiB buffer): our client still gets every byte."""
    events, trace_id = await run(math, f"big {size}")
    check_run_shape(events, "math_agent", trace_id)
    output = observation(events, "big_output").output
    pattern = "0123456789abcdef"
    assert isinstance(output, str) and len(output) == size
    assert output == (pattern * (size // 16 + 1))[:size]


async def test_oxygent_own_hop_fails_over_512k_where_we_do_not(master: SSEOxyGent, math: SSEOxyGent) -> None:
    direct, _ = await run(math, "big 600000")
    assert len(observation(direct, "big_output").output) == 600_000
    events, trace_id = await run(master, "remote big 600000")
    # the remote big_output's tool_call was forwarded, its observation is what OxyGent could not parse
    check_run_shape(events, "master_agent", trace_id, paired=False)
    hop = observation(events, "math_agent")
    assert hop.caller == "master_agent"
    assert "SSE event too large (> 524288 bytes)" in str(hop.output)


async def test_remote_hop_through_oxygents_sseoxygent(master: SSEOxyGent) -> None:
    events, trace_id = await run(master, "remote add 2 3")
    check_run_shape(events, "master_agent", trace_id)
    remote_add = observation(events, "add")
    assert remote_add.output == 5
    assert remote_add.call_stack == ["user", "master_agent", "math_agent", "add"]
    hop = observation(events, "math_agent")
    assert hop.caller == "master_agent" and hop.callee_category == "agent"
    assert {ev.current_trace_id for ev in events if isinstance(ev, ObservationEvent)} == {trace_id}
    assert any(isinstance(ev, StreamEvent) and ev.agent == "math_agent" for ev in events)
    assert answer_of(events).endswith("execution result: 5")


def _collapse(types: list[str]) -> list[str]:
    out: list[str] = []
    for kind in types:
        if not (kind == "stream" and out and out[-1] == "stream"):
            out.append(kind)
    return out


async def test_our_forwarding_matches_oxygents(master: SSEOxyGent, math: SSEOxyGent) -> None:
    """What our execute() forwards from the math node = what OxyGent's SSEOxyGent forwarded to the master."""
    ours: list[str] = []

    async def handler(message: Any, event: Any = None, id: Any = None, retry: Any = None) -> None:
        ours.append(message["type"])

    request = math.build_request("add 2 3")
    request.set_message_handler(handler)
    assert (await math.execute(request)).state is OxyState.COMPLETED

    events, _ = await run(master, "remote add 2 3")
    theirs = []
    for ev in events:
        if isinstance(ev, ToolCallEvent | ObservationEvent):
            if ev.call_stack[:3] == ["user", "master_agent", "math_agent"] and len(ev.call_stack) > 3:
                theirs.append(ev.type)
        elif isinstance(ev, StreamEvent | ThinkEvent) and ev.agent == "math_agent":
            theirs.append(ev.type)
    assert _collapse(ours) == _collapse(theirs)


async def test_concurrent_runs_do_not_mix(math: SSEOxyGent, master: SSEOxyGent) -> None:
    jobs = [run(math, f"add {i} {i}") for i in range(8)] + [
        run(master, f"remote add {i} 100") for i in range(3)
    ]
    results = await asyncio.gather(*jobs)
    for i, (events, trace_id) in enumerate(results[:8]):
        check_run_shape(events, "math_agent", trace_id)
        assert answer_of(events).endswith(f"execution result: {2 * i}")
    for i, (events, trace_id) in enumerate(results[8:]):
        check_run_shape(events, "master_agent", trace_id)
        assert answer_of(events).endswith(f"execution result: {i + 100}")
    assert len({trace_id for _, trace_id in results}) == len(results)


async def test_start_async_then_attach(math: SSEOxyGent) -> None:
    request = math.build_request("slow 0.3")
    trace_id = await math.start_async(request)
    assert trace_id == request.current_trace_id
    await asyncio.sleep(0.5)  # the run goes on with no reader; its events wait in the node's queue
    events = [ev async for ev in math.attach(trace_id)]
    assert isinstance(events[-1], StreamClosed)
    assert all(ev.trace_id == trace_id for ev in events)
    assert observation(events, "slow").output == "slept 0.3"
    assert answer_of(events).endswith("slept 0.3")


async def test_disconnect_cancels_the_run_on_the_node(math: SSEOxyGent, math_node: OxyNode) -> None:
    request = math.build_request("slow 30")
    async for ev in math.stream(request):
        if isinstance(ev, ToolCallEvent) and ev.callee == "slow":
            break
    for _ in range(100):
        if "oxy slow was cancelled" in math_node.log_tail(200):
            break
        await asyncio.sleep(0.1)
    assert "oxy slow was cancelled" in math_node.log_tail(200)


async def test_keepalive_and_stats(math: SSEOxyGent) -> None:
    events, _ = await run(math, "add 1 1")
    assert not any(isinstance(ev, KeepAlive) for ev in events)  # 15 s timer: a short run sees none
    stats = math.get_connection_stats()
    assert stats["total_requests"] >= 1 and stats["successful_requests"] >= 1
