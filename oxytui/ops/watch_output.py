"""How the headless watch writes a result: one text line for people and cron mail, or one JSON object
for machines (``--json``), both made safe the same way.

Kept apart from :mod:`oxytui.ops.watch` so the output format is readable in one place: remote text is
scrubbed of secrets (:mod:`oxytui.redact`) and control/bidi characters in both modes.
"""

from __future__ import annotations

import json
import time
from typing import Any

from oxytui.redact import scrub_text, scrub_value
from oxytui.runs import clean
from oxytui.runs.sanitize import printable

__all__ = ["safe_text", "stamp", "watch_line"]


def safe_text(text: Any, limit: int = 160) -> str:
    """Remote or config text as one printable line of at most ``limit`` characters."""
    return printable(str(text), limit)


def stamp(wall: float) -> str:
    """A Unix time as UTC ISO 8601 with milliseconds (``2026-11-29T18:00:00.000Z``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(wall)) + f".{int(wall % 1 * 1000):03d}Z"


def watch_line(
    node: str,
    kind: str,
    ok: bool | None,
    latency: float | None,
    detail: str,
    extra: dict[str, Any],
    *,
    json_lines: bool,
    wall: float,
) -> str:
    """One result (``alive``, ``probe``, ``state``, ``run``, ``traffic``...) as a text or JSON line."""
    if json_lines:
        obj: dict[str, Any] = {"time": stamp(wall), "node": node, "kind": kind}
        if ok is not None:
            obj["ok"] = ok
        if latency is not None:
            obj["latency"] = round(latency, 6)
        if detail:
            obj["detail"] = detail
        obj.update(extra)
        safe = {k: clean(v) if isinstance(v, str) else v for k, v in scrub_value(obj).items()}
        return json.dumps(safe, ensure_ascii=False)
    parts = [stamp(wall), safe_text(node, 60), kind]
    if kind == "state":
        parts.append(f"{extra['from']} -> {extra['to']}")
    elif ok is None and kind == "run":  # neither success nor failure (canceled): its state
        parts.append(safe_text(str(extra.get("state", "?")), 20))
    else:
        parts.append("ok" if ok else "FAIL")
    if latency is not None:
        parts.append(f"{latency:.3f}s")
    if detail:
        parts.append(safe_text(scrub_text(detail)))
    return " ".join(parts)
