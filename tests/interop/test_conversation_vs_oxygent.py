"""Issue 13 point 12 against a real OxyGent 1.1.3 node: the dashboard's follow-up prompt is stored by the
node as a continuation (``from_trace_id``, same ``group_id``, the previous trace in ``root_trace_ids``, the
history OxyGent's agents load as short-term memory), and ctrl+n's reset starts a fresh one."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from oxytui.config import NodeConfig, Settings
from oxytui.runs import RunState, RunStore
from oxytui.tui.service import Controller
from tests.interop.peer import OxyNode

pytestmark = pytest.mark.interop


async def _done(ctl: Controller, key: tuple[str, str]) -> None:
    for _ in range(600):  # bounded: 30 s
        if key not in ctl.tasks:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {key} did not finish")


async def _trace_doc(url: str, trace: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as s, s.get(f"{url}/debug/trace/{trace}") as resp:
        body = await resp.json()
    info = body["data"]["trace_info"]
    assert info is not None, body
    return dict(info)


async def test_follow_up_is_a_continuation_on_the_real_node(
    math_node: OxyNode, monkeypatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OXYTUI_DATA_DIR", str(tmp_path))
    store = RunStore()
    ctl = Controller(store, Settings(nodes=[NodeConfig(name="math", url=math_node.url)]))
    ctl.add_node(NodeConfig(name="math", url=math_node.url))
    try:
        (first,) = ctl.send("add 2 3", "focused", "math")
        await _done(ctl, first)
        (second,) = ctl.send("and add 4 more", "focused", "math")
        await _done(ctl, second)
        assert (
            store.runs[first].state is RunState.COMPLETED and store.runs[second].state is RunState.COMPLETED
        )
        doc1, doc2 = await _trace_doc(math_node.url, first[1]), await _trace_doc(math_node.url, second[1])
        assert doc2["from_trace_id"] == first[1]
        assert doc2["group_id"] == doc1["group_id"] == store.runs[second].conversation
        assert first[1] in doc2["root_trace_ids"]  # the node linked the history it loads as memory
        ctl.conversations.reset()
        (third,) = ctl.send("add 1 1", "focused", "math")
        await _done(ctl, third)
        doc3 = await _trace_doc(math_node.url, third[1])
        assert (
            not doc3["from_trace_id"] and doc3["group_id"] != doc1["group_id"] and not doc3["root_trace_ids"]
        )
    finally:
        await ctl.aclose()
