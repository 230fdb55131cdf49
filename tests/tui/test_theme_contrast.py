"""Issue 13, 8: every shipped theme meets WCAG 2 contrast, computed from the theme's own colours.

Text (plain, ``$text``, ``$text-muted`` and Textual's ``dim``) needs 4.5:1, status glyphs and charts
(``$success``, ``$warning``, ``$error``, ``$primary``, ``$accent``, ``$secondary``) need 3:1, against every
background they are drawn on: the screen, surfaces, panels and the selected row (block cursor).
"""

from __future__ import annotations

import pytest
from textual.color import Color
from textual.constants import DIM_FACTOR
from textual.theme import Theme

from oxytui.tui.themes import builtin_themes

BACKGROUNDS = ("background", "surface", "panel", "block-cursor-background")
TEXT = ("foreground", "text", "text-muted")
GLYPHS = ("success", "warning", "error", "primary", "accent", "secondary")


def luminance(c: Color) -> float:
    def channel(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)


def contrast(a: Color, b: Color) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def resolve(value: str, bg: Color) -> Color:
    """A theme value as drawn on ``bg``: ``auto N%`` is Textual's contrasting text at N% opacity."""
    parts = value.split()
    if parts[0] == "auto":
        alpha = float(parts[1].rstrip("%")) / 100 if len(parts) > 1 else 1.0
        return bg + bg.get_contrast_text(alpha)
    color = Color.parse(value)
    return bg + color if color.a < 1 else color


def dimmed(c: Color, bg: Color) -> Color:
    """Rich's ``dim`` as Textual draws it: blended towards the background by DIM_FACTOR."""
    return Color(*(round(b + (f - b) * DIM_FACTOR) for f, b in zip(c.rgb, bg.rgb, strict=True)))


def pairs(theme: Theme) -> list[tuple[str, str, float, float]]:
    """(foreground name, background name, ratio, required) for every pair the dashboard draws."""
    v = theme.to_color_system().generate()
    out = []
    for bg_name in BACKGROUNDS:
        bg = Color.parse(v[bg_name])
        on_cursor = bg_name == "block-cursor-background"
        text = (
            ("block-cursor-foreground", "text-muted")
            if on_cursor and "block-cursor-foreground" in v
            else TEXT
        )
        for name in text:
            fg = resolve(v[name], bg)
            out.append((name, bg_name, contrast(fg, bg), 4.5))
            if name != "text-muted":  # already the muted shade: never dimmed again
                out.append((f"dim {name}", bg_name, contrast(dimmed(fg, bg), bg), 4.5))
        for name in GLYPHS:
            out.append((name, bg_name, contrast(resolve(v[name], bg), bg), 3.0))
    return out


def test_the_ratio_is_wcag() -> None:
    assert contrast(Color(0, 0, 0), Color(255, 255, 255)) == pytest.approx(21.0)
    assert contrast(Color(0x77, 0x77, 0x77), Color(255, 255, 255)) == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("theme", builtin_themes(), ids=lambda t: t.name)
def test_shipped_theme_meets_contrast(theme: Theme) -> None:
    failing = [f"{fg} on {bg}: {ratio:.2f} < {need}" for fg, bg, ratio, need in pairs(theme) if ratio < need]
    assert not failing, f"{theme.name}: " + "; ".join(failing)
