"""Theme files: the built-in three load, user themes are added, a bad user file is skipped with a message."""

from __future__ import annotations

from pathlib import Path

import pytest

from oxytui.tui.themes import ThemeError, builtin_themes, load_theme_file, user_themes
from tests.support.screenshots import fixed_app


def test_builtin_themes_ship_in_package() -> None:
    names = {t.name for t in builtin_themes()}
    assert names == {"oxytui-dark", "oxytui-light", "oxytui-high-contrast"}
    assert (Path(__file__).parents[2] / "themes" / "dark.toml").is_file()  # repo-level themes/ link


def test_user_themes_and_bad_files(tmp_path: Path) -> None:
    mine = 'name = "mine"\nprimary = "#ff0000"\ndark = false\n'
    (tmp_path / "mine.toml").write_text(mine, encoding="utf-8")
    (tmp_path / "broken.toml").write_text("name = [unclosed\n", encoding="utf-8")
    (tmp_path / "noprimary.toml").write_text('name = "x"\n', encoding="utf-8")
    themes, errors = user_themes(tmp_path)
    assert [t.name for t in themes] == ["mine"] and themes[0].dark is False
    assert len(errors) == 2 and all(str(tmp_path) in e for e in errors)
    with pytest.raises(ThemeError):
        load_theme_file(tmp_path / "broken.toml")


async def test_user_theme_selectable_in_app(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text('name = "mine"\nprimary = "#ff0000"\n', encoding="utf-8")
    app = fixed_app("mine")
    app.__init__(app.settings, store=app.store, frozen=True, user_theme_dir=tmp_path)  # type: ignore[misc]
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.theme == "mine"


async def test_unknown_theme_falls_back_with_warning() -> None:
    app = fixed_app("nope")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.theme == "oxytui-dark"
        assert any("unknown theme" in str(n.message) for n in app._notifications)
