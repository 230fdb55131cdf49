"""Hostile text and raw broken frames the simulator can put on the wire on purpose."""

from __future__ import annotations

__all__ = [
    "HOSTILE",
    "HOSTILE_THINK",
    "HTTP_FAULTS",
    "STREAM_FAULTS",
    "bad_utf8_frame",
    "malformed_frame",
]

HTTP_FAULTS = frozenset({"http500", "hang_headers"})
"""Faults decided before any response byte: an HTTP 500, or a request that never gets headers."""

STREAM_FAULTS = frozenset({"hang", "disconnect", "malformed", "badutf8"})
"""Faults that happen inside an open stream, at their position in the run."""

HOSTILE = (
    "[@click=app.quit]click me[/] [bold red]x[/bold red] [/] [link=https://evil.example]link[/link] "
    "\x1b[31mred\x1b[0m \x1b]0;owned title\x07 \x1b[2J\x1b[H "
    "line\u2028separator para\u2029graph nul\x00 bell\x07 backspace\x08 cr\rlf\n"
    "tab\tend \u202eevil-rtl\u202c zero\u200bwidth ${HOME} $(rm -rf /) <script>alert(1)</script> 中文 ✓"
)
"""Rich/Textual markup, ANSI/OSC escapes, Unicode line/paragraph separators, control and bidi characters."""

HOSTILE_THINK = "I should call echo [@click=app.quit]now[/] \x1b[1mbold\x1b[0m."


def malformed_frame(sse_id: str) -> bytes:
    """A correctly framed event whose ``data`` is truncated JSON (as a node dying mid-write)."""
    return (
        f"id: {sse_id}\r\nevent: message\r\n"
        'data: {"type": "observation", "content": {"node_id": "broken", "output": "unterminated\r\n'
        "retry: 3000\r\n\r\n"
    ).encode()


def bad_utf8_frame(sse_id: str, agent: str) -> bytes:
    """A ``think`` event whose data line has invalid UTF-8 (0xff, 0xfe, a cut 3-byte sequence)."""
    return (
        f"id: {sse_id}\r\nevent: message\r\n".encode()
        + b'data: {"type": "think", "content": "bad bytes \xff\xfe here \xe4\xb8 end", "agent": "'
        + agent.encode()
        + b'"}\r\nretry: 3000\r\n\r\n'
    )
