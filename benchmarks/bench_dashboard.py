"""The dashboard under load, headless (Pilot): 20 sim nodes x 200 events/s for 60 s, then 1,000,000 events.

The nodes run in another process (``sim_farm.py``); the app, our client and the RunStore run here, as in
real use. Measured: keypress-to-render latency (``n``, next node, pressed every 0.5 s: from the key's
injection to the first frame the compositor produces after the key's action ran), events received vs
events the nodes emitted (dropped), event-log rows dropped by the configured cap, peak RSS, RSS after
1,000,000 events. Run: ``python benchmarks/bench_dashboard.py [seconds]``.

Switches (environment): ``OXYTUI_BENCH_OTLP=URL`` exports every finished run to that OTLP/HTTP endpoint;
``OXYTUI_BENCH_TRAFFIC=0`` turns the fleet-traffic watcher off, ``=1`` keeps it on *and* has other users
start ``OXYTUI_BENCH_USERS`` runs/s (default 1; set it with ``=0`` to load the nodes without the watcher) on
every load node over plain HTTP, so the watcher polls and stitches runs the dashboard did not start (unset:
the app's default, watcher on, no other users);
``OXYTUI_BENCH_FLOOD=N`` sizes the flood phase.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import REPO, table

NODES = 20
RATE = 200.0
FLOOD_TOTAL = int(os.environ.get("OXYTUI_BENCH_FLOOD", 1_000_000))


def pct(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..1) of unsorted values: the dashboard's own helper."""
    from oxytui.runs.stats import percentile

    return percentile(sorted(values), q * 100) if values else None


def status_kb(key: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return float(line.split()[1])
    return 0.0


class Farm:
    def __init__(self, rate: float, users: float = 0.0) -> None:
        self.rate, self.users = rate, users
        self.proc: asyncio.subprocess.Process | None = None
        self.urls: dict[str, str] = {}

    async def start(self, prefix: str) -> dict[str, str]:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, str(Path(__file__).with_name("sim_farm.py")), str(NODES), str(self.rate),
            str(self.users), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=str(REPO),
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 60)
        self.urls = {prefix + k: v for k, v in json.loads(line)["urls"].items()}
        return self.urls

    async def stats(self) -> dict[str, Any]:
        assert self.proc and self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(b"stats\n")
        await self.proc.stdin.drain()
        return json.loads(await asyncio.wait_for(self.proc.stdout.readline(), 30))

    async def stop(self) -> None:
        if self.proc and self.proc.returncode is None:
            assert self.proc.stdin
            self.proc.stdin.write(b"quit\n")
            await self.proc.stdin.drain()
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


def yield_on_read() -> None:
    """Experiment (``OXYTUI_BENCH_YIELD=1``): make every network read yield to the event loop once.

    aiohttp's ``readany()`` returns without suspending while data is buffered, so a fast stream can
    keep the loop (and the UI's key handling) busy; this shows what one ``sleep(0)`` per read buys.
    """
    import aiohttp

    original = aiohttp.StreamReader.readany

    async def readany(self: aiohttp.StreamReader) -> bytes:
        await asyncio.sleep(0)
        return await original(self)

    aiohttp.StreamReader.readany = readany  # type: ignore[method-assign]


