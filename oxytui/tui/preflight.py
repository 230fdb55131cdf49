"""Checks of the dashboard's settings before any screen starts.

A typo in ``--theme`` or ``[keys]`` used to start the UI anyway with a default (or a silently lost key);
an operator fixing a config from a terminal wants one line naming the problem and exit code 2 instead.
Only the dashboard paths (``oxytui``, ``oxytui replay``) call this, so importing Textual here is fine.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from textual.theme import BUILTIN_THEMES

from oxytui.config import ENV_PREFIX, ConfigError, Settings, find_line, user_themes_dir
from oxytui.tui.keys import APP_BINDINGS, MAIN_BINDINGS, OTHER_BINDING_IDS, REPLAY_BINDINGS, RESERVED_KEYS
from oxytui.tui.themes import builtin_themes, user_themes

__all__ = ["binding_ids", "check_dashboard_settings", "normalize_key", "theme_names"]

_ALIASES = {"?": "question_mark", "/": "slash", ".": "full_stop", " ": "space", "esc": "escape"}


def theme_names(directory: Path | None = None) -> list[str]:
    """Every theme the dashboard can show: Textual's own, the shipped ones and the user's files."""
    names = set(BUILTIN_THEMES) | {t.name for t in builtin_themes()}
    names |= {t.name for t in user_themes(directory or user_themes_dir())[0]}
    return sorted(names)


def binding_ids(replay: bool = False) -> dict[str, str]:
    """Binding id -> default key(s) of every remappable binding (replay's too: one config serves both)."""
    out = {b.id: b.key for b in (*MAIN_BINDINGS, *APP_BINDINGS, *REPLAY_BINDINGS) if b.id}
    out.update(OTHER_BINDING_IDS)
    if not replay:
        for b in REPLAY_BINDINGS:
            out.pop(b.id or "", None)
    return out


def normalize_key(key: str) -> str:
    """``"?"`` -> ``question_mark`` and so on: Textual's keymap matches key *names*, a raw character
    would never fire. Modifiers and named keys pass through lower-cased where Textual expects that."""
    key = key.strip()
    if key in _ALIASES:
        return _ALIASES[key]
    if len(key) == 1 and not key.isalnum():
        return unicodedata.name(key, key).lower().replace("-", "_").replace(" ", "_")
    if "+" in key[:-1]:
        *mods, last = key.split("+")
        return "+".join([*(m.strip().lower() for m in mods), normalize_key(last)])
    return key if len(key) == 1 else key.lower()


def _where(settings: Settings, key: str | None, table: str) -> tuple[Path | None, int | None]:
    path = settings.config_path
    if path is None:
        return None, None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return path, None
    return path, find_line(text, table, key)


def _check_theme(settings: Settings, cli_theme: str | None, themes_dir: Path | None) -> None:
    names = theme_names(themes_dir)
    if settings.theme in names:
        return
    msg = f"unknown theme {settings.theme!r} (available: {', '.join(names)})"
    if cli_theme is not None:
        raise ConfigError(msg, field="--theme")
    if os.environ.get(ENV_PREFIX + "THEME"):
        raise ConfigError(msg, field=f"environment {ENV_PREFIX}THEME")
    path, line = _where(settings, "theme", "ui")
    raise ConfigError(msg, file=path, line=line, field="ui.theme")


def _check_keys(settings: Settings, replay: bool) -> dict[str, str]:
    defaults = binding_ids(replay=True)
    for bid in settings.keys:
        if bid not in defaults:
            path, line = _where(settings, bid, "keys")
            raise ConfigError(
                f"unknown binding id (valid ids: {', '.join(sorted(defaults))})",
                file=path,
                line=line,
                field=f"keys.{bid}",
            )
    keymap = {
        bid: ",".join(normalize_key(k) for k in v.split(",") if k.strip()) for bid, v in settings.keys.items()
    }
    active = binding_ids(replay=replay)
    owner: dict[str, str] = {}
    app_ids = {b.id for b in (*MAIN_BINDINGS, *APP_BINDINGS, *REPLAY_BINDINGS)}
    for bid, default in active.items():
        if bid not in app_ids:  # a widget's binding: its own scope, no clash with app keys
            continue
        for key in keymap.get(bid, default).split(","):
            if key in RESERVED_KEYS and bid in keymap:
                path, line = _where(settings, bid, "keys")
                raise ConfigError(
                    f"key {key!r} is reserved for {RESERVED_KEYS[key]}; choose another key",
                    file=path,
                    line=line,
                    field=f"keys.{bid}",
                )
            other = owner.get(key)
            if other is not None:
                blame = bid if bid in keymap else other if other in keymap else None
                path, line = _where(settings, blame, "keys")
                raise ConfigError(
                    f"key {key!r} is bound twice: {other} and {bid} (remap one of them under [keys])",
                    file=path,
                    line=line,
                    field=f"keys.{blame}" if blame else "keys",
                )
            owner[key] = bid
    return keymap


def check_dashboard_settings(
    settings: Settings, cli_theme: str | None = None, *, replay: bool = False, themes_dir: Path | None = None
) -> Settings:
    """Settings with ``keys`` normalized to Textual key names; raises :class:`ConfigError` for an unknown
    theme, an unknown binding id or a key bound twice (one line naming the file/line/field)."""
    _check_theme(settings, cli_theme, themes_dir)
    keymap = _check_keys(settings, replay)
    return settings.model_copy(update={"keys": keymap})
