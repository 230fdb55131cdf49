"""The typed OxyGent events: what each event is and what it holds (``oxytui.client.events`` builds them
from SSE messages and re-exports every public name here).

These are ``msgspec.Struct``s with ``gc=False`` rather than pydantic models or dataclasses: a busy node sends
tens of thousands of small events per second; validation would cost more than the whole decode, and objects
the cyclic GC tracks made collections run every few hundred events (an event holds no reference cycle, so
the collector never needs to see it). The hot path (``_fastevents``) decodes the common shapes straight
from the wire bytes; ``raw`` is then decoded only when read.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
from pydantic_core import from_json

__all__ = [
    "UNDECODED",
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
]


def decode_json(text: str | bytes) -> Any:
    """Parse JSON fast (pydantic-core), accepting NaN/Infinity as Python's ``json.dumps`` writes them."""
    return from_json(text, allow_inf_nan=True)


class OxyEvent(msgspec.Struct, gc=False):
    """Base of every event. ``raw`` is the decoded ``data`` value exactly as received (the wire truth).

    Build events with keywords: the positional order is the hot path's business, not part of the API.
    """

    type: str = ""
    node: str = ""
    """Name of the node whose stream delivered the event."""
    trace_id: str = ""
    """``current_trace_id`` of the run whose stream delivered it (tool_call events do not carry one)."""
    sse_id: str | None = None
    sse_event: str = "message"
    retry: int | None = None
    mono: float = 0.0
    """``time.monotonic()`` when received (OxyGent events carry no timestamps)."""
    wall: float = 0.0
    """``time.time()`` when received."""
    size: int = 0
    """Bytes of ``data`` on the wire."""
    raw: Any = None
    """Read it, never the slot: the hot path stores :data:`UNDECODED` here and ``_wire`` holds the bytes."""
    _wire: Any = None
    """The undecoded ``data`` (bytes or str) while ``raw`` is :data:`UNDECODED` (hot path only)."""

    @property
    def summary(self) -> str:
        """One line for logs and lists (plain text; callers must render it literally)."""
        return _one_line(self.raw)

    def __eq__(self, other: object) -> bool:
        """Field-wise, with ``raw`` compared decoded (a lazily decoded event equals an eager one)."""
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self.__struct_fields__ if f != "_wire")

    def __repr__(self) -> str:
        fields = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.__struct_fields__ if f != "_wire")
        return f"{type(self).__name__}({fields})"

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value: unhashable like before


class CallEvent(OxyEvent, gc=False):
    """Common fields of ``tool_call`` and ``observation``; pair them by ``node_id``."""

    node_id: str = ""
    copied_node_id: str = ""
    caller: str = ""
    callee: str = ""
    caller_category: str = ""
    callee_category: str = ""
    call_stack: list[str] = msgspec.field(default_factory=list)
    request_id: str = ""
    arguments: dict[str, Any] = msgspec.field(default_factory=dict)

    @property
    def is_user_boundary(self) -> bool:
        """True for a node's own start/end as seen by its caller (SSEOxyGent does not forward these)."""
        return self.caller_category == "user" or self.callee_category == "user"


class ToolCallEvent(CallEvent, gc=False):
    type: str = "tool_call"

    @property
    def summary(self) -> str:
        query = self.arguments.get("query") if isinstance(self.arguments, dict) else None
        head = f"{self.caller} -> {self.callee} ({self.callee_category})"
        return f"{head}: {_one_line(query)}" if query else head


class ObservationEvent(CallEvent, gc=False):
    type: str = "observation"
    output: Any = None
    current_trace_id: str = ""

    @property
    def output_value(self) -> Any:
        """``output`` with a JSON-encoded string decoded once more (some tools return JSON text)."""
        out = self.output
        if isinstance(out, str) and out[:1] in ("{", "["):
            try:
                return decode_json(out)
            except ValueError:
                return out
        return out

    @property
    def summary(self) -> str:
        return f"{self.caller} <- {self.callee}: {_one_line(self.output)}"


