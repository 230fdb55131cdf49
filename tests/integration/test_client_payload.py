"""What goes on the wire: call-stack strategies (PROTOCOL.md §7), headers, forwarding rules, custom
event handlers, the wire tap and the async chat/trace pair."""

from __future__ import annotations

from contextlib import aclosing
from typing import Any

import pytest

from oxytui.client import OxyRequest, OxyState, SSEMessage, SSEOxyGent
from tests.support.captures import capture
from tests.support.scripted_server import Json, Replay, ScriptedServer

MATH = capture("math_add")


def master_request() -> OxyRequest:
    """The request OxyGent's master hands to its SSEOxyGent ``math_agent`` (PROTOCOL.md §7)."""
    return OxyRequest(
        request_id="capReq0000000000000001",
        current_trace_id="capTrace00000001",
        caller="master_agent",
        callee="math_agent",
        caller_category="agent",
        callee_category="agent",
        call_stack=["user", "master_agent", "math_agent"],
        node_id_stack=["", "masterNode000001", "capSseOxyNode001"],
        node_id="capSseOxyNode001",
        parallel_id="par",
        latest_node_ids=["x"],
        arguments={"query": "add 2 3"},
        shared_data={"_headers": {"host": "a", "x-team": "blue"}, "k": 1},
    )


async def sent_payload(**agent_kw: Any) -> tuple[dict[str, Any], dict[str, str]]:
    async with (
        ScriptedServer() as srv,
        SSEOxyGent(name="math_agent", server_url=srv.url, **agent_kw) as agent,
    ):
        srv.on("POST", "/sse/chat", Replay(MATH))
        resp = await agent.execute(master_request())
        assert resp.state is OxyState.COMPLETED
    req = srv.requests_to("/sse/chat")[0]
    return req.json(), req.headers


async def test_partial_is_the_default_and_matches_sseoxygent_shaped() -> None:
    body, headers = await sent_payload()
    # exactly what produced sseoxygent_shaped.sse: master prefix, our node id, caller_category forced
    assert body["call_stack"] == ["user", "master_agent"]
    assert body["node_id_stack"] == ["", "masterNode000001"]
    assert body["caller"] == "master_agent" and body["callee"] == "math_agent"
    assert body["caller_category"] == "user" and body["node_id"] == "capSseOxyNode001"
    assert body["request_id"] == "capReq0000000000000001" and body["current_trace_id"] == "capTrace00000001"
    assert body["query"] == "add 2 3"
    for gone in ("arguments", "mas", "parallel_id", "latest_node_ids"):
        assert gone not in body
    assert body["shared_data"] == {"k": 1}  # _headers never travels in the body
    assert headers["x-team"] == "blue" and headers["host"] != "a"  # forwarded minus hop-by-hop
    assert headers["accept"] == "text/event-stream" and headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("oxytui/")


async def test_full_strategy_keeps_both_stacks() -> None:
    body, _ = await sent_payload(call_stack_strategy="full")
    assert body["call_stack"] == ["user", "master_agent", "math_agent"]
    assert body["node_id_stack"] == ["", "masterNode000001", "capSseOxyNode001"]
    assert body["caller"] == "master_agent"


async def test_not_sharing_sends_no_stacks_and_caller_user() -> None:
    body, _ = await sent_payload(is_share_call_stack=False)
    assert "call_stack" not in body and "node_id_stack" not in body
    assert body["caller"] == "user" and body["caller_category"] == "user"


async def test_not_sharing_rebuilds_forwarded_call_stacks() -> None:
    got: list[dict[str, Any]] = []

    async def handler(message: Any, *_: Any) -> None:
        got.append(message)

    async with (
        ScriptedServer() as srv,
        SSEOxyGent(name="math_agent", server_url=srv.url, is_share_call_stack=False) as agent,
    ):
        srv.on("POST", "/sse/chat", Replay(MATH))
        req = master_request()
        req.set_message_handler(handler)
        await agent.execute(req)
    stacks = [m["content"]["call_stack"] for m in got if m["type"] in ("tool_call", "observation")]
    assert stacks and all(s[:3] == ["user", "master_agent", "math_agent"] and len(s) == 4 for s in stacks)


async def test_build_request_is_what_a_plain_client_sends() -> None:
    async with ScriptedServer() as srv, SSEOxyGent(name="n1", server_url=srv.url) as agent:
        srv.on("POST", "/sse/chat", Replay(MATH))
        r1, r2 = agent.build_request("add 2 3"), agent.build_request("add 2 3")
        assert r1.current_trace_id != r2.current_trace_id and len(r1.current_trace_id or "") == 16
        assert len(r1.request_id) == 22 and r1.caller == "user"
        await agent.execute(r1)
    body = srv.requests_to("/sse/chat")[0].json()
    assert body["call_stack"] == ["user"] and body["node_id_stack"] == [""] and body["callee"] == ""


