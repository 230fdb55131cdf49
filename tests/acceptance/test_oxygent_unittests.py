"""Acceptance: the scenarios of OxyGent's own unit tests for its remote agents
(jd-opensource/OxyGent ``test/unittest/test_sse_agent.py`` and ``test/unittest/test_remote_agent.py``),
re-run against ``oxytui.client`` with only the import changed, on live local aiohttp servers instead of
respx/aioresponses mocks. Plus the end-of-stream rule and the call-stack rule those tests rely on.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import ValidationError

from oxytui.client import OxyRequest, OxyResponse, OxyState, RemoteAgent, SSEOxyGent

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def node(routes: dict[tuple[str, str], Route]) -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A live aiohttp server on 127.0.0.1 (ephemeral port); yields its URL and the chat bodies it got."""
    bodies: list[dict[str, Any]] = []
    app = web.Application()

    def record(handler: Route) -> Route:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            if request.method == "POST":
                bodies.append(await request.json())
            return await handler(request)

        return wrapped

    for (method, path), handler in routes.items():
        app.router.add_route(method, path, record(handler))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/"), bodies
    finally:
        await server.close()


def org_route(org: Any) -> Route:
    async def handler(_: web.Request) -> web.StreamResponse:
        return web.json_response({"data": {"organization": org}})

    return handler


def sse_route(*pieces: bytes, cut: bool = False) -> Route:
    """Answer with these SSE bytes (chunked); ``cut``: drop the connection before the terminator."""

    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        for piece in pieces:
            await resp.write(piece)
        if cut:
            assert request.transport is not None
            request.transport.close()
            return resp
        await resp.write_eof()
        return resp

    return handler


def lf_events(*payloads: Any) -> bytes:
    """OxyGent's unit-test framing: LF only, no ``event:`` line."""
    return b"".join(f"data: {json.dumps(p)}\n\n".encode() for p in payloads)


SSE_PAYLOADS = [
    {"type": "tool_call", "content": {"caller_category": "agent", "callee_category": "agent"}},
    {"type": "observation", "content": {"caller_category": "agent", "callee_category": "agent"}},
    {"type": "answer", "content": "pong"},
]


def oxy_request() -> OxyRequest:
    """The fixture of test_sse_agent.py / test_remote_agent.py (the DummyMAS becomes a handler)."""
    return OxyRequest(
        arguments={"query": "ping"},
        caller="user",
        caller_category="user",
        current_trace_id="trace123",
    )


# --- test_sse_agent.py -----------------------------------------------------------------------------


def test_url_validation() -> None:
    with pytest.raises(ValidationError) as err:
        SSEOxyGent(name="bad", desc="bad", server_url="ftp://foo.com")
    assert isinstance(err.value, ValueError)
    assert err.value.errors()[0]["loc"] == ("server_url",)
    assert "http:// or https://" in str(err.value)


def test_url_validation_hides_password() -> None:
    with pytest.raises(ValidationError) as err:
        SSEOxyGent(name="n", server_url="http://u:hunter2@x:1", require_https=True)
    assert "hunter2" not in str(err.value) and "require_https" in str(err.value)


async def test_init_fetch_org() -> None:
    async with node({("GET", "/get_organization"): org_route([{"id": 1, "is_remote": False}])}) as (url, _):
        async with SSEOxyGent(name="sse_agent", desc="UT SSE Agent", server_url=url) as sse_agent:
            await sse_agent.init()
            assert sse_agent.org[0]["id"] == 1  # a list is stored as given
            assert sse_agent.org[0]["is_remote"] is False
            marked = sse_agent.get_org()
            assert marked == [{"id": 1, "is_remote": True}]
            assert sse_agent.org[0]["is_remote"] is False  # get_org() marks a copy


async def test_execute_sse_flow() -> None:
    forwarded: list[Any] = []

    async def send_message(message: Any, *_: Any) -> None:
        forwarded.append(message)

    routes = {
        ("GET", "/get_organization"): org_route([]),
        ("POST", "/sse/chat"): sse_route(lf_events(*SSE_PAYLOADS) + b"data: done\n\n"),
    }
    async with node(routes) as (url, bodies):
        async with SSEOxyGent(name="sse_agent", desc="UT SSE Agent", server_url=url) as sse_agent:
            await sse_agent.init()
            assert sse_agent.org == []
            request = oxy_request()
            request.set_message_handler(send_message)
            resp = await sse_agent.execute(request)
    assert resp.state is OxyState.COMPLETED, resp.output
    assert resp.output == "pong"
    assert "warning" not in resp.extra
    assert [m["type"] for m in forwarded] == ["tool_call", "observation"]  # answer kept, as OxyGent
    assert bodies[0]["call_stack"] == ["user"] and bodies[0]["query"] == "ping"
    assert resp.oxy_request is request and request.call_stack == ["user", "sse_agent"]


# --- test_remote_agent.py --------------------------------------------------------------------------


class DummyRemoteAgent(RemoteAgent):
    async def _execute(self, oxy_request: OxyRequest) -> OxyResponse:
        return OxyResponse(
            state=OxyState.COMPLETED,
            output=f"pong({oxy_request.arguments.get('query')})",
            oxy_request=oxy_request,
        )


def dummy_agent() -> DummyRemoteAgent:
    org_tree = {
        "id": 0,
        "name": "root",
        "children": [
            {"id": 1, "name": "dep1", "children": []},
            {"id": 2, "name": "dep2", "children": []},
        ],
    }
    return DummyRemoteAgent(
        name="remote_dummy", desc="UT Remote Agent", server_url="https://example.com/api", org=org_tree
    )


def test_server_url_validation() -> None:
    with pytest.raises(ValidationError):
        DummyRemoteAgent(name="bad_remote", desc="bad", server_url="ftp://foo.com")


