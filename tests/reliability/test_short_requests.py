"""Hostile nodes against the client's short (non-stream) requests: bodies and time are bounded.

- a gzip bomb on /get_organization, /check_alive, /view stops at max_body_size (memory bounded: traced)
- a plain body over the cap, and a compressed body over the cap on the wire, are refused too
- a node trickling one byte at a time cannot hold init() / check_alive() past short_timeout
- the dashboard probes nodes concurrently: a trickling node does not delay a killed node's "down"
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from oxytui.client import RemoteBodyTooLarge, RemoteTimeout, SSEOxyGent
from oxytui.config import NodeConfig, Settings
from oxytui.runs import RunStore
from oxytui.runs.store import NodeStatus
from oxytui.tui import service

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]
CAP = 1 << 20  # 1 MiB body cap in these tests
BOMB_INFLATED = 256 << 20  # 256 MiB of zeros, ~250 KiB on the wire


def gzip_bomb() -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip container
    block = b"0" * (1 << 20)
    parts = [comp.compress(b'{"data": {"organization": {"name": "')]
    parts += [comp.compress(block) for _ in range(BOMB_INFLATED >> 20)]
    return b"".join([*parts, comp.flush()])


BOMB = gzip_bomb()


@asynccontextmanager
async def serve(routes: dict[str, Route]) -> AsyncIterator[TestServer]:
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()


def url_of(server: TestServer) -> str:
    return str(server.make_url("")).rstrip("/")


async def bomb(_: web.Request) -> web.StreamResponse:
    return web.Response(body=BOMB, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})


async def trickle(request: web.Request) -> web.StreamResponse:
    """Headers at once, then one byte every 50 ms for ever (never idle long enough for sock_read)."""
    resp = web.StreamResponse(headers={"Content-Type": "application/json"})
    await resp.prepare(request)
    while True:
        await resp.write(b" ")
        await asyncio.sleep(0.05)


async def org(_: web.Request) -> web.StreamResponse:
    return web.json_response({"data": {"organization": {"name": "master", "children": []}}})


async def alive(_: web.Request) -> web.StreamResponse:
    return web.json_response({"alive": 1})


async def test_gzip_bomb_stops_at_the_cap_with_bounded_memory() -> None:
    routes = {"/get_organization": bomb, "/check_alive": bomb, "/view": bomb}
    async with (
        serve(routes) as srv,
        SSEOxyGent(name="bomber", server_url=url_of(srv), max_body_size=CAP) as agent,
    ):
        tracemalloc.start()
        try:
            with pytest.raises(RemoteBodyTooLarge, match=r"^bomber: /get_organization: .*once inflated"):
                await asyncio.wait_for(agent.init(), 60)
            assert await asyncio.wait_for(agent.check_alive(), 60) is False
            with pytest.raises(RemoteBodyTooLarge, match=r"^bomber: /view\?item_id=t: "):
                await asyncio.wait_for(agent.view_raw("t"), 60)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 16 * CAP, f"peak {peak / 2**20:.0f} MiB for a {CAP >> 20} MiB cap"


async def test_plain_and_compressed_bodies_over_the_cap_on_the_wire() -> None:
    big = json.dumps({"alive": 1, "pad": "x" * (2 * CAP)}).encode()
    noise = gzip.compress(os.urandom(2 * CAP))  # incompressible: over the cap before any inflating

    async def plain(_: web.Request) -> web.StreamResponse:
        return web.Response(body=big, content_type="application/json")

    async def packed(_: web.Request) -> web.StreamResponse:
        return web.Response(body=noise, headers={"Content-Encoding": "gzip"})

    async with serve({"/get_organization": plain, "/view": packed}) as srv:
        async with SSEOxyGent(name="big", server_url=url_of(srv), max_body_size=CAP) as agent:
            with pytest.raises(RemoteBodyTooLarge, match="on the wire"):
                await agent.init()
            with pytest.raises(RemoteBodyTooLarge, match="on the wire"):
                await agent.view_raw("t")


async def test_compressed_bodies_under_the_cap_still_work() -> None:
    body = json.dumps({"data": {"organization": {"name": "m", "children": [{"name": "a"}]}}}).encode()

    async def gz(_: web.Request) -> web.StreamResponse:
        return web.Response(body=gzip.compress(body), headers={"Content-Encoding": "gzip"})

    async def deflate(_: web.Request) -> web.StreamResponse:
        return web.Response(body=zlib.compress(b'{"alive": 1}'), headers={"Content-Encoding": "deflate"})

    async def raw_deflate(_: web.Request) -> web.StreamResponse:
        comp = zlib.compressobj(6, zlib.DEFLATED, -15)
        data = comp.compress(b'{"nodes": [], "trace_id": "t"}') + comp.flush()
        return web.Response(body=data, headers={"Content-Encoding": "deflate"})

    routes = {"/get_organization": gz, "/check_alive": deflate, "/view": raw_deflate}
    async with serve(routes) as srv, SSEOxyGent(name="n", server_url=url_of(srv), desc="d") as agent:
        await agent.init()
        assert agent.get_org() == [{"name": "a", "is_remote": True}]
        assert await agent.check_alive() is True
        assert await agent.view_raw("t") == {"nodes": [], "trace_id": "t"}


async def test_trickling_node_cannot_hold_init_or_check_alive() -> None:
    routes = {"/get_organization": trickle, "/check_alive": trickle}
    async with serve(routes) as srv:
        async with SSEOxyGent(
            name="slow", server_url=url_of(srv), connect_timeout=5.0, short_timeout=0.5
        ) as agent:
            with pytest.raises(RemoteTimeout, match=r"^slow: timeout: total time limit of 0.5 s reached"):
                await asyncio.wait_for(agent.init(), 30)  # the bound only guards against a hang
            assert await asyncio.wait_for(agent.check_alive(), 30) is False


async def test_dashboard_probes_do_not_wait_for_a_slow_node(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OXYTUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(service, "PROBE_EVERY", 0.05)
    doomed = TestServer(web.Application(), host="127.0.0.1")
    doomed.app.router.add_get("/get_organization", org)
    doomed.app.router.add_get("/check_alive", alive)
    await doomed.start_server()
    async with serve({"/get_organization": org, "/check_alive": trickle}) as slow:
        nodes = [NodeConfig(name="slow", url=url_of(slow)), NodeConfig(name="doomed", url=url_of(doomed))]
        store = RunStore()
        ctl = service.Controller(store, Settings(nodes=nodes, demo=False))
        await ctl.start()
        try:
            await until(lambda: store.status("doomed") == NodeStatus.UP, info=lambda: store.nodes)
            await doomed.close()  # killed: connection refused from now on
            # the slow node's probe never finishes within this bound (default short_timeout: 30 s)
            await until(lambda: store.status("doomed") == NodeStatus.DOWN, within=10.0)
        finally:
            await ctl.aclose()
            await doomed.close()


async def until(check: Callable[[], bool], within: float = 10.0, info: Callable[[], object] = str) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"condition not reached: {info()}"
        await asyncio.sleep(0.02)
