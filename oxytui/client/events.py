"""Typed OxyGent events, built from decoded SSE messages.

Construction here is defensive: a field of the wrong JSON type is coerced or defaulted, never raised, and
anything that is not a known event keeps its raw data in an :class:`UnknownEvent` (never dropped). The
event types themselves live in ``oxytui.client.eventtypes``; every public name is re-exported here, so
``oxytui.client.events`` stays the one place to import events from.
"""

from __future__ import annotations

from typing import Any

from .eventtypes import UNDECODED as UNDECODED  # re-exported: ``_fastevents`` takes the marker from here
from .eventtypes import (
    AnswerEvent,
    CallEvent,
    ErrorEvent,
    KeepAlive,
    ObservationEvent,
    OxyEvent,
    ProgressEvent,
    StreamClosed,
    StreamEndEvent,
    StreamEvent,
    ThinkEvent,
    ToolCallEvent,
    UnknownEvent,
    decode_json,
)
from .sse import SSEComment, SSEMessage

__all__ = [
    "AnswerEvent",
    "CallEvent",
    "ErrorEvent",
    "KeepAlive",
    "ObservationEvent",
    "OxyEvent",
    "ProgressEvent",
    "StreamClosed",
    "StreamEndEvent",
    "StreamEvent",
    "ThinkEvent",
    "ToolCallEvent",
    "UnknownEvent",
    "decode_json",
    "event_from_comment",
    "event_from_message",
    "event_from_payload",
]


def _s(v: Any) -> str:
    if isinstance(v, str):
        return v
    return "" if v is None else str(v)


def _strlist(v: Any) -> list[str]:
    if isinstance(v, list):
        return [x if isinstance(x, str) else str(x) for x in v]
    return []


def _num(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.rstrip("%"))
        except ValueError:
            return None
    return None


def _call_kwargs(c: dict[str, Any]) -> dict[str, Any]:
    args = c.get("arguments")
    return {
        "node_id": _s(c.get("node_id")),
        "copied_node_id": _s(c.get("copied_node_id")),
        "caller": _s(c.get("caller")),
        "callee": _s(c.get("callee")),
        "caller_category": _s(c.get("caller_category")),
        "callee_category": _s(c.get("callee_category")),
        "call_stack": _strlist(c.get("call_stack")),
        "request_id": _s(c.get("request_id")),
        "arguments": args if isinstance(args, dict) else {},
    }


def event_from_payload(value: Any, **meta: Any) -> OxyEvent:
    """Build a typed event from an already-decoded ``data`` value; ``meta`` fills the base fields."""
    if isinstance(value, str) and value[:1] == "{":
        try:  # a JSON object sent as a JSON string: decode once more
            inner = decode_json(value)
        except ValueError:
            inner = None
        if isinstance(inner, dict):
            value = inner
    if not isinstance(value, dict):
        return UnknownEvent(raw=value, content=value, **meta)
    kind = value.get("type")
    content = value.get("content")
    try:
        if kind == "stream" or kind == "stream_end":
            if isinstance(content, dict):
                cls = StreamEvent if kind == "stream" else StreamEndEvent
                return cls(
                    raw=value,
                    delta=_s(content.get("delta")),
                    agent=_s(content.get("agent")),
                    node_id=_s(content.get("node_id")),
                    **meta,
                )
        elif kind == "tool_call":
            if isinstance(content, dict):
                return ToolCallEvent(raw=value, **_call_kwargs(content), **meta)
        elif kind == "observation":
            if isinstance(content, dict):
                return ObservationEvent(
                    raw=value,
                    output=content.get("output"),
                    current_trace_id=_s(content.get("current_trace_id")),
                    **_call_kwargs(content),
                    **meta,
                )
        elif kind == "answer":
            return AnswerEvent(
                raw=value,
                content=content,
                current_trace_id=_s(value.get("current_trace_id")),
                request_id=_s(value.get("request_id")),
                **meta,
            )
        elif kind == "think":
            return ThinkEvent(raw=value, content=content, agent=_s(value.get("agent")), **meta)
        elif kind == "progress":
            src = content if isinstance(content, dict) else value
            return ProgressEvent(
                raw=value,
                progress=_num(src.get("progress")),
                status=_s(src.get("status")),
                content=content,
                **meta,
            )
        elif kind == "error":
            return ErrorEvent(raw=value, content=content if content is not None else value, **meta)
    except (TypeError, ValueError):
        pass
    return UnknownEvent(type=_s(kind), raw=value, content=content, **meta)


def event_from_message(msg: SSEMessage, **meta: Any) -> OxyEvent:
    """Typed event for one SSE message. ``event: close`` becomes :class:`StreamClosed`; data that is not
    JSON becomes an :class:`UnknownEvent` holding the text."""
    if msg.event == "close":
        return StreamClosed(
            raw=msg.data, sse_id=msg.id, sse_event=msg.event, retry=msg.retry, size=msg.size, **meta
        )
    data = msg.data
    try:
        value: Any = decode_json(data)
    except ValueError:
        value = data
    return event_from_payload(
        value, sse_id=msg.id, sse_event=msg.event, retry=msg.retry, size=msg.size, **meta
    )


def event_from_comment(comment: SSEComment, **meta: Any) -> KeepAlive:
    return KeepAlive(raw=comment.text, text=comment.text, sse_event="", **meta)
