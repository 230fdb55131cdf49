"""The simulator on real sockets vs the real OxyGent 1.1.3 captures: headers, framing, order, keys, values.

Ids (SSE ids, node/trace/request ids) and timing aside, most runs must equal the capture field by field.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from oxytui.sim import NodeKnobs, SimNode
from tests.support.captures import CAPTURES, capture

MATH_TOOLS = ("now", "boom", "add", "slow_tool", "big_output", "flaky", "multiply")  # as the captured node
FAST = NodeKnobs(latency_ms=0, token_ms=0, burst_ms=0)
ID_KEYS = ("node_id", "request_id", "current_trace_id")


def parse(raw: bytes) -> list[tuple[str, str, str, str]]:
    """(id, event, data, retry) per event; asserts the strict CRLF four-line framing of the captures."""
    assert raw.endswith(b"\r\n\r\n"), raw[-40:]
    out = []
    for block in raw[:-4].split(b"\r\n\r\n"):
        lines = block.decode("utf-8").split("\r\n")
        if lines[0].startswith(": ping - "):
            continue
        assert len(lines) == 4, lines
        assert [ln.split(": ", 1)[0] for ln in lines] == ["id", "event", "data", "retry"]
        sse_id, event, data, retry = (ln.split(": ", 1)[1] for ln in lines)
        assert re.fullmatch(r"[2-9A-HJ-NP-Za-km-z]{16}", sse_id), sse_id
        out.append((sse_id, event, data, retry))
    return out


def normalized(raw: bytes) -> list[Any]:
    """Events with every id replaced by its order of first appearance (so two runs compare exactly)."""
    names: dict[str, str] = {}

    def norm(value: str, kind: str) -> str:
        return names.setdefault(f"{kind}:{value}", f"<{kind}{sum(k.startswith(kind) for k in names)}>")

    out: list[Any] = []
    for _, event, data, retry in parse(raw):
        assert retry == "3000"
        if event == "close":
            out.append(("close", data))
            continue
        msg = json.loads(data)
        holders = [msg, msg["content"]] if isinstance(msg.get("content"), dict) else [msg]
        for h in holders:
            for key in ID_KEYS:
                if key in h and isinstance(h[key], str):
                    h[key] = norm(h[key], key)
        out.append(msg)
    return out


def header_names(raw_headers: Any) -> set[str]:
    return {k.decode().lower() for k, _ in raw_headers}


def capture_header_names(name: str) -> set[str]:
    lines = capture(f"{name}.headers").decode().split("\r\n")[1:]
    return {ln.split(":", 1)[0].lower() for ln in lines if ln}


@pytest.fixture
async def math() -> AsyncIterator[SimNode]:
    node = SimNode("math_agent", seed=1, knobs=FAST, tools=MATH_TOOLS)
    await node.start()
    yield node
    await node.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as s:
        yield s


async def post_sse(
    http: aiohttp.ClientSession, url: str, payload: Any
) -> tuple[aiohttp.ClientResponse, bytes]:
    async with http.post(url + "/sse/chat", json=payload) as r:
        return r, await r.read()


EXACT = [
    ("math_add", "POST", {"query": "add 2 3"}),
    ("math_boom", "POST", {"query": "boom"}),
    ("math_direct", "POST", {"query": "hello there"}),
    ("math_multiline", "POST", {"query": "multiline"}),
    ("math_unicode", "POST", {"query": "unicode"}),
    ("post_no_query", "POST", {}),
    ("get_no_payload", "GET", None),
    ("get_payload", "GET", {"query": "add 4 5"}),
    ("post_text_plain_ct", "TEXT", {"query": "add 1 1"}),
]


@pytest.mark.parametrize(("name", "method", "payload"), EXACT)
async def test_runs_equal_the_captures_field_by_field(
    math: SimNode, http: aiohttp.ClientSession, name: str, method: str, payload: Any
) -> None:
    url = math.url + "/sse/chat"
    if method == "GET":
        url += "" if payload is None else "?payload=" + quote(json.dumps(payload))
        req = http.get(url)
    elif method == "TEXT":
        req = http.post(url, data=json.dumps(payload), headers={"Content-Type": "text/plain"})
    else:
        req = http.post(url, json=payload)
    async with req as r:
        raw = await r.read()
        assert r.status == 200
        assert header_names(r.raw_headers) == capture_header_names(name)
        for key in ("content-type", "cache-control", "x-accel-buffering", "vary", "server", "connection"):
            assert (
                r.headers[key] == re.search(rf"(?im)^{key}: (.*)\r$", capture(f"{name}.headers").decode())[1]
            )
    assert normalized(raw) == normalized(capture(name))
    assert raw.endswith(b"event: close\r\ndata: done\r\nretry: 3000\r\n\r\n")


async def test_sseoxygent_shaped_payload_reuses_ids_and_stack_prefix(
    math: SimNode, http: aiohttp.ClientSession
) -> None:
    payload = {
        "current_trace_id": "capTrace00000001",
        "request_id": "capReq0000000000000001",
        "node_id": "capSseOxyNode001",
        "caller": "master_agent",
        "callee": "math_agent",
        "caller_category": "user",
        "call_stack": ["user", "master_agent"],
        "node_id_stack": ["", "masterNode000001"],
        "query": "add 2 3",
    }
    _, raw = await post_sse(http, math.url, payload)
    ours, theirs = parse(raw), parse(capture("sseoxygent_shaped"))
    assert [e[2] for e in ours if '"node_id": "cap' in e[2] or "capTrace" in e[2]]  # the given ids are reused
    assert normalized(raw) == normalized(capture("sseoxygent_shaped"))
    assert len(ours) == len(theirs)


async def test_big_output_is_one_data_line_with_the_captured_shape(
    math: SimNode, http: aiohttp.ClientSession
) -> None:
    _, raw = await post_sse(http, math.url, {"query": "big 170999"})
    ours, theirs = normalized(raw), normalized(capture("math_big"))
    assert [m["type"] if isinstance(m, dict) else m for m in ours] == [
        m["type"] if isinstance(m, dict) else m for m in theirs
    ]

    def pick(evs: list[Any]) -> Any:
        return next(
            m
            for m in evs
            if isinstance(m, dict) and m["type"] == "observation" and m["content"]["callee"] == "big_output"
        )

    assert pick(ours) == pick(theirs)
    assert ours[-2] == theirs[-2]  # the answer (summarised like the captured fake LLM)
    assert max(len(line) for line in raw.split(b"\r\n")) > 170_999


async def test_key_sets_per_event_type_match_the_captures(math: SimNode, http: aiohttp.ClientSession) -> None:
    def keys(raw: bytes) -> dict[str, set[tuple[str, ...]]]:
        out: dict[str, set[tuple[str, ...]]] = {}
        for m in normalized(raw):
            if isinstance(m, dict):
                shape = tuple(m) + (tuple(m["content"]) if isinstance(m["content"], dict) else ())
                out.setdefault(m["type"], set()).add(shape)
        return out

    _, raw = await post_sse(http, math.url, {"query": "add 2 3 slow 0 boom big 10 steps 2 hostile flood 3"})
    expected: dict[str, set[tuple[str, ...]]] = {}
    for cap in CAPTURES.glob("*.sse"):
        for t, shapes in keys(cap.read_bytes()).items():
            expected.setdefault(t, set()).update(shapes)
    got = keys(raw)
    assert (
        set(got) == set(expected) == {"tool_call", "observation", "stream", "stream_end", "think", "answer"}
    )
    for t in got:
        assert got[t] == expected[t], t


async def test_json_endpoints_match_the_captures(math: SimNode, http: aiohttp.ClientSession) -> None:
    async with http.get(math.url + "/check_alive") as r:
        assert await r.read() == capture("check_alive_math.json")
        assert header_names(r.raw_headers) == capture_header_names("check_alive_math")
    async with http.get(math.url + "/get_description") as r:
        assert await r.read() == capture("get_description_math.json")
    async with http.get(math.url + "/get_organization") as r:
        ours = await r.json()
        assert header_names(r.raw_headers) == capture_header_names("get_organization_math")
    theirs = json.loads(capture("get_organization_math.json"))
    sort = lambda org: {**org, "children": sorted(org["children"], key=lambda c: c["name"])}  # noqa: E731
    assert ours["data"]["id_dict"] == theirs["data"]["id_dict"]
    assert sort(ours["data"]["organization"]) == sort(theirs["data"]["organization"])
    async with http.post(math.url + "/chat", json={"query": "add 2 3"}) as r:
        body = await r.json()
        assert header_names(r.raw_headers) == capture_header_names("chat_nonstream")
    captured = json.loads(capture("chat_nonstream.json"))
    assert set(body) == set(captured) and body["answer"] == captured["answer"]
    assert re.fullmatch(r"[2-9A-HJ-NP-Za-km-z]{16}", body["current_trace_id"])


BAD = [
    ("post_malformed", "POST", b"this is not json"),
    ("post_empty", "POST", b""),
    ("post_json_array", "POST", b'["add 2 3"]'),
    ("get_bad_payload", "GET", "%7Bnot-json"),
]


@pytest.mark.parametrize(("name", "method", "body"), BAD)
@pytest.mark.parametrize("path", ["/sse/chat", "/chat", "/async/chat"])
async def test_bad_bodies_answer_500_text_plain(
    math: SimNode, http: aiohttp.ClientSession, name: str, method: str, body: Any, path: str
) -> None:
    if method == "GET":
        req = http.get(f"{math.url}{path}?payload={body}")
    else:
        req = http.post(math.url + path, data=body)
    async with req as r:
        assert r.status == 500
        assert await r.read() == capture(f"{name}.body")
        assert header_names(r.raw_headers) == capture_header_names(name)
        assert r.headers["content-type"] == "text/plain; charset=utf-8"


async def test_strict_mode_answers_400_json(http: aiohttp.ClientSession) -> None:
    node = SimNode("math_agent", knobs=NodeKnobs(latency_ms=0, token_ms=0, burst_ms=0, strict=True))
    await node.start()
    try:
        async with http.post(node.url + "/sse/chat", data=b"[1]") as r:
            assert r.status == 400
            body = await r.json()
            assert body["code"] == 400 and "object" in body["message"]
        async with http.post(node.url + "/sse/chat", json={"query": "x", "callee": "nobody"}) as r:
            assert r.status == 400 and "nobody" in (await r.json())["message"]
    finally:
        await node.stop()


async def test_cors_like_starlette(math: SimNode, http: aiohttp.ClientSession) -> None:
    async with http.get(math.url + "/check_alive", headers={"Origin": "http://x.example"}) as r:
        assert r.headers["access-control-allow-origin"] == "http://x.example"
        assert r.headers["access-control-allow-credentials"] == "true"
    async with http.options(
        math.url + "/sse/chat",
        headers={"Origin": "http://x.example", "Access-Control-Request-Method": "POST"},
    ) as r:
        assert r.status == 200


async def test_pings_follow_the_fixed_timer_format(http: aiohttp.ClientSession) -> None:
    node = SimNode("math_agent", knobs=NodeKnobs(latency_ms=0, token_ms=0, burst_ms=0, ping_interval=0.05))
    await node.start()
    try:
        _, raw = await post_sse(http, node.url, {"query": "slow 0.3"})
    finally:
        await node.stop()
    pings = re.findall(rb"(?:^|\r\n\r\n)(: ping - [^\r]*)\r\n\r\n", raw)
    assert pings, raw[:300]
    for p in pings:
        assert re.fullmatch(rb": ping - \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\+00:00", p)
    assert [e[1] for e in parse(raw)][-1] == "close"


@pytest.fixture
async def master(math: SimNode) -> AsyncIterator[SimNode]:
    node = SimNode(
        "master_agent",
        seed=2,
        knobs=NodeKnobs(latency_ms=0, token_ms=0, burst_ms=0, remote_retries=0, remote_retry_delay=0.01),
        tools=("now",),
        remotes={"math_agent": math.url},
    )
    await node.start()
    yield node
    await node.stop()


@pytest.mark.parametrize(
    ("name", "query"),
    [("master_remote_add", "add 2 3"), ("master_remote_boom", "boom"), ("master_direct", "hello master")],
)
async def test_master_runs_and_remote_hops_equal_the_captures(
    master: SimNode, http: aiohttp.ClientSession, name: str, query: str
) -> None:
    r, raw = await post_sse(http, master.url, {"query": query})
    assert header_names(r.raw_headers) == capture_header_names(name)
    assert normalized(raw) == normalized(capture(name))


async def test_forwarded_remote_events_keep_their_sse_ids(
    master: SimNode, math: SimNode, http: aiohttp.ClientSession
) -> None:
    """What the master forwards carries the remote's own ids: the same bytes the remote wrote."""
    _, raw = await post_sse(http, master.url, {"query": "add 2 3", "current_trace_id": "hopTrace00000001"})
    ids = [e[0] for e in parse(raw)]
    assert len(ids) == len(set(ids)) == 46
    remote_msgs = [
        e for e in parse(raw) if '"agent": "math_agent"' in e[2] or '"caller": "math_agent"' in e[2]
    ]
    assert len(remote_msgs) == 20  # 24 remote events minus its own start/end, answer and close
    # the remote replays deterministically: a second math node with the same seed makes the same ids
    twin = SimNode("math_agent", seed=1, knobs=FAST, tools=MATH_TOOLS)
    await twin.start()
    try:
        fwd = json.loads(
            next(e[2] for e in parse(raw) if '"caller": "master_agent", "callee": "math_agent"' in e[2])
        )
        payload = {
            "current_trace_id": "hopTrace00000001",
            "request_id": fwd["content"]["request_id"],
            "node_id": fwd["content"]["node_id"],
            "caller": "master_agent",
            "caller_category": "user",
            "call_stack": ["user", "master_agent"],
            "query": "add 2 3",
        }
        _, direct = await post_sse(http, twin.url, payload)
    finally:
        await twin.stop()
    direct_ids = {e[0] for e in parse(direct)}
    assert {e[0] for e in remote_msgs} <= direct_ids


