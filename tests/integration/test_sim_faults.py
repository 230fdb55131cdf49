"""Every simulator fault, by query word and by node knob, seen by a raw aiohttp client (exact bytes)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from oxytui.sim import NodeKnobs, SimCluster, SimNode


def knobs(**kw: Any) -> NodeKnobs:
    return NodeKnobs(latency_ms=0, token_ms=0, burst_ms=0, **kw)


async def until(cond: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not cond():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


@pytest.fixture
async def node() -> AsyncIterator[SimNode]:
    n = SimNode("math_agent", seed=4, knobs=knobs(ping_interval=0.05))
    await n.start()
    yield n
    await n.stop()


def session(read: float | None = None, total: float = 20) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=total, sock_read=read))


async def collect(resp: aiohttp.ClientResponse) -> tuple[bytes, BaseException | None]:
    """Everything received, and the error that ended the read (None for a clean end)."""
    buf = b""
    try:
        while chunk := await resp.content.readany():
            buf += chunk
    except (aiohttp.ClientError, TimeoutError) as exc:
        return buf, exc
    return buf, None


def data_lines(raw: bytes) -> list[bytes]:
    return [ln for ln in raw.split(b"\r\n") if ln.startswith(b"data: ")]


async def test_http500_word(node: SimNode) -> None:
    async with session() as s, s.post(node.url + "/sse/chat", json={"query": "add 1 2 http500"}) as r:
        assert r.status == 500 and await r.read() == b"Internal Server Error"
        assert r.headers["content-type"] == "text/plain; charset=utf-8" and "vary" not in r.headers
    assert node.stats["runs_started"] == 0


async def test_http500_knob_spares_the_health_endpoints() -> None:
    n = SimNode("math_agent", knobs=knobs(fault="http500"))
    await n.start()
    try:
        async with session() as s:
            for path in ("/sse/chat", "/chat"):
                async with s.post(n.url + path, json={"query": "hello"}) as r:
                    assert r.status == 500
            async with s.get(n.url + "/check_alive") as r:
                assert await r.read() == b'{"alive":1}'
    finally:
        await n.stop()


async def test_hang_before_headers(node: SimNode) -> None:
    async with session(total=0.3) as s:
        with pytest.raises(TimeoutError):
            async with s.post(node.url + "/sse/chat", json={"query": "hang_headers"}):
                pass
    assert node.stats["hang_headers"] == 1 and node.stats["runs_started"] == 0


async def test_hang_mid_stream_is_total_silence_then_the_run_is_cancelled(node: SimNode) -> None:
    body = {"query": "add 1 2 hang", "current_trace_id": "hangTrace0000001"}
    async with session(read=0.4) as s, s.post(node.url + "/sse/chat", json=body) as r:
        raw, err = await collect(r)
    assert isinstance(err, TimeoutError)  # pings every 0.05 s would have kept the read alive
    msgs = [json.loads(ln[6:]) for ln in data_lines(raw)]
    assert msgs[-1]["type"] == "observation" and msgs[-1]["content"]["callee"] == "add"
    assert b"event: close" not in raw
    await until(lambda: "hangTrace0000001" in node.cancelled)


async def test_disconnect_without_close(node: SimNode) -> None:
    async with session() as s, s.post(node.url + "/sse/chat", json={"query": "add 1 2 disconnect"}) as r:
        raw, err = await collect(r)
    assert isinstance(err, aiohttp.ClientPayloadError)
    msgs = [json.loads(ln[6:]) for ln in data_lines(raw)]
    assert [m["type"] for m in msgs][-2:] == ["tool_call", "observation"] and msgs[-1]["content"][
        "output"
    ] == 3
    assert b"event: close" not in raw and raw.endswith(b"retry: 3000\r\n\r\n")
    async with session() as s, s.get(node.url + "/check_alive") as r:  # the node itself is fine
        assert r.status == 200


async def test_malformed_json_event_then_the_run_goes_on(node: SimNode) -> None:
    async with session() as s, s.post(node.url + "/sse/chat", json={"query": "malformed add 1 2"}) as r:
        raw, err = await collect(r)
    assert err is None
    bad = [ln for ln in data_lines(raw) if b'"node_id": "broken"' in ln]
    assert len(bad) == 1
    with pytest.raises(ValueError):
        json.loads(bad[0][6:])
    assert raw.endswith(b"event: close\r\ndata: done\r\nretry: 3000\r\n\r\n")
    assert b'"type": "answer", "content": "Final answer (via add): 3"' in raw


async def test_invalid_utf8_event_then_the_run_goes_on(node: SimNode) -> None:
    async with session() as s, s.post(node.url + "/sse/chat", json={"query": "badutf8"}) as r:
        raw, err = await collect(r)
    assert err is None and b"\xff\xfe" in raw and b"\xe4\xb8 end" in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.endswith(b"event: close\r\ndata: done\r\nretry: 3000\r\n\r\n")


async def test_oversized_event(node: SimNode) -> None:
    async with session() as s, s.post(node.url + "/sse/chat", json={"query": "oversized"}) as r:
        raw, err = await collect(r)
    assert err is None
    longest = max(data_lines(raw), key=len)
    assert len(longest) > 600_000 > 512 * 1024
    assert len(json.loads(longest[6:])["content"]["output"]) == 600_000


async def test_flood_knob_applies_to_every_run() -> None:
    n = SimNode("math_agent", knobs=knobs(fault="flood"))
    await n.start()
    try:
        async with session() as s:
            for q in ("add 1 1", "hello"):
                async with s.post(n.url + "/sse/chat", json={"query": q}) as r:
                    raw, err = await collect(r)
                assert err is None
                assert (
                    sum(
                        1
                        for ln in data_lines(raw)
                        if ln.startswith(b'data: {"type": "stream", "content": {"delta": "tok')
                    )
                    == 10_000
                )
    finally:
        await n.stop()


@pytest.mark.parametrize("fault", ["disconnect", "malformed", "badutf8", "hang"])
async def test_stream_fault_knobs_hit_every_run(fault: str) -> None:
    n = SimNode("math_agent", knobs=knobs(fault=fault))
    await n.start()
    try:
        async with session(read=0.5) as s, s.post(n.url + "/sse/chat", json={"query": "add 2 2"}) as r:
            raw, err = await collect(r)
    finally:
        await n.stop()
    if fault == "disconnect":
        assert isinstance(err, aiohttp.ClientPayloadError) and len(data_lines(raw)) == 1
    elif fault == "hang":
        assert isinstance(err, TimeoutError) and len(data_lines(raw)) == 1
    else:
        assert err is None and raw.endswith(b"data: done\r\nretry: 3000\r\n\r\n")


async def test_node_down_and_back_up() -> None:
    n = SimNode("math_agent", knobs=knobs(fault="down"))
    await n.start()
    try:
        assert n.down and n.port
        async with session() as s:
            with pytest.raises(aiohttp.ClientConnectorError):
                await s.get(n.url + "/check_alive")
            await n.set_down(False)
            async with s.get(n.url + "/check_alive") as r:
                assert r.status == 200
            await n.set_down(True)
            with pytest.raises(aiohttp.ClientConnectionError):
                await s.get(n.url + "/check_alive")
    finally:
        await n.stop()


async def test_cluster_dead_nodes_refuse_connections() -> None:
    async with SimCluster(nodes=2, seed=1, dead_nodes=2, burst_ms=0, knobs=knobs(remote_retries=0)) as c:
        assert list(c.urls) == ["master_agent", "math_agent", "research_agent", "code_agent"]
        assert [n.down for n in c.nodes.values()] == [False, False, True, True]
        async with session() as s:
            for name in ("research_agent", "code_agent"):
                with pytest.raises(aiohttp.ClientConnectorError):
                    await s.get(c.urls[name] + "/check_alive")
            async with s.get(c.urls["master_agent"] + "/get_organization") as r:
                org = (await r.json())["data"]["organization"]
            kids = {k["name"]: k for k in org["children"]}
            assert kids["research_agent"]["children"] == [] and kids["math_agent"]["children"]
            assert all(g["is_remote"] for g in kids["math_agent"]["children"])
            async with s.post(c.urls["master_agent"] + "/chat", json={"query": "remote research hello"}) as r:
                answer = (await r.json())["answer"]
            assert answer.startswith("Final answer (via research_agent): research_agent:")
