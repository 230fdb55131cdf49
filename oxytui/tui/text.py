"""Rendering helpers: every piece of remote or file text becomes display text here (never markup).

The one place for it: :func:`literal` (a ``rich.text.Text`` for cells, labels, border and card titles),
:func:`plain` (a safe single-line ``str`` for fixed-width formatting) and :func:`notice` (notification
text). All three go through :mod:`oxytui.runs.sanitize`, so markup stays literal and control, bidi and
OSC/ESC sequences are inert wherever they came from (node, recording, theme file, config)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.color import Color

from oxytui.redact import scrub_text
from oxytui.runs.sanitize import clean, one_line

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

STATUS_STYLE = {
    "up": "bold $success",
    "degraded": "bold $warning",
    "down": "bold $error",
    "connecting": "$text-muted",
}
STATUS_ICON = {"up": "●", "degraded": "◐", "down": "○", "connecting": "◌"}

RUN_STYLE = {"running": "$warning", "completed": "$success", "failed": "$error", "canceled": "$warning"}
"""Theme colour of a run's state (call-tree root, chat cards and fan-out table)."""
RUN_ICON = {"completed": "✓", "failed": "✗"}

TYPE_STYLE = {
    "request": "bold $primary",
    "tool_call": "$accent",
    "observation": "$success",
    "answer": "bold $success",
    "think": "$warning",
    "stream": "$secondary",
    "stream_end": "$secondary",
    "error": "bold $error",
    "failed": "bold $error",
    "canceled": "$warning",
    "progress": "$primary",
}


def literal(value: Any, style: str | Style = "", *, limit: int = 200, multiline: bool = False) -> Text:
    """A ``Text`` holding ``value`` verbatim (cleaned of control characters): markup is not parsed."""
    if multiline:
        s = clean(value if isinstance(value, str) else one_line(value, limit))
        if len(s) > limit:
            s = s[: limit - 1] + "…"
    else:
        s = one_line(value, limit)
    return Text(s, style=style, no_wrap=not multiline, end="")


def plain(value: Any, limit: int = 200) -> str:
    """One display-safe line as a ``str`` (for padding/cutting before it goes into a ``Text``)."""
    return one_line(value, limit)


def notice(value: Any, limit: int = 600) -> str:
    """Notification text: secrets masked (a node may echo a token into an error), control/bidi characters
    replaced, line breaks kept, bounded length.

    Notifications are shown without markup (see ``OxyApp.notify``), so ``[`` stays literal too."""
    s = clean(scrub_text(value if isinstance(value, str) else one_line(value, limit)))
    return s if len(s) <= limit else s[: limit - 1] + "…"


def pane_title(*parts: Any, limit: int = 60) -> Text:
    """A border or card title: fixed words and untrusted values (node, trace) joined with " · ", literal."""
    return literal(" · ".join(plain(p, limit) for p in parts if p not in (None, "")), limit=limit * 2)


def fmt_secs(s: float | None) -> str:
    """Compact duration; negative (clock skew between event times) shows as 0."""
    if s is None:
        return "—"
    s = max(0.0, s)
    if s < 0.9995:
        return f"{s * 1000:.0f}ms"
    if s < 9.995:
        return f"{s:.2f}s"
    if s < 59.95:
        return f"{s:.1f}s"
    if s < 6000:
        return f"{int(s // 60)}m{int(s % 60):02d}"
    return f"{s / 3600:.0f}h"


def fmt_pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.0f}%"


def fmt_clock(wall: float, utc: bool) -> str:
    if utc:
        return datetime.fromtimestamp(wall, tz=UTC).strftime("%H:%M:%S.%f")[:12]
    return time.strftime("%H:%M:%S", time.localtime(wall)) + f".{int(wall * 1000) % 1000:03d}"


def spinner(frame: int) -> str:
    return SPINNER[frame % len(SPINNER)]


_STYLE_CACHE: dict[tuple[str, str], Style] = {}


def theme_style(app: Any, spec: str) -> Style:
    """Resolve ``"bold $error"`` against the app's current theme variables into a Rich ``Style``."""
    key = (str(getattr(app, "theme", "")), spec)
    cached = _STYLE_CACHE.get(key)
    if cached is not None:
        return cached
    style = Style()
    variables = app.get_css_variables()  # the current theme's, even before the deferred CSS refresh
    for part in spec.split():
        if part.startswith("$"):
            value = variables.get(part[1:])
            if value:
                try:
                    color = Color.parse(value)
                    style += Style(color=color.rich_color)
                except Exception:  # an unparseable user theme value: ignore, never crash rendering
                    pass
        else:
            try:
                style += Style.parse(part)
            except Exception:
                pass
    if len(_STYLE_CACHE) > 512:
        _STYLE_CACHE.clear()
    _STYLE_CACHE[key] = style
    return style
