"""Our own client (oxytui.client.SSEOxyGent) against the simulator: every scenario and fault, exactly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from oxytui.client import (
    AnswerEvent,
    KeepAlive,
    ObservationEvent,
    OxyState,
    RemoteConnectionError,
    RemoteError,
    RemoteEventTooLarge,
    RemoteHTTPError,
    RemoteTimeout,
    SSEOxyGent,
    StreamAborted,
    StreamClosed,
    StreamEvent,
    ThinkEvent,
    ToolCallEvent,
    UnknownEvent,
)
from oxytui.sim import NodeKnobs, SimCluster

FAST = NodeKnobs(
    latency_ms=0, token_ms=0, burst_ms=0, remote_retries=0, remote_retry_delay=0.01, remote_idle_timeout=0.5
)


@pytest.fixture
async def cluster() -> AsyncIterator[SimCluster]:
    async with SimCluster(nodes=3, seed=21, burst_ms=0, ping_interval=15.0, dead_nodes=1, knobs=FAST) as c:
        yield c


def agent(c: SimCluster, name: str = "master_agent", **kw: Any) -> SSEOxyGent:
    kw.setdefault("max_retries", 0)
    kw.setdefault("idle_timeout", 5.0)
    return SSEOxyGent(name=name, server_url=c.urls[name], **kw)


async def run(a: SSEOxyGent, query: str) -> list[Any]:
    return [ev async for ev in a.stream(a.build_request(query))]


async def test_stream_of_a_remote_hop_through_the_master(cluster: SimCluster) -> None:
    async with agent(cluster) as a:
        evs = await run(a, "add 2 3")
    assert isinstance(evs[-1], StreamClosed)
    answer = [e for e in evs if isinstance(e, AnswerEvent)]
    assert [e.content for e in answer] == ["Final answer (via math_agent): Final answer (via add): 5"]
    calls = [e for e in evs if isinstance(e, ToolCallEvent)]
    assert ["user", "master_agent", "math_agent", "add"] in [e.call_stack for e in calls]
    hop = next(e for e in calls if e.callee == "math_agent")
    obs = next(e for e in evs if isinstance(e, ObservationEvent) and e.node_id == hop.node_id)
    assert obs.output == "Final answer (via add): 5"
    assert {e.trace_id for e in evs} == {evs[0].trace_id} and all(e.node == "master_agent" for e in evs)
    assert any(isinstance(e, ThinkEvent) and e.agent == "math_agent" for e in evs)
    assert sum(isinstance(e, StreamEvent) for e in evs) > 10


async def test_execute_forwards_and_answers(cluster: SimCluster) -> None:
    seen: list[tuple[Any, str | None, str | None, int | None]] = []

    async def handler(message: Any, event: str | None, sse_id: str | None, retry: int | None) -> None:
        seen.append((message, event, sse_id, retry))

    async with agent(cluster, "math_agent") as a:
        req = a.build_request("multiply 6 7")
        req.set_message_handler(handler)
        resp = await a.execute(req)
    assert resp.state is OxyState.COMPLETED and resp.output == "Final answer (via multiply): 42"
    types = [m["type"] for m, *_ in seen]
    assert "answer" not in types and types.count("tool_call") == 3  # the agent's own start/end is dropped
    assert all(
        ev == "message" and retry == 3000 and sse_id and len(sse_id) == 16 for _, ev, sse_id, retry in seen
    )


async def test_org_and_alive(cluster: SimCluster) -> None:
    async with agent(cluster) as a:
        assert await a.check_alive()
        await a.init()
        names = {n["name"] for n in a.get_org()}
        assert {"now", "echo", "math_agent", "research_agent", "code_agent"} == names
        assert "math agent" not in a.desc and a.desc
    async with agent(cluster, "code_agent") as dead:
        assert not await dead.check_alive()


async def test_hop_to_a_dead_node_fails_inside_the_run(cluster: SimCluster) -> None:
    async with agent(cluster) as a:
        evs = await run(a, "remote code add 1 2")
    answer = next(e for e in evs if isinstance(e, AnswerEvent)).content
    assert answer.startswith("Final answer (via code_agent): code_agent: ")
    assert "refused" in answer or "connect" in answer
    assert isinstance(evs[-1], StreamClosed)


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("http500", RemoteHTTPError),
        ("add 1 2 disconnect", StreamAborted),
        ("hang", RemoteTimeout),
        ("hang_headers", RemoteTimeout),
    ],
)
async def test_faults_raise_typed_errors(cluster: SimCluster, query: str, error: type[RemoteError]) -> None:
    async with agent(cluster, "math_agent", idle_timeout=0.3) as a:
        got: list[Any] = []
        with pytest.raises(error) as info:
            async for ev in a.stream(a.build_request(query)):
                got.append(ev)
    assert "math_agent" in str(info.value)
    if query.endswith("disconnect"):
        assert [type(e) for e in got if not isinstance(e, KeepAlive | StreamEvent)][-2:] == [
            ToolCallEvent,
            ObservationEvent,
        ]


async def test_execute_never_raises_on_faults(cluster: SimCluster) -> None:
    async with agent(cluster, "math_agent", idle_timeout=0.3) as a:
        for q in ("http500", "add 1 2 disconnect", "hang"):
            resp = await a.execute(a.build_request(q))
            assert resp.state is OxyState.FAILED and resp.output.startswith("math_agent")
        stats = a.get_connection_stats()
    assert stats["failed_requests"] == 3


async def test_malformed_and_bad_utf8_do_not_break_the_stream(cluster: SimCluster) -> None:
    async with agent(cluster, "math_agent") as a:
        evs = await run(a, "malformed badutf8 add 1 2")
    assert isinstance(evs[-1], StreamClosed)
    assert any(isinstance(e, UnknownEvent) for e in evs)
    assert next(e for e in evs if isinstance(e, AnswerEvent)).content == "Final answer (via add): 3"


async def test_oversized_event_is_a_clear_error_under_a_small_limit(cluster: SimCluster) -> None:
    async with agent(cluster, "math_agent", max_event_size=512 * 1024) as a:
        with pytest.raises(RemoteEventTooLarge):
            await run(a, "oversized")
    async with agent(cluster, "math_agent") as a:  # the default 64 MiB limit takes it
        evs = await run(a, "oversized")
    obs = next(e for e in evs if isinstance(e, ObservationEvent) and e.callee == "big_output")
    assert len(obs.output) == 600_000


async def test_hostile_text_reaches_the_client_literally(cluster: SimCluster) -> None:
    from oxytui.sim.faults import HOSTILE

    async with agent(cluster, "math_agent") as a:
        evs = await run(a, "hostile")
    obs = next(e for e in evs if isinstance(e, ObservationEvent) and e.callee == "echo")
    assert obs.output == HOSTILE
    last_llm = [e for e in evs if isinstance(e, StreamEvent)][-1].node_id
    streamed = "".join(e.delta for e in evs if isinstance(e, StreamEvent) and e.node_id == last_llm)
    assert HOSTILE[:200] in streamed  # split across 24-character deltas, intact once joined
    assert "[@click=app.quit]" in next(e for e in evs if isinstance(e, ThinkEvent)).content


async def test_async_start_and_attach(cluster: SimCluster) -> None:
    async with agent(cluster, "math_agent") as a:
        trace = await a.start_async(a.build_request("steps 3"))
        evs = [ev async for ev in a.attach(trace)]
    assert isinstance(evs[-1], StreamClosed) and trace in {e.trace_id for e in evs}
    assert next(e for e in evs if isinstance(e, AnswerEvent)).content.startswith("Final answer (via ")


async def test_refused_connection_is_retried_then_typed(cluster: SimCluster) -> None:
    async with agent(cluster, "code_agent", max_retries=1, retry_delay=0.01) as a:
        with pytest.raises(RemoteConnectionError):
            await run(a, "hello")


@pytest.mark.parametrize("fault", ["disconnect", "hang", "http500"])
async def test_remote_faults_fail_the_hop_not_the_master_run(cluster: SimCluster, fault: str) -> None:
    async with agent(cluster) as a:
        req = a.build_request(f"remote math add 1 2 {fault}")
        evs = [ev async for ev in a.stream(req)]
    assert isinstance(evs[-1], StreamClosed)
    hop = next(e for e in evs if isinstance(e, ObservationEvent) and e.callee == "math_agent")
    assert isinstance(hop.output, str) and hop.output.startswith("math_agent")
    answer = next(e for e in evs if isinstance(e, AnswerEvent)).content
    assert answer == f"Final answer (via math_agent): {hop.output}"
    if fault == "hang":  # the master's client gave up and hung up: the remote run was cancelled
        math = cluster.nodes["math_agent"]
        for _ in range(200):
            if req.current_trace_id in math.cancelled:
                break
            await asyncio.sleep(0.01)
        assert req.current_trace_id in math.cancelled
