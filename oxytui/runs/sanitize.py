"""One place that makes untrusted remote or file text safe to show: no control characters, bounded length.

Every sanitizer of the package lives here (the dashboard's ``tui/text.py``, the headless printers of
``oxytui.ops`` call these). Rendering code must still build ``rich.text.Text`` objects (never markup
strings); this only removes what a terminal would interpret (ESC, BEL, C1 controls, bidi overrides) and
keeps everything else literal. :func:`printable` is the strict form for plain-text output lines.
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 controls except \t and \n, DEL, C1 controls, bidi/format overrides that can reorder a line, and lone
# surrogates (JSON "\\ud800" decodes to one; no terminal, file or database can encode it as UTF-8).
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_LINEBREAKS = re.compile("[\r\n\u2028\u2029\x85\t]+")


def clean(text: str) -> str:
    """Remove terminal control characters; keep newlines and tabs (for multi-line detail views)."""
    text = text.replace("\r\n", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    return _CONTROL.sub("\ufffd", text) if _CONTROL.search(text) else text


def one_line(value: Any, limit: int = 200) -> str:
    """A single safe line for lists and tables: any JSON value, line breaks folded, truncated with '…'."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    if len(text) > limit * 4:
        text = text[: limit * 4]
    text = _LINEBREAKS.sub(" ", text)
    text = clean(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def printable(value: Any, limit: int = 200) -> str:
    """One line of only ``str.isprintable`` characters (others become spaces): for printed output, where
    zero-width and other format characters are as unwelcome as controls."""
    text = value if isinstance(value, str) else one_line(value, limit * 4)
    if len(text) > limit * 4:
        text = text[: limit * 4]
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else " " for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pretty_json(value: Any, limit: int = 200_000) -> str:
    """Indented JSON for the detail view, cleaned; huge values are cut with a note saying how much."""
    try:
        text = json.dumps(value, ensure_ascii=False, indent=2, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > limit:
        text = text[:limit] + f"\n… ({len(text) - limit:,} more characters)"
    return clean(text)
