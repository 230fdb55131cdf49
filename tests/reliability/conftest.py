"""Reliability suite helpers: resource counters (sockets, tasks) and a sim node in a killable process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.scripted_server import free_port

REPO = Path(__file__).resolve().parents[2]
TOKEN = "sk-reliability-SECRET-0123456789"


def open_sockets() -> int:
    """Socket file descriptors of this process (``/proc/self/fd`` -> ``socket:[inode]``)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                count += 1
        except OSError:
            pass
    return count


def other_tasks() -> set[asyncio.Task[object]]:
    current = asyncio.current_task()
    return {t for t in asyncio.all_tasks() if t is not current and not t.done()}


async def settle(check: object, within: float = 3.0) -> None:
    """Poll ``check()`` until true (closing sockets/tasks takes a few loop turns); bounded."""
    deadline = time.monotonic() + within
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            return
        await asyncio.sleep(0.02)


class SimProcess:
    """``oxytui.sim`` served by a separate process, so a test can SIGKILL the node mid-run."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        code = (
            "import asyncio\n"
            "from oxytui.sim import SimNode, NodeKnobs\n"
            "async def main():\n"
            "    knobs = NodeKnobs(latency_ms=1, token_ms=1, burst_ms=20)\n"
            "    node = SimNode('math_agent', seed=1, knobs=knobs)\n"
            f"    await node.start(port={self.port})\n"
            "    print('READY', flush=True)\n"
            "    await asyncio.Event().wait()\n"
            "asyncio.run(main())\n"
        )
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )

    async def ready(self) -> None:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self.proc.stdout.readline), 30)
        assert line.strip() == b"READY", line

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


@pytest.fixture
async def sim_process() -> AsyncIterator[SimProcess]:
    proc = SimProcess()
    try:
        await proc.ready()
        yield proc
    finally:
        proc.kill()
