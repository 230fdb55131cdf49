"""The client library never changes process-wide GC state: user code it calls sees the host's settings."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from oxytui.client import SSEOxyGent
from oxytui.client.events import OxyEvent
from tests.support.captures import capture
from tests.support.scripted_server import Replay, ScriptedServer


def gc_state() -> tuple[bool, tuple[int, ...], int]:
    return gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()


@pytest.mark.parametrize("tap", [False, True], ids=["lean", "wire-tap"])
async def test_callbacks_and_consumer_see_the_hosts_gc_state(tap: bool) -> None:
    data = capture("math_add")
    host = gc_state()
    seen: list[tuple[bool, tuple[int, ...], int]] = []
    calls = {"tap": 0, "handler": 0}

    def wire_tap(node: str, trace_id: str, item: Any, wall: float) -> None:
        calls["tap"] += 1
        seen.append(gc_state())

    async def handler(content: Any) -> None:
        calls["handler"] += 1
        seen.append(gc_state())

    tap_fn = wire_tap if tap else None
    async with ScriptedServer() as srv, SSEOxyGent("math", srv.url, wire_tap=tap_fn) as agent:
        srv.on("POST", "/sse/chat", Replay(data, chunk_size=97))  # many chunks, events straddling them
        for kind in ("tool_call", "observation", "stream", "answer"):
            agent.on(kind, handler)
        events: list[OxyEvent] = []
        async for ev in agent.stream(agent.build_request("add 2 3")):
            seen.append(gc_state())
            events.append(ev)
    assert len(events) > 10 and calls["handler"] > 10 and calls["tap"] == (len(events) if tap else 0)
    assert set(seen) == {host} and gc_state() == host


def test_events_are_not_tracked_by_the_cyclic_gc() -> None:
    """Why nothing needs to pause the collector: a typed event is not a GC container (its list and dict
    fields are, as any list and dict)."""
    from oxytui.client._fastevents import fast_event  # the hot path under test
    from oxytui.client.sse import SSEDecoder, SSEMessage

    msgs = [m for m in SSEDecoder().feed(capture("math_add")) if isinstance(m, SSEMessage)]
    events = [fast_event(m, "n", "t", 0.0, 0.0) for m in msgs]
    assert events and not any(gc.is_tracked(ev) for ev in events)
