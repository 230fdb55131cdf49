"""Notification text is the last stop before the screen: secrets masked, controls replaced, markup literal."""

from __future__ import annotations

from oxytui.redact import remember
from oxytui.tui.text import notice

TOKEN = "notice-token-0123456789abcdef"


def test_notice_masks_remembered_tokens_and_bearer_values() -> None:
    remember(TOKEN)
    text = notice(f"math: HTTP 401: invalid token {TOKEN}; got Authorization: Bearer other-secret-value-42")
    assert TOKEN not in text and "other-secret-value-42" not in text
    assert text.startswith("math: HTTP 401")


def test_notice_replaces_controls_and_keeps_markup_text() -> None:
    text = notice("bad \x1b]52;c;aGk=\x07 node [@click=app.quit]x[/]")
    assert "\x1b" not in text and "\x07" not in text
    assert "[@click=app.quit]x[/]" in text
