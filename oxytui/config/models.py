"""Settings models and the one-line :class:`ConfigError` (no I/O here)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

ProfileName = Literal["development", "staging", "production"]
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
        from oxytui.runs.sanitize import printable  # only on the error path: keeps config import light

        self.file, self.line, self.field = file, line, field
        self.reason = printable(" ".join(str(message).split()), 1000)
        where = ""
        if file is not None:
            where = f"{file}:{line}: " if line else f"{file}: "
        what = f"{field}: " if field else ""
        # file names and values come from files and command lines: nothing a terminal would interpret
        super().__init__(printable(f"{where}{what}{self.reason}", 2000))


class NodeConfig(BaseModel):
    """One OxyGent node to watch. ``token`` is resolved from ``token_env`` / ``token_file`` at load time."""

    model_config = ConfigDict(extra="forbid")

    name: str
    url: str
    token: SecretStr | None = None
    token_env: str | None = None
    token_file: Path | None = None
    profile: ProfileName = "development"
    tags: list[str] = Field(default_factory=list)
    probe_query: str | None = None
    probe_every: float | None = None


class OtlpConfig(BaseModel):
    """``[otlp]``: export every finished run as an OpenTelemetry trace (needs ``oxytui[otel]``).

    Collector headers (credentials) come only from ``OTEL_EXPORTER_OTLP_HEADERS``, never from this file."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    endpoint: str | None = None
    """OTLP/HTTP URL; None: ``OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT``, else ``http://localhost:4318``."""
    content: bool = False
    """Also export inputs and outputs (truncated)."""


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
    otlp: OtlpConfig = Field(default_factory=OtlpConfig)
    config_path: Path | None = None
    notes: list[str] = Field(default_factory=list)
    """Warnings found while loading (e.g. a token file others can read): printed and shown, not fatal."""
    traffic: bool = True
    """Watch every run on every node (``/history_with_ratings`` + ``/view``), not only ours."""
    traffic_every: float = 2.0
    """Seconds between a node's history polls while it is busy (backs off to 10 s while idle)."""
