"""The oxytui command in-process: parsing, dispatch, one-line errors with exit code 2."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from oxytui import __version__
from oxytui.cli import main, parsers
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
    """Stand-in for oxytui.tui.app so dispatch is tested without starting Textual (on a 'terminal')."""
    monkeypatch.setattr("oxytui.cli.stdout_is_terminal", lambda: True)
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


# --- strictness (issue 13, point 10) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--them", "x"], "unrecognized arguments: --them"),
        (["--read"], "unrecognized arguments: --read"),
        (["sim", "--node", "3"], "unrecognized arguments: --node"),
        (["watch", "http://a:1", "--fail-bel", "0.5"], "unrecognized arguments: --fail-bel"),
        (["replay", "x.jsonl", "--spe", "2"], "unrecognized arguments: --spe"),
        (["export", "x.jsonl", "--form", "csv"], "unrecognized arguments: --form"),
    ],
)
def test_flag_prefixes_are_refused(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str], fake_tui: list[Any]
) -> None:
    assert main(argv) == 2
    assert words in one_error_line(capsys) and fake_tui == []


def test_every_flag_has_help_text() -> None:
    for name, parser in parsers().items():
        assert not parser.allow_abbrev, name
        for action in parser._actions:
            assert action.help, f"oxytui {name} {action.option_strings or action.dest}: no help"


@pytest.mark.parametrize(("word", "cmd"), [("replya", "replay"), ("wacth", "watch"), ("exprot", "export")])
def test_unknown_first_word_suggests_the_subcommand(
    word: str, cmd: str, capsys: pytest.CaptureFixture[str], fake_tui: list[Any]
) -> None:
    assert main([word, "foo"]) == 2
    assert one_error_line(capsys) == f"oxytui: unknown command {word!r} (did you mean {cmd!r}?)"
    assert fake_tui == []


def test_unknown_theme_exits_2_from_each_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fake_tui: list[Any]
) -> None:
    assert main(["--theme", "nope"]) == 2
    line = one_error_line(capsys)
    assert line.startswith("oxytui: --theme: unknown theme 'nope' (available: ")
    assert "oxytui-light" in line and "textual-dark" in line
    monkeypatch.setenv("OXYTUI_THEME", "nope2")
    assert main([]) == 2
    assert "environment OXYTUI_THEME: unknown theme 'nope2'" in one_error_line(capsys)
    monkeypatch.delenv("OXYTUI_THEME")
    cfg = tmp_path / "c.toml"
    cfg.write_text('[ui]\nread_only = true\ntheme = "nope3"\n')
    assert main(["--config", str(cfg)]) == 2
    assert one_error_line(capsys).startswith(
        f"oxytui: config error: {cfg}:3: ui.theme: unknown theme 'nope3'"
    )
    assert main(["replay", str(_recording(tmp_path / "r.jsonl")), "--theme", "nope"]) == 2
    assert "unknown theme 'nope'" in one_error_line(capsys)
    assert fake_tui == []


def test_user_theme_is_known(tmp_path: Path, fake_tui: list[Any]) -> None:
    themes = tmp_path / "cfg" / "themes"
    themes.mkdir(parents=True)
    (themes / "mine.toml").write_text('name = "mine"\nprimary = "#336699"\n')
    assert main(["--theme", "mine"]) == 0
    assert fake_tui[0].theme == "mine"


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (
            'pause_lg = "space"',
            "keys.pause_lg: unknown binding id (valid ids: call_tree, chat_target, copy_event, copy_trace,",
        ),
        ('filter = "q"', "keys.filter: key 'q' is bound twice: quit and filter"),
        ('help = "p"', "keys.help: key 'p' is bound twice: help and pause_log"),
        ('filter = "ctrl+p"', "keys.filter: key 'ctrl+p' is reserved for the command palette"),
        ('quit = "x"\nfilter = "x"', "keys.filter: key 'x' is bound twice: quit and filter"),
    ],
)
def test_bad_key_bindings_exit_2_naming_them(
    keys: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_tui: list[Any]
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f"[ui]\nread_only = true\n\n[keys]\n{keys}\n")
    assert main(["--config", str(cfg)]) == 2
    line = one_error_line(capsys)
    lineno = 5 + keys.count("\n")  # the line of the entry that clashes
    assert line.startswith(f"oxytui: config error: {cfg}:{lineno}: ") and expected in line, line
    assert fake_tui == []


def test_key_bindings_are_normalized_and_swaps_allowed(tmp_path: Path, fake_tui: list[Any]) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[keys]\nhelp = "f1, ?"\nquit = "p"\npause_log = "q"\nfilter = "Ctrl+f"\n')
    assert main(["--config", str(cfg)]) == 0
    assert fake_tui[0].keys == {"help": "f1,question_mark", "quit": "p", "pause_log": "q", "filter": "ctrl+f"}


def test_replay_keys_clash_only_in_replay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_tui: list[Any]
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[keys]\npause_log = "space"\n')
    assert main(["--config", str(cfg)]) == 0  # live: space is free
    rec = _recording(tmp_path / "r.jsonl")
    assert main(["replay", str(rec), "--config", str(cfg)]) == 2
    assert "key 'space' is bound twice: pause_log and replay_toggle" in one_error_line(capsys)


def test_dashboard_refuses_a_pipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fake_tui: list[Any]
) -> None:
    monkeypatch.setattr("oxytui.cli.stdout_is_terminal", lambda: False)
    assert main(["--demo"]) == 2
    assert one_error_line(capsys) == (
        "oxytui: the dashboard needs a terminal, but stdout is not one "
        "(use `oxytui watch` for headless checks)"
    )
    assert main(["replay", str(_recording(tmp_path / "r.jsonl"))]) == 2
    assert "use --no-ui" in one_error_line(capsys)
    assert fake_tui == []


def test_export_run_implies_format_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _recording(tmp_path / "r.jsonl")
    assert main(["export", str(path), "--run", "T"]) == 0
    assert json.loads(capsys.readouterr().out)["answer"] == "5"
    assert main(["export", str(path), "--run", "T", "--format", "csv"]) == 2
    assert "cannot be combined with --format csv" in one_error_line(capsys)


@pytest.mark.parametrize("sub", ["replay", "export"])
def test_missing_file_is_exit_2_everywhere(
    sub: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([sub, str(tmp_path / "nope.jsonl")]) == 2
    assert f"oxytui {sub}: cannot read recording" in one_error_line(capsys)


def test_export_unwritable_output_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _recording(tmp_path / "r.jsonl")
    assert main(["export", str(path), "-o", "/proc/oxytui-nope/x.json"]) == 2
    assert "oxytui export: -o: cannot create" in one_error_line(capsys)
