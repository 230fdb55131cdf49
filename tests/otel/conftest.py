"""``make test-otel``: against a real trace backend (Arize Phoenix) in a cached venv. Not part of
``make test`` (the venv is ~850 MB): without ``OXYTUI_TEST_OTEL=1`` every test here skips and says so;
when Phoenix cannot be installed or started they skip with the reason."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.otel.phoenix import Phoenix, PhoenixUnavailable, ensure_venv

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.otel)
            if os.environ.get("OXYTUI_TEST_OTEL") != "1":
                item.add_marker(pytest.mark.skip(reason="against Arize Phoenix: run `make test-otel`"))


@pytest.fixture(scope="session")
def phoenix() -> Iterator[Phoenix]:
    try:
        server = Phoenix(ensure_venv()).start()
    except PhoenixUnavailable as exc:
        pytest.skip(str(exc))
    yield server
    server.stop()
