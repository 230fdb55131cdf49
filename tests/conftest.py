"""Shared pytest configuration: fixture paths only; each test area has its own conftest for servers."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
CAPTURES = FIXTURES / "captures"


@pytest.fixture
def captures_dir() -> Path:
    """Raw recordings of real OxyGent 1.1.3 nodes (copied from the protocol notes)."""
    return CAPTURES
