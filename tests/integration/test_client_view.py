"""``SSEOxyGent.view``: OxyGent's ``GET /view?item_id=`` against the simulator and odd servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from oxytui.client import RemoteError, SSEOxyGent
from oxytui.sim import NodeKnobs, SimCluster

FAST = NodeKnobs(latency_ms=0, token_ms=0, burst_ms=0)


@pytest.fixture
async def cluster() -> AsyncIterator[SimCluster]:
    async with SimCluster(nodes=2, seed=5, burst_ms=0, knobs=FAST) as c:
        yield c


async def test_view_of_a_finished_trace(cluster: SimCluster) -> None:
    async with SSEOxyGent(name="master_agent", server_url=cluster.urls["master_agent"]) as agent:
        request = agent.build_request("remote add 2 3")
        resp = await agent.execute(request)
        assert resp.output
        view = await agent.view_raw(request.current_trace_id)
        assert view is not None and view["trace_id"] == request.current_trace_id
        callees = [n["callee"] for n in view["nodes"]]
        assert "master_agent" in callees and len(callees) >= 3
        by_node = await agent.view_raw(view["nodes"][1]["node_id"])  # a node id finds its trace too
        assert by_node is not None and by_node["trace_id"] == request.current_trace_id
        odd = "no such trace & ?x=1"
        assert await agent.view_raw(odd) == {"nodes": [], "trace_id": odd}


async def _serve(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_get("/view", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


async def _view_from(handler: Callable[[web.Request], Awaitable[web.StreamResponse]], path: str = "") -> Any:
    runner, url = await _serve(handler)
    try:
        async with SSEOxyGent(name="odd", server_url=url + path, connect_timeout=2.0) as agent:
            return await agent.view_raw("T1")
    finally:
        await runner.cleanup()


async def test_view_unwraps_the_oxygent_envelope() -> None:
    async def envelope(request: web.Request) -> web.Response:
        assert request.query["item_id"] == "T1"
        return web.json_response({"code": 200, "message": "SUCCESS", "data": {"nodes": [], "trace_id": "T1"}})

    assert await _view_from(envelope) == {"nodes": [], "trace_id": "T1"}


async def test_view_missing_endpoint_is_none_other_errors_raise() -> None:
    async def unused(request: web.Request) -> web.Response:
        return web.json_response({})

    assert await _view_from(unused, "/elsewhere") is None  # 404: this node has no /view

    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=500, text="Internal Server Error")

    with pytest.raises(RemoteError, match=r"odd.*500"):
        await _view_from(broken)

    async def not_object(request: web.Request) -> web.Response:
        return web.json_response([1, 2])

    with pytest.raises(RemoteError, match="/view"):
        await _view_from(not_object)
