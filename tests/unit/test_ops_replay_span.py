"""Replay time covers the whole recording even when records are not in time order: traffic marks are
written when a node's records are read, carrying the (earlier) times the calls had on the node."""

from __future__ import annotations

from pathlib import Path

from oxytui.ops.record import Recorder
from oxytui.ops.replay import Replayer, ReplayReset, load


async def test_span_and_position_use_the_latest_time_reached(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with Recorder(path) as rec:
        rec.mark("start", "n", "A", 100.0, query="mine")
        rec.mark("finish", "n", "A", 103.3, state="completed")
        rec.mark("start", "n", "B", 100.5, query="theirs", source="traffic")  # read from the node later
        rec.mark("finish", "n", "B", 101.2, state="completed")
    records, _ = load(path)
    rp = Replayer(records, speed=0)
    assert round(rp.duration, 6) == 3.3
    offsets = []
    async for item in rp.items():
        assert not isinstance(item, ReplayReset)
        offsets.append(round(rp.offset, 6))
    assert offsets == [0.0, 3.3, 3.3, 3.3]  # the replay clock never runs backwards
    assert rp.done and round(rp.offset, 6) == round(rp.duration, 6)
