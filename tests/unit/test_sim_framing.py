"""The simulator's framing and brain against the real captures, byte for byte (no network)."""

from __future__ import annotations

import json
import random
import re

import pytest

from oxytui.sim.brain import (
    COMMON_TOOLS,
    ROLE_TOOLS,
    AgentSpec,
    big_text,
    final_text,
    llm_tool_text,
    make_plan,
    split_think,
)
from oxytui.sim.framing import ALPHABET, encode_comment, encode_event, new_id, ping_frame
from tests.support.captures import CAPTURES, capture

SSE_CAPTURES = sorted(p.stem for p in CAPTURES.glob("*.sse"))


def blocks(raw: bytes) -> list[list[bytes]]:
    """Events of a capture as lists of CRLF lines (strict: only CRLF framing is accepted)."""
    assert raw.endswith(b"\r\n\r\n")
    return [b.split(b"\r\n") for b in raw[:-4].split(b"\r\n\r\n")]


@pytest.mark.parametrize("name", SSE_CAPTURES)
def test_every_captured_event_reencodes_to_the_same_bytes(name: str) -> None:
    raw = capture(name)
    out = bytearray()
    for lines in blocks(raw):
        sse_id = lines[0].removeprefix(b"id: ").decode()
        event = lines[1].removeprefix(b"event: ").decode()
        data = lines[2].removeprefix(b"data: ").decode()
        assert lines[3] == b"retry: 3000" and len(lines) == 4
        value = data if event == "close" else json.loads(data)
        out += encode_event(value, id=sse_id, event=event)
    assert bytes(out) == raw


def test_ids_are_shortuuid_shaped_and_seeded() -> None:
    a, b = new_id(random.Random(5)), new_id(random.Random(5))
    assert a == b and len(a) == 16 and set(a) <= set(ALPHABET)
    assert len(new_id(random.Random(5), 22)) == 22
    assert new_id(random.Random(6)) != a


def test_ping_and_comment_frames() -> None:
    assert re.fullmatch(rb": ping - \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\+00:00\r\n\r\n", ping_frame()), (
        ping_frame()
    )
    assert encode_comment("a\nb") == b": a\r\n: b\r\n\r\n"


def test_non_dict_message_with_newlines_becomes_several_data_lines() -> None:
    assert (
        encode_event("x\ny\r\nz", id="i")
        == b"id: i\r\nevent: message\r\ndata: x\r\ndata: y\r\ndata: z\r\nretry: 3000\r\n\r\n"
    )


def _deltas(name: str, node_agent: str = "") -> list[list[str]]:
    """The stream deltas of each LLM call in a capture, grouped by LLM node id."""
    groups: dict[str, list[str]] = {}
    for lines in blocks(capture(name)):
        if lines[1] != b"event: message":
            continue
        msg = json.loads(lines[2][6:])
        if msg["type"] == "stream" and (not node_agent or msg["content"]["agent"] == node_agent):
            groups.setdefault(msg["content"]["node_id"], []).append(msg["content"]["delta"])
    return list(groups.values())


def _chunks(text: str) -> list[str]:
    return [text[i : i + 24] for i in range(0, len(text), 24)]


def test_llm_texts_stream_exactly_like_the_captured_fake_llm() -> None:
    add_call, add_final = _deltas("math_add")
    text, think = llm_tool_text("add", {"a": 2, "b": 3})
    assert _chunks(text) == add_call and think == "I should call add."
    assert _chunks(final_text([("add", 5)])) == add_final
    boom_call, boom_final = _deltas("math_boom")
    assert _chunks(llm_tool_text("boom", {"reason": "the query asked for boom"})[0]) == boom_call
    assert (
        _chunks(final_text([("boom", "boom tool failed on purpose (the query asked for boom)")]))
        == boom_final
    )
    now_call = _deltas("master_local_now")[0]
    assert _chunks(llm_tool_text("now", {})[0]) == now_call


def test_big_output_and_its_summary_match_the_capture() -> None:
    lines = blocks(capture("math_big"))
    msgs = [json.loads(b[2][6:]) for b in lines if b[1] == b"event: message"]
    tool_obs = next(m for m in msgs if m["type"] == "observation" and m["content"]["callee"] == "big_output")
    output = tool_obs["content"]["output"]
    assert big_text(len(output)) == output
    answer = next(m for m in msgs if m["type"] == "answer")["content"]
    assert split_think(final_text([("big_output", output)]))[1] == answer


