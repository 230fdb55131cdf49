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


def test_bad_colours_deep_nesting_and_fifos_are_rejected_when_loading(tmp_path: Path) -> None:
    import os

    (tmp_path / "badcolour.toml").write_text('name = "bc"\nprimary = "#nothex"\n', encoding="utf-8")
    (tmp_path / "badsecondary.toml").write_text('name = "bs"\nprimary = "#ff0000"\nsecondary = "blah"\n')
    (tmp_path / "deep.toml").write_text('name = "d"\nprimary = "#ff0000"\nx = ' + "[" * 2000 + "]" * 2000)
    os.mkfifo(tmp_path / "fifo.toml")  # nobody writes: an open() for reading would block for ever
    themes, errors = user_themes(tmp_path)
    assert themes == [] and len(errors) == 4
    text = "\n".join(errors)
    assert "primary: not a colour: '#nothex'" in text and "secondary: not a colour: 'blah'" in text
    assert "nested too deeply" in text and "fifo.toml: not a regular file (a FIFO)" in text


def test_config_dir_env_themes_are_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "themes").mkdir()
    (tmp_path / "themes" / "envtheme.toml").write_text('name = "envtheme"\nprimary = "#00ff00"\n')
    monkeypatch.setenv("OXYTUI_CONFIG_DIR", str(tmp_path))
    themes, errors = user_themes()
    assert [t.name for t in themes] == ["envtheme"] and errors == []


async def test_bad_theme_file_is_a_literal_notice_and_never_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "themes").mkdir()
    bad = tmp_path / "themes" / "[@click=app.quit]x[b].toml"
    bad.write_text('name = "wanted"\nprimary = "#nothex"\n', encoding="utf-8")
    monkeypatch.setenv("OXYTUI_CONFIG_DIR", str(tmp_path))
    app = fixed_app("wanted")  # the settings ask for the broken theme; the default theme dir (from env)
    app.__init__(app.settings, store=app.store, frozen=True)  # type: ignore[misc]
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await pilot.pause()
        assert app.theme == "oxytui-dark" and "wanted" not in app.available_themes
        notes = [n for n in app._notifications if "x[b].toml" in n.message]
        assert len(notes) == 1 and not notes[0].markup and str(bad) in notes[0].message
        for y in range(30):
            for x in range(120):
                assert "app.quit" not in str(app.screen.get_style_at(x, y).meta)
        assert app.is_running
