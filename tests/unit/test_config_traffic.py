"""``[traffic]`` in the config file and ``--traffic-every`` / ``--no-traffic`` on the command line."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from oxytui.cli import main
from oxytui.config import ConfigError, load_settings


def settings_from(tmp_path: Path, text: str, **args: object) -> object:
    path = tmp_path / "c.toml"
    path.write_text(text)
    return load_settings(argparse.Namespace(config=str(path), **args), env={})


def test_traffic_table_and_flags(tmp_path: Path) -> None:
    s = settings_from(tmp_path, '[traffic]\nenabled = false\nevery = "5s"\n')
    assert s.traffic is False and s.traffic_every == 5.0  # type: ignore[attr-defined]
    s = settings_from(tmp_path, '[traffic]\nevery = "5s"\n', traffic_every="500ms", no_traffic=True)
    assert s.traffic is False and s.traffic_every == 0.5  # type: ignore[attr-defined]
    s = settings_from(tmp_path, "")
    assert s.traffic is True and s.traffic_every == 2.0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[traffic]\nevry = "2s"\n', "c.toml:2: traffic.evry: unknown key"),
        ('[traffic]\nevery = "1ms"\n', "c.toml:2: traffic.every: must be between"),
        ("[traffic]\nenabled = 1\n", "c.toml:2: traffic.enabled: must be true or false"),
        ('traffic = "on"\n', "traffic: must be a table"),
    ],
)
def test_bad_traffic_config_is_one_line(tmp_path: Path, text: str, where: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings_from(tmp_path, text)
    assert where in str(info.value) and "\n" not in str(info.value)


def test_bad_cli_flag_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watch", "http://127.0.0.1:9", "--traffic", "--traffic-every", "soon"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--traffic-every" in err
