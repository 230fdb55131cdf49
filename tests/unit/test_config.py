"""Config loading: precedence, validation, one-line errors with file/line/field, secrets."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from oxytui.config import (
    ConfigError,
    find_line,
    load_settings,
    node_name_from_url,
    parse_duration,
)

GOOD = """\
# fleet
[ui]
theme = "oxytui-light"
read_only = true
log_cap = 5000

[pool]
balancing = "lowest_latency"

[keys]
pause_log = "space"

[[nodes]]
name = "master"
url = "http://127.0.0.1:8080/"
token_env = "MASTER_TOKEN"
tags = ["eu", "prod"]
probe_query = "add 2 3"
probe_every = "30s"

[[nodes]]
name = "math"
url = "https://math.example:8443"
profile = "production"
token_file = "math.token"
"""


def ns(**kw: object) -> argparse.Namespace:
    return argparse.Namespace(**kw)


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OXYTUI_CONFIG_DIR", str(tmp_path / "cfgdir"))
    monkeypatch.setenv("OXYTUI_DATA_DIR", str(tmp_path / "datadir"))


def write(tmp_path: Path, text: str, name: str = "c.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def load(path: Path, env: dict[str, str] | None = None, **kw: object):
    return load_settings(ns(config=str(path), **kw), env=env or {})


def err_of(path: Path, env: dict[str, str] | None = None, **kw: object) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load(path, env, **kw)
    assert "\n" not in str(info.value)
    return info.value


def test_full_file_loads(tmp_path: Path) -> None:
    (tmp_path / "math.token").write_text("file-secret-123\n")
    s = load(write(tmp_path, GOOD), {"MASTER_TOKEN": "env-secret-456"})
    assert [n.name for n in s.nodes] == ["master", "math"]
    master, math = s.nodes
    assert master.url == "http://127.0.0.1:8080"
    assert master.token is not None and master.token.get_secret_value() == "env-secret-456"
    assert math.token is not None and math.token.get_secret_value() == "file-secret-123"
    assert master.probe_every == 30.0 and master.tags == ["eu", "prod"]
    assert (s.theme, s.read_only, s.log_cap, s.balancing) == ("oxytui-light", True, 5000, "lowest_latency")
    assert s.keys == {"pause_log": "space"}
    assert s.config_path == tmp_path / "c.toml"
    # secrets never in repr/str/json dumps
    for text in (repr(s), str(s), s.model_dump_json()):
        assert "env-secret-456" not in text and "file-secret-123" not in text


def test_precedence_cli_over_env_over_file(tmp_path: Path) -> None:
    (tmp_path / "math.token").write_text("x")
    path = write(tmp_path, GOOD)
    env = {"MASTER_TOKEN": "t", "OXYTUI_THEME": "env-theme", "OXYTUI_LOG_CAP": "77"}
    s = load(path, env)
    assert s.theme == "env-theme" and s.log_cap == 77
    s = load(path, env, theme="cli-theme")
    assert s.theme == "cli-theme" and s.log_cap == 77
    s = load(path, env, urls=["http://10.0.0.5:9000"])
    assert [(n.name, n.url) for n in s.nodes] == [("10.0.0.5:9000", "http://10.0.0.5:9000")]


def test_defaults_without_any_file(tmp_path: Path) -> None:
    s = load_settings(ns(), env={})
    assert s.nodes == [] and s.config_path is None and s.theme == "oxytui-dark"


def test_default_config_file_is_used(tmp_path: Path) -> None:
    cfg = tmp_path / "cfgdir"
    cfg.mkdir()
    (cfg / "config.toml").write_text('[ui]\ntheme = "from-default"\n')
    s = load_settings(ns(), env={})
    assert s.theme == "from-default" and s.config_path == cfg / "config.toml"


def test_env_config_path_and_nodes(tmp_path: Path) -> None:
    path = write(tmp_path, '[ui]\ntheme = "x"\n')
    s = load_settings(ns(), env={"OXYTUI_CONFIG": str(path), "OXYTUI_NODES": "http://a:1, http://b:2"})
    assert s.theme == "x" and [n.name for n in s.nodes] == ["a:1", "b:2"]


def test_record_flag_default_path_under_data_dir(tmp_path: Path) -> None:
    s = load_settings(ns(record=""), env={})
    assert s.record is not None and s.record.parent == tmp_path / "datadir" / "recordings"
    s = load_settings(ns(record="x.jsonl"), env={})
    assert s.record == Path("x.jsonl")


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    [
        (
            '[[nodes]]\nname = "a"\nurl = "http://a:1"\ntoken = "s3cr3t-literal"\n',
            4,
            "nodes[0].token",
            "literal tokens",
        ),
        ('[ui]\ntheme = "x"\n\n[[nodes]]\nname = "a"\n\nurl = "ftp://a"\n', 7, "nodes[0].url", "scheme"),
        ('[[nodes]]\nname = "a"\nurl = "http://"\n', 3, "nodes[0].url", "no host"),
        (
            '[[nodes]]\nname = "a"\nurl = "http://a:1"\n[[nodes]]\nname = "p"\nprofile = "production"\n'
            'url = "http://p:1"\n',
            7,
            "nodes[1].url",
            "https",
        ),
        (
            '[[nodes]]\nname = "a"\nurl = "http://a:1"\n\n[[nodes]]\nname = "a"\nurl = "http://b:1"\n',
            6,
            "nodes.name",
            "duplicate",
        ),
        ('[ui]\ntheme = "x"\nlog_cap = -3\n', 3, "ui.log_cap", "positive"),
        ('[ui]\nthemes = "x"\n', 2, "ui.themes", "unknown key"),
        ('[pool]\nbalancing = "fastest"\n', 2, "pool.balancing", "round_robin"),
        (
            '[[nodes]]\nname = "a"\nurl = "http://a:1"\nprobe_every = "soon"\n',
            4,
            "nodes[0].probe_every",
            "duration",
        ),
        ('[[nodes]]\nname = "a"\nurl = "http://a:1"\ncolour = 1\n', 4, "nodes[0].colour", "unknown key"),
        (
            '[[nodes]]\nname = "a"\nurl = "http://a:1"\ntoken_env = "NOPE_NOT_SET"\n',
            4,
            "nodes[0].token_env",
            "NOPE_NOT_SET",
        ),
        (
            '[[nodes]]\nname = "a"\nurl = "http://a:1"\ntoken_file = "missing.tok"\n',
            4,
            "nodes[0].token_file",
            "cannot read",
        ),
        ('[[nodes]]\nname = "a"\n', 1, "nodes[0].url", "required"),
        ("[keys]\nquit = 3\n", 2, "keys.quit", "key name"),
        ("[extra]\nx = 1\n", 1, "extra", "unknown table"),
    ],
)
def test_errors_name_file_line_field(tmp_path: Path, text: str, line: int, field: str, words: str) -> None:
    path = write(tmp_path, text)
    err = err_of(path)
    assert (err.line, err.field) == (line, field), str(err)
    assert str(err).startswith(f"{path}:{line}: {field}: ")
    assert words in str(err)
    assert "s3cr3t-literal" not in str(err)


def test_toml_syntax_error_has_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[ui]\ntheme = "x"\nread_only = tru\n')
    err = err_of(path)
    assert err.line == 3 and "invalid TOML" in str(err) and str(err).startswith(f"{path}:3: ")


@pytest.mark.parametrize("content", [b"\xff\xfe\x00garbage", None])
def test_unreadable_or_binary_file(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "c.toml"
    if content is not None:
        path.write_bytes(content)
    err = err_of(path)
    assert str(path) in str(err)


def test_bad_env_values() -> None:
    with pytest.raises(ConfigError, match="OXYTUI_LOG_CAP"):
        load_settings(ns(), env={"OXYTUI_LOG_CAP": "many"})
    with pytest.raises(ConfigError, match="OXYTUI_READ_ONLY"):
        load_settings(ns(), env={"OXYTUI_READ_ONLY": "maybe"})
    with pytest.raises(ConfigError, match="OXYTUI_NODES"):
        load_settings(ns(), env={"OXYTUI_NODES": "not-a-url"})


def test_cli_urls_validated_and_duplicates() -> None:
    with pytest.raises(ConfigError, match="scheme"):
        load_settings(ns(urls=["localhost:8080"]), env={})
    with pytest.raises(ConfigError, match="duplicate"):
        load_settings(ns(urls=["http://a:1", "http://a:1/"]), env={})
    with pytest.raises(ConfigError, match="credentials"):
        load_settings(ns(urls=["http://user:pw@a:1"]), env={})


def test_node_names_and_durations() -> None:
    assert node_name_from_url("http://h") == "h:80"
    assert node_name_from_url("https://h") == "h:443"
    assert node_name_from_url("http://[::1]:8080") == "[::1]:8080"
    got = [parse_duration(x) for x in ("30s", "2m", "1h", "250ms", 5, "1.5")]
    assert got == [30, 120, 3600, 0.25, 5, 1.5]
    for bad in ("0s", "-1", "abc", "5 d", True):
        with pytest.raises(ValueError):
            parse_duration(bad)  # type: ignore[arg-type]


def test_find_line_scans_tables() -> None:
    text = '# c\n[[nodes]]\nname="a"\n[[nodes]]\n  name = "b"\n url="x"\n[ui]\ntheme="t"\n'
    assert find_line(text, "nodes", "name", 1) == 5
    assert find_line(text, "nodes", "url", 1) == 6
    assert find_line(text, "nodes", "url", 0) == 2  # missing key: the table header
    assert find_line(text, "ui", "theme") == 8
    assert find_line(text, "ui") == 7
    assert find_line(text, "missing", "x") is None


# --- issue 9: token files, deep TOML, linear loading ----------------------------------------------------

TOKEN_NODE = '[[nodes]]\nname = "a"\nurl = "http://a:1"\ntoken_file = "{}"\n'


def _token_err(tmp_path: Path, target: str) -> str:
    err = err_of(write(tmp_path, TOKEN_NODE.format(target)))
    assert err.field == "nodes[0].token_file" and err.line == 4
    return str(err)


def test_token_file_fifo_and_devices_are_refused_without_hanging(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "t.fifo"
    os.mkfifo(fifo)  # nobody writes: a plain open() would block for ever
    assert "not a regular file (a FIFO)" in _token_err(tmp_path, str(fifo))
    assert "not a regular file" in _token_err(tmp_path, "/dev/zero")
    assert "not a regular file (a directory)" in _token_err(tmp_path, str(tmp_path))


def test_token_file_size_cap(tmp_path: Path) -> None:
    big = tmp_path / "big.token"
    with big.open("wb") as fh:  # sparse: 1 GiB apparent size, no disk used
        fh.truncate(1 << 30)
    assert "too large (1,073,741,824 bytes" in _token_err(tmp_path, str(big))


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("S3CR3T\nS3COND\n", "exactly one line"),
        ("S3CR3T\r\nx", "exactly one line"),
        ("\n", "is empty"),
        ("S3C\x1bR3T\n", "control characters"),
    ],
)
def test_token_file_must_be_one_line(tmp_path: Path, content: str, words: str) -> None:
    tok = tmp_path / "t.token"
    tok.write_text(content, newline="")
    tok.chmod(0o600)
    msg = _token_err(tmp_path, str(tok))
    assert words in msg and "S3C" not in msg


def test_token_file_trailing_newline_stripped_and_loose_mode_warned(tmp_path: Path) -> None:
    tok = tmp_path / "t.token"
    tok.write_text("sekrit-123\r\n", newline="")
    tok.chmod(0o600)
    notes: list[str] = []
    s = load_settings(ns(config=str(write(tmp_path, TOKEN_NODE.format(tok)))), env={}, warn=notes.append)
    assert s.nodes[0].token is not None and s.nodes[0].token.get_secret_value() == "sekrit-123"
    assert notes == [] and s.notes == []
    tok.chmod(0o640)
    s = load_settings(ns(config=str(write(tmp_path, TOKEN_NODE.format(tok)))), env={}, warn=notes.append)
    assert len(notes) == 1 and "can be read by group/others" in notes[0] and str(tok) in notes[0]
    assert s.notes == notes and "sekrit" not in notes[0]


def test_env_token_with_newline_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[[nodes]]\nname = "a"\nurl = "http://a:1"\ntoken_env = "T"\n')
    err = err_of(path, {"T": "abc\ndef"})
    assert err.field == "nodes[0].token_env" and "control characters" in str(err) and "abc" not in str(err)


@pytest.mark.parametrize("where", ["value", "config"])
def test_deeply_nested_toml_is_one_line_error(tmp_path: Path, where: str) -> None:
    deep = "[" * 2000 + "]" * 2000
    if where == "value":
        path = write(tmp_path, f'[ui]\ntheme = "x"\n[keys]\nx = {deep}\n')
    else:
        path = write(tmp_path, f"x = {deep}\n")
    err = err_of(path)
    assert str(err).startswith(f"{path}") and "nested too deeply" in str(err)


def test_config_file_fifo_and_devices_refused(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "c.fifo"
    os.mkfifo(fifo)
    assert "not a regular file" in str(err_of(fifo))
    assert "not a regular file" in str(err_of(Path("/dev/zero")))


def test_forty_thousand_nodes_load_and_duplicates_found_in_one_pass(tmp_path: Path) -> None:
    from oxytui.config import first_duplicate

    n = 40_000
    text = "".join(f'[[nodes]]\nname = "n{i}"\nurl = "http://h{i}:1"\n' for i in range(n))
    assert len(load(write(tmp_path, text)).nodes) == n
    err = err_of(write(tmp_path, text + '[[nodes]]\nname = "n7"\nurl = "http://x:1"\n'))
    assert "duplicate node name 'n7'" in str(err) and err.line == 3 * n + 2

    class Name(str):
        """Counts comparisons: a set needs ~none, a ``list.count`` per name needs n**2."""

        eq = 0

        def __eq__(self, other: object) -> bool:
            Name.eq += 1
            return str.__eq__(self, other)

        __hash__ = str.__hash__

    names = [Name(f"n{i}") for i in range(5_000)] + [Name("n3")]
    assert first_duplicate(names) == ("n3", 5_000)
    assert Name.eq < 50


@pytest.mark.parametrize(
    "url", ["http://u:pw-SECRET@h:1", "ftp://u:pw-SECRET@h", "http://u:pw-SECRET@h:bad/x"]
)
def test_url_errors_never_repeat_a_password(url: str) -> None:
    from oxytui.config import check_url

    with pytest.raises(ValueError) as info:
        check_url(url)
    assert "credentials" in str(info.value) and "pw-SECRET" not in str(info.value)


def test_config_errors_never_carry_terminal_controls(tmp_path: Path) -> None:
    path = write(tmp_path, TOKEN_NODE.format("\\u001b]0;PWNED\\u0007\\u202emissing.tok"))
    err = str(err_of(path))
    assert "PWNED" in err and err.isprintable() and "missing.tok" in err
