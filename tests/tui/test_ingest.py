"""The shared ingest budget gives the UI turns even when streams never yield on their own."""

from __future__ import annotations

import asyncio
from time import perf_counter

from oxytui.tui.ingest import IngestGate


def _busy(seconds: float) -> None:
    end = perf_counter() + seconds
    while perf_counter() < end:
        pass


async def test_flooding_producers_leave_gaps_for_the_ui() -> None:
    gate = IngestGate(slice_ms=1.0, gap_ms=0.5)
    applied = 0
    done = asyncio.Event()

    async def producer() -> None:
        nonlocal applied
        for _ in range(300):  # ~6 ms of work; never awaits except at the gate
            if not gate.open():
                await gate.admit()
            _busy(20e-6)
            applied += 1

    ui_turns = 0

    async def ui() -> None:
        nonlocal ui_turns
        while not done.is_set():
            ui_turns += 1
            await asyncio.sleep(0)

    ui_task = asyncio.create_task(ui())
    await asyncio.sleep(0)
    await asyncio.gather(producer(), producer(), producer())
    done.set()
    await ui_task
    assert applied == 900  # nothing dropped
    assert gate.pauses >= 3 and ui_turns > gate.pauses  # the UI ran during every pause


async def test_idle_gate_admits_at_once_and_cancel_is_safe() -> None:
    gate = IngestGate(slice_ms=50.0, gap_ms=1000.0)
    await gate.admit()  # idle: a new slice, no pause
    assert gate.open() and gate.pauses == 0
    gate.deadline = perf_counter() - 0.001  # slice just spent: the next admit waits for the gap
    waiter = asyncio.create_task(gate.admit())
    other = asyncio.create_task(gate.admit())
    await asyncio.sleep(0)
    assert not waiter.done() and gate.pauses == 1
    waiter.cancel()  # one stream cancelled mid-pause must not cancel the others' wait
    await asyncio.sleep(0)
    assert not other.done()
    gate._reopen()
    await asyncio.wait_for(other, 1)
    assert gate.open()


async def test_gc_freeze_steps_and_unfreeze_when_idle_or_at_the_latest() -> None:
    import gc

    from oxytui.config import Settings
    from oxytui.tui.app import GC_UNFREEZE_IDLE, GC_UNFREEZE_MAX, OxyApp

    app = OxyApp(Settings(), controller=object())  # no transport: only the collector steps matter
    async with app.run_test(size=(100, 30)):
        app._gc_step()
        assert gc.get_freeze_count() > 0
        app.store.start_run("n", "T", "q", 0.0, 0.0)  # a live run: no early unfreeze
        app._gc_steps = GC_UNFREEZE_IDLE
        app._gc_step()
        assert gc.get_freeze_count() > 0
        app._gc_steps = GC_UNFREEZE_MAX - 1
        app._gc_step()
        assert gc.get_freeze_count() == 0 and app._gc_steps == 0
        app._gc_step()
        app.store.finish_run("n", "T", 1.0, 1.0)
        app._gc_steps = GC_UNFREEZE_IDLE - 1  # idle: back after 30 steps
        app._gc_step()
        assert gc.get_freeze_count() == 0
        app._gc_step()
    assert gc.get_freeze_count() == 0  # unmount gives everything back
