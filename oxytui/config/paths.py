"""Where oxytui keeps things: platformdirs locations, overridable with ``OXYTUI_CONFIG_DIR`` and
``OXYTUI_DATA_DIR`` (tests, CI, portable installs)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from .models import APP_NAME, ENV_PREFIX


def config_dir() -> Path:
    """User config dir (``~/.config/oxytui`` on Linux); ``OXYTUI_CONFIG_DIR`` overrides (tests, CI)."""
    env = os.environ.get(f"{ENV_PREFIX}CONFIG_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """User data dir for recordings and history; ``OXYTUI_DATA_DIR`` overrides."""
    env = os.environ.get(f"{ENV_PREFIX}DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))


def default_config_file() -> Path:
    return config_dir() / "config.toml"


def user_themes_dir() -> Path:
    return config_dir() / "themes"


def recordings_dir() -> Path:
    return data_dir() / "recordings"


def history_db_path() -> Path:
    return data_dir() / "history.sqlite3"


def default_recording_path(gzip: bool = False) -> Path:
    """A fresh timestamped file name under the recordings dir (not created here)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return recordings_dir() / f"oxytui-{stamp}.jsonl{'.gz' if gzip else ''}"
