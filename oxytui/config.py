"""Settings (pydantic) from CLI, TOML files and env; paths from platformdirs.

This module is imported by ``oxytui --version``'s neighbours, so it must stay light: no Textual import.
Precedence is CLI > environment (``OXYTUI_*``) > TOML file > defaults. Every problem is reported as one
:class:`ConfigError` line naming the file, the line and the field, because operators fix configs from
the message alone, not from a traceback.
"""

from __future__ import annotations

import os
import re
import time
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

Profile = Literal["development", "staging", "production"]
Balancing = Literal["round_robin", "random", "lowest_latency"]

APP_NAME = "oxytui"
ENV_PREFIX = "OXYTUI_"


class ConfigError(Exception):
    """A bad setting. ``str(err)`` is one line: ``FILE:LINE: FIELD: what is wrong``."""

    def __init__(
        self,
        message: str,
        *,
        file: Path | str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file, self.line, self.field = file, line, field
        self.reason = " ".join(str(message).split())
        where = ""
        if file is not None:
            where = f"{file}:{line}: " if line else f"{file}: "
        what = f"{field}: " if field else ""
        super().__init__(f"{where}{what}{self.reason}")


class NodeConfig(BaseModel):
    """One OxyGent node to watch. ``token`` is resolved from ``token_env`` / ``token_file`` at load time."""

    model_config = ConfigDict(extra="forbid")

    name: str
    url: str
    token: SecretStr | None = None
    token_env: str | None = None
    token_file: Path | None = None
    profile: Profile = "development"
    tags: list[str] = Field(default_factory=list)
    probe_query: str | None = None
    probe_every: float | None = None


class Settings(BaseModel):
    """Everything the app needs to start; built by :func:`load_settings` from CLI > env > TOML > defaults."""

    model_config = ConfigDict(extra="forbid")

    nodes: list[NodeConfig] = Field(default_factory=list)
    demo: bool = False
    """Run against the embedded simulated cluster (also the case when no nodes are configured)."""
    seed: int = 42
    theme: str = "oxytui-dark"
    read_only: bool = False
    record: Path | None = None
    log_cap: int = 20_000
    """Maximum rows kept in the live event log; older rows are dropped and counted."""
    balancing: Balancing = "round_robin"
    keys: dict[str, str] = Field(default_factory=dict)
    """Binding id -> key(s), e.g. ``{"pause_log": "space"}``; see the help screen for ids."""
    config_path: Path | None = None


# --- paths ------------------------------------------------------------------------------------------


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


# --- small parsers ----------------------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(value: str | float | int) -> float:
    """``"30s"``, ``"2m"``, ``"1.5h"``, ``"250ms"`` or a number of seconds -> seconds (> 0)."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        m = _DURATION.match(str(value))
        if not m:
            raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 2m, 1h, 500ms)")
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    if not seconds > 0:
        raise ValueError(f"duration must be positive: {value!r}")
    return seconds


def check_url(url: str, *, production: bool = False) -> str:
    """Return ``url`` without a trailing slash, or raise ValueError saying why it is unusable."""
    text = str(url).strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"invalid URL {text!r}: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"invalid URL {text!r}: scheme must be http or https")
    if not parts.hostname:
        raise ValueError(f"invalid URL {text!r}: no host")
    if parts.username or parts.password:
        raise ValueError("invalid URL: credentials in URLs are not allowed (use token_env or token_file)")
    if production and parts.scheme != "https":
        raise ValueError(f"production nodes require https, got {text!r}")
    del port
    return text.rstrip("/")


def node_name_from_url(url: str) -> str:
    """``http://10.0.0.5:8081/`` -> ``10.0.0.5:8081`` (default port filled in)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or "node"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _parse_bool(text: str) -> bool:
    low = text.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected a boolean (true/false), got {text!r}")


# --- TOML line lookup -------------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(#.*)?$")


def find_line(text: str, table: str | None, key: str | None = None, index: int = 0) -> int | None:
    """1-based line of ``key`` inside the ``index``-th ``[table]``/``[[table]]`` (or of the table itself).

    A plain text scan: good enough for hand-written configs, and it never fails."""
    lines = text.splitlines()
    start, end = 0, len(lines)
    if table is not None:
        seen, start = -1, -1
        for i, line in enumerate(lines):
            m = _HEADER.match(line)
            if not m:
                continue
            if start >= 0:
                end = i
                break
            if m.group(1).strip("\"' ") == table:
                seen += 1
                if seen == index:
                    start = i
        if start < 0:
            return None
        if key is None:
            return start + 1
        start += 1
    else:
        for i, line in enumerate(lines):
            if _HEADER.match(line):
                end = i
                break
    if key is None:
        return None
    key_re = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for i in range(start, end):
        if key_re.match(lines[i]):
            return i + 1
    return start if table is not None else None


# --- loading ----------------------------------------------------------------------------------------

_TOP_TABLES = {"nodes", "ui", "keys", "pool"}
_UI_KEYS = {"theme", "read_only", "log_cap"}
_NODE_KEYS = set(NodeConfig.model_fields) - {"token"}


class _Source:
    """Where values came from, for error messages."""

    def __init__(self, path: Path | None, text: str) -> None:
        self.path, self.text = path, text

    def error(
        self, msg: str, table: str | None, key: str | None = None, index: int = 0, field: str | None = None
    ) -> ConfigError:
        line = find_line(self.text, table, key, index) if self.path else None
        return ConfigError(msg, file=self.path, line=line, field=field)


def read_config_file(path: Path) -> tuple[dict[str, Any], str]:
    """Parse a TOML file; unreadable or invalid files raise a one-line :class:`ConfigError`."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror or exc}", file=path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("config file is not UTF-8 text", file=path) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column \d+\)", msg)
        line = int(m.group(1)) if m else None
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg) if m else msg
        raise ConfigError(f"invalid TOML: {reason}", file=path, line=line) from None
    return data, text


def _resolve_token(node: dict[str, Any], src: _Source, i: int, env: Mapping[str, str]) -> SecretStr | None:
    where = f"nodes[{i}]"
    token_env, token_file = node.get("token_env"), node.get("token_file")
    if token_env is not None:
        if not isinstance(token_env, str) or not token_env:
            raise src.error(
                "must be the name of an environment variable", "nodes", "token_env", i, f"{where}.token_env"
            )
        value = env.get(token_env)
        if not value:
            raise src.error(
                f"environment variable {token_env} is not set", "nodes", "token_env", i, f"{where}.token_env"
            )
        return SecretStr(value.strip())
    if token_file is not None:
        p = Path(str(token_file)).expanduser()
        if not p.is_absolute() and src.path is not None:
            p = src.path.parent / p
        try:
            value = p.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise src.error(
                f"cannot read token file {p}: {reason}", "nodes", "token_file", i, f"{where}.token_file"
            ) from None
        if not value:
            raise src.error(f"token file {p} is empty", "nodes", "token_file", i, f"{where}.token_file")
        return SecretStr(value)
    return None


def _node_from_table(node: Any, src: _Source, i: int, env: Mapping[str, str]) -> NodeConfig:
    where = f"nodes[{i}]"
    if not isinstance(node, dict):
        raise src.error("each [[nodes]] entry must be a table", "nodes", None, i, where)
    if "token" in node:
        raise src.error(
            "literal tokens are not allowed in config files; use token_env (environment "
            "variable name) or token_file",
            "nodes",
            "token",
            i,
            f"{where}.token",
        )
    for key in node:
        if key not in _NODE_KEYS:
            raise src.error(
                f"unknown key (expected one of: {', '.join(sorted(_NODE_KEYS))})",
                "nodes",
                key,
                i,
                f"{where}.{key}",
            )
    for key in ("name", "url"):
        if not isinstance(node.get(key), str) or not node[key].strip():
            raise src.error(
                "required, must be a non-empty string",
                "nodes",
                key if key in node else None,
                i,
                f"{where}.{key}",
            )
    fields = dict(node)
    profile = fields.get("profile", "development")
    if profile not in get_args(Profile):
        raise src.error(
            f"must be one of {', '.join(get_args(Profile))}", "nodes", "profile", i, f"{where}.profile"
        )
    try:
        fields["url"] = check_url(fields["url"], production=profile == "production")
    except ValueError as exc:
        raise src.error(str(exc), "nodes", "url", i, f"{where}.url") from None
    if "probe_every" in fields:
        try:
            fields["probe_every"] = parse_duration(fields["probe_every"])
        except ValueError as exc:
            raise src.error(str(exc), "nodes", "probe_every", i, f"{where}.probe_every") from None
    fields["token"] = _resolve_token(node, src, i, env)
    try:
        return NodeConfig(**fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]) if err.get("loc") else None
        raise src.error(err["msg"], "nodes", key, i, f"{where}.{key}" if key else where) from None


def _apply_file(data: dict[str, Any], src: _Source, out: dict[str, Any], env: Mapping[str, str]) -> None:
    for table in data:
        if table not in _TOP_TABLES:
            raise src.error(
                f"unknown table or key (expected one of: {', '.join(sorted(_TOP_TABLES))})",
                table if isinstance(data[table], dict | list) else None,
                None if isinstance(data[table], dict | list) else table,
                field=table,
            )
    nodes = data.get("nodes", [])
    if not isinstance(nodes, list):
        raise src.error("must be an array of tables: [[nodes]]", None, "nodes", field="nodes")
    out["nodes"] = [_node_from_table(n, src, i, env) for i, n in enumerate(nodes)]
    ui = data.get("ui", {})
    if not isinstance(ui, dict):
        raise src.error("must be a table: [ui]", None, "ui", field="ui")
    for key, value in ui.items():
        if key not in _UI_KEYS:
            raise src.error(
                f"unknown key (expected one of: {', '.join(sorted(_UI_KEYS))})", "ui", key, field=f"ui.{key}"
            )
        ok = {
            "theme": isinstance(value, str) and value.strip() != "",
            "read_only": isinstance(value, bool),
            "log_cap": isinstance(value, int) and not isinstance(value, bool) and value > 0,
        }[key]
        if not ok:
            kind = {
                "theme": "a non-empty string",
                "read_only": "true or false",
                "log_cap": "a positive integer",
            }[key]
            raise src.error(f"must be {kind}, got {value!r}", "ui", key, field=f"ui.{key}")
        out[key] = value
    keys = data.get("keys", {})
    if not isinstance(keys, dict):
        raise src.error("must be a table: [keys]", None, "keys", field="keys")
    for bid, key in keys.items():
        if not isinstance(key, str) or not key.strip():
            raise src.error(
                'must be a key name string such as "ctrl+r" or "f5"', "keys", bid, field=f"keys.{bid}"
            )
    out["keys"] = dict(keys)
    pool = data.get("pool", {})
    if not isinstance(pool, dict):
        raise src.error("must be a table: [pool]", None, "pool", field="pool")
    for key, value in pool.items():
        if key != "balancing":
            raise src.error("unknown key (expected: balancing)", "pool", key, field=f"pool.{key}")
        if value not in get_args(Balancing):
            raise src.error(
                f"must be one of {', '.join(get_args(Balancing))}", "pool", key, field="pool.balancing"
            )
        out["balancing"] = value


def _apply_env(env: Mapping[str, str], out: dict[str, Any]) -> None:
    def bad(name: str, msg: str) -> ConfigError:
        return ConfigError(msg, field=f"environment {ENV_PREFIX}{name}")

    for name, key in (("THEME", "theme"),):
        if env.get(ENV_PREFIX + name):
            out[key] = env[ENV_PREFIX + name]
    for name, key in (("READ_ONLY", "read_only"), ("DEMO", "demo")):
        if ENV_PREFIX + name in env:
            try:
                out[key] = _parse_bool(env[ENV_PREFIX + name])
            except ValueError as exc:
                raise bad(name, str(exc)) from None
    for name, key in (("SEED", "seed"), ("LOG_CAP", "log_cap")):
        if env.get(ENV_PREFIX + name):
            try:
                out[key] = int(env[ENV_PREFIX + name])
            except ValueError:
                raise bad(name, f"expected an integer, got {env[ENV_PREFIX + name]!r}") from None
            if key == "log_cap" and out[key] <= 0:
                raise bad(name, "must be a positive integer")
    if env.get(ENV_PREFIX + "BALANCING"):
        value = env[ENV_PREFIX + "BALANCING"]
        if value not in get_args(Balancing):
            raise bad("BALANCING", f"must be one of {', '.join(get_args(Balancing))}, got {value!r}")
        out["balancing"] = value
    if env.get(ENV_PREFIX + "RECORD"):
        out["record"] = Path(env[ENV_PREFIX + "RECORD"]).expanduser()
    if env.get(ENV_PREFIX + "NODES"):
        urls = [u for u in re.split(r"[,\s]+", env[ENV_PREFIX + "NODES"]) if u]
        out["nodes"] = nodes_from_urls(urls, field=f"environment {ENV_PREFIX}NODES")


def nodes_from_urls(urls: list[str], field: str = "URL") -> list[NodeConfig]:
    """Nodes for bare URLs given on the command line, named ``host:port``."""
    nodes = []
    for url in urls:
        try:
            clean = check_url(url)
        except ValueError as exc:
            raise ConfigError(str(exc), field=field) from None
        nodes.append(NodeConfig(name=node_name_from_url(clean), url=clean))
    return nodes


def load_settings(args: Any = None, *, env: Mapping[str, str] | None = None) -> Settings:
    """Settings from an argparse namespace (attributes optional: urls, config, theme, read_only, demo, seed,
    record, log_cap, balancing), the ``OXYTUI_*`` environment and the TOML file. Raises ConfigError."""
    env = os.environ if env is None else env

    def arg(name: str) -> Any:
        return getattr(args, name, None) if args is not None else None

    out: dict[str, Any] = {}
    text = ""
    explicit = arg("config") or env.get(ENV_PREFIX + "CONFIG") or None
    path = Path(explicit).expanduser() if explicit else default_config_file()
    if explicit or path.is_file():
        data, text = read_config_file(path)
        _apply_file(data, _Source(path, text), out, env)
        out["config_path"] = path
    _apply_env(env, out)
    if arg("urls"):
        out["nodes"] = nodes_from_urls(list(arg("urls")))
    for name in ("theme", "seed", "log_cap", "balancing"):
        if arg(name) is not None:
            out[name] = arg(name)
    if arg("log_cap") is not None and arg("log_cap") <= 0:
        raise ConfigError("must be a positive integer", field="--log-cap")
    if arg("theme") is not None and not str(arg("theme")).strip():
        raise ConfigError("must not be empty", field="--theme")
    for name in ("read_only", "demo"):
        if arg(name):
            out[name] = True
    record = arg("record")
    if record is not None:
        out["record"] = Path(record).expanduser() if str(record) else default_recording_path()
    names = [n.name for n in out.get("nodes", [])]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        in_file = out.get("config_path") and not arg("urls") and not env.get(ENV_PREFIX + "NODES")
        if in_file:
            raise _Source(out["config_path"], text).error(
                f"duplicate node name {dupes[0]!r}",
                "nodes",
                "name",
                [i for i, n in enumerate(names) if n == dupes[0]][1],
                "nodes.name",
            )
        raise ConfigError(f"duplicate node {dupes[0]!r} (each node must have a unique name)", field="nodes")
    try:
        return Settings(**out)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err.get("loc", ()))
        raise ConfigError(err["msg"], field=loc or None) from None
