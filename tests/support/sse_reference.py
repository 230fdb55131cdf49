"""A deliberately naive, whole-buffer SSE parser written straight from the WHATWG text.

Used as the oracle for the fast incremental decoder: simple enough to check by eye, too slow for
production. Returns the same item types as :mod:`oxytui.client.sse` (messages and comments).
"""

from __future__ import annotations

import re

from oxytui.client.sse import SSEComment, SSEMessage

__all__ = ["reference_parse"]


def reference_parse(stream: bytes) -> list[SSEMessage | SSEComment]:
    """Parse a complete byte stream; an unterminated final event is dropped (spec: end of stream)."""
    if stream.startswith(b"\xef\xbb\xbf"):
        stream = stream[3:]
    lines = re.split(rb"\r\n|\r|\n", stream)
    lines.pop()  # text after the last line terminator is an incomplete line: never processed...
    tail = re.split(rb"\r\n|\r|\n", stream)[-1]
    out: list[SSEMessage | SSEComment] = []
    data: list[bytes] = []
    has_data = False
    event = ""
    retry: int | None = None
    last_id: str | None = None
    for line in [*lines, *([tail] if tail else [])]:
        if line == b"":
            if has_data:
                raw = b"\n".join(data)
                out.append(
                    SSEMessage(event or "message", raw.decode("utf-8", "replace"), last_id, retry, len(raw))
                )
            data, has_data, event, retry = [], False, "", None
            continue
        if line.startswith(b":"):
            text = line[1:]
            out.append(SSEComment(text[1:].decode("utf-8", "replace") if text.startswith(b" ") else
                                  text.decode("utf-8", "replace")))  # fmt: skip
            continue
        if b":" in line:
            name, value = line.split(b":", 1)
            if value.startswith(b" "):
                value = value[1:]
        else:
            name, value = line, b""
        if name == b"data":
            data.append(value)
            has_data = True
        elif name == b"event":
            event = value.decode("utf-8", "replace")
        elif name == b"id":
            if b"\0" not in value:
                last_id = value.decode("utf-8", "replace")
        elif name == b"retry":
            if value and value.isdigit():
                retry = int(value) if len(value) <= 18 else 10**18
    return out
