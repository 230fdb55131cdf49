"""Credential redaction for run records: header names that carry secrets, and their values anywhere.

A node keeps the starting request's headers (``Authorization`` included) in every record's
``shared_data._headers``; :mod:`oxytui.client.records` redacts them here when a record is parsed.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

__all__ = ["REDACTED", "is_secret_header", "redact_headers", "scrub_text"]

REDACTED = "[redacted]"
_SECRET_NAMES = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})
_SECRET_PARTS = ("token", "secret", "password", "api-key", "api_key", "apikey")
# "api_key": "...", "password": "..." inside raw JSON text (e.g. an LLM's class_attr in its record's input):
# keywords are found with str.find on a lowercased copy (fast), then the value is matched there
_FIELD_WORDS = ("api_key", "apikey", "api-key", "password", "secret", "token", "authorization", "cookie")
_FIELD_VALUE = re.compile(r'[A-Za-z0-9_\-]*"\s*:\s*"((?:[^"\\]|\\.)*)"')
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


@lru_cache(maxsize=1024)
def is_secret_header(name: str) -> bool:
    """True for credential headers: the usual names and anything named like ``*token*``/``*secret*``."""
    low = name.lower()
    return low in _SECRET_NAMES or any(p in low for p in _SECRET_PARTS)


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
    """``text`` without the given secret values nor string-valued credential fields of embedded JSON."""
    for s in secrets:
        if s in text:
            text = text.replace(s, REDACTED)
    return _scrub_fields(text) if '"' in text else text


def _scrub_fields(text: str) -> str:
    """Replace the string values of JSON keys named like credentials (``"x_api_key": "..."``)."""
    low = text.lower()
    spans: list[tuple[int, int]] = []
    for word in _FIELD_WORDS:
        k = low.find(word)
        while k >= 0:
            b = k
            while b > 0 and text[b - 1] in _KEY_CHARS:
                b -= 1
            if b > 0 and text[b - 1] == '"':
                m = _FIELD_VALUE.match(text, k + len(word))
                if m is not None and m.end(1) > m.start(1):
                    spans.append((m.start(1), m.end(1)))
            k = low.find(word, k + 1)
    if not spans:
        return text
    out: list[str] = []
    pos = 0
    for a, b in sorted(spans):
        if a >= pos:
            out += [text[pos:a], REDACTED]
            pos = b
    out.append(text[pos:])
    return "".join(out)
