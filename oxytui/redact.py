"""The one secret scrubber: every output that can carry remote text (recordings, ``watch`` lines, the
history database, exports, notifications) passes through :func:`scrub_text` / :func:`scrub_value`.

Why here (top level, stdlib only): the client, the model, ``ops`` and the dashboard all write text out;
one neutral module lets each of them use the same rules without breaking the layering.

Two kinds of secret are removed:

- tokens the app knows (configured node tokens; :func:`remember` them once, or pass ``secrets=``);
- credential-shaped values in any text: ``Bearer <token>``, and the value of a header or key named
  ``authorization``, ``proxy-authorization``, ``cookie``, ``set-cookie``, ``x-api-key`` or any name
  containing ``token`` or ``secret`` (``"x-auth-token": "…"``, ``client_secret=…``). Numbers are kept
  (``"total_tokens": 42`` is usage, not a credential).

A hostile node that echoes our token back is the case this is built for; it is defence in depth, not
a guarantee against a node that deliberately encodes a secret.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

MASK = "***"
MIN_SECRET = 4
"""Shorter known secrets are not replaced (replacing ``"ab"`` everywhere would shred the text)."""

_CREDENTIAL_NAMES = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key", "apikey"}
)
_NAME = (
    r"(?:proxy[-_]authorization|authorization|set[-_]cookie|cookie|x[-_]api[-_]key|api[-_]?key"
    r"|[A-Za-z0-9_-]*(?:token|secret|passw(?:or)?d)[A-Za-z0-9_-]*)"
)
# A key (optionally quoted, also JSON-escaped quotes inside JSON strings) then ':' or '=' then a value:
# a quoted string, or a bare word. Cookie-like headers written as text lines run to the end of the line.
_KEY_VALUE = re.compile(
    r"(?i)(?<![A-Za-z0-9_-])(?P<key>(?:\\*[\"'])?" + _NAME + r"(?:\\*[\"'])?)"
    r"(?P<sep>[ \t]*[:=][ \t]*)"
    r"(?P<value>\\*\"(?:[^\"\\]|\\.)*?\\*\"|'[^'\n]*'"
    r"|(?:(?:bearer|basic|digest|token)[ \t]+)?[^\s\"',;&}\])]+)"
)
_COOKIE = re.compile(
    r"(?i)(?<![A-Za-z0-9_-])((?:\\*[\"'])?(?:set[-_])?cookie(?:\\*[\"'])?[ \t]*[:=][ \t]*)"
    r"(?!\\*[\"'])([^\n\"\\]*[^\s\"\\])"
)
_BEARER = re.compile(r"(?i)(bearer)([ \t]+)([A-Za-z0-9\-._~+/]{8,}=*)")
_HINTS = ("bearer", "authori", "cookie", "api", "token", "secret", "passw")
"""Cheap pre-check (substring tests on the lowered text beat a case-insensitive regex by ~10x)."""
_KEEP_BARE = re.compile(r"(?i)[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?|true|false|null|none|\*+")

_known: set[str] = set()
_known_sorted: tuple[str, ...] = ()
_known_lock = threading.Lock()


def remember(*secrets: str | None) -> None:
    """Add tokens the app knows (node tokens) to the process-wide list every scrub uses."""
    global _known_sorted
    with _known_lock:
        _known.update(s for s in secrets if s and len(s) >= MIN_SECRET)
        _known_sorted = tuple(sorted(_known, key=len, reverse=True))


def remember_settings(settings: Any) -> None:
    """Remember every configured node token (``settings.nodes[*].token``, pydantic ``SecretStr``)."""
    for node in getattr(settings, "nodes", ()) or ():
        token = getattr(node, "token", None)
        if token is not None:
            remember(token.get_secret_value() if hasattr(token, "get_secret_value") else str(token))


def known_secrets() -> tuple[str, ...]:
    """Known secrets, longest first (a secret containing another is masked whole)."""
    return _known_sorted


def is_credential_name(name: str) -> bool:
    """True for header/key names whose value is a credential (``Authorization``, ``x-auth-token``...)."""
    low = name.strip().lower().replace("_", "-")
    return (
        low in _CREDENTIAL_NAMES or "token" in low or "secret" in low or "password" in low or "passwd" in low
    )


def _mask_value(m: re.Match[str]) -> str:
    value = m.group("value")
    if _KEEP_BARE.fullmatch(value):
        return m.group(0)
    lead = re.match(r"\\*[\"']", value)
    if lead:
        quote = lead.group(0)
        tail = re.search(r"\\*[\"']$", value[len(quote) :])
        close = tail.group(0) if tail else ""
        masked = f"{quote}{MASK}{close}"
    else:
        scheme = re.match(r"(?i)(bearer|basic|token|digest)[ \t]+", value)
        masked = (scheme.group(0) if scheme else "") + MASK
    return f"{m.group('key')}{m.group('sep')}{masked}"


def scrub_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with known secrets (remembered ones plus ``secrets``) and credential-shaped values masked."""
    if not text:
        return text
    extra = [s for s in secrets if s and len(s) >= MIN_SECRET]
    for secret in (*sorted(set(extra), key=len, reverse=True), *known_secrets()):
        if secret in text:
            text = text.replace(secret, MASK)
    low = text.lower()
    if not any(hint in low for hint in _HINTS):
        return text
    return _mask_patterns(text, low)


