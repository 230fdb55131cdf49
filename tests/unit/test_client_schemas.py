"""Schemas: OxyGent field names, id formats, message handler, organization parsing; stats; profiles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oxytui.client import (
    PROFILES,
    ConnectionStats,
    OrgNode,
    OxyRequest,
    OxyResponse,
    OxyState,
    RemoteProtocolError,
    get_profile,
    parse_organization,
)
from oxytui.client.schemas import mark_remote

CAPTURES = Path(__file__).parent.parent / "fixtures" / "captures"
OXYGENT_FIELDS = {
    "request_id", "group_id", "from_trace_id", "current_trace_id", "reference_trace_id", "restart_node_id",
    "restart_node_output", "restart_node_order", "original_payload", "input_md5", "root_trace_ids", "mas",
    "caller", "callee", "call_stack", "node_id_stack", "father_node_id", "pre_node_ids", "latest_node_ids",
    "caller_category", "callee_category", "node_id", "copied_node_id", "is_save_history", "is_send_message",
    "is_async_storage", "parallel_id", "parallel_dict", "arguments", "shared_data", "group_data",
    "create_time", "update_time",
}  # fmt: skip


def test_request_has_exactly_oxygent_fields_and_defaults() -> None:
    assert set(OxyRequest.model_fields) == OXYGENT_FIELDS
    r = OxyRequest()
    assert r.caller == "user" and r.call_stack == ["user"] and r.node_id_stack == [""]
    assert r.caller_category == "user" and r.callee == ""


def test_ids_are_unique_and_shaped_like_oxygent() -> None:
    reqs = [OxyRequest() for _ in range(2000)]
    traces = {r.current_trace_id for r in reqs}
    assert len(traces) == 2000 and all(len(t or "") == 16 for t in traces)
    assert all(len(r.request_id) == 22 and r.request_id.isalnum() for r in reqs)
    assert not set("0O1lI") & set("".join(t or "" for t in traces))


async def test_send_message_goes_to_the_private_handler() -> None:
    got: list[tuple[Any, ...]] = []

    async def handler(message: Any, event: str | None, id: str | None, retry: int | None) -> None:
        got.append((message, event, id, retry))

    r = OxyRequest()
    await r.send_message({"type": "x"})  # no handler: a no-op
    r.set_message_handler(handler)
    await r.send_message({"type": "x"}, event="message", id="i", retry=3000)
    r.is_send_message = False
    await r.send_message("ignored")
    assert got == [({"type": "x"}, "message", "i", 3000)]
    assert "_message_handler" not in r.model_dump() and "handler" not in repr(r)
    clone = r.clone_with(callee="add")
    assert clone.callee == "add" and clone._message_handler is handler


def test_shared_data_helpers() -> None:
    r = OxyRequest()
    r.set_shared_data("k", 1)
    assert (
        r.get_shared_data("k") == 1 and r.get_shared_data("nope", 2) == 2 and r.get_shared_data() == {"k": 1}
    )


def test_state_and_response() -> None:
    assert [s.name for s in OxyState][:7] == [
        "CREATED", "RUNNING", "COMPLETED", "FAILED", "PAUSED", "SKIPPED", "CANCELED"
    ]  # fmt: skip
    assert OxyState.ERROR is not OxyState.FAILED
    resp = OxyResponse(state=OxyState.COMPLETED, output=5)
    assert resp.extra == {} and resp.output == 5


@pytest.mark.parametrize("name", ["math", "master"])
def test_parse_organization_captures(name: str) -> None:
    env = json.loads((CAPTURES / f"get_organization_{name}.json").read_text())
    org = parse_organization(env)
    root = OrgNode.model_validate(org)
    assert root.type == "agent" and root.path == [root.name]
    assert all(n.path[-1] == n.name for n in root.walk())
    marked = mark_remote(org["children"])
    assert all(n.get("is_remote") for n in marked)


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"code": 500, "message": "x"},
        {"code": 200, "data": {}},
        {"data": {"organization": {"children": 3}}},
    ],
)
def test_parse_organization_rejects_garbage(bad: Any) -> None:
    with pytest.raises(RemoteProtocolError):
        parse_organization(bad, "n")


def test_stats_percentiles_window_and_rates() -> None:
    s = ConnectionStats(window=10)
    for i in range(1, 101):
        s.start()
        s.finish(i % 4 != 0, float(i), 0.01, 3, 100, error=None if i % 4 else f"err {i}")
    snap = s.snapshot()
    assert (
        snap["total_requests"] == 100 and snap["successful_requests"] == 75 and snap["failed_requests"] == 25
    )
    assert snap["average_response_time"] == pytest.approx(50.5)
    assert snap["p50_response_time"] == 95.0 and snap["p99_response_time"] == 100.0  # last 10 runs only
    assert snap["rolling_success_rate"] == pytest.approx(0.7) and snap["rolling_window"] == 10
    assert (
        snap["last_error"] == "err 100"
        and snap["events_received"] == 300
        and snap["bytes_received"] == 10_000
    )
    assert snap["in_flight"] == 0
    s.start()
    s.finish(None, 1.0, None, 0, 0)  # abandoned by the caller: neither success nor failure
    assert s.snapshot()["cancelled_requests"] == 1 and s.snapshot()["failed_requests"] == 25
    assert len(s._latencies) == 10  # bounded memory


def test_profiles() -> None:
    assert set(PROFILES) == {"development", "staging", "production"}
    assert get_profile("production").require_https and not get_profile("development").require_https
    with pytest.raises(ValueError, match="Unknown environment"):
        get_profile("qa")
