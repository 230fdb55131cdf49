"""The TOML config file: parsing, validation with file/line/field in every error, token resolution.

Tokens come only from ``token_env`` (an environment variable name) or ``token_file``; a literal ``token``
in the file is refused, because config files get shared, committed and pasted into tickets.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

from pydantic import SecretStr, ValidationError

from .files import CONFIG_LIMIT, FileRefused, read_capped, read_token
from .models import Balancing, ConfigError, NodeConfig, OtlpConfig, ProfileName
from .parse import check_url, find_line, parse_duration

_TOP_TABLES = {"nodes", "ui", "keys", "pool", "traffic", "otlp"}
_TRAFFIC_KEYS = {"enabled", "every"}
_UI_KEYS = {"theme", "read_only", "log_cap"}
_NODE_KEYS = set(NodeConfig.model_fields) - {"token"}


class ConfigSource:
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
        raw, _mode = read_capped(path, CONFIG_LIMIT)
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror or exc}", file=path) from None
    except FileRefused as exc:
        raise ConfigError(f"config file refused: {exc}", file=path) from None
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
    except RecursionError:  # tomllib recurses per nesting level: a 2,000-deep array ends here
        raise ConfigError("invalid TOML: arrays or tables nested too deeply", file=path) from None
    return data, text


def _resolve_token(
    node: dict[str, Any], src: ConfigSource, i: int, env: Mapping[str, str], notes: list[str]
) -> SecretStr | None:
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
        value = value.strip()
        if any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in value):
            raise src.error(
                f"environment variable {token_env} holds control characters (a token is one line)",
                "nodes",
                "token_env",
                i,
                f"{where}.token_env",
            )
        return SecretStr(value)
    if token_file is not None:
        p = Path(str(token_file)).expanduser()
        if not p.is_absolute() and src.path is not None:
            p = src.path.parent / p
        try:
            value, shared = read_token(p)
        except OSError as exc:
            raise src.error(
                f"cannot read token file {p}: {exc.strerror or type(exc).__name__}",
                "nodes",
                "token_file",
                i,
                f"{where}.token_file",
            ) from None
        except FileRefused as exc:
            field = f"{where}.token_file"
            raise src.error(f"token file {p}: {exc}", "nodes", "token_file", i, field) from None
        if shared:
            notes.append(f"token file {p} can be read by group/others (restrict it: chmod 600 {p})")
        return SecretStr(value)
    return None


def _node_from_table(
    node: Any, src: ConfigSource, i: int, env: Mapping[str, str], notes: list[str]
) -> NodeConfig:
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
    if profile not in get_args(ProfileName):
        raise src.error(
            f"must be one of {', '.join(get_args(ProfileName))}", "nodes", "profile", i, f"{where}.profile"
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
    fields["token"] = _resolve_token(node, src, i, env, notes)
    try:
        return NodeConfig(**fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]) if err.get("loc") else None
        raise src.error(err["msg"], "nodes", key, i, f"{where}.{key}" if key else where) from None


def apply_file(data: dict[str, Any], src: ConfigSource, out: dict[str, Any], env: Mapping[str, str]) -> None:
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
    notes: list[str] = out.setdefault("notes", [])
    out["nodes"] = [_node_from_table(n, src, i, env, notes) for i, n in enumerate(nodes)]
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
    _apply_traffic(data, src, out)
    _apply_otlp(data.get("otlp", {}), src, out)


def _apply_traffic(data: dict[str, Any], src: ConfigSource, out: dict[str, Any]) -> None:
    """``[traffic]``: ``enabled = true|false``, ``every = "2s"`` (0.2 s .. 10 min)."""
    traffic = data.get("traffic", {})
    if not isinstance(traffic, dict):
        raise src.error("must be a table: [traffic]", None, "traffic", field="traffic")
    for key, value in traffic.items():
        if key not in _TRAFFIC_KEYS:
            expected = ", ".join(sorted(_TRAFFIC_KEYS))
            raise src.error(
                f"unknown key (expected one of: {expected})", "traffic", key, field=f"traffic.{key}"
            )
        if key == "enabled":
            if not isinstance(value, bool):
                raise src.error(
                    f"must be true or false, got {value!r}", "traffic", key, field="traffic.enabled"
                )
            out["traffic"] = value
        else:
            try:
                out["traffic_every"] = check_traffic_every(value)
            except ValueError as exc:
                raise src.error(str(exc), "traffic", key, field="traffic.every") from None


def check_traffic_every(value: Any) -> float:
    """A poll interval: a duration between 0.2 s and 10 minutes."""
    seconds = parse_duration(value)
    if not 0.2 <= seconds <= 600:
        raise ValueError(f"must be between 0.2s and 10m, got {value!r}")
    return seconds


def _apply_otlp(otlp: Any, src: ConfigSource, out: dict[str, Any]) -> None:
    """``[otlp]``: enabled / content (booleans), endpoint (an http(s) URL, no credentials in it)."""
    if not isinstance(otlp, dict):
        raise src.error("must be a table: [otlp]", None, "otlp", field="otlp")
    for key, value in otlp.items():
        if key not in OtlpConfig.model_fields:
            expected = ", ".join(sorted(OtlpConfig.model_fields))
            raise src.error(f"unknown key (expected one of: {expected})", "otlp", key, field=f"otlp.{key}")
        if key in ("enabled", "content") and not isinstance(value, bool):
            raise src.error(f"must be true or false, got {value!r}", "otlp", key, field=f"otlp.{key}")
        if key == "endpoint":
            try:
                check_url(value if isinstance(value, str) else repr(value))
            except ValueError as exc:
                raise src.error(str(exc), "otlp", key, field="otlp.endpoint") from None
    out["otlp"] = OtlpConfig(**otlp)
