"""``SSEOxyGent.history/view/node`` against a plain aiohttp server answering with real OxyGent bodies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from oxytui.client import NoRunRecords, OxyState, RemoteError, SSEOxyGent
from oxytui.client.runlog import fetch_history

TRAFFIC = Path(__file__).resolve().parent.parent / "fixtures" / "traffic"


def body(name: str) -> bytes:
    return (TRAFFIC / f"{name}.json").read_bytes()


async def serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def oxygent_like() -> AsyncIterator[str]:
    seen: list[str] = []

    async def history(request: web.Request) -> web.Response:
        seen.append(request.query_string)
        if request.query.get("page") == "abc":
            return web.Response(status=422, body=body("history_bad_page"), content_type="application/json")
        name = "history_math_search" if "search_term" in request.query else "history_master_inflight"
        return web.Response(body=body(name), content_type="application/json")

    async def view(request: web.Request) -> web.Response:
        if "item_id" not in request.query:
            return web.Response(status=422, body=body("view_missing_param"), content_type="application/json")
        known = {"TRmathAuth000001": "view_math_auth_header", "TRremoteSlow0001": "view_math_inflight"}
        name = known.get(request.query["item_id"], "view_unknown")
        return web.Response(body=body(name), content_type="application/json")

    async def node(request: web.Request) -> web.Response:
        name = "node_math_boom_tool" if request.query.get("item_id") == "G2rJyKAyARHggaTG" else "node_unknown"
        return web.Response(body=body(name), content_type="application/json")

    app = web.Application()
    app.router.add_get("/history_with_ratings", history)
    app.router.add_get("/view", view)
    app.router.add_get("/node", node)
    async for url in serve(app):
        yield url


async def test_history_view_node_typed(oxygent_like: str) -> None:
    async with SSEOxyGent(name="math", server_url=oxygent_like) as agent:
        traces = await agent.history(page_size=3)
        assert traces[0].trace_id == "TRremoteSlow0001" and traces[0].running
        assert (await agent.history(search="add 2"))[0].query
        dated = await fetch_history(agent)
        assert dated.date is not None and dated.date.tzinfo is not None  # aiohttp sends Date
        view = await agent.view("TRmathAuth000001")
        assert len(view.records) == 4 and view.finished
        assert "SECRET-TOKEN-123" not in repr(view)
        inflight = await agent.view("TRremoteSlow0001")
        assert not inflight.finished and inflight.records[0].state is None
        assert (await agent.view("nope & ?x")).records == []
        rec = await agent.node("G2rJyKAyARHggaTG")
        assert rec is not None and rec.state is OxyState.FAILED and rec.decoded_input()["arguments"]
        assert await agent.node("unknown") is None


async def test_nodes_without_records_say_so() -> None:
    async def code500(_: web.Request) -> web.Response:
        return web.json_response({"code": 500, "message": "storage failed"})

    async def wrong(_: web.Request) -> web.Response:
        return web.Response(status=405)

    async def broken(_: web.Request) -> web.Response:
        return web.Response(status=500, text="boom")

    app = web.Application()
    app.router.add_get("/history_with_ratings", code500)
    app.router.add_get("/view", wrong)
    app.router.add_get("/node", broken)
    async for url in serve(app):
        async with SSEOxyGent(name="plain", server_url=url) as agent:
            with pytest.raises(NoRunRecords, match=r"plain.*code 500"):
                await agent.history()
            with pytest.raises(NoRunRecords, match="405"):
                await agent.view("T")
            with pytest.raises(RemoteError) as info:  # a real server error is not "no records"
                await agent.node("x")
            assert not isinstance(info.value, NoRunRecords)
        async with SSEOxyGent(name="plain", server_url=url + "/elsewhere") as agent:
            with pytest.raises(NoRunRecords, match="404"):
                await agent.history()


async def test_oversized_bodies_fail_politely(monkeypatch: pytest.MonkeyPatch) -> None:
    from oxytui.client import runlog

    monkeypatch.setattr(runlog, "VIEW_CAP", 10_000)
    big = json.dumps({"code": 200, "data": {"nodes": [{"node_id": "x", "output": "y" * 20_000}]}})

    async def view(_: web.Request) -> web.Response:
        return web.Response(text=big, content_type="application/json")

    async def chunked(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        for _ in range(40):
            await resp.write(b" " * 1000)
        await resp.write(big.encode())
        return resp

    app = web.Application()
    app.router.add_get("/view", view)
    app.router.add_get("/chunked/view", chunked)
    async for url in serve(app):
        async with SSEOxyGent(name="big", server_url=url) as agent:
            with pytest.raises(RemoteError, match="over 10000 bytes"):
                await agent.view("T")
        async with SSEOxyGent(name="big", server_url=url + "/chunked") as agent:
            with pytest.raises(RemoteError, match="over 10000 bytes"):
                await agent.view("T")


async def test_gzip_bodies_are_inflated_within_the_cap() -> None:
    async def view(_: web.Request) -> web.Response:
        resp = web.Response(body=body("view_math_boom"), content_type="application/json")
        resp.enable_compression(force=True)  # the node (or a proxy) gzips
        return resp

    app = web.Application()
    app.router.add_get("/view", view)
    async for url in serve(app):
        async with SSEOxyGent(name="gz", server_url=url) as agent:
            got = await agent.view("TRmathBoom000001")
            assert len(got.records) == 4 and got.finished
