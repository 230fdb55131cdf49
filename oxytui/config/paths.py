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


# --- our own dirs, made private after the fact ----------------------------------------------------------
# Older oxytui versions created the data dir, recordings/, exports/ and history.sqlite3 with the umask's
# modes (0755/0644). Those are oxytui's own (not a path the user named, like ``--record /tmp/x``), so they
# are tightened once per process, quietly: a chmod that fails (not ours, read-only fs) is skipped.

_tightened = False


def tighten_app_dirs() -> list[Path]:
    """Once per process: the config and data dirs, ``recordings/`` and ``exports/`` to 0700; the files
    oxytui keeps there (``history.sqlite3*``, recordings, exports) to 0600. Symlinks and things owned by
    someone else are left alone. Returns what was changed (for tests); never raises."""
    global _tightened
    if _tightened:
        return []
    _tightened = True
    changed: list[Path] = []
    data = data_dir()
    home = Path.home().resolve()
    for d in (config_dir(), data, recordings_dir(), data / "exports"):
        if d.resolve() in (home, *home.parents):  # OXYTUI_DATA_DIR=$HOME: not ours to close
            continue
        if _tighten(d, PRIVATE_DIR, want_dir=True):
            changed.append(d)
    for d, prefix in ((data, "history.sqlite3"), (recordings_dir(), ""), (data / "exports", "")):
        try:
            names = sorted(n for n in os.listdir(d) if n.startswith(prefix))
        except OSError:
            continue
        changed += [d / n for n in names if _tighten(d / n, PRIVATE_FILE, want_dir=False)]
    return changed


def _tighten(path: Path, mode: int, *, want_dir: bool) -> bool:
    import stat

    try:
        st = os.lstat(path)
        if stat.S_ISDIR(st.st_mode) != want_dir or not (want_dir or stat.S_ISREG(st.st_mode)):
            return False  # symlinks (and anything unexpected) stay as they are
        if st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) & 0o077 == 0:
            return False
        os.chmod(path, mode if want_dir else stat.S_IMODE(st.st_mode) & mode)  # a file keeps owner bits
    except (OSError, AttributeError):  # AttributeError: no getuid (Windows), where modes mean little
        return False
    return True
