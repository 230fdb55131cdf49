"""Issue 13 point 4: every terminal size keeps caller→callee, the problem nodes and ``?`` in the footer;
dialogs fit (titles wrap), toggles read on/off as text."""

from __future__ import annotations

import pytest

from oxytui.tui.screens.dialogs import PromptScreen, TogglesScreen
from tests.support.screen import screen_text
from tests.support.screenshots import fixed_app
from tests.tui.test_live import until

SIZES = [(80, 24), (100, 30), (120, 35), (160, 45), (200, 60)]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_each_size_keeps_what_an_incident_needs(size: tuple[int, int]) -> None:
    app = fixed_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        lines = screen_text(app).splitlines()
        assert len(lines) == size[1]
        assert "? Help" in lines[-1]  # the footer keeps help at every width
        text = "\n".join(lines)
        assert "○  dead" in text  # the down node is on screen
        assert "user→master_agent" in text and "master_agent→default_llm" in text  # routes, uncut
        assert all(len(line) <= size[0] for line in lines)


async def test_tiny_terminal_still_opens_the_call_tree() -> None:
    app = fixed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "╭─ Call tree" not in screen_text(app)  # the middle row gives its room to the log
        view = app.main.log_view
        view.focus()
        view.move_to(next(i for i, r in enumerate(view.rows) if r.summary == "remote add 2 3"))
        await pilot.press("t")
        await until(pilot, lambda: "master_agent agent" in screen_text(app))
        assert "╭─ Call tree" in screen_text(app)


async def test_dialog_titles_wrap_and_toggles_read_as_text() -> None:
    from tests.tui.test_pilot import run_command

    app = fixed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await run_command(pilot, "attach to trace")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        text = screen_text(app)
        for word in ("Attach", "steals", "first", "(each", "reader)"):
            assert word in text, word  # the whole title, wrapped inside the box
        await pilot.press("escape")
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, TogglesScreen))
        await pilot.pause()
        assert "[x] request" in screen_text(app)
        await pilot.press("space")  # the first type off
        await until(pilot, lambda: "[ ] request" in screen_text(app))
