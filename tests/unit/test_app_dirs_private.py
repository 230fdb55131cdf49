"""Tester report: an existing ``~/.local/share/oxytui`` stayed 0755 and an old ``history.sqlite3`` 0644.
oxytui's own dirs are tightened once (0700 / 0600), quietly; paths the user named are never touched."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from oxytui.config import paths


def mode(p: Path) -> int:
    return stat.S_IMODE(os.lstat(p).st_mode)


@pytest.fixture
def old_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """What an older oxytui left behind, with the umask's modes, plus things that are not ours."""
    data, conf, elsewhere = tmp_path / "data", tmp_path / "conf", tmp_path / "elsewhere"
    made = {
        "data": data,
        "conf": conf,
        "recordings": data / "recordings",
        "exports": data / "exports",
        "elsewhere": elsewhere,
    }
    for d in made.values():
        d.mkdir(parents=True)
        os.chmod(d, 0o755)
    files = {
        "history": data / "history.sqlite3",
        "wal": data / "history.sqlite3-wal",
        "recording": data / "recordings" / "oxytui-1.jsonl.gz",
        "export": data / "exports" / "oxytui-stats-1.json",
        "config": conf / "config.toml",
        "theirs": elsewhere / "incident.jsonl",
    }
    for f in files.values():
        f.write_text("")
        os.chmod(f, 0o644)
    (data / "recordings" / "link.jsonl").symlink_to(files["theirs"])  # a link out: never followed
    monkeypatch.setenv("OXYTUI_DATA_DIR", str(data))
    monkeypatch.setenv("OXYTUI_CONFIG_DIR", str(conf))
    monkeypatch.setattr(paths, "_tightened", False)
    return made | files


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX modes")
def test_own_dirs_and_files_are_tightened_once(old_layout: dict[str, Path]) -> None:
    changed = paths.tighten_app_dirs()
    for name in ("data", "conf", "recordings", "exports"):
        assert mode(old_layout[name]) == 0o700, name
    for name in ("history", "wal", "recording", "export"):
        assert mode(old_layout[name]) == 0o600, name
    assert mode(old_layout["elsewhere"]) == 0o755 and mode(old_layout["theirs"]) == 0o644  # not ours
    assert len(changed) == 8
    os.chmod(old_layout["data"], 0o755)  # once per process: a second call does nothing
    assert paths.tighten_app_dirs() == [] and mode(old_layout["data"]) == 0o755


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX modes")
def test_the_cli_tightens_quietly(old_layout: dict[str, Path], tmp_path: Path) -> None:
    env = dict(os.environ, OXYTUI_DATA_DIR=str(old_layout["data"]), OXYTUI_CONFIG_DIR=str(old_layout["conf"]))
    rec, dest = old_layout["theirs"], tmp_path / "elsewhere" / "o.json"
    out = subprocess.run(
        [sys.executable, "-m", "oxytui.cli", "export", str(rec), "-o", str(dest)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "permission" not in out.stderr.lower() and "chmod" not in out.stderr.lower()
    assert mode(old_layout["data"]) == 0o700 and mode(old_layout["history"]) == 0o600
    assert mode(old_layout["elsewhere"]) == 0o755 and mode(rec) == 0o644
