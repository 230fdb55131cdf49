"""OxyGent reports failures only as text in ``observation.output`` (PROTOCOL.md §6); this is the one
heuristic that decides whether such an output is an error."""

from __future__ import annotations

import re
from typing import Any

_ERROR_PATTERNS = re.compile(
    "|".join(
        [
            r"^SSE connection failed after \d+ retries",
            r"^Unexpected error in SSE connection",
            r"^Error executing oxy ",
            r"^Executing tool .* timed out",
            r"^No permission for tool",
            r"^Sorry, I seem to have encountered a problem",
            r"^Traceback \(most recent call last\)",
            r"^\S+ tool failed\b",
            r"^(?:\w+Error|\w+Exception): ",
            r"^Tool \S+ not exists",
        ]
    ),
    re.IGNORECASE,
)


def is_error_output(output: Any) -> bool:
    """True when an observation's output has one of OxyGent's error shapes. Only strings can be errors."""
    if not isinstance(output, str):
        return False
    return bool(_ERROR_PATTERNS.search(output[:2000].lstrip()))
