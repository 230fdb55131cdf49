"""Retries only while the node cannot have started the run; every other failure is FAILED at once,
with a message naming the node and the cause. Real sockets, tiny delays and timeouts."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from oxytui.client import (
    OxyState,
    RemoteConnectionError,
    RemoteError,
    RemoteProtocolError,
    SSEOxyGent,
    StreamAborted,
)
from tests.support.captures import capture
from tests.support.scripted_server import (
    Drop,
    Json,
    Replay,
    ScriptedServer,
    Silent,
    Status,
    free_port,
    unresponsive_port,
)

MATH = capture("math_add")
FIRST_EVENT = MATH[: MATH.index(b"\r\n\r\n") + 4]
CLOSE_AT = MATH.rindex(b"id: ", 0, len(MATH) - 5)


def agent_for(url: str, **kw: object) -> SSEOxyGent:
    kw.setdefault("retry_delay", 0.01)
    kw.setdefault("idle_timeout", 5.0)
    return SSEOxyGent(name="math", server_url=url, **kw)  # type: ignore[arg-type]


async def test_connection_refused_is_retried_with_exponential_backoff(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="oxytui.client")
    async with agent_for(f"http://127.0.0.1:{free_port()}", max_retries=3) as agent:
        resp = await agent.execute(agent.build_request("add 2 3"))
        stats = agent.get_connection_stats()
    assert resp.state is OxyState.FAILED
    assert resp.output.startswith("math: connection refused")
    assert "gave up after 3 retries" in resp.output
    delays = [r.getMessage().rsplit(" in ", 1)[1] for r in caplog.records if "retry" in r.getMessage()]
    assert delays == ["0.01 s", "0.02 s", "0.04 s"]
    assert stats["retries"] == 3 and stats["failed_requests"] == 1 and stats["total_requests"] == 1
    assert stats["last_error"] and "connection refused" in stats["last_error"]


async def test_connect_timeout_is_retried_then_reported() -> None:
    with unresponsive_port() as port:
        async with agent_for(f"http://127.0.0.1:{port}", connect_timeout=0.2, max_retries=1) as agent:
            resp = await agent.execute(agent.build_request("x"))
    assert resp.state is OxyState.FAILED
    assert resp.output == "math: timeout: no connection within 0.2 s (gave up after 1 retry)"


async def test_503_before_the_body_is_retried_then_succeeds() -> None:
    async with ScriptedServer() as srv, agent_for(srv.url) as agent:
        srv.on("POST", "/sse/chat", [Status(503, b"upstream busy"), Status(502), Replay(MATH)])
        resp = await agent.execute(agent.build_request("add 2 3"))
    assert resp.state is OxyState.COMPLETED and resp.output == "Final answer (via add): 5"
    assert len(srv.requests_to("/sse/chat")) == 3
    assert agent.get_connection_stats()["retries"] == 2


async def test_503_forever_gives_up_with_status_and_body() -> None:
    async with ScriptedServer() as srv, agent_for(srv.url, max_retries=1) as agent:
        srv.on("POST", "/sse/chat", Status(503, b"upstream busy"))
        resp = await agent.execute(agent.build_request("x"))
    assert resp.state is OxyState.FAILED
    assert (
        "HTTP 503" in resp.output
        and "upstream busy" in resp.output
        and "gave up after 1 retry" in resp.output
    )
    assert len(srv.requests_to("/sse/chat")) == 2


async def test_500_is_not_retried_and_shows_the_body() -> None:
    async with ScriptedServer() as srv, agent_for(srv.url) as agent:
        srv.on("POST", "/sse/chat", Status(500, capture("post_malformed.body")))
        resp = await agent.execute(agent.build_request("x"))
    assert resp.state is OxyState.FAILED
    assert resp.output.startswith("math: HTTP 500") and resp.output.endswith("Internal Server Error")
    assert len(srv.requests_to("/sse/chat")) == 1


async def test_stream_cut_midway_is_not_retried_and_failed() -> None:
    events: list[str] = []

    async def handler(message: object, *_: object) -> None:
        events.append(message["type"])  # type: ignore[index]

    async with ScriptedServer() as srv, agent_for(srv.url) as agent:
        srv.on("POST", "/sse/chat", Replay(MATH[: len(MATH) // 2], cut=True))
        req = agent.build_request("add 2 3")
        req.set_message_handler(handler)
        resp = await agent.execute(req)
    assert resp.state is OxyState.FAILED
    assert "stream aborted" in resp.output and resp.output.startswith("math: ")
    assert len(srv.requests_to("/sse/chat")) == 1
    assert events  # what arrived before the cut was forwarded


async def test_clean_end_without_close_is_stream_aborted() -> None:
    async with ScriptedServer() as srv, agent_for(srv.url) as agent:
        srv.on("POST", "/sse/chat", Replay(MATH[:CLOSE_AT]))
        with pytest.raises(StreamAborted, match="stream aborted: ended without close") as err:
            async for _ in agent.stream(agent.build_request("x")):
                pass
        assert isinstance(err.value, aiohttp.ClientError)
        assert len(srv.requests_to("/sse/chat")) == 1


async def test_idle_timeout_after_first_event() -> None:
    async with ScriptedServer() as srv, agent_for(srv.url, idle_timeout=0.3) as agent:
        srv.on("POST", "/sse/chat", Replay(FIRST_EVENT, hang=True))
        resp = await agent.execute(agent.build_request("x"))
    assert resp.state is OxyState.FAILED
    assert "timeout: idle for 0.3 s (after 1 events)" in resp.output
    assert len(srv.requests_to("/sse/chat")) == 1


async def test_no_response_headers_is_a_timeout_not_a_retry() -> None:
    async with ScriptedServer() as srv, agent_for(srv.url, idle_timeout=0.3) as agent:
        srv.on("POST", "/sse/chat", Silent())
        resp = await agent.execute(agent.build_request("x"))
    assert resp.state is OxyState.FAILED and "waiting for the response headers" in resp.output
    assert len(srv.requests_to("/sse/chat")) == 1


async def test_total_timeout_even_with_pings() -> None:
    ping = b": ping - 2026-11-24 02:31:57.956083+00:00\r\n\r\n"
    async with ScriptedServer() as srv, agent_for(srv.url, idle_timeout=5, total_timeout=0.4) as agent:
        srv.on("POST", "/sse/chat", Replay(ping * 1000, chunk_size=len(ping), delay=0.05))
        resp = await agent.execute(agent.build_request("x"))
    assert resp.state is OxyState.FAILED and "total time limit of 0.4 s" in resp.output


async def test_dropped_connection_before_response_is_not_retried() -> None:
    async with ScriptedServer() as srv, agent_for(srv.url) as agent:
        srv.on("POST", "/sse/chat", Drop())
        resp = await agent.execute(agent.build_request("x"))
    assert resp.state is OxyState.FAILED and "closed the connection before responding" in resp.output
    assert len(srv.requests_to("/sse/chat")) == 1


async def test_no_hidden_300s_cap() -> None:
    async with ScriptedServer() as srv, agent_for(srv.url) as agent:
        srv.on("GET", "/check_alive", Json({"alive": 1}))
        assert await agent.check_alive()
        session = agent.connection.session()
        assert session.timeout.total is None
        timeout = agent.connection.client_timeout()
        assert timeout.total is None and timeout.sock_read == 5.0


async def test_non_sse_200_is_a_protocol_error() -> None:
    async with ScriptedServer() as srv, agent_for(srv.url) as agent:
        srv.on("POST", "/sse/chat", Json({"code": 403, "message": "intercepted"}))
        with pytest.raises(RemoteProtocolError, match="expected an SSE stream, got application/json"):
            async for _ in agent.stream(agent.build_request("x")):
                pass


async def test_event_too_large_fails_the_run_not_the_process() -> None:
    async with ScriptedServer() as srv, agent_for(srv.url, max_event_size=10_000) as agent:
        srv.on("POST", "/sse/chat", [Replay(capture("math_big"), chunk_size=4096), Replay(MATH)])
        seen: list[str] = []

        async def handler(message: object, *_: object) -> None:
            seen.append(message["type"])  # type: ignore[index]

        req = agent.build_request("big")
        req.set_message_handler(handler)
        resp = await agent.execute(req)
        assert resp.state is OxyState.FAILED and "SSE event too large: more than 10,000 bytes" in resp.output
        assert seen  # the events before the huge one were delivered
        again = await agent.execute(agent.build_request("add 2 3"))
        assert again.state is OxyState.COMPLETED  # the agent still works


async def test_init_errors_are_remote_errors() -> None:
    agent = agent_for(f"http://127.0.0.1:{free_port()}", max_retries=0)
    with pytest.raises(RemoteConnectionError) as err:
        await agent.init()
    assert isinstance(err.value, aiohttp.ClientError) and err.value.node == "math"
    assert await agent.check_alive() is False
    await agent.aclose()
    async with ScriptedServer() as srv, agent_for(srv.url) as agent:
        srv.on("GET", "/get_organization", Json({"code": 500, "message": "nope", "data": {}}))
        with pytest.raises(RemoteError, match="code 500: nope"):
            await agent.init()


async def test_subclass_exception_becomes_failed_response() -> None:
    class Broken(SSEOxyGent):
        async def _execute(self, oxy_request):  # type: ignore[no-untyped-def]
            raise KeyError("oops")

    resp = await Broken(name="b", server_url="http://127.0.0.1:1").execute(
        Broken(name="b", server_url="http://127.0.0.1:1").build_request("x")
    )
    assert resp.state is OxyState.FAILED and resp.output == "b: KeyError: 'oops'"
