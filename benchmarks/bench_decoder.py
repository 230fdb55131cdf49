"""Decoder throughput on the same bytes: ours vs OxyGent 1.1.3 ``iter_sse_events``, httpx-sse, the seed loop.

Each contestant reads the same OxyGent-framed stream (``streams.py``: small ~300 B events, mixed with 1% of
170 KB, huge 5 MB) over loopback HTTP with its own real HTTP stack, in a fresh process, 3 times; the median
is reported. Two levels: ``parse`` (SSE framing only) and ``json`` (what a client needs: framing + the JSON
of every message; for ours, the typed events the client builds). Run: ``python benchmarks/bench_decoder.py``.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (
    OURS_PYTHON,
    BytesServer,
    fmt,
    median_of,
    peer_python,
    ratio,
    run_worker,
    table,
)
from streams import SCENARIOS, scenario

OURS = ["raw_read", "ours_parse", "ours_json", "ours_typed", "ours_client"]
PEER = ["oxygent_parse", "oxygent_json", "httpx_sse_parse", "httpx_sse_json"]
SEED = ["seed_parse", "seed_json"]
BEFORE = ["before_parse", "before_typed", "before_client"]
LABELS = {
    "raw_read": "floor: aiohttp HTTP + `readany()`, no SSE work",
    "ours_parse": "ours, framing only (`SSEDecoder.feed`)",
    "ours_json": "ours, framing + JSON (`feed_lean` + `from_json` of the bytes, 64 KiB slices, GC untouched)",
    "ours_typed": "ours: framing + JSON + typed event (`feed_lean` + msgspec `lean_event`, 64 KiB slices)",
    "ours_client": "ours, whole client `SSEOxyGent.stream()`",
    "seed_parse": "seed `async for line in resp.content`, framing only",
    "seed_json": "seed loop + `json.loads`",
    "oxygent_parse": "OxyGent `iter_sse_events`, framing only",
    "oxygent_json": "OxyGent `iter_sse_events` + `json.loads` (what its SSEOxyGent does)",
    "httpx_sse_parse": "httpx-sse `aiter_sse`, framing only",
    "httpx_sse_json": "httpx-sse + `json.loads`",
    "before_parse": "ours before this change (`OXYTUI_BENCH_BEFORE` checkout), framing only",
    "before_typed": "ours before: framing + JSON + typed event (`feed_lean` + `lean_event`, GC paused/read)",
    "before_client": "ours before, whole client `stream()`",
}
# (group title, [(ours, theirs)]): each group compares equal work, except where the title says otherwise
RATIOS = [
    ("equal work, framing only", [("ours_parse", "oxygent_parse"), ("ours_parse", "httpx_sse_parse")]),
    (
        "equal work, framing + JSON of every event",
        [("ours_json", "oxygent_json"), ("ours_json", "httpx_sse_json"), ("ours_json", "seed_json")],
    ),
    (
        "ours does more (framing + JSON + typed event) vs their framing + JSON",
        [("ours_typed", "oxygent_json"), ("ours_typed", "httpx_sse_json"), ("ours_typed", "seed_json")],
    ),
    ("ours does much more (whole client) vs their framing + JSON", [("ours_client", "oxygent_json")]),
    (
        "after / before this change (same work)",
        [("ours_parse", "before_parse"), ("ours_typed", "before_typed"), ("ours_client", "before_client")],
    ),
]


# --- contestants (run inside the worker process) -------------------------------------------------------


async def _aiohttp_get(url: str) -> Any:
    import aiohttp

    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
    resp = await session.post(url, data=b"{}", headers={"Accept": "text/event-stream"})
    return session, resp


async def ours(url: str, level: str, before: bool = False) -> tuple[int, int]:
    """``parse``: SSEMessage objects with decoded text; ``json``: lean items + the JSON value of each;
    ``typed``: lean items + typed events kept in a per-read batch, as the client's reader does (now: in
    64 KiB slices, GC untouched; ``before``: whole reads, GC paused per read, as the old reader did)."""
    from pydantic_core import from_json

    from oxytui.client._fastevents import fast_event

    try:
        from oxytui.client._fastevents import lean_event
    except ImportError:  # an older oxytui: no lean path
        lean_event = None  # type: ignore[assignment]
    from oxytui.client.sse import SSEDecoder, SSEMessage

    session, resp = await _aiohttp_get(url)
    decoder = SSEDecoder(max_event_size=64 * 2**20)
    count = empty = 0
    read = resp.content.readany
    lean = getattr(decoder, "feed_lean", None)  # None: an older oxytui
    feed = decoder.feed if level == "parse" or lean is None else lean
    pause = before and level != "parse"
    slices = not before and level != "parse"
    while chunk := await read():
        size = len(chunk)  # the reader's slicing rule (64 KiB slices unless a big line is under way)
        step = 64 * 1024 if slices and size > 65536 and chunk.find(b"\n", 0, 4096) >= 0 else size
        if pause:
            gc.disable()
        mono = time.monotonic()
        batch = []
        for start in range(0, len(chunk), step):
            items = feed(chunk[start : start + step] if step < size else chunk)
            for item in items:
                cls = type(item)
                if cls is tuple:
                    if item[0] == "message":
                        count += 1
                        if level == "typed":
                            batch.append(lean_event(item, "bench", "trace", mono, mono))
                        else:
                            from_json(item[1], allow_inf_nan=True)
                elif cls is SSEMessage and item.event == "message":
                    count += 1
                    if level == "typed":
                        batch.append(fast_event(item, "bench", "trace", mono, mono))
                    elif level == "json":
                        from_json(getattr(item, "raw", None) or item.data, allow_inf_nan=True)
                    elif not item.data:
                        empty += 1
        if pause:
            gc.enable()
    decoder.flush()
    await session.close()
    return count, empty


async def raw_read(url: str, expected: int) -> tuple[int, int]:
    """The floor every aiohttp-based client pays: HTTP parsing + ``readany()`` with no SSE work at all."""
    session, resp = await _aiohttp_get(url)
    read = resp.content.readany
    while await read():
        pass
    await session.close()
    return expected, 0


async def ours_client(url: str) -> tuple[int, int]:
    from oxytui.client import SSEOxyGent, StreamClosed

    count = 0
    base = url.rsplit("/sse/chat", 1)[0]
    async with SSEOxyGent("bench", base, max_retries=0, idle_timeout=None) as agent:
        async for ev in agent.stream(agent.build_request("bench")):
            if ev.sse_event == "message" and type(ev) is not StreamClosed and ev.type != "ping":
                count += 1
    return count, 0


def _load_oxygent_parser() -> Any:
    """OxyGent's own module, loaded from the peer venv's site-packages (not copied)."""
    import importlib.util
    import site

    for root in site.getsitepackages():
        path = Path(root) / "oxygent/utils/sse_utils.py"
        if path.exists():
            spec = importlib.util.spec_from_file_location("oxygent_sse_utils", path)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module.iter_sse_events
    raise RuntimeError("oxygent not installed in this interpreter")


async def oxygent(url: str, decode: bool) -> tuple[int, int]:
    iter_sse_events = _load_oxygent_parser()
    session, resp = await _aiohttp_get(url)
    count = empty = 0
    try:
        async for ev in iter_sse_events(resp):
            if ev.get("event") == "close":
                break
            count += 1
            data = ev["data"]
            if not data:
                empty += 1
            elif decode:
                json.loads(data)
    finally:
        await session.close()
    return count, empty


async def httpx_sse(url: str, decode: bool) -> tuple[int, int]:
    import httpx
    from httpx_sse import aconnect_sse

    count = empty = 0
    async with (
        httpx.AsyncClient(timeout=None) as client,
        aconnect_sse(client, "POST", url, json={}) as source,
    ):
        async for sse in source.aiter_sse():
            if sse.event == "close":
                break
            count += 1
            if not sse.data:
                empty += 1
            elif decode:
                json.loads(sse.data)
    return count, empty


async def seed(url: str, decode: bool) -> tuple[int, int]:
    """The documented ``async for line in resp.content`` loop (aiohttp's default 64 KiB-line reader)."""
    session, resp = await _aiohttp_get(url)
    count = 0
    try:
        async for line in resp.content:
            if line:
                decoded = line.decode("utf-8").strip()
                if decoded.startswith("data: "):
                    data = decoded[6:]
                    if data == "done":
                        break
                    count += 1
                    if decode:
                        json.loads(data)
    finally:
        await session.close()
    return count, 0


async def run_contestant(name: str, url: str, expected: int) -> tuple[int, int]:
    table_ = {
        "raw_read": lambda: raw_read(url, expected),
        "ours_parse": lambda: ours(url, "parse"),
        "ours_json": lambda: ours(url, "json"),
        "ours_typed": lambda: ours(url, "typed"),
        "ours_client": lambda: ours_client(url),
        "before_parse": lambda: ours(url, "parse", before=True),
        "before_typed": lambda: ours(url, "typed", before=True),
        "before_client": lambda: ours_client(url),
        "oxygent_parse": lambda: oxygent(url, False),
        "oxygent_json": lambda: oxygent(url, True),
        "httpx_sse_parse": lambda: httpx_sse(url, False),
        "httpx_sse_json": lambda: httpx_sse(url, True),
        "seed_parse": lambda: seed(url, False),
        "seed_json": lambda: seed(url, True),
    }
    return await table_[name]()


def preload(name: str) -> None:
    """Import everything a contestant needs before the clock starts (imports are not throughput)."""
    import aiohttp  # noqa: F401

    if name.startswith(("ours", "raw", "before")):
        import oxytui.client
        import oxytui.client._fastevents  # noqa: F401
    elif name.startswith("oxygent"):
        _load_oxygent_parser()
    elif name.startswith("httpx"):
        import httpx  # noqa: F401
        import httpx_sse  # noqa: F401


def peak_rss_mb() -> float:
    """VmHWM of this process (ru_maxrss would include the parent's RSS at fork time)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(name: str, url: str, expected: int, size: int) -> None:
    preload(name)
    start = time.perf_counter()
    cpu0 = time.process_time()
    try:
        count, empty = asyncio.run(run_contestant(name, url, expected))
        error = None
    except Exception as exc:
        count, empty, error = 0, 0, " ".join(f"{type(exc).__name__}: {exc}".split())[:120]
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    result: dict[str, Any] = {
        "name": name,
        "seconds": seconds,
        "events": count,
        "empty": empty,
        "phantom": count - expected,
        "rss_mb": peak_rss_mb(),
    }
    if error or count < expected:
        result["error"] = error or f"only {count} of {expected} events"
    else:
        result["ev_s"] = expected / seconds
        result["ev_cpu_s"] = expected / cpu  # this process's CPU only: steadier on a shared machine
        result["mb_s"] = size / seconds / 1e6
    print(json.dumps(result))


# --- orchestration -----------------------------------------------------------------------------------------


async def measure(reps: int = 3, only: list[str] | None = None) -> dict[str, Any]:
    peer = peer_python()
    contestants: list[tuple[str, Path]] = [(n, OURS_PYTHON) for n in OURS + SEED]
    before = os.environ.get("OXYTUI_BENCH_BEFORE")  # a checkout of the previous oxytui: before/after
    if before:
        contestants += [(n, OURS_PYTHON) for n in BEFORE]
    if peer is not None:
        contestants += [(n, peer) for n in PEER]
    pick = os.environ.get("OXYTUI_BENCH_ONLY")  # e.g. "ours_typed,oxygent_json": a quicker focused run
    if pick:
        contestants = [(n, p) for n, p in contestants if n in pick.split(",")]
    results: dict[str, Any] = {}
    for name in only or list(SCENARIOS):
        stream = scenario(name)
        async with BytesServer(stream.body) as server:
            per: dict[str, list[dict[str, Any]]] = {}
            for _ in range(reps):  # interleave contestants so drift hits all alike
                for contestant, python in contestants:
                    args = ["worker", contestant, server.url, str(stream.events), str(len(stream.body))]
                    path = before if contestant.startswith("before") else None
                    res = await run_worker(python, Path(__file__), args, pythonpath=path)
                    per.setdefault(contestant, []).append(res)
        results[name] = {"bytes": len(stream.body), "events": stream.events, "runs": per}
    return results


def summarise(results: dict[str, Any]) -> str:
    out = []
    for name, res in results.items():
        rows = []
        runs = res["runs"]
        ev = {c: median_of(r, "ev_s") for c, r in runs.items()}
        cpu = {c: median_of(r, "ev_cpu_s") for c, r in runs.items()}
        for contestant, rs in runs.items():
            errors = sorted({r["error"] for r in rs if "error" in r})
            phantom = max((r.get("phantom", 0) for r in rs), default=0)
            empty = max((r.get("empty", 0) for r in rs), default=0)
            extra = f"{phantom} extra events, {empty} empty" if phantom or empty else ""
            notes = "; ".join(errors) or extra
            rows.append(
                [contestant, LABELS.get(contestant, ""), fmt(ev[contestant]), fmt(cpu[contestant]),
                 fmt(median_of(rs, "mb_s"), ",.1f"), fmt(median_of(rs, "rss_mb"), ",.0f"), notes]
            )  # fmt: skip
        mb = res["bytes"] / 1e6
        out.append(f"### {name}: {res['events']:,} events, {mb:.1f} MB\n")
        head = ["contestant", "work done", "events/s", "events/CPU-s", "MB/s", "peak RSS MB", "notes"]
        out.append(table(head, rows))
        lines = ["\nRatios (medians; events/s wall clock, then per CPU-second of the reading process):"]
        for title, pairs in RATIOS:
            got = [
                f"{a} / {b} **{ratio(ev.get(a), ev.get(b))}** (CPU {ratio(cpu.get(a), cpu.get(b))})"
                for a, b in pairs
                if a in ev and b in ev
            ]
            if got:
                lines.append(f"- {title}: " + "; ".join(got))
        out.append("\n".join(lines) + "\n")
    return "\n".join(out)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        worker(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
        return
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    only = sys.argv[2:] or None
    results = asyncio.run(measure(reps, only))
    print(summarise(results))
    out = Path(__file__).resolve().parent / "results" / "decoder.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
