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


async def test_app_leaves_the_hosts_gc_state_as_it_found_it() -> None:
    """The host froze objects and chose thresholds before starting the app: after the app ran (and
    collected under load) the same objects are frozen, the thresholds are the host's, GC is on."""
    import gc

    from oxytui.config import Settings
    from oxytui.tui.app import OxyApp
    from oxytui.tui.gctuning import RUNNING_THRESHOLDS

    before = gc.get_threshold()
    host_objects = [[i] for i in range(1000)]
    gc.freeze()  # the host's own frozen objects
    frozen = gc.get_freeze_count()
    gc.set_threshold(900, 11, 12)
    try:
        app = OxyApp(Settings(), controller=_Idle())  # no transport: only the collector settings matter
        async with app.run_test(size=(100, 30)) as pilot:
            assert gc.get_threshold() == RUNNING_THRESHOLDS and gc.isenabled()
            garbage = [[[j] for j in range(100)] for _ in range(2000)]  # allocations under load
            del garbage
            await pilot.pause()
        assert gc.get_threshold() == (900, 11, 12) and gc.isenabled()
        tracked = {id(o) for o in gc.get_objects()}  # generations 0-2: frozen objects are not listed
        assert not any(id(o) in tracked for o in host_objects), "the host's frozen objects were unfrozen"
        assert 0 < gc.get_freeze_count() <= frozen  # frozen objects may die meanwhile, none are added
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


class _Idle:
    """A controller with nothing behind it (see :class:`oxytui.tui.control.DashboardController`)."""

    transport = None

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    def live_user(self) -> int:
        return 0

    def status_text(self) -> str:
        return ""