async def test_master_org_copies_the_remote_at_start_up(master: SimNode, http: aiohttp.ClientSession) -> None:
    async with http.get(master.url + "/get_organization") as r:
        ours = (await r.json())["data"]
    theirs = json.loads(capture("get_organization_master.json"))["data"]

    def canon(node: dict[str, Any]) -> dict[str, Any]:
        out = dict(node)
        if "children" in node:
            out["children"] = sorted((canon(c) for c in node["children"]), key=lambda c: c["name"])
        return out

    assert ours["id_dict"] == theirs["id_dict"]
    assert canon(ours["organization"]) == canon(theirs["organization"])


async def test_master_local_tool_matches_the_capture_but_the_time(
    master: SimNode, http: aiohttp.ClientSession
) -> None:
    _, raw = await post_sse(http, master.url, {"query": "what time is it now"})
    ours, theirs = normalized(raw), normalized(capture("master_local_now"))
    time_re = re.compile(r"\d\d:\d\d:\d\d")
    strip = lambda evs: json.loads(time_re.sub("<time>", json.dumps(evs, ensure_ascii=False)))  # noqa: E731
    assert strip(ours) == strip(theirs)


async def test_remote_down_keeps_the_captured_shape(
    master: SimNode, math: SimNode, http: aiohttp.ClientSession
) -> None:
    await math.set_down(True)
    _, raw = await post_sse(http, master.url, {"query": "add 2 3"})
    ours, theirs = normalized(raw), normalized(capture("master_remote_down"))

    def shape(evs: list[Any]) -> list[Any]:
        return [
            (m["type"], m["content"].get("caller"), m["content"].get("callee"))
            if isinstance(m, dict) and isinstance(m["content"], dict)
            else (m[0] if isinstance(m, tuple) else m["type"])
            for m in evs
        ]

    assert [s for s in shape(ours) if s[0] != "stream"] == [s for s in shape(theirs) if s[0] != "stream"]
    hop = [
        m
        for m in ours
        if isinstance(m, dict) and m["type"] == "observation" and m["content"]["callee"] == "math_agent"
    ]
    assert len(hop) == 1 and "math_agent" in hop[0]["content"]["output"]
    assert "refused" in hop[0]["content"]["output"] or "connect" in hop[0]["content"]["output"]


async def test_curl_n_streams_it(math: SimNode) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("no curl on this machine")
    cmd = [curl, "-sN", "-D", "-", math.url + "/sse/chat", "-d", '{"query": "add 2 3"}']
    out = await asyncio.to_thread(subprocess.run, cmd, capture_output=True, timeout=20)
    assert out.returncode == 0
    head, _, body = out.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and b"transfer-encoding: chunked" in head.lower()
    assert normalized(body) == normalized(capture("math_add"))


async def test_root_redirects_like_oxygent(math: SimNode, http: aiohttp.ClientSession) -> None:
    async with http.get(math.url + "/", allow_redirects=False) as r:
        assert r.status == 307 and r.headers["location"] == "./web/index.html"
