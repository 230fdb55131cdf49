"""The simulator's run-record endpoints answer with the shapes, codes and time format real OxyGent 1.1.3
nodes gave (``tests/fixtures/traffic``): field names and JSON types, 422 bodies, unknown ids, in-flight."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from oxytui.sim import NodeKnobs, SimCluster

TRAFFIC = Path(__file__).resolve().parent.parent / "fixtures" / "traffic"
FAST = NodeKnobs(latency_ms=0, token_ms=0, burst_ms=0)
TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9}$")


def cap(name: str) -> Any:
    return json.loads((TRAFFIC / f"{name}.json").read_text())


def same_shape(sim: dict[str, Any], real: dict[str, Any], what: str) -> None:
    assert set(sim) == set(real), f"{what}: sim-only {set(sim) - set(real)}, real-only {set(real) - set(sim)}"
    for k in real:
        if real[k] is not None and sim[k] is not None:
            assert type(sim[k]) is type(real[k]), (
                f"{what}.{k}: {type(sim[k]).__name__} vs {type(real[k]).__name__}"
            )


@pytest.fixture
async def master() -> AsyncIterator[tuple[str, aiohttp.ClientSession]]:
    async with SimCluster(nodes=2, seed=5, burst_ms=0, knobs=FAST) as c, aiohttp.ClientSession() as s:
        yield c.urls["master_agent"], s


async def get(s: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with s.get(url) as r:
        return r.status, await r.json()


async def test_finished_records_have_the_captured_shapes(master: tuple[str, aiohttp.ClientSession]) -> None:
    url, s = master
    async with s.post(url + "/sse/chat", json={"query": "remote add 2 3", "current_trace_id": "T1"}) as r:
        await r.read()
    _, view = await get(s, url + "/view?item_id=T1")
    real_view = cap("view_master_remote_add")
    same_shape(view, real_view, "view")
    for sim_rec, real_rec in zip(view["data"]["nodes"], real_view["data"]["nodes"], strict=True):
        same_shape(sim_rec, real_rec, f"view record {real_rec['node_type']}")
        assert TIME.match(sim_rec["create_time"]) and TIME.match(sim_rec["update_time"])
        assert isinstance(json.loads(sim_rec["shared_data"])["_headers"], dict)
    llm = next(n for n in view["data"]["nodes"] if n["node_type"] == "llm")
    assert json.loads(llm["extra"])["usage"]["total_tokens"] > 0
    _, node = await get(s, url + "/node?item_id=" + llm["node_id"])
    same_shape(node, cap("node_math_boom_tool"), "node")
    same_shape(node["data"], cap("node_math_boom_tool")["data"], "node data")
    _, hist = await get(s, url + "/history_with_ratings?page=1&page_size=10")
    real = cap("history_master")
    same_shape(hist["data"], real["data"], "history data")
    same_shape(hist["data"]["conversation_groups"][0], real["data"]["conversation_groups"][0], "group")
    conv = hist["data"]["conversation_groups"][0]["conversations"][0]
    same_shape(conv, real["data"]["conversation_groups"][0]["conversations"][0], "conversation")
    assert conv["trace_id"] == "T1" and json.loads(conv["input"])["query"] == "remote add 2 3"
    assert TIME.match(conv["create_time"]) and conv["output"]


async def test_codes_and_bodies_for_bad_or_unknown_ids(master: tuple[str, aiohttp.ClientSession]) -> None:
    url, s = master
    assert await get(s, url + "/view") == (422, cap("view_missing_param"))
    status, body = await get(s, url + "/history_with_ratings?page=abc")
    assert status == 422 and body == cap("history_bad_page")
    assert await get(s, url + "/node?item_id=nope") == (200, cap("node_unknown"))
    status, body = await get(s, url + "/view?item_id=NoSuchTrace00000")
    assert (status, body) == (200, cap("view_unknown"))
    status, body = await get(s, url + "/history_with_ratings?page=0")
    assert status == 200 and body["data"]["conversation_groups"] == []


async def test_in_flight_records_have_no_state(master: tuple[str, aiohttp.ClientSession]) -> None:
    url, s = master
    run = asyncio.create_task(
        s.post(url + "/chat", json={"query": "remote slow 1", "current_trace_id": "T2"})
    )
    for _ in range(200):
        _, view = await get(s, url + "/view?item_id=T2")
        if any(n["node_type"] == "agent" and n["callee"] == "math_agent" for n in view["data"]["nodes"]):
            break
        await asyncio.sleep(0.02)
    open_recs = [n for n in view["data"]["nodes"] if "state" not in n]
    assert open_recs and all("update_time" not in n and "output" not in n for n in open_recs)
    _, hist = await get(s, url + "/history_with_ratings")
    assert (
        hist["data"]["page_size"] == 20
        and hist["data"]["conversation_groups"][0]["conversations"][0]["output"] == ""
    )
    (await run).release()