async def measure(seconds: float) -> dict[str, Any]:
    if os.environ.get("OXYTUI_BENCH_YIELD") == "1":
        yield_on_read()
    from oxytui.client import KeepAlive, StreamClosed
    from oxytui.config import NodeConfig, Settings
    from oxytui.tui.app import OxyApp

    switch = os.environ.get("OXYTUI_BENCH_TRAFFIC")  # "0": watcher off; "1": on, with other users' runs
    users = float(os.environ.get("OXYTUI_BENCH_USERS", 1.0 if switch == "1" else 0.0))
    farm, flood = Farm(RATE, users), Farm(0.0)
    urls = await farm.start("")
    from oxytui.config import OtlpConfig

    sink = os.environ.get("OXYTUI_BENCH_OTLP")  # an OTLP/HTTP endpoint: export every finished run there
    otlp = OtlpConfig(enabled=True, endpoint=sink) if sink else OtlpConfig()
    nodes = [NodeConfig(name=n, url=u) for n, u in urls.items()]
    traffic = {"traffic": switch != "0"} if switch in ("0", "1") else {}
    app = OxyApp(Settings(nodes=nodes, seed=1, otlp=otlp, **traffic))  # type: ignore[arg-type]
    received = {"n": 0}
    store_add = app.store.add_event

    def counting_add(ev: Any) -> Any:
        if type(ev) is not KeepAlive and type(ev) is not StreamClosed:
            received["n"] += 1
        return store_add(ev)

    app.store.add_event = counting_add  # type: ignore[method-assign]
    paints: list[float] = []
    handled: list[float] = []
    display = app._display

    def timed_display(screen: Any, renderable: Any) -> None:
        if renderable is not None:
            paints.append(time.perf_counter())
        display(screen, renderable)

    app._display = timed_display  # type: ignore[method-assign]
    # ``n`` is the dashboard screen's action (it moved off the App); Textual passes as many arguments as
    # the action's signature names, so the wrapper keeps it exact
    from oxytui.tui.screens.dashboard import DashboardScreen

    next_node = DashboardScreen.action_next_node

    def timed_next_node(self: DashboardScreen, step: int) -> None:
        handled.append(time.perf_counter())
        next_node(self, step)

    DashboardScreen.action_next_node = timed_next_node  # type: ignore[method-assign]
    out: dict[str, Any] = {
        "nodes": NODES, "rate": RATE, "seconds": seconds, "otlp": otlp.enabled,
        "traffic": app.settings.traffic, "users_per_s": users,
    }  # fmt: skip
    gc_pauses: list[tuple[int, float]] = []
    gc_start = [0.0]

    def gc_watch(phase: str, info: dict[str, int]) -> None:
        """Collector pauses (generation, ms): a full collection over a big heap stalls keys too."""
        if phase == "start":
            gc_start[0] = time.perf_counter()
        else:
            gc_pauses.append((info["generation"], (time.perf_counter() - gc_start[0]) * 1000))

    gc.callbacks.append(gc_watch)
    out["yield_on_read"] = os.environ.get("OXYTUI_BENCH_YIELD") == "1"

    async def press_and_time(pilot: Any) -> float | None:
        """ms from injecting ``n`` to the first frame composed after its action ran (None: none in 5 s)."""
        t0 = time.perf_counter()
        await pilot.press("n")
        limit = time.perf_counter() + 5
        while time.perf_counter() < limit:
            if handled and handled[-1] >= t0:
                after = [p for p in paints[-50:] if p >= handled[-1]]
                if after:
                    return (after[0] - t0) * 1000
            await asyncio.sleep(0.002)
        return None

    try:
        async with app.run_test(size=(160, 45)) as pilot:
            deadline = time.monotonic() + 60
            while app.store.count_up()[0] < NODES:
                assert time.monotonic() < deadline, "nodes not up"
                await pilot.pause(0.1)
            controller: Any = app.controller
            idle = [v for v in [await press_and_time(pilot) for _ in range(20)] if v is not None]
            out["idle_key_p50_ms"] = statistics.median(idle) if idle else None
            out["idle_key_p95_ms"] = pct(idle, 0.95)
            stop = asyncio.Event()

            async def driver(names: list[str], query: str) -> None:
                while not stop.is_set():
                    busy = {key[0] for key in controller.tasks}
                    for name in names:
                        if name not in busy:
                            controller.send(query, "focused", name)
                    await asyncio.sleep(0.05)

            drive = asyncio.create_task(driver(list(urls), "steps 40"))
            latencies, rss = [], []
            t_end = time.monotonic() + seconds
            while time.monotonic() < t_end:
                await asyncio.sleep(0.5)
                rss.append(status_kb("VmRSS") / 1024)
                value = await press_and_time(pilot)
                if value is not None:
                    latencies.append(value)
            stop.set()
            await drive
            limit = time.monotonic() + 60
            while controller.tasks and time.monotonic() < limit:  # let the last runs finish  # noqa: ASYNC110
                await asyncio.sleep(0.1)
            stats = await farm.stats()
            out["users"] = stats.pop("users", None)
            watcher = getattr(controller, "traffic", None)
            if watcher is not None:
                fleet = list(watcher.fleet.runs.values())
                out["traffic_runs"] = {
                    "traffic": sum(1 for r in fleet if r.source == "traffic"),
                    "all": len(fleet),
                    "ended": sum(1 for r in fleet if r.ended),
                }
            if controller.otlp.on:
                out["otlp_stats"] = controller.otlp.exporter.stats.summary()
            emitted = sum(s.get("events_emitted", 0) for s in stats.values())
            completed = sum(s.get("runs_completed", 0) for s in stats.values())
            lat = sorted(latencies)
            out["load"] = {
                "key_samples": len(lat),
                "key_p50_ms": statistics.median(lat) if lat else None,
                "key_p95_ms": pct(lat, 0.95),
                "key_max_ms": lat[-1] if lat else None,
                "runs_completed": completed,
                "events_emitted": emitted,
                "events_received": received["n"],
                "events_per_s": received["n"] / seconds,
                "log_cap": app.store.log.cap,
                "log_rows_dropped_by_cap": app.store.log.dropped,
                "rss_mb_max_sampled": max(rss) if rss else None,
                "peak_rss_mb": status_kb("VmHWM") / 1024,
                "gc_gen2": sum(1 for g, _ in gc_pauses if g == 2),
                "gc_max_ms": max((ms for _, ms in gc_pauses), default=0.0),
            }
            # phase 2: a second farm with no rate limit, 1,000,000 deltas across its 20 nodes
            flood_urls = await flood.start("flood_")
            for name, url in flood_urls.items():
                controller.add_node(NodeConfig(name=name, url=url))
            deadline = time.monotonic() + 60
            while app.store.count_up()[0] < 2 * NODES and time.monotonic() < deadline:
                await pilot.pause(0.1)
            before = received["n"]
            t0 = time.monotonic()
            per_node = FLOOD_TOTAL // NODES
            for name in flood_urls:
                controller.send(f"flood {per_node}", "focused", name)
            flood_lat: list[float] = []
            limit = time.monotonic() + 900
            while controller.tasks and time.monotonic() < limit:
                await asyncio.sleep(0.3)  # more samples in a short flood than one a second
                value = await press_and_time(pilot)
                if value is not None:
                    flood_lat.append(value)
            took = time.monotonic() - t0
            await pilot.pause(0.3)
            gc.collect()
            fstats = await flood.stats()
            femitted = sum(s.get("events_emitted", 0) for s in fstats.values())
            flat = sorted(flood_lat)
            out["million"] = {
                "events_received": received["n"] - before,
                "events_emitted": femitted,
                "seconds": took,
                "events_per_s": (received["n"] - before) / took,
                "key_p50_ms": statistics.median(flat) if flat else None,
                "key_p95_ms": pct(flat, 0.95),
                "rss_mb_after": status_kb("VmRSS") / 1024,
                "peak_rss_mb": status_kb("VmHWM") / 1024,
                "log_rows": len(app.store.log.rows),
                "log_rows_dropped_by_cap": app.store.log.dropped,
                "runs_kept": len(getattr(app.store, "runs", {})),
            }
            controller.cancel_all()
            await controller.aclose()
    finally:
        await farm.stop()
        await flood.stop()
    return out


