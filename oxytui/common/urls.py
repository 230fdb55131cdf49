"""The one rule for a node's base URL, shared by the client (``server_url``) and the config (``url``).

Callers wrap the reason in their own error: the client in ``pydantic.ValidationError`` (as OxyGent does),
the config in its one-line ``file:line: field: ...`` message.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["base_url_problem", "display_url", "has_credentials"]

_USERINFO = re.compile(r"(?<=//)[^/?#]*@")
"""A ``user[:password]@`` part after ``//``, even where ``urlsplit`` would not see one (no scheme)."""


def base_url_problem(url: object, *, require_https: bool = False) -> str | None:
    """Why ``url`` cannot be a node's base URL (a short reason without the URL), or None when it can.

    The rule: ``http``/``https`` scheme, a host, a valid port if one is given, and ``https`` when
    ``require_https``. Surrounding whitespace is ignored. Credentials are allowed here (OxyGent accepts
    them); the config refuses them separately (:func:`has_credentials`) because tokens belong elsewhere.
    """
    try:
        parts = urlsplit(str(url).strip())
        _ = parts.port  # raises for a non-numeric or out-of-range port
    except ValueError as exc:
        return str(exc)
    if parts.scheme not in ("http", "https"):
        return "scheme must be http or https"
    if not parts.hostname:
        return "no host"
    if require_https and parts.scheme != "https":
        return "https is required but the URL is plain http"
    return None


def has_credentials(url: object) -> bool:
    """True when the URL carries a ``user[:password]@`` part."""
    text = str(url).strip()
    if _USERINFO.search(text):
        return True
    try:
        parts = urlsplit(text)
    except ValueError:
        return "@" in text
    return parts.username is not None or parts.password is not None


def display_url(url: object) -> str:
    """``url`` without any ``user:password@`` part: safe for logs, reprs and error messages."""
    return _USERINFO.sub("", str(url).strip())
