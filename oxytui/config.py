"""Settings (pydantic) from CLI, TOML files and env; paths from platformdirs.

This module is imported by ``oxytui --version``'s neighbours, so it must stay light: no Textual import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

Profile = Literal["development", "staging", "production"]
Balancing = Literal["round_robin", "random", "lowest_latency"]


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
    """Everything the app needs to start; built by :func:`oxytui.cli` from CLI > env > TOML > defaults."""

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
