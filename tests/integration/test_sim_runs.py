"""Simulator behaviour on real sockets with a raw aiohttp client: determinism, isolation, cancellation,
async chat/trace, queue bounds, /view and every steering word with exact expectations."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from oxytui.sim import NodeKnobs, SimCluster, SimNode
from oxytui.sim.faults import HOSTILE

FAST = NodeKnobs(latency_ms=0, token_ms=0, burst_ms=0)


def events(raw: bytes) -> list[Any]:
    """Decoded ``data`` of every event (``"done"`` for close); pings skipped."""
    out: list[Any] = []
    for block in raw.split(b"\r\n\r\n"):
        if not block or block.startswith(b": ping"):
            continue
        lines = dict(ln.split(b": ", 1) for ln in block.split(b"\r\n"))
        data = lines[b"data"].decode()
        out.append(data if lines[b"event"] == b"close" else json.loads(data))
    return out


def of(evs: list[Any], kind: str, **where: Any) -> list[Any]:
    return [
        e
        for e in evs
        if isinstance(e, dict)
        and e["type"] == kind
        and all(isinstance(e["content"], dict) and e["content"].get(k) == v for k, v in where.items())
    ]


async def until(cond: Callable[[], bool], seconds: float = 5.0) -> None:
    """Poll a condition (no timing assertion: only a generous deadline)."""
    deadline = time.monotonic() + seconds
    while not cond():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


@pytest.fixture
async def node() -> AsyncIterator[SimNode]:
    n = SimNode("math_agent", seed=11, knobs=FAST)
    await n.start()
    yield n
    await n.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as s:
        yield s


async def sse(http: aiohttp.ClientSession, url: str, query: str, **fields: Any) -> bytes:
    async with http.post(url + "/sse/chat", json={"query": query, **fields}) as r:
        assert r.status == 200
        return await r.read()


def strip_pings(raw: bytes) -> bytes:
    return re.sub(rb": ping - [^\r]*\r\n\r\n", b"", raw)


async def test_same_seed_same_bytes_other_seed_other_run(http: aiohttp.ClientSession) -> None:
    queries = ["add 2 3", "steps 4", "fail", "hostile", "big 5000", "hello"]

    async def transcript(seed: int) -> list[bytes]:
        n = SimNode("math_agent", seed=seed, knobs=FAST)
        await n.start()
        try:
            return [strip_pings(await sse(http, n.url, q)) for q in queries]
        finally:
            await n.stop()

    a, b, c = await transcript(5), await transcript(5), await transcript(6)
    assert a == b
    assert all(x != y for x, y in zip(a, c, strict=True))
    steps_a = [
        e["content"]["callee"]
        for e in of(events(a[1]), "tool_call")
        if e["content"]["callee_category"] == "tool"
    ]
    assert len(steps_a) == 4


async def test_cluster_determinism_across_the_remote_hop(http: aiohttp.ClientSession) -> None:
    async def run() -> bytes:
        async with SimCluster(nodes=3, seed=9, burst_ms=0, knobs=FAST) as c:
            return strip_pings(
                await sse(http, c.urls["master_agent"], "remote research search x", current_trace_id="T" * 16)
            )

    assert await run() == await run()


async def test_concurrent_runs_never_mix(node: SimNode, http: aiohttp.ClientSession) -> None:
    queries = [f"add {i} {i}" for i in range(25)]
    raws = await asyncio.gather(*(sse(http, node.url, q) for q in queries))
    await until(lambda: len(node.hub) == 0)  # every queue read to its close is dropped
    traces = set()
    for i, raw in enumerate(raws):
        evs = events(raw)
        assert evs[-1] == "done"
        trace_ids = {e["content"]["current_trace_id"] for e in of(evs, "observation")}
        request_ids = {e["content"]["request_id"] for e in of(evs, "tool_call")}
        assert len(trace_ids) == 1 and len(request_ids) == 1
        assert of(evs, "answer")[0]["content"] == f"Final answer (via add): {2 * i}"
        traces |= trace_ids
    assert len(traces) == 25


async def test_same_trace_id_shares_one_queue_like_oxygent(
    node: SimNode, http: aiohttp.ClientSession
) -> None:
    a, b = await asyncio.gather(
        sse(http, node.url, "slow 0.05 add 1 1", current_trace_id="sharedTrace00001"),
        sse(http, node.url, "slow 0.05 add 2 2", current_trace_id="sharedTrace00001"),
    )
    ea, eb = events(a), events(b)
    assert ea.count("done") == 1 and eb.count("done") == 1
    answers = sorted(e["content"] for e in of(ea + eb, "answer"))
    assert answers == [
        "Final answer (via slow_tool, add): slept 0.05 s | 2",
        "Final answer (via slow_tool, add): slept 0.05 s | 4",
    ]
    assert len(ea) + len(eb) == 2 * len(events(await sse(http, node.url, "slow 0.05 add 3 3")))


async def test_disconnect_cancels_the_run(node: SimNode, http: aiohttp.ClientSession) -> None:
    async with http.post(
        node.url + "/sse/chat", json={"query": "slow 30", "current_trace_id": "cancelMe00000001"}
    ) as r:
        buf = b""
        while b'"callee": "slow_tool"' not in buf:
            buf += await r.content.readany()
    await until(lambda: "cancelMe00000001" in node.cancelled)
    await until(lambda: node.hub.peek("cancelMe00000001") is None)  # its queue is gone with it
    async with http.get(node.url + "/view", params={"item_id": "cancelMe00000001"}) as r:
        nodes = (await r.json())["data"]["nodes"]
    assert {n["callee"]: n["state"] for n in nodes}["slow_tool"] == 7
    assert node.stats["runs_cancelled"] == 1


async def test_disconnect_on_the_master_cancels_the_remote_run_too(http: aiohttp.ClientSession) -> None:
    async with SimCluster(nodes=2, seed=3, burst_ms=0, knobs=FAST) as c:
        master, math = c.nodes["master_agent"], c.nodes["math_agent"]
        async with http.post(
            master.url + "/sse/chat", json={"query": "slow 30", "current_trace_id": "cascade000000001"}
        ) as r:
            buf = b""
            while b'"callee": "slow_tool"' not in buf:
                buf += await r.content.readany()
        await until(lambda: "cascade000000001" in master.cancelled and "cascade000000001" in math.cancelled)


async def test_chat_client_leaving_cancels_too(node: SimNode) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.3)) as s:
        with pytest.raises(TimeoutError):
            async with s.post(
                node.url + "/chat", json={"query": "slow 30", "current_trace_id": "chatGone00000001"}
            ):
                pass
    await until(lambda: "chatGone00000001" in node.cancelled)


async def test_async_chat_then_trace_pops_each_event_once(node: SimNode, http: aiohttp.ClientSession) -> None:
    async with http.post(
        node.url + "/async/chat", json={"query": "steps 3", "current_trace_id": "asyncTrace000001"}
    ) as r:
        assert await r.json() == {"code": 200, "message": "SUCCESS", "data": {}}
    await until(lambda: node.stats["runs_completed"] == 1)  # the run finished with no reader attached

    async def attach() -> bytes:
        body = {"trace_id": "asyncTrace000001", "timestamp": "1"}
        async with http.post(node.url + "/async/trace", json=body) as r:
            assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
            return await r.read()

    first = events(await attach())
    reference = events(await sse(http, node.url, "steps 3"))
    assert [e["type"] if isinstance(e, dict) else e for e in first] == [
        e["type"] if isinstance(e, dict) else e for e in reference
    ]
    # two readers on one trace: every event reaches exactly one of them; each ends on a close, so a
    # second run on the same trace id (as OxyGent allows) provides the second close
    async with http.post(
        node.url + "/async/chat", json={"query": "slow 0.1 steps 4", "current_trace_id": "asyncTrace000002"}
    ):
        pass
    body = {"trace_id": "asyncTrace000002", "timestamp": "2"}

    async def reader() -> list[bytes]:
        async with http.post(node.url + "/async/trace", json=body) as r:
            raw = await r.read()
        return [b for b in raw.split(b"\r\n\r\n") if b.startswith(b"id: ")]

    readers = [asyncio.create_task(reader()) for _ in range(2)]
    done, _ = await asyncio.wait(readers, return_when=asyncio.FIRST_COMPLETED)
    assert len(done) == 1
    async with http.post(
        node.url + "/async/chat", json={"query": "hello", "current_trace_id": "asyncTrace000002"}
    ):
        pass
    a, b = await asyncio.gather(*readers)
    ids_a = {blk.split(b"\r\n")[0] for blk in a}
    ids_b = {blk.split(b"\r\n")[0] for blk in b}
    assert not ids_a & ids_b
    expected = len(events(await sse(http, node.url, "slow 0.1 steps 4"))) + len(
        events(await sse(http, node.url, "hello"))
    )
    assert len(a) + len(b) == expected
    assert a[-1].split(b"\r\n")[1] == b"event: close" and b[-1].split(b"\r\n")[1] == b"event: close"


async def test_async_trace_needs_its_fields(node: SimNode, http: aiohttp.ClientSession) -> None:
    async with http.post(node.url + "/async/trace", json={"trace_id": "x"}) as r:
        assert r.status == 500 and await r.text() == "Internal Server Error"


async def test_queue_keeps_the_newest_1024(node: SimNode, http: aiohttp.ClientSession) -> None:
    async with http.post(
        node.url + "/async/chat", json={"query": "flood 3000", "current_trace_id": "floodTrace000001"}
    ):
        pass
    await until(lambda: node.stats["runs_completed"] == 1)
    q = node.hub.peek("floodTrace000001")
    reference = events(await sse(http, node.url, "flood 3000"))
    assert q is not None and len(q) == 1024 and q.pushed == len(reference) and q.dropped == q.pushed - 1024
    async with http.post(
        node.url + "/async/trace", json={"trace_id": "floodTrace000001", "timestamp": 0}
    ) as r:
        evs = events(await r.read())
    assert len(evs) == 1024 and evs[-1] == "done" and evs[-2]["type"] == "answer"


async def test_view_lists_the_trace_nodes(node: SimNode, http: aiohttp.ClientSession) -> None:
    raw = await sse(http, node.url, "add 2 3", current_trace_id="viewTrace0000001")
    async with http.get(node.url + "/view", params={"item_id": "viewTrace0000001"}) as r:
        data = (await r.json())["data"]
    assert data["trace_id"] == "viewTrace0000001"
    nodes = data["nodes"]
    assert [n["callee"] for n in nodes] == ["math_agent", "default_llm", "add", "default_llm"]
    assert [n["index"] for n in nodes] == [0, 1, 2, 3]
    agent = nodes[0]
    assert agent["child_node_ids"] == [n["node_id"] for n in nodes[1:]]
    assert nodes[1]["post_node_ids"] == [nodes[2]["node_id"]]
    assert all(n["state"] == 3 and n["create_time"] <= n["update_time"] for n in nodes)
    assert json.loads(nodes[2]["output"]) == 5
    assert {n["node_id"] for n in nodes} == {e["content"]["node_id"] for e in of(events(raw), "tool_call")}
    async with http.get(node.url + "/view", params={"item_id": nodes[2]["node_id"]}) as r:
        assert (await r.json())["data"]["trace_id"] == "viewTrace0000001"


def tool_obs(evs: list[Any], tool: str) -> list[Any]:
    return [e["content"]["output"] for e in of(evs, "observation", callee=tool)]


async def test_steering_words(node: SimNode, http: aiohttp.ClientSession) -> None:
    evs = events(await sse(http, node.url, "multiply 6 7"))
    assert tool_obs(evs, "multiply") == [42]
    evs = events(await sse(http, node.url, "add 2.5 1"))
    assert tool_obs(evs, "add") == [3.5]
    evs = events(await sse(http, node.url, "slow 0.05"))
    assert tool_obs(evs, "slow_tool") == ["slept 0.05 s"]
    evs = events(await sse(http, node.url, "fail"))
    assert tool_obs(evs, "flaky") == [
        "Error executing oxy flaky: flaky tool failed on purpose (the query asked for fail)"
    ]
    assert evs[-1] == "done" and of(evs, "answer")
    evs = events(await sse(http, node.url, "boom"))
    assert tool_obs(evs, "boom") == ["boom tool failed on purpose (the query asked for boom)"]
    evs = events(await sse(http, node.url, "steps 7"))
    assert len([e for e in of(evs, "tool_call") if e["content"]["callee_category"] == "tool"]) == 7
    assert len(of(evs, "tool_call", callee="default_llm")) == 8
    raw = await sse(http, node.url, "big 250000")
    assert len(tool_obs(events(raw), "big_output")[0]) == 250_000
    evs = events(await sse(http, node.url, "flood 500"))
    llm = of(evs, "tool_call", callee="default_llm")[0]["content"]["node_id"]
    assert len(of(evs, "stream", node_id=llm)) == 500
    evs = events(await sse(http, node.url, "unicode"))
    assert of(evs, "answer")[0]["content"] == "héllo ✓ 中文 — line\u2028separator and tab\tend"
    evs = events(await sse(http, node.url, "now"))
    assert re.fullmatch(r"2026-11-24T\d\d:\d\d:\d\d", tool_obs(evs, "now")[0])
    evs = events(await sse(http, node.url, "search"))  # math_agent has no search tool: OxyGent's shape
    assert not of(evs, "tool_call", callee="search") and not tool_obs(evs, "search")
    assert of(evs, "answer")[0]["content"] == "Final answer (via search): Tool search not exists"
    research = SimNode("research_agent", knobs=FAST)
    await research.start()
    try:
        evs = events(await sse(http, research.url, "search"))
    finally:
        await research.stop()
    results = tool_obs(evs, "search")[0]
    assert isinstance(results, list) and {"title", "url", "score"} == set(results[0])


async def test_hostile_text_arrives_intact(node: SimNode, http: aiohttp.ClientSession) -> None:
    raw = await sse(http, node.url, "hostile")
    assert "\u2028".encode() in raw and b"\\u001b[31m" in raw and b"[@click=app.quit]" in raw
    evs = events(raw)
    assert tool_obs(evs, "echo") == [HOSTILE]
    assert "[@click=app.quit]" in of(evs, "think")[0]["content"]
    assert HOSTILE[:100] in of(evs, "answer")[0]["content"]
    assert "".join(e["content"]["delta"] for e in of(evs, "stream")).count("\x1b]0;owned title\x07") == 1


async def test_payload_fields_and_arguments(node: SimNode, http: aiohttp.ClientSession) -> None:
    raw = await sse(
        http,
        node.url,
        "add 1 2",
        caller="someone",
        caller_category="agent",
        call_stack=["user", "x"],
        node_id="givenNode0000001",
        request_id="givenRequest0000000001",
        extra_arg="kept",
    )
    evs = events(raw)
    first = of(evs, "tool_call")[0]["content"]
    assert first["node_id"] == "givenNode0000001" and first["caller"] == "someone"
    assert first["call_stack"] == ["user", "x", "math_agent"] and first["caller_category"] == "agent"
    assert first["arguments"] == {"query": "add 1 2"}  # only `query` is on the wire
    assert not of(evs, "answer")  # caller_category is not "user"
    assert {e["content"]["request_id"] for e in of(evs, "observation")} == {"givenRequest0000000001"}
    assert evs[-1] == "done"


async def test_failure_rate_and_payload_knobs(http: aiohttp.ClientSession) -> None:
    n = SimNode("math_agent", knobs=NodeKnobs(latency_ms=0, token_ms=0, burst_ms=0, failure_rate=1.0))
    m = SimNode("math_agent", knobs=NodeKnobs(latency_ms=0, token_ms=0, burst_ms=0, payload_bytes=5000))
    await n.start()
    await m.start()
    try:
        out = tool_obs(events(await sse(http, n.url, "now")), "now")[0]
        assert out == "Error executing oxy now: simulated failure (failure_rate=1.0)"
        out = tool_obs(events(await sse(http, m.url, "slow 0")), "slow_tool")[0]
        assert len(out) == 5000 and out.startswith("slept 0.0 s ~")
    finally:
        await n.stop()
        await m.stop()


async def test_unknown_callee_sends_nothing_but_pings(http: aiohttp.ClientSession) -> None:
    n = SimNode("math_agent", knobs=NodeKnobs(latency_ms=0, token_ms=0, burst_ms=0, ping_interval=0.02))
    await n.start()
    try:
        async with http.post(n.url + "/sse/chat", json={"query": "x", "callee": "ghost"}) as r:
            chunk = await r.content.readany()
        assert chunk.startswith(b": ping - ")
    finally:
        await n.stop()


async def test_multimodal_query_shows_its_text_part(node: SimNode, http: aiohttp.ClientSession) -> None:
    query = [{"type": "image_url", "image_url": {"url": "x"}}, {"type": "text", "text": "add 4 4"}]
    async with http.post(node.url + "/sse/chat", json={"query": query}) as r:
        evs = events(await r.read())
    assert of(evs, "tool_call")[0]["content"]["arguments"] == {"query": "add 4 4"}
    assert of(evs, "answer")[0]["content"] == "Final answer (via add): 8"


async def test_event_rate_paces_a_run(http: aiohttp.ClientSession) -> None:
    n = SimNode("math_agent", knobs=NodeKnobs(latency_ms=0, token_ms=0, burst_ms=0, event_rate=500))
    await n.start()
    try:
        start = time.monotonic()
        evs = events(await sse(http, n.url, "add 1 2"))
        elapsed = time.monotonic() - start
    finally:
        await n.stop()
    assert elapsed >= (len(evs) - 1) / 500  # a lower bound only: pacing cannot be skipped


async def test_callee_naming_a_tool_runs_just_that_tool(node: SimNode, http: aiohttp.ClientSession) -> None:
    evs = events(await sse(http, node.url, "", callee="add", a=2, b=40))
    assert [e["type"] if isinstance(e, dict) else e for e in evs] == [
        "tool_call",
        "observation",
        "answer",
        "done",
    ]
    call = evs[0]["content"]
    assert (call["caller"], call["callee"], call["callee_category"], call["call_stack"]) == (
        "user",
        "add",
        "tool",
        ["user", "add"],
    )
    assert evs[1]["content"]["output"] == 42 and evs[2]["content"] == 42
    evs = events(await sse(http, node.url, "", callee="add"))
    assert evs[1]["content"]["output"].startswith("Error executing oxy add: bad arguments")
    assert node.stats["events_emitted"] == 6  # close frames are not counted


async def test_cluster_layout(http: aiohttp.ClientSession) -> None:
    async with SimCluster(nodes=10, seed=1, burst_ms=0, knobs=FAST) as c:
        names = list(c.urls)
        assert names[0] == "master_agent" and names[-2:] == ["worker_agent_8", "worker_agent_9"]
        assert len(set(names)) == 10 and len(set(c.urls.values())) == 10
        assert c.master is c.nodes["master_agent"] and c.master.tools == ("now", "echo")
        assert set(c.master.remotes.children) == set(names[1:])
        async with http.get(c.urls["worker_agent_9"] + "/get_organization") as r:
            kids = {k["name"] for k in (await r.json())["data"]["organization"]["children"]}
        assert "lookup" in kids and "add" not in kids
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with SimCluster(nodes=1, seed=1, base_port=port, burst_ms=0, knobs=FAST) as c:
        assert c.urls == {"master_agent": f"http://127.0.0.1:{port}"}
        evs = events(await sse(http, c.urls["master_agent"], "add 2 3"))  # a lone master does the math itself
        assert of(evs, "answer")[0]["content"] == "Final answer (via add): 5"


async def test_burst_poll_grid(http: aiohttp.ClientSession) -> None:
    """An empty queue is polled every ``burst_ms``: a run that ends 50 ms in is seen ended on the grid."""
    n = SimNode("math_agent", knobs=NodeKnobs(latency_ms=0, token_ms=0, burst_ms=200))
    await n.start()
    try:
        start = time.monotonic()
        evs = events(await sse(http, n.url, "slow 0.05"))
        elapsed = time.monotonic() - start
    finally:
        await n.stop()
    assert evs[-1] == "done" and elapsed >= 0.2  # lower bound only
