"""Parsing the run records real OxyGent 1.1.3 nodes keep (``tests/fixtures/traffic``): every capture."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from oxytui.client import OxyState
from oxytui.client.records import (
    MAX_RECORDS,
    REDACTED,
    is_secret_header,
    parse_history,
    parse_node,
    parse_node_time,
    parse_view,
)

TRAFFIC = Path(__file__).resolve().parent.parent / "fixtures" / "traffic"


def load(name: str) -> Any:
    return json.loads((TRAFFIC / f"{name}.json").read_text())


def test_every_capture_parses_without_loss() -> None:
    for path in sorted(TRAFFIC.glob("*.json")):
        payload = json.loads(path.read_text())
        name = path.stem
        if name.startswith("history_") and name != "history_bad_page":
            page = parse_history(payload, "n")
            groups = payload["data"]["conversation_groups"]
            assert page.available and page.skipped == 0, name
            assert len(page.traces) == sum(len(g["conversations"]) for g in groups), name
        elif name.startswith("view_") and name not in ("view_missing_param",):
            view = parse_view(payload, "n")
            assert view.available and view.skipped == 0, name
            assert len(view.records) == len(payload["data"]["nodes"]), name
        elif name.startswith("node_") and name != "node_unknown":
            rec = parse_node(payload, "n")
            assert rec is not None and rec.node_id == payload["data"]["node_id"], name


def test_history_summary_fields() -> None:
    page = parse_history(load("history_master_inflight"), "master")
    slow, boom, add = page.traces
    assert slow.trace_id == "TRremoteSlow0001" and slow.running and slow.query == "remote slow 4"
    assert slow.create_time == datetime(2026, 11, 29, 13, 59, 35, 266653)
    assert slow.callee == "master_agent" and slow.group_id == "JHZQ3Z784XhmJi68" and slow.node == "master"
    assert not boom.running and boom.output.startswith("Final answer")
    assert add.query == "remote add 2 3"  # a master's input carries prompt fields too
    assert page.total == 3


def test_no_records_answers() -> None:
    assert not parse_history(load("history_bad_page"), "n").available  # FastAPI 422 body
    assert not parse_view(load("view_missing_param"), "n").available
    assert not parse_history({"code": 500, "message": "es down"}, "n").available
    assert "500" in parse_view({"code": 500, "message": "es down"}, "n").reason
    assert parse_node(load("node_unknown"), "n") is None  # {"code": 400, "message": "illegal node_id"}
    unknown = parse_view(load("view_unknown"), "n")
    assert unknown.available and unknown.records == [] and not unknown.finished


def test_view_records_typed() -> None:
    view = parse_view(load("view_math_inflight"), "math")
    hop, llm, tool = view.records
    assert hop.node_id == "jp2rp9ebvDNX5Kog" and hop.state is None and hop.duration is None
    assert hop.father_id == "hXwtaiXd8iQm7ZoZ" and hop.call_stack == ("user", "master_agent", "math_agent")
    assert llm.state is OxyState.COMPLETED and llm.model == "fake-react-1"
    assert (llm.input_tokens, llm.output_tokens, llm.total_tokens) == (607, 33, 640)
    assert llm.duration == pytest.approx(0.136809, abs=1e-6)
    assert llm.first_response_ms == pytest.approx(66.42699, abs=1e-3)
    assert tool.callee == "slow_tool" and tool.state is None and not view.finished
    assert isinstance(llm.decoded_input(), dict)
    boom = parse_view(load("view_math_boom"), "math")
    assert boom.finished and [r.callee for r in boom.records if r.failed] == ["boom"]


def test_credentials_redacted_at_parse_time() -> None:
    view = parse_view(load("view_math_auth_header"), "math")
    for rec in view.records:
        assert ("authorization", REDACTED) in rec.headers
        assert "SECRET-TOKEN-123" not in repr(rec)
    # the LLM's api_key in its class_attr is a credential too
    llm = next(r for r in parse_view(load("view_math_inflight"), "m").records if r.node_type == "llm")
    assert "fake-key-not-secret" not in llm.raw_input and f'"api_key": "{REDACTED}"' in llm.raw_input


def test_secret_headers_by_name() -> None:
    for name in ("Authorization", "proxy-authorization", "Cookie", "set-cookie", "X-Api-Key", "x-auth-token",
                 "MY_SECRET", "x-refresh-token"):  # fmt: skip
        assert is_secret_header(name), name
    for name in ("host", "content-type", "user-agent", "accept"):
        assert not is_secret_header(name), name


def test_secret_value_echoed_elsewhere_is_removed() -> None:
    rec = {
        "node_id": "a",
        "output": "the header was Bearer hunter2-xyz, and again hunter2-xyz",
        "shared_data": json.dumps({"_headers": {"X-Session-Token": "hunter2-xyz"}}),
    }
    earlier = {"node_id": "b", "output": "leaked: hunter2-xyz"}
    view = parse_view({"code": 200, "data": {"nodes": [earlier, rec]}}, "n", "T")
    assert all("hunter2" not in r.raw_output for r in view.records)


def test_malformed_records_are_skipped_and_counted() -> None:
    good = load("view_math_boom")["data"]["nodes"][0]
    nodes: list[Any] = [
        None, 1, "x", [], {}, {"node_id": 5}, {"node_id": ""},
        {"node_id": "ok", "state": "weird", "create_time": "not a time", "call_stack": "nope",
         "extra": "{not json", "shared_data": "[1,2]", "index": True, "input": {"a": float("nan")}},
        {**good, "state": 99, "update_time": 12, "extra": json.dumps({"usage": {"input_tokens": -1}})},
    ]  # fmt: skip
    view = parse_view({"code": 200, "message": "SUCCESS", "data": {"nodes": nodes, "trace_id": "T"}}, "n")
    assert view.skipped == 7 and len(view.records) == 2
    odd, other = view.records
    assert odd.state is None and odd.create_time is None and odd.call_stack == () and odd.index == -1
    assert other.state is None and other.update_time is None and other.input_tokens is None
    for payload in (None, [], "x", {"code": 200, "data": None}, {"data": {"nodes": 3}}, {"code": "x"}):
        assert not parse_view(payload, "n").available
        assert not parse_history(payload, "n").available
        assert parse_node(payload, "n") is None
    convs = [None, {"trace_id": 3}, {"trace_id": "t", "input": "not json", "output": None}]
    weird_groups = {"code": 200, "data": {"conversation_groups": [None, {"conversations": convs}]}}
    page = parse_history(weird_groups, "n")
    assert page.skipped == 3 and page.traces[0].query == "not json" and page.traces[0].running


def test_huge_views_are_capped() -> None:
    nodes = [{"node_id": f"n{i}", "output": "x"} for i in range(MAX_RECORDS + 5)]
    nodes[0]["output"] = "y" * 5_000_000
    view = parse_view({"code": 200, "data": {"nodes": nodes, "trace_id": "T"}}, "n")
    assert len(view.records) == MAX_RECORDS and view.dropped == 5
    assert len(view.records[0].raw_output) < 70_000 and "5,000,000 chars" in view.records[0].raw_output


def test_node_times() -> None:
    assert parse_node_time("2026-11-29 13:59:35.266653000") == datetime(2026, 11, 29, 13, 59, 35, 266653)
    assert parse_node_time("2026-11-29 13:59:35") == datetime(2026, 11, 29, 13, 59, 35)
    assert parse_node_time("2026-11-29 13:59:35.5") == datetime(2026, 11, 29, 13, 59, 35, 500000)
    for bad in (None, 5, "", "2026-13-29 13:59:35.1", "x" * 100, "29/11/2026 13:59:35"):
        assert parse_node_time(bad) is None, bad


def test_credential_fields_in_raw_json_text() -> None:
    from oxytui.client.records import scrub_text

    text = '{"api_key": "k-123", "X-Api-Key" : "k-456", "total_tokens": 5, "my_token": "", "model": "m"}'
    out = scrub_text(text, [])
    assert "k-123" not in out and "k-456" not in out
    assert '"total_tokens": 5' in out and '"model": "m"' in out


def test_history_summaries_are_scrubbed() -> None:
    """A remembered token echoed in a run's query or output never reaches the runs table/store."""
    from oxytui.redact import MASK, remember

    token = "REMEMBERED-node-token-7f3a9c"
    remember(token)
    conv = {"trace_id": "T", "callee": "m", "create_time": "2026-11-29 13:59:35.1",
            "input": json.dumps({"query": f"use {token}"}),
            "output": f'echo {token} and "api_key": "sk-live-abcdef123456"'}  # fmt: skip
    payload = {"code": 200, "data": {"conversation_groups": [{"conversations": [conv]}]}}
    (t,) = parse_history(payload, "a").traces
    assert token not in t.query and MASK in t.query
    assert token not in t.output and "sk-live-abcdef123456" not in t.output and MASK in t.output