def test_get_org_returns_marked_copy() -> None:
    agent = dummy_agent()
    org_copy = agent.get_org()
    assert all(node["is_remote"] for node in org_copy)
    org_copy[0]["name"] = "changed"
    assert agent.org["children"][0]["name"] == "dep1"  # type: ignore[call-overload]
    assert "is_remote" not in agent.org["children"][0]  # type: ignore[call-overload]


async def test_execute_lifecycle() -> None:
    resp = await dummy_agent().execute(oxy_request())
    assert resp.state == OxyState.COMPLETED
    assert resp.output == "pong(ping)"
    assert resp.oxy_request is not None and resp.oxy_request.call_stack[-1] == "remote_dummy"


def test_sse_agent_takes_org_in_constructor() -> None:
    agent = SSEOxyGent(name="s", server_url="http://127.0.0.1:1", org={"children": [{"name": "a"}]})
    assert agent.get_org() == [{"name": "a", "is_remote": True}]


# --- the end-of-stream rule ------------------------------------------------------------------------

ANSWER = lf_events({"type": "answer", "content": "pong"})
CRLF_CLOSE = b"id: x1\r\nevent: close\r\ndata: done\r\nretry: 3000\r\n\r\n"


@pytest.mark.parametrize(
    "ending",
    [
        b"data: done\n\n",  # no event name (OxyGent's unit test)
        b"event: message\ndata: done\n\n",
        b"event: finished\r\ndata: done\r\n\r\n",
        CRLF_CLOSE,  # what real OxyGent 1.1.3 nodes send
        b"event: close\ndata: bye\n\n",
    ],
)
async def test_done_or_close_completes_and_nothing_after_is_read(ending: bytes) -> None:
    tail = lf_events({"type": "answer", "content": "late"})
    async with node({("POST", "/sse/chat"): sse_route(ANSWER + ending + tail)}) as (url, _):
        async with SSEOxyGent(name="n", server_url=url) as agent:
            resp = await agent.execute(OxyRequest(arguments={"query": "q"}))
            events = [ev async for ev in agent.stream(OxyRequest(arguments={"query": "q"}))]
    assert resp.state is OxyState.COMPLETED and resp.output == "pong", resp.output
    assert "warning" not in resp.extra
    assert [ev.type for ev in events] == ["answer", "close"]


async def test_quoted_done_is_data_not_the_end() -> None:
    route = sse_route(b'data: "done"\n\n' + ANSWER + CRLF_CLOSE)
    async with node({("POST", "/sse/chat"): route}) as (url, _):
        async with SSEOxyGent(name="n", server_url=url) as agent:
            resp = await agent.execute(OxyRequest(arguments={"query": "q"}))
    assert resp.state is OxyState.COMPLETED and resp.output == "pong"


async def test_clean_end_after_answer_completes_with_warning() -> None:
    async with node({("POST", "/sse/chat"): sse_route(ANSWER)}) as (url, _):
        async with SSEOxyGent(name="n", server_url=url) as agent:
            resp = await agent.execute(OxyRequest(arguments={"query": "q"}))
    assert resp.state is OxyState.COMPLETED and resp.output == "pong"
    assert "ended without close" in resp.extra["warning"]


async def test_clean_end_without_answer_is_stream_aborted() -> None:
    body = lf_events(SSE_PAYLOADS[0])
    async with node({("POST", "/sse/chat"): sse_route(body)}) as (url, bodies):
        async with SSEOxyGent(name="n", server_url=url) as agent:
            resp = await agent.execute(OxyRequest(arguments={"query": "q"}))
    assert resp.state is OxyState.FAILED and "stream aborted" in resp.output
    assert len(bodies) == 1


async def test_broken_body_after_answer_is_stream_aborted() -> None:
    async with node({("POST", "/sse/chat"): sse_route(ANSWER, cut=True)}) as (url, bodies):
        async with SSEOxyGent(name="n", server_url=url) as agent:
            resp = await agent.execute(OxyRequest(arguments={"query": "q"}))
    assert resp.state is OxyState.FAILED and "stream aborted" in resp.output, resp.output
    assert len(bodies) == 1  # a started run is never re-POSTed (OxyGent would retry 3 times)


# --- the call stack --------------------------------------------------------------------------------


async def test_user_built_request_keeps_user_root() -> None:
    async with node({("POST", "/sse/chat"): sse_route(ANSWER + CRLF_CLOSE)}) as (url, bodies):
        async with SSEOxyGent(name="n", server_url=url) as agent:
            events = [ev async for ev in agent.stream(OxyRequest(arguments={"query": "q"}))]
            built = agent.build_request("q")
            await agent.execute(built)
            bare = OxyRequest(arguments={"query": "q"})
            await agent.execute(bare)
    assert events[-1].type == "close"
    assert [b["call_stack"] for b in bodies] == [["user"], ["user"], ["user"]]
    assert [b["node_id_stack"] for b in bodies] == [[""], [""], [""]]
    assert built.call_stack == ["user", "n"] and bare.call_stack == ["user", "n"]  # added once


async def test_call_stack_inside_a_flow_is_shared_minus_the_agent() -> None:
    request = OxyRequest(
        arguments={"query": "q"}, call_stack=["user", "master"], node_id_stack=["", "m1"], caller="master"
    )
    async with node({("POST", "/sse/chat"): sse_route(ANSWER + CRLF_CLOSE)}) as (url, bodies):
        async with SSEOxyGent(name="n", server_url=url) as agent:
            await agent.execute(request)
    assert bodies[0]["call_stack"] == ["user", "master"]
    assert request.call_stack == ["user", "master", "n"]
