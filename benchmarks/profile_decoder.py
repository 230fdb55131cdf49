"""Decoder CPU per event in memory (no network, no other process): steadier than bench_decoder.py on a
shared machine, because both sides run interleaved in one process and only CPU time is counted.

ours: ``feed_lean`` in 64 KiB slices of 256 KiB reads (what a loopback read delivers), then the typed
events kept in a batch, exactly as the client's reader does. OxyGent: its own ``iter_sse_events``
(loaded from the interop venv's site-packages, never copied) over an in-memory response that serves
``iter_chunked`` like aiohttp, plus ``json.loads`` of every message (what its ``SSEOxyGent`` does).
Run: ``python benchmarks/profile_decoder.py [small|mixed|huge] [reps]``.
"""

from __future__ import annotations

import asyncio
import glob
import importlib.util
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from streams import scenario

from oxytui.client._fastevents import lean_event
from oxytui.client.sse import SSEDecoder

READ = 262_016
SLICE = 64 * 1024


def ours_typed(body: bytes) -> int:
    decoder = SSEDecoder(max_event_size=64 * 2**20)
    count = 0
    for at in range(0, len(body), READ):
        read = body[at : at + READ]
        batch = []
        for start in range(0, len(read), SLICE):
            for item in decoder.feed_lean(read[start : start + SLICE]):
                if type(item) is tuple and item[0] == "message":
                    batch.append(lean_event(item, "bench", "trace", 0.0, 0.0))  # type: ignore[arg-type]
        count += len(batch)
    return count


def ours_framing(body: bytes) -> int:
    decoder = SSEDecoder(max_event_size=64 * 2**20)
    count = 0
    for at in range(0, len(body), SLICE):
        count += sum(1 for i in decoder.feed_lean(body[at : at + SLICE]) if type(i) is tuple)
    return count


class _Content:
    def __init__(self, body: bytes) -> None:
        self.body = body

    async def iter_chunked(self, n: int) -> AsyncIterator[bytes]:
        for at in range(0, len(self.body), n):
            yield self.body[at : at + n]


class _Response:
    def __init__(self, body: bytes) -> None:
        self.content = _Content(body)


def oxygent_parser() -> Any:
    venv = os.environ.get("OXYTUI_INTEROP_VENV", str(Path(__file__).resolve().parents[1] / ".interop-venv"))
    paths = glob.glob(f"{venv}/lib/python*/site-packages/oxygent/utils/sse_utils.py")
    if not paths:
        return None
    spec = importlib.util.spec_from_file_location("oxygent_sse_utils", paths[0])
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.iter_sse_events


def oxygent_json(iter_sse_events: Any) -> Callable[[bytes], int]:
    def run(body: bytes) -> int:
        async def go() -> int:
            count = 0
            async for ev in iter_sse_events(_Response(body)):
                if ev.get("event") == "close":
                    break
                count += 1
                if ev["data"]:
                    json.loads(ev["data"])
            return count

        return asyncio.run(go())

    return run


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "small"
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    stream = scenario(name)
    contestants: dict[str, Callable[[bytes], int]] = {"ours_framing": ours_framing, "ours_typed": ours_typed}
    parser = oxygent_parser()
    if parser is not None and name != "huge":  # OxyGent refuses events over 512 KiB
        contestants["oxygent_json"] = oxygent_json(parser)
    best: dict[str, float] = {}
    for _ in range(reps):  # interleaved, best CPU time of each
        for label, fn in contestants.items():
            t0 = time.process_time()
            fn(stream.body)
            took = time.process_time() - t0
            best[label] = min(best.get(label, took), took)
    for label, took in best.items():
        per = took / stream.events * 1e6
        print(f"{label:13s} {per:6.2f} µs/event  {stream.events / took:>11,.0f} events/CPU-s")
    if "oxygent_json" in best:
        print(f"ours_typed / oxygent_json: {best['oxygent_json'] / best['ours_typed']:.2f}x")


if __name__ == "__main__":
    main()