async def test_custom_event_handlers_via_on_and_dict() -> None:
    custom = (
        b"id: c1\r\nevent: message\r\n"
        b'data: {"type": "progress", "content": {"progress": 40, "status": "half"}}\r\n\r\n'
        b"id: c2\r\nevent: message\r\n"
        b'data: {"type": "metrics", "content": {"metrics": {"cpu": 3}}}\r\n\r\n'
    )
    data = custom + MATH
    seen: list[tuple[str, Any]] = []

    async def on_progress(content: Any) -> None:
        seen.append(("progress", content))

    async def on_metrics(content: Any) -> None:
        seen.append(("metrics", content))

    async def broken(content: Any) -> None:
        raise RuntimeError("handler bug")

    async with ScriptedServer() as srv, SSEOxyGent(name="m", server_url=srv.url) as agent:
        srv.on("POST", "/sse/chat", Replay(data))
        agent.on("progress", on_progress)
        agent.on("progress", broken)  # a failing handler is logged, the run goes on
        agent.event_handlers["metrics"] = on_metrics
        resp = await agent.execute(agent.build_request("x"))
    assert resp.state is OxyState.COMPLETED
    assert seen == [("progress", {"progress": 40, "status": "half"}), ("metrics", {"metrics": {"cpu": 3}})]


async def test_wire_tap_sees_every_raw_item() -> None:
    tapped: list[tuple[str, str, object]] = []
    async with (
        ScriptedServer() as srv,
        SSEOxyGent(
            name="m", server_url=srv.url, wire_tap=lambda n, t, item, wall: tapped.append((n, t, item))
        ) as agent,
    ):
        srv.on("POST", "/sse/chat", Replay(MATH))
        req = agent.build_request("x")
        events = [e async for e in agent.stream(req)]
    assert len(tapped) == len(events)
    assert all(n == "m" and t == req.current_trace_id for n, t, _ in tapped)
    assert isinstance(tapped[-1][2], SSEMessage) and tapped[-1][2].event == "close"


async def test_start_async_then_attach() -> None:
    async with ScriptedServer() as srv, SSEOxyGent(name="m", server_url=srv.url) as agent:
        srv.on("POST", "/async/chat", Json({"code": 200, "message": "SUCCESS", "data": {}}))
        srv.on("POST", "/async/trace", Replay(MATH))
        req = agent.build_request("add 2 3")
        trace_id = await agent.start_async(req)
        events = [e async for e in agent.attach(trace_id)]
    assert trace_id == req.current_trace_id
    assert srv.requests_to("/async/chat")[0].json()["current_trace_id"] == trace_id
    trace_body = srv.requests_to("/async/trace")[0].json()
    assert trace_body["trace_id"] == trace_id and trace_body["timestamp"].isdigit()
    assert events[-1].type == "close" and all(e.trace_id == trace_id for e in events)


async def test_connection_is_pooled_across_runs() -> None:
    async with ScriptedServer() as srv, SSEOxyGent(name="m", server_url=srv.url) as agent:
        srv.on("POST", "/sse/chat", Replay(MATH))
        for _ in range(5):
            assert (await agent.execute(agent.build_request("x"))).state is OxyState.COMPLETED
    assert srv.connections == 1


@pytest.mark.parametrize("strategy", ["bogus"])
def test_unknown_strategy_is_refused(strategy: str) -> None:
    with pytest.raises(ValueError, match="call_stack_strategy"):
        SSEOxyGent(name="m", server_url="http://127.0.0.1:1", call_stack_strategy=strategy)


async def test_shared_session_is_used_and_left_open() -> None:
    import aiohttp

    async with ScriptedServer() as srv, aiohttp.ClientSession() as session:
        srv.on("POST", "/sse/chat", Replay(MATH))
        a = SSEOxyGent(name="a", server_url=srv.url, session=session)
        b = SSEOxyGent(name="b", server_url=srv.url, session=session)
        for agent in (a, b):
            assert (await agent.execute(agent.build_request("x"))).state is OxyState.COMPLETED
            await agent.aclose()
        assert not session.closed and a.connection.session() is session
    assert srv.connections == 1  # one pool, one keep-alive connection for both agents


async def test_consumer_stopping_early_cancels_the_request_and_counts_as_cancelled() -> None:
    async with ScriptedServer() as srv, SSEOxyGent(name="m", server_url=srv.url) as agent:
        srv.on("POST", "/sse/chat", Replay(MATH, chunk_size=200, delay=0.01))
        async with aclosing(agent.stream(agent.build_request("x"))) as events:
            async for _ev in events:
                break
        stats = agent.get_connection_stats()
    assert stats["cancelled_requests"] == 1 and stats["failed_requests"] == 0 and stats["in_flight"] == 0
