"""Interop fixtures: a cached OxyGent 1.1.3 venv and real nodes on loopback (session scope).

Everything under ``tests/interop`` is marked ``interop``; ``make test-interop`` runs it. When the
venv cannot be built (no package index, no wheels) every test here is skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.peer import OxyNode, PeerUnavailable, ensure_venv

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.interop)


@pytest.fixture(scope="session")
def oxy_python() -> Path:
    try:
        return ensure_venv()
    except PeerUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def math_node(oxy_python: Path) -> Iterator[OxyNode]:
    node = OxyNode("math", python=oxy_python).start()
    yield node
    node.stop()


@pytest.fixture(scope="session")
def master_node(oxy_python: Path, math_node: OxyNode) -> Iterator[OxyNode]:
    node = OxyNode("master", remote=math_node.url, python=oxy_python).start()
    yield node
    node.stop()
