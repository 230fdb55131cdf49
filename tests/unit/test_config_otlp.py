"""The ``[otlp]`` config table: defaults, values, one-line errors naming file, line and field."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from oxytui.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OXYTUI_CONFIG_DIR", str(tmp_path / "cfgdir"))
    monkeypatch.setenv("OXYTUI_DATA_DIR", str(tmp_path / "datadir"))


def load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "c.toml"
    path.write_text(text)
    return load_settings(argparse.Namespace(config=str(path)), env={})


def test_otlp_defaults_off_and_reads_the_table(tmp_path: Path) -> None:
    assert not load(tmp_path, "").otlp.enabled
    s = load(tmp_path, '[otlp]\nenabled = true\nendpoint = "http://collector:4318"\ncontent = true\n')
    assert s.otlp.enabled and s.otlp.content and s.otlp.endpoint == "http://collector:4318"


@pytest.mark.parametrize(
    ("text", "field", "why"),
    [
        ("[otlp]\nenabled = 1\n", "otlp.enabled", "true or false"),
        ('[otlp]\nheaders = "Authorization=x"\n', "otlp.headers", "unknown key"),
        ('[otlp]\nendpoint = "ftp://c"\n', "otlp.endpoint", "scheme"),
        ('[otlp]\nendpoint = "http://u:pw@c:4318"\n', "otlp.endpoint", "credentials"),
        ('otlp = "on"\n', "otlp", "must be a table"),
    ],
)
def test_otlp_errors_are_one_line(tmp_path: Path, text: str, field: str, why: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    msg = str(info.value)
    assert "\n" not in msg and f": {field}: " in msg and why in msg and "pw" not in msg
