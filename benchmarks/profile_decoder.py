"""Where the decoder's time goes on small events, in memory (no network): framing, JSON, typed events.

Run: ``python benchmarks/profile_decoder.py [small|mixed|huge]``. Best of 3, 64 KiB chunks.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from streams import scenario

from oxytui.client._fastevents import fast_event
from oxytui.client.events import decode_json
from oxytui.client.sse import SSEDecoder, SSEMessage


def run(chunks: list[bytes], kind: str) -> float:
    best = 1e9
    for _ in range(3):
        decoder = SSEDecoder(max_event_size=64 * 2**20)
        t0 = time.perf_counter()
        for chunk in chunks:
            items = decoder.feed(chunk)
            if kind == "feed":
                continue
            for item in items:
                if type(item) is SSEMessage and item.event == "message":
                    if kind == "from_json":
                        decode_json(item.data)
                    elif kind == "json.loads":
                        json.loads(item.data)
                    else:
                        fast_event(item, "n", "t", 0.0, 0.0)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    stream = scenario(sys.argv[1] if len(sys.argv) > 1 else "small")
    chunks = [stream.body[i : i + 65536] for i in range(0, len(stream.body), 65536)]
    base = run(chunks, "feed")
    for kind in ("feed", "from_json", "json.loads", "typed"):
        took = run(chunks, kind)
        print(f"{kind:10s} {took * 1e3:8.1f} ms  (+{(took - base) * 1e3:6.1f} ms over framing)"
              f"  {stream.events / took:>11,.0f} ev/s")  # fmt: skip


if __name__ == "__main__":
    main()
