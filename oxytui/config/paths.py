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


# --- private files -----------------------------------------------------------------------------------
# Recordings, exports and the history hold remote answers and run data: created 0600 in 0700 directories
# so another local user cannot read them, whatever the umask. Existing files and directories keep their
# mode (an ``-o /tmp/out.json`` must not chmod /tmp).

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def make_private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents as 0700 directories; existing ones are left alone."""
    missing: list[Path] = []
    p = Path(path)
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue
        os.chmod(d, PRIVATE_DIR)
    if not Path(path).is_dir():
        raise NotADirectoryError(f"not a directory: {path}")
    return Path(path)


def open_private(path: Path, flags: int) -> int:
    """``os.open`` that creates the file 0600 (the parent directory must exist); returns the fd."""
    return os.open(path, flags | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), PRIVATE_FILE)


def write_private_text(path: Path, text: str, *, exclusive: bool = False) -> None:
    """Write ``text`` (UTF-8) to ``path``, creating it 0600; ``exclusive``: fail if it exists."""
    flags = os.O_WRONLY | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = open_private(path, flags)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
