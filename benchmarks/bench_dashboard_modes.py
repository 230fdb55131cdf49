"""``bench_dashboard.py`` in several modes side by side: interleaved fresh processes, repeated.

Modes: ``off`` (traffic watcher off), ``off+users`` (watcher off, other users' runs on the nodes: what
the busier farm costs on the shared cores without the watcher), ``traffic`` (watcher on + other users'
runs on every node), ``traffic+otlp`` (the same, every finished run exported to a local OTLP/HTTP
receiver this script starts on 127.0.0.1 in its own process).
Run: ``python benchmarks/bench_dashboard_modes.py [seconds] [rounds] [modes]`` (default 25 s, 2 rounds,
every mode; ``modes`` like ``off,traffic``); the flood phase is cut to 20,000 events unless
``OXYTUI_BENCH_FLOOD`` says.
Writes ``results/dashboard_modes.json``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_otel import COLLECTOR, free_port  # noqa: E402
from harness import REPO, table  # noqa: E402

MODES: dict[str, dict[str, str]] = {
    "off": {"OXYTUI_BENCH_TRAFFIC": "0"},
    "off+users": {"OXYTUI_BENCH_TRAFFIC": "0", "OXYTUI_BENCH_USERS": "1"},
    "traffic": {"OXYTUI_BENCH_TRAFFIC": "1"},
    "traffic+otlp": {"OXYTUI_BENCH_TRAFFIC": "1", "OXYTUI_BENCH_OTLP": "<sink>"},
}


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def wait_port(port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def main() -> None:
    seconds = sys.argv[1] if len(sys.argv) > 1 else "25"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    only = sys.argv[3].split(",") if len(sys.argv) > 3 else list(MODES)
    port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", COLLECTOR, str(port)])
    results: list[dict[str, Any]] = []
    try:
        wait_port(port)
        for r in range(rounds):
            for mode in only:
                extra = MODES[mode]
                env = dict(os.environ, OXYTUI_BENCH_FLOOD=os.environ.get("OXYTUI_BENCH_FLOOD", "20000"))
                for key in ("OXYTUI_BENCH_OTLP", "OXYTUI_BENCH_USERS", "OXYTUI_BENCH_TRAFFIC"):
                    env.pop(key, None)
                url = f"http://127.0.0.1:{port}"
                env.update({k: (url if v == "<sink>" else v) for k, v in extra.items()})
                before, t0 = load(), time.strftime("%H:%M:%S", time.gmtime())
                subprocess.run(
                    [sys.executable, str(HERE / "bench_dashboard.py"), seconds],
                    env=env, cwd=str(REPO), check=True, stdout=subprocess.DEVNULL,
                )  # fmt: skip
                res = json.loads((HERE / "results" / "dashboard.json").read_text())
                res.update(mode=mode, round=r + 1, started_utc=t0, load_before=before, load_after=load())
                results.append(res)
                print(mode, r + 1, res["load"]["key_p50_ms"], res["load"]["key_p95_ms"], before, flush=True)
    finally:
        sink.terminate()
        sink.wait()
    (HERE / "results" / "dashboard_modes.json").write_text(json.dumps(results, indent=1))

    def f(v: Any) -> str:
        return "-" if v is None else f"{v:,.1f}"

    rows = []
    for res in results:
        ld, tr = res["load"], res.get("traffic_runs") or {}
        otlp = res.get("otlp_stats")
        rows.append([
            f"{res['mode']} {res['round']}", res["started_utc"],
            f"{res['load_before']} → {res['load_after']}",
            f"{f(ld['key_p50_ms'])} / {f(ld['key_p95_ms'])} / {f(ld['key_max_ms'])} ({ld['key_samples']})",
            f"{ld['events_received']:,} / {ld['events_emitted']:,}",
            f"{tr.get('traffic', '-')} / {tr.get('all', '-')}", str(res.get("users")), str(otlp or "-"),
            f(ld["peak_rss_mb"]), f"{f(res['million']['key_p95_ms'])}",
        ])  # fmt: skip
    head = ["run", "UTC", "load 1/5/15 min", "key p50 / p95 / max ms (n)", "events recv / emitted",
            "fleet: others' runs / all", "users' runs", "OTLP", "peak RSS MB", "flood key p95"]  # fmt: skip
    print(table(head, rows))


if __name__ == "__main__":
    main()
