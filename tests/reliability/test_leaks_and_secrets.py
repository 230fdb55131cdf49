"""A flapping node leaks no socket and no task; a bearer token never reaches logs, errors, reprs or stats."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from oxytui.client import NodePool, OxyState, RemoteError, SSEOxyGent, StreamClosed
from oxytui.sim import NodeKnobs, SimNode
from tests.reliability.conftest import TOKEN, open_sockets, other_tasks, settle
from tests.support.captures import capture, org_body
from tests.support.scripted_server import (
    Handler,
    Json,
    ReceivedRequest,
    Replay,
    ScriptedServer,
    Silent,
    free_port,
)

FAST = NodeKnobs(latency_ms=1, token_ms=1, burst_ms=10)


async def test_flapping_node_no_socket_or_task_leak() -> None:
    """The node goes down and up 8 times while runs, health checks and re-inits keep going."""
    node = SimNode("math_agent", seed=2, knobs=FAST)
    await node.start(port=0)
    try:
        await asyncio.sleep(0)
        sockets_before, tasks_before = open_sockets(), other_tasks()
        outcomes: dict[str, int] = {"completed": 0, "failed": 0, "alive": 0, "dead": 0}
        async with SSEOxyGent(
            "math_agent", node.url, max_retries=1, retry_delay=0.01, idle_timeout=1.0, connect_timeout=0.5
        ) as agent:
            pool = NodePool([agent])

            async def traffic(stop: asyncio.Event) -> None:
                i = 0
                while not stop.is_set():
                    i += 1
                    response = await agent.execute(agent.build_request(f"add {i} 1"))
                    outcomes["completed" if response.state is OxyState.COMPLETED else "failed"] += 1
                    alive = await agent.check_alive()
                    outcomes["alive" if alive else "dead"] += 1
                    await pool.check_all()

            stop = asyncio.Event()
            workers = [asyncio.create_task(traffic(stop)) for _ in range(4)]
            for _ in range(8):
                await node.set_down(True)
                await asyncio.sleep(0.08)
                await node.set_down(False)
                await asyncio.sleep(0.12)
            stop.set()
            await asyncio.wait_for(asyncio.gather(*workers), 20)
            final = await agent.execute(agent.build_request("add 40 2"))  # it recovers
            assert final.state is OxyState.COMPLETED and "42" in str(final.output)
        assert outcomes["completed"] > 0 and outcomes["alive"] > 0
        assert outcomes["failed"] + outcomes["dead"] > 0, outcomes  # the flapping was actually seen

        await settle(lambda: open_sockets() <= sockets_before and other_tasks() <= tasks_before)
        assert open_sockets() <= sockets_before, "client sockets left open"
        assert other_tasks() <= tasks_before, other_tasks() - tasks_before
    finally:
        await node.stop()


async def test_abandoned_streams_release_their_sockets() -> None:
    """Breaking out of 20 streams mid-run (the dashboard closing panes) closes every connection."""
    node = SimNode("math_agent", seed=3, knobs=FAST)
    await node.start(port=0)
    try:
        sockets_before, tasks_before = open_sockets(), other_tasks()
        async with SSEOxyGent("math_agent", node.url, max_retries=0) as agent:

            async def first_event_then_leave(i: int) -> None:
                async for ev in agent.stream(agent.build_request(f"slow 5 add {i} 1")):
                    if ev.type == "tool_call":
                        return

            await asyncio.wait_for(asyncio.gather(*(first_event_then_leave(i) for i in range(20))), 15)
        await settle(lambda: open_sockets() <= sockets_before and other_tasks() <= tasks_before)
        assert open_sockets() <= sockets_before
        assert other_tasks() <= tasks_before
        await settle(lambda: len(node.cancelled) >= 20)
        assert len(node.cancelled) >= 20  # the node saw every reader leave and cancelled the runs
    finally:
        await node.stop()


def echo_headers(status: int) -> Handler:
    """A hostile node: answers with the request's headers (token included) as the body."""

    async def handle(request: ReceivedRequest, writer: asyncio.StreamWriter) -> bool:
        body = json.dumps(request.headers).encode()
        head = f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
        writer.write(head.encode() + body)
        await writer.drain()
        return False

    return Handler(handle)


@pytest.mark.parametrize("scenario", ["echo500", "echo200", "hang", "refused"])
async def test_token_absent_from_logs_errors_reprs_and_stats(
    scenario: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    async with ScriptedServer() as srv:
        if scenario == "echo500":
            srv.on("POST", "/sse/chat", echo_headers(500))
            srv.on("GET", "/get_organization", echo_headers(500))
        elif scenario == "echo200":  # 200 but not SSE / not an org envelope: snippets of the body in errors
            srv.on("POST", "/sse/chat", echo_headers(200))
            srv.on("GET", "/get_organization", echo_headers(200))
        else:
            srv.on("POST", "/sse/chat", Silent())
            srv.on("GET", "/get_organization", Silent())
        url = f"http://127.0.0.1:{free_port()}" if scenario == "refused" else srv.url
        agent = SSEOxyGent(
            "secure_node", url, token=TOKEN, max_retries=1, retry_delay=0.01, idle_timeout=0.3,
            connect_timeout=0.3, headers={"X-Trace": "visible"},
        )  # fmt: skip
        texts.append(repr(agent))
        async with agent:
            response = await agent.execute(agent.build_request("add 2 3"))
            texts += [str(response.output), repr(response), json.dumps(response.extra, default=str)]
            try:
                async for _ in agent.stream(agent.build_request("x")):
                    pass
            except RemoteError as exc:
                texts += [str(exc), repr(exc), repr(exc.__cause__), repr(exc.__context__), repr(exc.args)]
            try:
                await agent.init()
            except RemoteError as exc:
                texts += [str(exc), repr(exc), repr(exc.args)]
            texts.append(json.dumps(agent.get_connection_stats(), default=str))
        if scenario != "refused":
            assert any(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in srv.requests)
    texts += [r.getMessage() for r in caplog.records] + [caplog.text]
    assert response.state is OxyState.FAILED
    leaked = [t for t in texts if TOKEN in t or TOKEN[-12:] in t]
    assert not leaked, leaked[:2]


async def test_token_sent_only_to_its_node_and_not_in_events() -> None:
    """A run's events and the stats of a tokened agent carry no token, and the token reaches the node."""
    node = SimNode("math_agent", seed=4, knobs=FAST)
    await node.start(port=0)
    seen: list[Any] = []
    try:
        async with SSEOxyGent("math_agent", node.url, token=TOKEN, max_retries=0) as agent:
            events = [ev async for ev in agent.stream(agent.build_request("add 2 3"))]
            seen += [repr(ev) for ev in events] + [json.dumps(ev.raw, default=str) for ev in events]
            seen.append(repr(agent))
        assert isinstance(events[-1], StreamClosed)
        assert not [s for s in seen if TOKEN in s]
    finally:
        await node.stop()
    # ... and the token does reach the node, as a bearer header on every request the agent makes.
    async with ScriptedServer() as srv:
        srv.on("GET", "/get_organization", Json(json.loads(org_body())))
        srv.on("POST", "/sse/chat", Replay(capture("math_add.sse")))
        async with SSEOxyGent("math_agent", srv.url, token=TOKEN, max_retries=0) as agent:
            await agent.init()
            resp = await agent.execute(agent.build_request("add 2 3"))
        assert resp.state is OxyState.COMPLETED
        sent = srv.requests_to("/get_organization") + srv.requests_to("/sse/chat")
        assert len(sent) == 2
        assert all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in sent)