_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def _find_all(low: str, needle: str) -> list[int]:
    found, i = [], low.find(needle)
    while i != -1:
        found.append(i)
        i = low.find(needle, i + len(needle))
    return found


def _mask_patterns(text: str, low: str) -> str:
    """Credential-shaped values masked. The regexes are tried only where a hint word occurs (found with
    ``str.find``), never at every position: a 20 MB event costs a scan, not seconds of regex attempts."""
    edits: list[tuple[int, int, str]] = []
    for at in _find_all(low, "bearer"):
        if at == 0 or text[at - 1] not in _WORD:
            m = _BEARER.match(text, at)
            if m:
                edits.append((m.start(3), m.end(3), MASK))
    starts: set[int] = set()
    for hint in ("token", "secret", "passw", "authori", "cookie", "api"):
        for at in _find_all(low, hint):
            start = at
            while start > 0 and text[start - 1] in _WORD:
                start -= 1
            starts.add(start)
            quote = start
            if quote > 0 and text[quote - 1] in "\"'":
                quote -= 1
                while quote > 0 and text[quote - 1] == "\\":
                    quote -= 1
                starts.add(quote)
    covered = 0  # starts inside a value already matched are not tried again (linear, not quadratic)
    for start in sorted(starts):
        if start < covered:
            continue
        m = _COOKIE.match(text, start)
        if m:
            edits.append((m.start(2), m.end(2), MASK))
            covered = max(covered, m.end())
        m = _KEY_VALUE.match(text, start)
        if m:
            edits.append((m.start(), m.end(), _mask_value(m)))
            covered = max(covered, m.end())
    if not edits:
        return text
    edits.sort(key=lambda e: (e[0], -e[1]))
    out, pos = [], 0
    for begin, end, repl in edits:
        if begin < pos:  # inside an edit already made (a Bearer inside an Authorization value...)
            continue
        out += [text[pos:begin], repl]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def scrub_value(value: Any, secrets: Iterable[str] = (), max_depth: int | None = None) -> Any:
    """A copy of a JSON-like value (dicts, lists, strings, numbers) with secrets masked.

    Strings are scrubbed as text, keys too; a string under a credential-named key is masked whole.
    Iterative, so any depth is safe; with ``max_depth``, containers nested deeper are replaced by a marker
    string (exports use it so that writing JSON back out cannot hit the recursion limit)."""
    extra = list(secrets)
    root: list[Any] = [None]
    # (source, destination container, destination key, depth, inside a credential-named key)
    todo: list[tuple[Any, Any, Any, int, bool]] = [(value, root, 0, 0, False)]
    while todo:
        src, dst, key, depth, secret = todo.pop()
        if isinstance(src, dict | list | tuple):
            if max_depth is not None and depth >= max_depth:
                dst[key] = f"… (nested deeper than {max_depth} levels: elided)"
                continue
            if isinstance(src, dict):
                out_d: dict[Any, Any] = {}
                dst[key] = out_d
                for k, v in src.items():
                    name = scrub_text(k, extra) if isinstance(k, str) else k
                    out_d[name] = None
                    todo.append(
                        (v, out_d, name, depth + 1, secret or (isinstance(k, str) and is_credential_name(k)))
                    )
            else:
                out_l: list[Any] = [None] * len(src)
                dst[key] = out_l
                for i, v in enumerate(src):
                    todo.append((v, out_l, i, depth + 1, secret))
        elif isinstance(src, str):
            dst[key] = MASK if secret and src else scrub_text(src, extra)
        else:
            dst[key] = src
    return root[0]
