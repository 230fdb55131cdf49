"""Theme files (TOML) -> Textual ``Theme`` objects: the built-in ones shipped in the wheel, plus the
user's own from ``<config dir>/themes/*.toml`` (``OXYTUI_CONFIG_DIR`` honoured).

A user file is checked completely when it loads (size, nesting, every colour, the generated colour
system), so a bad one is skipped with a notice instead of crashing the app when it is selected."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

from oxytui.config import user_themes_dir
from oxytui.config.files import THEME_LIMIT, FileRefused, read_capped

_FIELDS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)


class ThemeError(ValueError):
    """A theme file is unreadable or invalid (message names the file)."""


def theme_from_dict(data: dict[str, Any], source: str = "<theme>") -> Theme:
    name = data.get("name")
    if not isinstance(name, str) or not name or not isinstance(data.get("primary"), str):
        raise ThemeError(f"{source}: a theme needs string fields 'name' and 'primary'")
    kwargs: dict[str, Any] = {k: str(data[k]) for k in _FIELDS if k in data}
    for key, value in kwargs.items():
        try:
            Color.parse(value)
        except ColorParseError:
            raise ThemeError(f"{source}: {key}: not a colour: {value[:40]!r}") from None
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ThemeError(f"{source}: [variables] must be a table")
    try:
        theme = Theme(
            name=name,
            dark=bool(data.get("dark", True)),
            text_alpha=float(data.get("text_alpha", 0.95)),
            variables={str(k): str(v) for k, v in variables.items()},
            **kwargs,
        )
        theme.to_color_system().generate()  # what selecting it does: fail now, not then
    except Exception as exc:  # Textual raises several kinds here; any of them means "unusable theme"
        raise ThemeError(f"{source}: {exc}") from None
    return theme


def load_theme_file(path: Path) -> Theme:
    try:
        raw, _mode = read_capped(path, THEME_LIMIT)
        data = tomllib.loads(raw.decode("utf-8"))
    except OSError as exc:
        raise ThemeError(f"{path}: {exc.strerror or exc}") from None
    except (FileRefused, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ThemeError(f"{path}: {exc}") from None
    except RecursionError:  # tomllib recurses per nesting level
        raise ThemeError(f"{path}: invalid TOML: arrays or tables nested too deeply") from None
    return theme_from_dict(data, str(path))


def builtin_themes() -> list[Theme]:
    out = []
    for entry in sorted(resources.files("oxytui").joinpath("themes").iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            out.append(theme_from_dict(tomllib.loads(entry.read_text(encoding="utf-8")), entry.name))
    return out


def user_theme_dir() -> Path:
    """``<config dir>/themes``; follows ``OXYTUI_CONFIG_DIR`` like the config file does."""
    return user_themes_dir()


def user_themes(directory: Path | None = None) -> tuple[list[Theme], list[str]]:
    """Themes from the user's directory and one error line per bad file (bad files are skipped)."""
    directory = directory or user_theme_dir()
    themes: list[Theme] = []
    errors: list[str] = []
    if directory.is_dir():
        for path in sorted(directory.glob("*.toml")):
            try:
                themes.append(load_theme_file(path))
            except ThemeError as exc:
                errors.append(str(exc))
    return themes, errors