def test_split_think() -> None:
    assert split_think("<think>a</think> b ") == ("a", "b")
    assert split_think(llm_tool_text("x", {})[0])[0] == "I should call x."
    assert split_think("plain ") == (None, "plain")


MATH = AgentSpec("math_agent", COMMON_TOOLS + ROLE_TOOLS["math_agent"])
MASTER = AgentSpec(
    "master_agent",
    ("now", "echo"),
    {"math_agent": frozenset(MATH.tools), "research_agent": frozenset({"search"})},
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("add 2 3", [("tool", "add", {"a": 2, "b": 3})]),
        ("multiply 4 5", [("tool", "multiply", {"a": 4, "b": 5})]),
        (
            "slow 0.5 boom",
            [
                ("tool", "slow_tool", {"seconds": 0.5}),
                ("tool", "boom", {"reason": "the query asked for boom"}),
            ],
        ),
        ("fail", [("tool", "flaky", {"reason": "the query asked for fail"})]),
        ("big 1000", [("tool", "big_output", {"size": 1000})]),
        ("oversized", [("tool", "big_output", {"size": 600000})]),
        (
            "flood 5 malformed badutf8",
            [("flood", "flood", {}), ("fault", "malformed", {}), ("fault", "badutf8", {})],
        ),
        ("hang", [("fault", "hang", {})]),
        ("add 1 2 disconnect", [("tool", "add", {"a": 1, "b": 2}), ("fault", "disconnect", {})]),
        ("hello there", []),
    ],
)
def test_plans_on_a_sub_agent(query: str, expected: list[tuple[str, str, dict]]) -> None:
    plan = make_plan(query, MATH, random.Random(0))
    got = [(s.kind, s.name, s.args) for s in plan.steps]
    assert [e[:2] for e in expected] == [g[:2] for g in got]
    for e, g in zip(expected, got, strict=True):
        if e[2]:
            assert e[2] == g[2]
    assert (plan.direct is not None) == (not any(e[0] == "tool" for e in expected))


def test_steps_and_determinism() -> None:
    a = make_plan("steps 5", MATH, random.Random("s"))
    b = make_plan("steps 5", MATH, random.Random("s"))
    assert len(a.steps) == 5 and [(s.name, s.args) for s in a.steps] == [(s.name, s.args) for s in b.steps]
    assert all(s.name in ("now", "add", "multiply") for s in a.steps)


def test_master_delegates_what_it_cannot_do() -> None:
    plan = make_plan("add 2 3", MASTER, random.Random(0))
    assert [(s.kind, s.name, s.value) for s in plan.steps] == [("remote", "math_agent", "add 2 3")]
    plan = make_plan("remote research search asyncio", MASTER, random.Random(0))
    assert [(s.kind, s.name, s.value) for s in plan.steps] == [("remote", "research_agent", "search asyncio")]
    assert make_plan("remote http500", MASTER, random.Random(0)).http_fault is None  # acts on the remote
    assert make_plan("now", MASTER, random.Random(0)).steps[0].kind == "tool"
    assert make_plan("hello http500", MASTER, random.Random(0)).http_fault == "http500"
    lone = AgentSpec("x", ("now",))
    assert make_plan("add 1 2", lone, random.Random(0)).steps[0].kind == "missing"


def test_master_steps_spread_over_sub_agents() -> None:
    plan = make_plan("steps 12", MASTER, random.Random("m"))
    kinds = {(s.kind, s.name) for s in plan.steps}
    assert ("remote", "math_agent") in kinds and ("remote", "research_agent") in kinds
    assert ("tool", "now") in kinds and len(plan.steps) == 12
    for s in plan.steps:
        if s.name == "research_agent":
            assert s.value == "search"
        if s.name == "math_agent":
            assert s.value.startswith("add ")


def test_sizes_from_queries_are_capped() -> None:
    plan = make_plan("big 1000000000000 flood 99999999999 steps 100000", MATH, random.Random(0))
    assert plan.steps[0].value == 64 * 2**20 and plan.steps[1].value == 1_000_000
    assert len(plan.steps) == 2 + 200
