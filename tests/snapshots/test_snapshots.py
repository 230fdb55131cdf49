"""Snapshot tests: the real app on the fixed feed (frozen clock, no network) at two terminal sizes.

Update after an intended visual change with ``pytest tests/snapshots --snapshot-update`` and look at the
SVGs (``snapshot_report.html``) before committing them.
"""

from __future__ import annotations

import pytest

from tests.support.screenshots import fixed_app, shot_call_tree, shot_event_detail, shot_fanout, shot_help

SIZES = [pytest.param((160, 45), id="160x45"), pytest.param((100, 30), id="100x30")]


async def _nothing(pilot: object) -> None:
    await pilot.pause()  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    ("name", "action"),
    [
        ("main", _nothing),
        ("call_tree", shot_call_tree),
        ("event_detail", shot_event_detail),
        ("chat_fanout", shot_fanout),
        ("help", shot_help),
    ],
)
def test_screen(snap_compare, size: tuple[int, int], name: str, action) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(fixed_app(), run_before=action, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("theme", ["oxytui-dark", "oxytui-light", "oxytui-high-contrast"])
def test_theme(snap_compare, size: tuple[int, int], theme: str) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(fixed_app(theme), run_before=shot_fanout, terminal_size=size)


ALL_SIZES = [(80, 24), (100, 30), (120, 35), (160, 45), (200, 60)]


@pytest.mark.parametrize("size", ALL_SIZES, ids=[f"{w}x{h}" for w, h in ALL_SIZES])
@pytest.mark.parametrize("theme", ["oxytui-dark", "oxytui-light"])
def test_main_at_every_size(snap_compare, size: tuple[int, int], theme: str) -> None:  # type: ignore[no-untyped-def]
    """Issue 13: caller→callee, the down node and ``?`` in the footer at every size (dark and light)."""
    assert snap_compare(fixed_app(theme), run_before=shot_fanout, terminal_size=size)
