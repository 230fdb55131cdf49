"""Small parsers shared by the config file, the environment and the CLI: durations, URLs, booleans, and
the TOML line lookup that lets errors name a line."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from oxytui.common.urls import base_url_problem, display_url, has_credentials

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(value: str | float | int) -> float:
    """``"30s"``, ``"2m"``, ``"1.5h"``, ``"250ms"`` or a number of seconds -> seconds (> 0)."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        m = _DURATION.match(str(value))
        if not m:
            raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 2m, 1h, 500ms)")
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    if not seconds > 0:
        raise ValueError(f"duration must be positive: {value!r}")
    return seconds


def check_url(url: str, *, production: bool = False) -> str:
    """Return ``url`` without a trailing slash, or raise ValueError saying why it is unusable.

    The shared base-URL rule (:mod:`oxytui.common.urls`, the client applies the same) plus the config's
    own, checked first: no credentials in URLs (tokens come from ``token_env``/``token_file``), so no
    message ever repeats a password."""
    text = str(url).strip()
    if has_credentials(text):
        raise ValueError("invalid URL: credentials in URLs are not allowed (use token_env or token_file)")
    shown = display_url(text)
    problem = base_url_problem(text)
    if problem is not None:
        raise ValueError(f"invalid URL {shown!r}: {problem}")
    if production and base_url_problem(text, require_https=True) is not None:
        raise ValueError(f"production nodes require https, got {shown!r}")
    return text.rstrip("/")


def node_name_from_url(url: str) -> str:
    """``http://10.0.0.5:8081/`` -> ``10.0.0.5:8081`` (default port filled in)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or "node"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_bool(text: str) -> bool:
    low = text.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected a boolean (true/false), got {text!r}")


# --- TOML line lookup -------------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(#.*)?$")


def find_line(text: str, table: str | None, key: str | None = None, index: int = 0) -> int | None:
    """1-based line of ``key`` inside the ``index``-th ``[table]``/``[[table]]`` (or of the table itself).

    A plain text scan: good enough for hand-written configs, and it never fails."""
    lines = text.splitlines()
    start, end = 0, len(lines)
    if table is not None:
        seen, start = -1, -1
        for i, line in enumerate(lines):
            m = _HEADER.match(line)
            if not m:
                continue
            if start >= 0:
                end = i
                break
            if m.group(1).strip("\"' ") == table:
                seen += 1
                if seen == index:
                    start = i
        if start < 0:
            return None
        if key is None:
            return start + 1
        start += 1
    else:
        for i, line in enumerate(lines):
            if _HEADER.match(line):
                end = i
                break
    if key is None:
        return None
    key_re = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for i in range(start, end):
        if key_re.match(lines[i]):
            return i + 1
    return start if table is not None else None
