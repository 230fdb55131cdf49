"""Every real capture replayed byte-for-byte through a live local server into SSEOxyGent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oxytui.client import (
    AnswerEvent,
    KeepAlive,
    ObservationEvent,
    OxyRequest,
    OxyState,
    SSEOxyGent,
    StreamClosed,
    ToolCallEvent,
)
from tests.support.captures import CAPTURES, capture, capture_events, org_body
from tests.support.scripted_server import Json, Replay, ScriptedServer, Status

ALL = sorted(p.name for p in CAPTURES.glob("*.sse"))


def shape(ev: Any) -> tuple[Any, ...]:
    return (type(ev).__name__, ev.type, ev.sse_id, ev.sse_event, ev.retry, ev.size, ev.raw)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("chunk_size", [None, 97])
async def test_capture_stream_matches_offline_decode(name: str, chunk_size: int | None) -> None:
    data = capture(name)
    expected = [shape(e) for e in capture_events(data)]
    async with ScriptedServer() as srv, SSEOxyGent(name="math", server_url=srv.url) as agent:
        srv.on("POST", "/sse/chat", Replay(data, chunk_size=chunk_size))
        req = agent.build_request("add 2 3")
        got = [ev async for ev in agent.stream(req)]
    assert [shape(e) for e in got] == expected
    assert all(e.node == "math" and e.trace_id == req.current_trace_id for e in got)
    assert all(e.mono > 0 and e.wall > 1.7e9 for e in got)
    assert isinstance(got[-1], StreamClosed)


async def test_execute_math_add_answer_and_forwarding() -> None:
    data = capture("math_add")
    offline = capture_events(data)
    forwarded: list[tuple[Any, Any, Any, Any]] = []

    async def handler(message: Any, event: str | None, id: str | None, retry: int | None) -> None:
        forwarded.append((message, event, id, retry))

    async with ScriptedServer() as srv, SSEOxyGent(name="math", server_url=srv.url) as agent:
        srv.on("POST", "/sse/chat", Replay(data, chunk_size=300))
        req = agent.build_request("add 2 3")
        req.set_message_handler(handler)
        resp = await agent.execute(req)
    assert resp.state is OxyState.COMPLETED
    assert resp.output == "Final answer (via add): 5"
    want = [
        e
        for e in offline
        if not isinstance(e, KeepAlive | StreamClosed | AnswerEvent)
        and not (isinstance(e, ToolCallEvent | ObservationEvent) and e.is_user_boundary)
    ]
    assert [(f[0], f[1], f[2], f[3]) for f in forwarded] == [(e.raw, "message", e.sse_id, 3000) for e in want]
    types = [f[0]["type"] for f in forwarded]
    assert "answer" not in types and types.count("tool_call") == 3 and "stream" in types


async def test_remote_hop_forwarding_matches_what_the_master_sent() -> None:
    """Replaying what the math node sent for an SSEOxyGent-shaped request must forward exactly the
    event sequence the real master forwarded (master_remote_add.sse), apart from random ids."""
    remote = capture("sseoxygent_shaped")
    forwarded: list[dict[str, Any]] = []

    async def handler(message: Any, event: str | None, id: str | None, retry: int | None) -> None:
        forwarded.append(message)

    async with ScriptedServer() as srv, SSEOxyGent(name="math_agent", server_url=srv.url) as agent:
        srv.on("POST", "/sse/chat", Replay(remote))
        req = OxyRequest(
            caller="master_agent", callee="math_agent", caller_category="agent", callee_category="agent",
            call_stack=["user", "master_agent", "math_agent"], node_id_stack=["", "m0", "capSseOxyNode001"],
            node_id="capSseOxyNode001", arguments={"query": "add 2 3"},
        )  # fmt: skip
        req.set_message_handler(handler)
        resp = await agent.execute(req)
    assert resp.state is OxyState.COMPLETED and resp.output == "Final answer (via add): 5"

    master = [e for e in capture_events(capture("master_remote_add")) if not isinstance(e, KeepAlive)]
    hop = [
        e.raw
        for e in master
        if isinstance(e.raw, dict)
        and (
            e.raw.get("content", {}).get("call_stack", [None] * 3)[2:3] == ["math_agent"]
            if isinstance(e.raw.get("content"), dict) and "call_stack" in e.raw["content"]
            else e.raw.get("content", {}).get("agent") == "math_agent"
            if isinstance(e.raw.get("content"), dict)
            else e.raw.get("agent") == "math_agent"
        )
        and not (
            e.raw["type"] in ("tool_call", "observation") and e.raw["content"]["caller"] == "master_agent"
        )
    ]

    def key(m: dict[str, Any]) -> tuple[Any, ...]:
        c = m.get("content")
        if isinstance(c, dict) and "call_stack" in c:
            return (m["type"], c["caller"], c["callee"], tuple(c["call_stack"]))
        return (m["type"],)

    assert [key(m) for m in forwarded] == [key(m) for m in hop]
    assert len(forwarded) == 20  # "20 of its 24 events forwarded" (PROTOCOL.md §7)


async def test_math_big_and_a_generated_20mb_event_live() -> None:
    big = capture("math_big")
    payload = "é" * (10 * 2**20)  # 20 MB of UTF-8
    huge = (
        b"id: aaaaaaaaaaaaaaaa\r\nevent: message\r\ndata: "
        + b'{"type": "answer", "content": "'
        + payload.encode()
        + b'"}'
        + b"\r\nretry: 3000\r\n\r\nid: bbbbbbbbbbbbbbbb\r\nevent: close\r\ndata: done\r\nretry: 3000\r\n\r\n"
    )
    async with ScriptedServer() as srv, SSEOxyGent(name="math", server_url=srv.url) as agent:
        srv.on("POST", "/sse/chat", [Replay(big, chunk_size=8192), Replay(huge, chunk_size=1 << 20)])
        r1 = await agent.execute(agent.build_request("big 170000"))
        r2 = await agent.execute(agent.build_request("huge"))
    assert r1.state is OxyState.COMPLETED and r1.output
    assert r2.state is OxyState.COMPLETED and r2.output == payload
    assert agent.get_connection_stats()["bytes_received"] == len(big) + len(huge)


async def test_init_org_and_check_alive_from_captures() -> None:
    async with ScriptedServer() as srv, SSEOxyGent(name="math", server_url=srv.url) as agent:
        srv.on("GET", "/get_organization", Status(200, org_body("math"), "application/json"))
        srv.on(
            "GET", "/get_description", Status(200, capture("get_description_math.json"), "application/json")
        )
        srv.on("GET", "/check_alive", Status(200, capture("check_alive_math.json"), "application/json"))
        await agent.init()
        assert await agent.check_alive() is True
        org = agent.get_org()
    assert agent.org == json.loads(org_body("math"))["data"]["organization"]
    flat: list[dict[str, Any]] = []
    stack = list(org)
    while stack:
        n = stack.pop()
        flat.append(n)
        stack.extend(n.get("children", []))
    assert flat and all(n["is_remote"] is True for n in flat)
    assert len(flat) == 7 and "is_remote" not in str(agent.org)  # a deep copy: the original is untouched
    assert agent.desc


async def test_check_alive_false_on_wrong_body() -> None:
    async with ScriptedServer() as srv, SSEOxyGent(name="math", server_url=srv.url) as agent:
        srv.on("GET", "/check_alive", Json({"alive": 0}))
        assert await agent.check_alive() is False


def test_captures_dir_is_the_shared_one() -> None:
    assert Path(CAPTURES, "math_add.sse").exists()
