"""TrafficWatcher.run reads the exception of a node loop that died (logged once, scrubbed) and restarts
it: asyncio never reports "Task exception was never retrieved"."""

from __future__ import annotations

import asyncio
import gc
import logging
from dataclasses import dataclass

import pytest

from oxytui.ops.traffic import TrafficOptions, TrafficWatcher
from oxytui.redact import MASK, remember
from tests.integration.test_traffic_watch import until

TOKEN = "NODE-TOKEN-loop-dies-8d1e"


@dataclass
class Agent:
    name: str


class Dying(TrafficWatcher):
    """The first poll's loop dies of an error that escapes ``tick`` (a bug); later polls just count."""

    ticks = 0

    async def tick(self, agent) -> None:  # type: ignore[no-untyped-def]
        self.ticks += 1
        if self.ticks == 1:
            raise RuntimeError(f"bug near {TOKEN}")
        await asyncio.sleep(0.01)  # a poll


async def test_a_dead_loop_is_read_logged_scrubbed_and_restarted(caplog: pytest.LogCaptureFixture) -> None:
    remember(TOKEN)
    caplog.set_level(logging.WARNING)
    w = Dying(lambda: [Agent("a")], opts=TrafficOptions(every=0.05, max_every=0.1))
    task = asyncio.create_task(w.run())
    await until(lambda: w.ticks >= 2)
    w.stop()
    await asyncio.wait_for(task, 5)
    gc.collect()
    await asyncio.sleep(0)
    assert w.ticks >= 2  # restarted
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "never retrieved" not in text
    assert "a's loop stopped (RuntimeError: bug near" in text and MASK in text and TOKEN not in text
