"""Snapshots of the runs screen and a stitched call tree, on the fixed feed plus fixed fleet traffic
(frozen clock, no network). Update with ``--snapshot-update`` only for intended changes; look at the SVGs."""

from __future__ import annotations

import pytest

from tests.support.screenshots import fixed_app, shot_runs, shot_runs_tree

SIZES = [pytest.param((160, 45), id="160x45"), pytest.param((100, 30), id="100x30")]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("name", "action"), [("runs", shot_runs), ("runs_tree", shot_runs_tree)])
def test_runs_screen(snap_compare, size: tuple[int, int], name: str, action) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(fixed_app(traffic=True), run_before=action, terminal_size=size)
