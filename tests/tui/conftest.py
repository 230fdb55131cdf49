"""Dashboard tests never touch the user's real data dir (history database, recordings, exports)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "oxytui-data"
    monkeypatch.setenv("OXYTUI_DATA_DIR", str(data))
    return data
