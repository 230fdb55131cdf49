"""Byte-exact SSE framing as OxyGent 1.1.3 (via sse-starlette) writes it: CRLF, id/event/data/retry."""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "ALPHABET",
    "SSE_HEADERS",
    "encode_comment",
    "encode_event",
    "new_id",
    "ping_frame",
    "to_json",
]

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
"""shortuuid's default alphabet: OxyGent's ids (node, trace, SSE event) are drawn from it."""

_LINE_SEP = re.compile(r"\r\n|\r|\n")

SSE_HEADERS: dict[str, str] = {
    "server": "uvicorn",
    "cache-control": "no-store",
    "connection": "keep-alive",
    "x-accel-buffering": "no",
    "content-type": "text/event-stream; charset=utf-8",
    "vary": "Origin",
}
"""Response headers of ``/sse/chat`` in the order the captures show (date and chunking added by aiohttp)."""


def new_id(rng: random.Random, length: int = 16) -> str:
    """A shortuuid-style random id; from a seeded rng it is reproducible."""
    return "".join(rng.choices(ALPHABET, k=length))


def to_json(data: Any) -> str:
    """OxyGent's ``to_json``: strings pass through, anything else is ``json.dumps(ensure_ascii=False)``."""
    if isinstance(data, str):
        return data
    return json.dumps(data, ensure_ascii=False, default=str)


def encode_event(
    data: Any, *, id: str | None, event: str | None = "message", retry: int | None = 3000
) -> bytes:
    """One SSE event as sse-starlette writes it: id, event, a ``data`` line per text line, retry."""
    parts: list[str] = []
    if id:
        parts.append(f"id: {id}")
    if event:
        parts.append(f"event: {event}")
    parts.extend(f"data: {chunk}" for chunk in _LINE_SEP.split(to_json(data)))
    if retry is not None:
        parts.append(f"retry: {retry}")
    parts.append("")
    return ("\r\n".join(parts) + "\r\n").encode("utf-8", "surrogatepass")


def encode_comment(text: str) -> bytes:
    """A comment frame (``: text``) followed by the blank line, as sse-starlette sends pings."""
    return "".join(f": {line}\r\n" for line in _LINE_SEP.split(text)).encode() + b"\r\n"


def ping_frame(now: datetime | None = None) -> bytes:
    """``: ping - <UTC datetime str>`` with sse-starlette's exact formatting."""
    return encode_comment(f"ping - {now or datetime.now(UTC)}")
