"""Our client against the simulator's fault modes and a raw-socket server: every failure is one FAILED run
naming the node, never a hang, a crash or a lost event, and never a neighbour's problem."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from oxytui.client import (
    AnswerEvent,
    ObservationEvent,
    OxyEvent,
    OxyState,
    RemoteError,
    RemoteHTTPError,
    RemoteProtocolError,
    RemoteTimeout,
    SSEOxyGent,
    StreamClosed,
    ToolCallEvent,
    UnknownEvent,
)
from oxytui.sim import NodeKnobs, SimNode
from tests.reliability.conftest import SimProcess
from tests.support.scripted_server import Replay, ScriptedServer, Silent, Status

FAST = NodeKnobs(latency_ms=1, token_ms=1, burst_ms=10)


@pytest.fixture
async def node() -> AsyncIterator[SimNode]:
    sim = SimNode("math_agent", seed=5, knobs=FAST)
    await sim.start(port=0)
    yield sim
    await sim.stop()


def agent_for(url: str, name: str = "math_agent", **kw: Any) -> SSEOxyGent:
    kw.setdefault("max_retries", 0)
    kw.setdefault("idle_timeout", 5.0)
    kw.setdefault("connect_timeout", 2.0)
    return SSEOxyGent(name, url, **kw)


async def collect(agent: SSEOxyGent, query: str) -> list[OxyEvent]:
    return [ev async for ev in agent.stream(agent.build_request(query))]


def frame(data: str, sid: str = "x", event: str = "message") -> bytes:
    return f"id: {sid}\r\nevent: {event}\r\ndata: {data}\r\nretry: 3000\r\n\r\n".encode()


CLOSE = frame("done", "end", "close")


async def test_node_killed_mid_run_fails_fast_and_keeps_what_arrived(sim_process: SimProcess) -> None:
    async with agent_for(sim_process.url) as agent:
        seen: list[str] = []

        async def handler(message: Any, *_: Any) -> None:
            seen.append(message["type"])
            if message["type"] == "tool_call" and message["content"]["callee"] == "slow_tool":
                sim_process.kill()

        request = agent.build_request("slow 30")
        request.set_message_handler(handler)
        response = await asyncio.wait_for(agent.execute(request), 10)
        assert response.state is OxyState.FAILED
        assert "math_agent" in response.output
        assert "tool_call" in seen  # events before the kill were delivered
        assert await agent.check_alive() is False


async def test_hang_before_headers_times_out(node: SimNode) -> None:
    async with agent_for(node.url, idle_timeout=0.4) as agent:
        with pytest.raises(RemoteTimeout, match="math_agent"):
            await collect(agent, "hang_headers")


async def test_hang_mid_stream_fails_that_run_only(node: SimNode) -> None:
    other = SimNode("math_agent", seed=6, knobs=FAST)  # a second math node
    await other.start(port=0)
    try:
        async with agent_for(node.url, idle_timeout=0.5) as hung, agent_for(other.url) as fine:
            results = await asyncio.wait_for(
                asyncio.gather(
                    hung.execute(hung.build_request("add 1 2 hang")),
                    hung.execute(hung.build_request("add 3 4")),  # same node, same agent, other run
                    fine.execute(fine.build_request("add 5 6")),
                ),
                20,
            )
        failed, same_node, other_node = results
        assert failed.state is OxyState.FAILED and "math_agent" in failed.output
        assert "timeout" in failed.output.lower() or "timed out" in failed.output.lower()
        assert same_node.state is OxyState.COMPLETED and "7" in str(same_node.output)
        assert other_node.state is OxyState.COMPLETED and "11" in str(other_node.output)
    finally:
        await other.stop()


async def test_http_500_from_the_node(node: SimNode) -> None:
    async with agent_for(node.url) as agent:
        with pytest.raises(RemoteHTTPError, match="500"):
            await collect(agent, "http500")
        response = await agent.execute(agent.build_request("http500"))
        assert response.state is OxyState.FAILED and "math_agent" in response.output


@pytest.mark.parametrize(
    ("status", "content_type", "body"),
    [
        (500, "text/html; charset=utf-8", b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
        (200, "text/html; charset=utf-8", b"<html><body>login page</body></html>"),
        (200, "application/json", b'{"code": 401, "message": "no"}'),
        (200, "text/plain", b"data: not really sse\r\n\r\n"),
    ],
)
async def test_non_sse_answers_fail_the_run_with_a_clear_error(
    status: int, content_type: str, body: bytes
) -> None:
    async with ScriptedServer() as srv, agent_for(srv.url, max_retries=3, retry_delay=0.01) as agent:
        srv.on("POST", "/sse/chat", Status(status, body, content_type=content_type))
        with pytest.raises(RemoteError, match="math_agent") as info:
            await collect(agent, "x")
        assert isinstance(info.value, RemoteHTTPError | RemoteProtocolError)
        assert len(srv.requests) == 1  # the node may have started the run: never re-sent
        response = await agent.execute(agent.build_request("x"))
        assert response.state is OxyState.FAILED


async def test_truncated_json_event_is_kept_and_the_run_completes(node: SimNode) -> None:
    async with agent_for(node.url) as agent:
        events = await collect(agent, "malformed add 1 2")
    odd = [ev for ev in events if isinstance(ev, UnknownEvent)]
    assert len(odd) == 1 and '"node_id": "broken"' in str(odd[0].content or odd[0].raw)
    assert any(isinstance(ev, ObservationEvent) and ev.output == 3 for ev in events)
    assert isinstance(events[-1], StreamClosed)


async def test_invalid_utf8_is_replaced_not_fatal(node: SimNode) -> None:
    async with agent_for(node.url) as agent:
        events = await collect(agent, "badutf8 add 2 2")
    assert any("\ufffd" in json.dumps(ev.raw, ensure_ascii=False) for ev in events if ev.raw is not None)
    assert any(isinstance(ev, AnswerEvent) for ev in events)
    assert isinstance(events[-1], StreamClosed)


async def test_20_mb_event_arrives_whole_and_a_smaller_limit_fails_cleanly() -> None:
    output = "0123456789" * 2_000_000
    big = json.dumps({"type": "observation", "content": {"node_id": "n1", "callee": "big", "output": output}})
    stream = frame(big, "a") + frame(json.dumps({"type": "answer", "content": "ok"}), "b") + CLOSE
    async with ScriptedServer() as srv:
        srv.on("POST", "/sse/chat", Replay(stream, chunk_size=65_536))
        async with agent_for(srv.url) as agent:
            events = await collect(agent, "big")
        (obs,) = [ev for ev in events if isinstance(ev, ObservationEvent)]
        assert obs.output == output
        async with agent_for(srv.url, max_event_size=16 * 2**20) as small:
            response = await small.execute(small.build_request("big"))
            assert response.state is OxyState.FAILED and "too large" in response.output


async def test_10000_events_in_one_burst_all_arrive_in_order() -> None:
    body = b"".join(
        frame(
            json.dumps({"type": "stream", "content": {"delta": f"t{i} ", "agent": "a", "node_id": "n"}}),
            f"{i}",
        )
        for i in range(10_000)
    )
    async with ScriptedServer() as srv:
        srv.on("POST", "/sse/chat", Replay(body + CLOSE))  # one write: the whole burst at once
        async with agent_for(srv.url) as agent:
            events = await collect(agent, "flood")
    deltas = [ev.delta for ev in events if ev.type == "stream"]  # type: ignore[attr-defined]
    assert deltas == [f"t{i} " for i in range(10_000)]
    assert [ev.sse_id for ev in events[:-1]] == [str(i) for i in range(10_000)]


async def test_sim_flood_of_10000_deltas_in_one_burst() -> None:
    sim = SimNode(
        "math_agent", seed=9, knobs=NodeKnobs(latency_ms=0, token_ms=0, burst_ms=300, queue_max=50_000)
    )
    await sim.start(port=0)
    try:
        async with agent_for(sim.url) as agent:
            events = await collect(agent, "flood 10000")
        assert sum(ev.type == "stream" for ev in events) >= 10_000
        assert isinstance(events[-1], StreamClosed)
    finally:
        await sim.stop()


async def test_50_concurrent_runs_on_10_nodes() -> None:
    nodes = [SimNode("math_agent", seed=i, knobs=FAST) for i in range(10)]
    for n in nodes:
        await n.start(port=0)
    agents = [agent_for(n.url, name=f"node_{i}") for i, n in enumerate(nodes)]
    try:
        jobs = [(agents[i % 10], i) for i in range(50)]
        results = await asyncio.wait_for(
            asyncio.gather(*(collect(agent, f"add {i} 1000") for agent, i in jobs)), 60
        )
        for (agent, i), events in zip(jobs, results, strict=True):
            assert isinstance(events[-1], StreamClosed)
            adds = [ev for ev in events if isinstance(ev, ObservationEvent) and ev.callee == "add"]
            assert adds and adds[0].output == i + 1000
            assert {ev.trace_id for ev in events} == {events[0].trace_id}
            assert all(ev.node == agent.name for ev in events)
        assert len({events[0].trace_id for events in results}) == 50
        assert any(isinstance(ev, ToolCallEvent) for ev in results[0])
    finally:
        for agent in agents:
            await agent.aclose()
        for n in nodes:
            await n.stop()


async def test_silent_server_with_total_timeout() -> None:
    async with ScriptedServer() as srv, agent_for(srv.url, idle_timeout=None, total_timeout=0.5) as agent:
        srv.on("POST", "/sse/chat", Silent())
        response = await asyncio.wait_for(agent.execute(agent.build_request("x")), 10)
        assert response.state is OxyState.FAILED and "math_agent" in response.output
