"""The oxytui command in-process: parsing, dispatch, one-line errors with exit code 2."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from oxytui import __version__
from oxytui.cli import main
from oxytui.client.sse import SSEMessage
from oxytui.config import Settings
from oxytui.ops.record import Recorder


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OXYTUI_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("OXYTUI_DATA_DIR", str(tmp_path / "data"))
    for k in ("OXYTUI_NODES", "OXYTUI_THEME", "OXYTUI_CONFIG"):
        monkeypatch.delenv(k, raising=False)


@pytest.fixture
def fake_tui(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Stand-in for oxytui.tui.app so dispatch is tested without starting Textual."""
    calls: list[Any] = []
    mod = types.ModuleType("oxytui.tui.app")
    mod.run_app = lambda settings: calls.append(settings) or 0  # type: ignore[attr-defined]
    mod.run_replay = lambda settings, path, speed, step: calls.append((path, speed, step)) or 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "oxytui.tui.app", mod)
    return calls


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"oxytui {__version__}"
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "--read-only" in out and "--record" in out and "sim, replay, watch, export" in out
    for sub in ("sim", "replay", "watch", "export"):
        assert main([sub, "--help"]) == 0
        assert f"oxytui {sub}" in capsys.readouterr().out


def test_urls_and_flags_reach_run_app(fake_tui: list[Any], tmp_path: Path) -> None:
    argv = [
        "http://10.0.0.1:8080",
        "https://b.example",
        "--theme",
        "oxytui-light",
        "--read-only",
        "--seed",
        "7",
        "--record",
        str(tmp_path / "r.jsonl"),
    ]
    assert main(argv) == 0
    (s,) = fake_tui
    assert isinstance(s, Settings)
    assert [(n.name, n.url) for n in s.nodes] == [
        ("10.0.0.1:8080", "http://10.0.0.1:8080"),
        ("b.example:443", "https://b.example"),
    ]
    assert (s.theme, s.read_only, s.seed, s.record) == ("oxytui-light", True, 7, tmp_path / "r.jsonl")


def test_record_without_file_before_a_url(fake_tui: list[Any], tmp_path: Path) -> None:
    assert main(["--record", "http://a:1"]) == 0
    s = fake_tui[0]
    assert [n.url for n in s.nodes] == ["http://a:1"] and s.record.parent == tmp_path / "data" / "recordings"


def test_demo_and_default_record_path(fake_tui: list[Any], tmp_path: Path) -> None:
    assert main(["--demo", "--record"]) == 0
    s = fake_tui[0]
    assert s.demo and s.nodes == [] and s.record.parent == tmp_path / "data" / "recordings"


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["localhost:8080"], "scheme must be http or https"),
        (["http://"], "no host"),
        (["--bogus"], "unrecognized arguments"),
        (["--seed", "x"], "invalid int value"),
        (["--balancing", "fastest"], "invalid choice"),
        (["--log-cap", "0"], "--log-cap: must be a positive integer"),
        (["--theme", ""], "--theme: must not be empty"),
        (["--record", "/proc/oxytui-nope/x.jsonl"], "--record: cannot create"),
        (["--record", "/"], "--record: cannot write"),
        (["--config", "/nonexistent/oxytui.toml"], "cannot read config file"),
        (["http://a:1", "http://a:1"], "duplicate"),
        (["replay"], "required: FILE"),
        (["replay", "/nonexistent.jsonl"], "cannot read recording"),
        (["replay", "x", "--speed", "2", "--step"], "not allowed with"),
        (["sim", "--nodes", "0"], "--nodes"),
        (["watch"], "no nodes"),
        (["watch", "http://a:1", "--every", "often"], "not a duration"),
        (["watch", "http://a:1", "--fail-below", "2"], "between 0 and 1"),
        (["export", "x.jsonl", "--format", "xml"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str], fake_tui: list[Any]
) -> None:
    assert main(argv) == 2
    line = one_error_line(capsys)
    assert line.startswith("oxytui") and words in line
    assert fake_tui == []


def test_config_error_names_file_line_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "nodes.toml"
    cfg.write_text('[[nodes]]\nname = "a"\nurl = "http://a:1"\n\n[[nodes]]\nname = "b"\nurl = "gopher://b"\n')
    assert main(["--config", str(cfg)]) == 2
    assert one_error_line(capsys) == (
        f"oxytui: config error: {cfg}:7: nodes[1].url: invalid URL 'gopher://b': scheme must be http or https"
    )


def test_missing_tui_is_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "oxytui.tui.app", None)  # import raises ImportError
    assert main(["--demo"]) == 1
    assert "dashboard is not available" in one_error_line(capsys)


def _recording(path: Path) -> Path:
    with Recorder(path) as rec:
        rec.mark("start", "n", "T", 1.0, query="add 2 3")
        rec.wire_tap("n", "T", SSEMessage("message", '{"type":"answer","content":"5"}', "1", None, 30), 2.0)
        rec.wire_tap("n", "T", SSEMessage("close", "done", None, None, 4), 2.5)
    return path


def test_replay_goes_to_the_dashboard(fake_tui: list[Any], tmp_path: Path) -> None:
    path = _recording(tmp_path / "r.jsonl")
    assert main(["replay", str(path), "--speed", "4"]) == 0
    assert fake_tui == [(path, 4.0, False)]


def test_replay_headless(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _recording(tmp_path / "r.jsonl")
    assert main(["replay", str(path), "--no-ui", "--json"]) == 0
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [o["kind"] for o in out] == ["start", "msg", "msg"] and out[1]["data"]["content"] == "5"


def test_replay_falls_back_without_tui_replay(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mod = types.ModuleType("oxytui.tui.app")  # a dashboard without run_replay
    monkeypatch.setitem(sys.modules, "oxytui.tui.app", mod)
    path = _recording(tmp_path / "r.jsonl")
    assert main(["replay", str(path)]) == 0
    captured = capsys.readouterr()
    assert "printing instead" in captured.err and " answer " in captured.out


def test_export_subcommand(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _recording(tmp_path / "r.jsonl")
    assert main(["export", str(path), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("n,1,1,0,")
    out = tmp_path / "run.json"
    assert main(["export", str(path), "--format", "run", "-o", str(out)]) == 0
    assert json.loads(out.read_text())["answer"] == "5"