class AnswerEvent(OxyEvent, gc=False):
    type: str = "answer"
    content: Any = ""
    current_trace_id: str = ""
    request_id: str = ""

    @property
    def summary(self) -> str:
        return _one_line(self.content)


class ThinkEvent(OxyEvent, gc=False):
    type: str = "think"
    content: Any = ""
    agent: str = ""

    @property
    def summary(self) -> str:
        return f"{self.agent}: {_one_line(self.content)}"


class StreamEvent(OxyEvent, gc=False):
    """One LLM token delta; ``node_id`` is the LLM call's node."""

    type: str = "stream"
    delta: str = ""
    agent: str = ""
    node_id: str = ""

    @property
    def summary(self) -> str:
        return _one_line(self.delta)


class StreamEndEvent(StreamEvent, gc=False):
    type: str = "stream_end"


class ProgressEvent(OxyEvent, gc=False):
    type: str = "progress"
    progress: float | None = None
    status: str = ""
    content: Any = None

    @property
    def summary(self) -> str:
        pct = "" if self.progress is None else f"{self.progress:g}% "
        return f"{pct}{self.status}".strip() or _one_line(self.content)


class ErrorEvent(OxyEvent, gc=False):
    type: str = "error"
    content: Any = None

    @property
    def message(self) -> str:
        c = self.content
        if isinstance(c, dict):
            for key in ("message", "error", "detail"):
                if key in c:
                    return str(c[key])
        return _one_line(c)

    @property
    def summary(self) -> str:
        return self.message


class UnknownEvent(OxyEvent, gc=False):
    """Any other message type (``re_run``, ``metrics``, custom app messages, non-JSON text)."""

    content: Any = None


class KeepAlive(OxyEvent, gc=False):
    """A ``: ping`` comment: proof the connection is alive, not an OxyGent message."""

    type: str = "ping"
    text: str = ""


class StreamClosed(OxyEvent, gc=False):
    """``event: close`` / ``data: done``: the node finished the run cleanly."""

    type: str = "close"


class _Undecoded:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<undecoded>"

    def __reduce__(self) -> str:
        return "UNDECODED"  # copies and pickles keep the one marker


UNDECODED: Any = _Undecoded()
"""Marker in the ``raw`` slot of a hot-path event whose data is still the bytes in ``_wire``."""


class _LazyRaw:
    """``OxyEvent.raw``: the stored value, or the ``_wire`` bytes decoded on first read (then stored).

    msgspec makes ``raw`` a plain slot; this wraps that slot's descriptor so the public name, the
    ``raw=`` keyword and assignment keep working while the hot path skips building dicts nobody reads.
    """

    __slots__ = ("_slot",)

    def __init__(self, slot: Any) -> None:
        self._slot = slot

    def __get__(self, obj: OxyEvent | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = self._slot.__get__(obj, owner)
        if value is UNDECODED:
            value = _decode_wire(obj._wire)
            self._slot.__set__(obj, value)
            obj._wire = None
        return value

    def __set__(self, obj: OxyEvent, value: Any) -> None:
        self._slot.__set__(obj, value)


_msgspec_decode = msgspec.json.Decoder().decode


def _decode_wire(wire: bytes | str | None) -> Any:
    """What the general builder would have stored: the JSON value. msgspec (2x faster than pydantic-core
    here) already accepted these bytes once; pydantic-core's reading is the fallback (e.g. a number out of
    msgspec's range in a field the typed decode skipped)."""
    if wire is None:
        return None
    try:
        return _msgspec_decode(wire)
    except msgspec.DecodeError:
        return decode_json(wire)


setattr(OxyEvent, "raw", _LazyRaw(OxyEvent.__dict__["raw"]))  # noqa: B010  (mypy: a typed field)


def _one_line(v: Any, limit: int = 300) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        text = v
    else:
        try:
            text = json.dumps(v, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(v)
    if len(text) > limit * 4:
        text = text[: limit * 4]
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