def summarise(res: dict[str, Any]) -> str:
    load, mil = res["load"], res["million"]

    def f(v: Any, spec: str = ",.1f") -> str:
        return "-" if v is None else format(v, spec)

    rows = [
        ["idle app (no load): keypress-to-render p50 / p95 (ms)",
         f"{f(res.get('idle_key_p50_ms'))} / {f(res.get('idle_key_p95_ms'))}", ""],
        ["keypress-to-render p50 / p95 / max (ms)",
         f"{f(load['key_p50_ms'])} / {f(load['key_p95_ms'])} / {f(load['key_max_ms'])} "
         f"({load['key_samples']} presses)", "p95 < 100 ms"],
        ["events emitted by the nodes / received by the app",
         f"{load['events_emitted']:,} / {load['events_received']:,} ({f(load['events_per_s'], ',.0f')} ev/s)",
         "0 dropped"],
        ["event-log rows dropped by the configured cap",
         f"{load['log_rows_dropped_by_cap']:,} (cap {load['log_cap']:,})", "only beyond the cap"],
        ["peak RSS (MB)", f(load["peak_rss_mb"]), "< 250 MB"],
        ["full GC collections / longest GC pause (ms)",
         f"{load.get('gc_gen2', 0)} / {f(load.get('gc_max_ms'))}", ""],
        ["1M phase: emitted / received", f"{mil['events_emitted']:,} / {mil['events_received']:,} in "
         f"{f(mil['seconds'])} s ({f(mil['events_per_s'], ',.0f')} ev/s)", "0 dropped"],
        ["1M phase: keypress p50 / p95 (ms)", f"{f(mil['key_p50_ms'])} / {f(mil['key_p95_ms'])}", ""],
        ["RSS after 1M events (MB) / peak", f"{f(mil['rss_mb_after'])} / {f(mil['peak_rss_mb'])}", "bounded"],
        ["log rows kept / dropped by cap", f"{mil['log_rows']:,} / {mil['log_rows_dropped_by_cap']:,}", ""],
    ]  # fmt: skip
    if res.get("traffic_runs"):
        t = res["traffic_runs"]
        seen = f"{t['traffic']:,} / {t['all']:,} / {t['ended']:,}; users' runs done {res.get('users')}"
        rows.insert(2, ["traffic watcher: runs in its model (others' / all / ended)", seen, ""])
    if res.get("otlp_stats"):
        rows.insert(2, ["OTLP export", str(res["otlp_stats"]), ""])
    mode = f"traffic {'on' if res.get('traffic') else 'off'}, {res.get('users_per_s', 0):g} user runs/s/node"
    head = (
        f"### {res['nodes']} sim nodes x {res['rate']:.0f} ev/s for {res['seconds']:.0f} s, headless Pilot"
        f" ({mode}, OTLP {'on' if res.get('otlp') else 'off'})\n"
    )
    return head + "\n" + table(["measure", "value", "target"], rows) + "\n"


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    res = asyncio.run(measure(seconds))
    print(summarise(res))
    out = Path(__file__).resolve().parent / "results" / "dashboard.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
