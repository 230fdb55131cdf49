"""The hot-path event builder must give exactly what the general, defensive builder gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oxytui.client._fastevents import fast_event
from oxytui.client.events import event_from_message
from oxytui.client.sse import SSEDecoder, SSEMessage

CAPTURES = Path(__file__).parent.parent / "fixtures" / "captures"


def general(msg: SSEMessage) -> Any:
    return event_from_message(msg, node="n", trace_id="t", mono=1.0, wall=2.0)


@pytest.mark.parametrize("path", sorted(CAPTURES.glob("*.sse")), ids=lambda p: p.name)
def test_same_events_on_every_capture(path: Path) -> None:
    d = SSEDecoder()
    msgs = [m for m in d.feed(path.read_bytes()) if isinstance(m, SSEMessage)]
    for m in msgs:
        fast, slow = fast_event(m, "n", "t", 1.0, 2.0), general(m)
        assert type(fast) is type(slow) and fast == slow


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
keys = st.sampled_from(
    ["node_id", "copied_node_id", "caller", "callee", "caller_category", "callee_category", "call_stack",
     "arguments", "request_id", "output", "current_trace_id", "delta", "agent"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(
    kind=st.sampled_from(
        ["tool_call", "observation", "stream", "stream_end", "answer", "think", "progress", "x"]
    ),
    content=st.one_of(json_value, st.dictionaries(keys, json_value | st.text(max_size=4), max_size=8)),
    top=st.dictionaries(st.sampled_from(["current_trace_id", "request_id", "agent"]), json_value, max_size=3),
)
def test_same_events_on_odd_shapes(kind: str, content: Any, top: dict[str, Any]) -> None:
    data = json.dumps({"type": kind, "content": content, **top})
    msg = SSEMessage("message", data, "id1", 3000, len(data))
    fast, slow = fast_event(msg, "n", "t", 1.0, 2.0), general(msg)
    assert type(fast) is type(slow) and fast == slow
    assert fast.raw is not None
