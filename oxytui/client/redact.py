"""Credential redaction for run records, on the project's one scrubber (:mod:`oxytui.redact`).

A node keeps the starting request's headers (``Authorization`` included) in every record's
``shared_data._headers``; :mod:`oxytui.client.records` redacts them here when a record is parsed: header
values by name, their values wherever else they appear in the trace, and credential-shaped text.
"""

from __future__ import annotations

import json
from typing import Any

from oxytui.redact import MASK, is_credential_name
from oxytui.redact import scrub_text as _scrub

__all__ = ["REDACTED", "is_secret_header", "redact_headers", "scrub_text"]

REDACTED = MASK
"""What a redacted value reads as (the same mask as every other output of oxytui)."""


def is_secret_header(name: str) -> bool:
    """True for credential headers (authorization, cookie, x-api-key, ``*token*``, ``*secret*``...)."""
    return is_credential_name(name)


def redact_headers(headers: Any) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    """``(name, value)`` pairs with credential values replaced, and the secret values that were removed."""
    if not isinstance(headers, dict):
        return (), []
    out: list[tuple[str, str]] = []
    secrets: list[str] = []
    for k, v in list(headers.items())[:200]:
        name, value = str(k)[:200], v if isinstance(v, str) else json.dumps(v, default=str)
        if is_secret_header(name):
            secrets.append(value)
            if value.lower().startswith(("bearer ", "basic ", "token ")):
                secrets.append(value.split(" ", 1)[1].strip())
            value = REDACTED
        out.append((name, value[:2000]))
    return tuple(out), [s for s in secrets if len(s) >= 4]


def scrub_text(text: str, secrets: list[str]) -> str:
    """``text`` without the given secret values nor credential-shaped values (``"api_key": "..."``)."""
    return _scrub(text, secrets)
