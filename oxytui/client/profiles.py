"""Environment presets (the spec's development / staging / production configurations).

Production refuses plain HTTP and does not share the caller's call stack, as the spec recommends.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .agent import SSEOxyGent

__all__ = ["PROFILES", "Profile", "agent_from_profile", "get_profile"]


@dataclass(frozen=True, slots=True)
class Profile:
    is_share_call_stack: bool
    require_https: bool
    max_retries: int
    retry_delay: float
    connect_timeout: float
    idle_timeout: float
    total_timeout: float | None


PROFILES: dict[str, Profile] = {
    "development": Profile(True, False, 1, 0.2, 3.0, 45.0, None),
    "staging": Profile(True, True, 3, 1.0, 10.0, 45.0, None),
    "production": Profile(False, True, 3, 1.0, 10.0, 45.0, None),
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"Unknown environment: {name!r} (use one of {', '.join(PROFILES)})") from None


def agent_from_profile(profile: str, *, name: str, server_url: str, **overrides: Any) -> SSEOxyGent:
    """An agent with the preset's settings; keyword ``overrides`` win (except ``require_https`` in
    production, which cannot be turned off)."""
    settings: dict[str, Any] = asdict(get_profile(profile))
    settings.update(overrides)
    if profile == "production":
        settings["require_https"] = True
    return SSEOxyGent(name=name, server_url=server_url, **settings)
