"""Typed events for the streaming hot path, decoded straight from the wire bytes by msgspec.

``event_from_message`` is general and defensive (coerces every field). Here the common OxyGent shapes
(tool_call, observation, stream, stream_end, answer, think) are decoded in one msgspec call into a tagged
union of small ``Struct``s that the cyclic GC does not track, then copied into the public event; the
event's ``raw`` dict is only built if someone reads it. Anything unusual (another type, a field of an
unexpected JSON type, NaN, a duplicated tag, invalid UTF-8, not JSON) fails that decode and goes to the
general builder, so the result is always what the general builder gives (a test checks every capture
and random shapes).
"""

from __future__ import annotations

from typing import Any

import msgspec

from .events import (
    UNDECODED,
    AnswerEvent,
    ObservationEvent,
    OxyEvent,
    StreamEndEvent,
    StreamEvent,
    ThinkEvent,
    ToolCallEvent,
    event_from_message,
)
from .sse import LeanMessage, SSEMessage, lean_to_message

__all__ = ["fast_event", "lean_event"]


# --- the wire shapes (what OxyGent 1.1.3 sends; defaults are the general builder's for a missing key) ---


class _StreamContent(msgspec.Struct, gc=False):
    delta: str = ""
    agent: str = ""
    node_id: str = ""


class _Stream(msgspec.Struct, tag_field="type", tag="stream", gc=False):
    content: _StreamContent


class _StreamEnd(msgspec.Struct, tag_field="type", tag="stream_end", gc=False):
    content: _StreamContent


class _ToolCallContent(msgspec.Struct, gc=False):
    # fields in OxyGent's key order: msgspec tries the next field first, so in-order keys match at once
    node_id: str = ""
    copied_node_id: str = ""
    caller: str = ""
    callee: str = ""
    caller_category: str = ""
    callee_category: str = ""
    call_stack: list[str] = []
    arguments: Any = None
    request_id: str = ""


class _ObservationContent(msgspec.Struct, gc=False):
    node_id: str = ""
    copied_node_id: str = ""
    caller: str = ""
    callee: str = ""
    caller_category: str = ""
    callee_category: str = ""
    call_stack: list[str] = []
    arguments: Any = None
    output: Any = None
    current_trace_id: str = ""
    request_id: str = ""


class _ToolCall(msgspec.Struct, tag_field="type", tag="tool_call", gc=False):
    content: _ToolCallContent


class _Observation(msgspec.Struct, tag_field="type", tag="observation", gc=False):
    content: _ObservationContent


class _Answer(msgspec.Struct, tag_field="type", tag="answer", gc=False):
    content: Any = None
    current_trace_id: str = ""
    request_id: str = ""


class _Think(msgspec.Struct, tag_field="type", tag="think", gc=False):
    content: Any = None
    agent: str = ""


_decode = msgspec.json.Decoder(_Stream | _StreamEnd | _ToolCall | _Observation | _Answer | _Think).decode
_Invalid = msgspec.DecodeError  # ValidationError is a subclass


def fast_event(msg: SSEMessage, node: str, trace_id: str, mono: float, wall: float) -> OxyEvent:
    """Same result as ``event_from_message(msg, node=…, trace_id=…, mono=…, wall=…)``.

    JSON is decoded from the message's undecoded bytes when the decoder kept them (``msg.raw``); invalid
    UTF-8 fails there and the general builder works on the (replacement-decoded) text, as before.
    """
    if msg.event != "close":
        wire = msg.data if msg.raw is None else msg.raw
        try:
            w = _decode(wire)
        except _Invalid:
            pass
        else:
            return _build(w, wire, node, trace_id, msg.id, msg.event, msg.retry, mono, wall, msg.size)
    return event_from_message(msg, node=node, trace_id=trace_id, mono=mono, wall=wall)


def lean_event(item: LeanMessage, node: str, trace_id: str, mono: float, wall: float) -> OxyEvent:
    """``fast_event`` for a lean decoder item ``(event, data_bytes, id, retry)``: the data is only decoded
    to text when the general builder needs it (invalid UTF-8, non-object JSON, unusual shapes)."""
    kind, wire, sse_id, retry = item
    if kind != "close":
        try:
            w = _decode(wire)
        except _Invalid:
            pass
        else:
            return _build(w, wire, node, trace_id, sse_id, kind, retry, mono, wall, len(wire))
    return event_from_message(lean_to_message(item), node=node, trace_id=trace_id, mono=mono, wall=wall)


# The public events are built positionally (msgspec matches 20 keywords several times slower than it
# takes positions); this guard fails at import if a field is added, removed or moved.
_META = ("type", "node", "trace_id", "sse_id", "sse_event", "retry", "mono", "wall", "size", "raw", "_wire")
_CALL = ("node_id", "copied_node_id", "caller", "callee", "caller_category", "callee_category", "call_stack",
         "request_id", "arguments")  # fmt: skip
_LAYOUT = {
    StreamEvent: (*_META, "delta", "agent", "node_id"),
    StreamEndEvent: (*_META, "delta", "agent", "node_id"),
    ToolCallEvent: (*_META, *_CALL),
    ObservationEvent: (*_META, *_CALL, "output", "current_trace_id"),
    AnswerEvent: (*_META, "content", "current_trace_id", "request_id"),
    ThinkEvent: (*_META, "content", "agent"),
}
for _cls, _fields in _LAYOUT.items():
    if _cls.__struct_fields__ != _fields:
        raise RuntimeError(f"{_cls.__name__} fields changed: update oxytui.client._fastevents")


def _build(
    w: Any,
    wire: bytes | str,
    node: str,
    trace_id: str,
    sse_id: str | None,
    sse_event: str,
    retry: int | None,
    mono: float,
    wall: float,
    size: int,
) -> OxyEvent:
    """The public event for one decoded wire struct; ``raw`` stays undecoded until read."""
    cls = type(w)
    if cls is _Stream or cls is _StreamEnd:
        c = w.content
        return (StreamEvent if cls is _Stream else StreamEndEvent)(
            "stream" if cls is _Stream else "stream_end",
            node, trace_id, sse_id, sse_event, retry, mono, wall, size, UNDECODED, wire,
            c.delta, c.agent, c.node_id,
        )  # fmt: skip
    if cls is _ToolCall:
        c = w.content
        args = c.arguments
        return ToolCallEvent(
            "tool_call", node, trace_id, sse_id, sse_event, retry, mono, wall, size, UNDECODED, wire,
            c.node_id, c.copied_node_id, c.caller, c.callee, c.caller_category, c.callee_category,
            c.call_stack, c.request_id, args if type(args) is dict else {},
        )  # fmt: skip
    if cls is _Observation:
        c = w.content
        args = c.arguments
        return ObservationEvent(
            "observation", node, trace_id, sse_id, sse_event, retry, mono, wall, size, UNDECODED, wire,
            c.node_id, c.copied_node_id, c.caller, c.callee, c.caller_category, c.callee_category,
            c.call_stack, c.request_id, args if type(args) is dict else {}, c.output, c.current_trace_id,
        )  # fmt: skip
    if cls is _Answer:
        return AnswerEvent(
            "answer", node, trace_id, sse_id, sse_event, retry, mono, wall, size, UNDECODED, wire,
            w.content, w.current_trace_id, w.request_id,
        )  # fmt: skip
    return ThinkEvent(
        "think", node, trace_id, sse_id, sse_event, retry, mono, wall, size, UNDECODED, wire,
        w.content, w.agent,
    )  # fmt: skip
