"""Loading the real OxyGent 1.1.3 captures and decoding them offline (the expected side of tests)."""

from __future__ import annotations

from pathlib import Path

from oxytui.client.events import OxyEvent, event_from_comment, event_from_message
from oxytui.client.sse import SSEDecoder, SSEMessage

__all__ = ["CAPTURES", "capture", "capture_events", "org_body"]

CAPTURES = Path(__file__).resolve().parent.parent / "fixtures" / "captures"


def capture(name: str) -> bytes:
    """Raw bytes of ``captures/<name>`` (``.sse`` added when no suffix is given)."""
    path = CAPTURES / (name if "." in name else f"{name}.sse")
    return path.read_bytes()


def capture_events(data: bytes) -> list[OxyEvent]:
    """Typed events of a whole capture, decoded in one piece (no node/trace metadata)."""
    d = SSEDecoder()
    items = d.feed(data) + d.flush()
    return [event_from_message(i) if isinstance(i, SSEMessage) else event_from_comment(i) for i in items]


def org_body(name: str = "math") -> bytes:
    """A real ``/get_organization`` response body (``math`` or ``master``)."""
    return capture(f"get_organization_{name}.json")
