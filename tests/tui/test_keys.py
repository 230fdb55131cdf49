"""Remapped keys as the CLI hands them over (checked and normalized by the preflight) work in the app."""

from __future__ import annotations

from oxytui.config import Settings
from oxytui.tui.preflight import check_dashboard_settings
from oxytui.tui.screens.dialogs import HelpScreen
from tests.support.screenshots import fixed_app


async def test_a_character_key_from_the_config_fires() -> None:
    settings = check_dashboard_settings(Settings(demo=True, keys={"help": "f1, !", "quit": "ctrl+x"}))
    assert settings.keys == {"help": "f1,exclamation_mark", "quit": "ctrl+x"}
    app = fixed_app()
    app.settings = settings
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press("exclamation_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape", "question_mark")  # the old key no longer opens help
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
