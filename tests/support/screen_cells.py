"""Cell-level checks that remote text reached the screen literally: visible, never styled as a link or an
action, with no terminal control character anywhere — and that secrets reach no cell at all."""

from __future__ import annotations

import html
import re
from typing import Any

_TEXT = re.compile(r'<text [^>]*?x="([0-9.]+)" y="([0-9.]+)"[^>]*>([^<]*)</text>')


def screen_rows(app: Any) -> list[str]:
    """The screen's text row by row, rebuilt from the exported SVG (segments joined in x order)."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, chunk in _TEXT.findall(str(app.export_screenshot())):
        rows.setdefault(float(y), []).append((float(x), html.unescape(chunk).replace("\xa0", " ")))
    return ["".join(c for _x, c in sorted(parts)) for _y, parts in sorted(rows.items())]


def assert_literal_screen(app: Any, size: tuple[int, int], needle: str) -> None:
    """``needle`` (hostile markup) is visible as text and no cell carries a click/action style."""
    rows = screen_rows(app)
    assert any(needle in row for row in rows), f"{needle!r} not on screen"
    assert not any("\x1b" in row or "\x07" in row for row in rows)
    width, height = size
    for y in range(height):
        for x in range(width):
            meta = app.screen.get_style_at(x, y).meta
            assert "@click" not in str(meta.get("@click", "")) and "app.quit" not in str(meta), (x, y, meta)


def assert_nowhere_on_screen(app: Any, secret: str) -> None:
    """``secret`` is in no row of the screen (nor in the raw export, whatever its segmentation)."""
    assert secret not in str(app.export_screenshot())
    assert not any(secret in row for row in screen_rows(app))
