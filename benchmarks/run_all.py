"""Run every benchmark (``make bench``) one after the other and write the figures with machine info to
``benchmarks/results/latest.md`` (``benchmarks/RESULTS.md`` is the curated copy with the analysis).

Each benchmark is its own script and can be run alone; see their docstrings. Options:
``--quick`` (1 repetition, 15 s dashboard, 100k-event flood: a smoke run), ``--only NAME...``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import OURS_PYTHON, machine_info, peer_python, versions

HERE = Path(__file__).resolve().parent
BENCHES = {
    "decoder": ("bench_decoder.py", ["3"], ["1"]),
    "e2e": ("bench_e2e.py", ["3"], ["1"]),
    "dashboard": ("bench_dashboard.py", ["60"], ["15"]),
    "startup": ("bench_startup.py", ["7"], ["3"]),
    "idle": ("bench_idle.py", ["60", "15"], ["10", "5"]),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="*", choices=list(BENCHES))
    args = parser.parse_args()
    env = dict(os.environ)
    if args.quick:
        env["OXYTUI_BENCH_FLOOD"] = "100000"
    peer = peer_python()
    parts = [f"# oxytui benchmark run, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC\n", "## Machine\n"]
    parts += [f"- {k}: {v}" for k, v in machine_info().items()]
    ours = versions(OURS_PYTHON, ["oxytui", "aiohttp", "pydantic", "pydantic-core", "textual"])
    parts.append(f"- ours ({OURS_PYTHON}): " + ", ".join(f"{k} {v}" for k, v in ours.items()))
    if peer is not None:
        theirs = versions(peer, ["oxygent", "aiohttp", "httpx", "httpx-sse", "sse-starlette", "pydantic"])
        parts.append(f"- peer ({peer}): " + ", ".join(f"{k} {v}" for k, v in theirs.items()))
    parts.append(f"- load average at start: {os.getloadavg()[0]:.2f}\n")
    status = 0
    for name in args.only or list(BENCHES):
        script, full, quick = BENCHES[name]
        t0 = time.monotonic()
        print(f"== {name} ...", file=sys.stderr, flush=True)
        done = subprocess.run(
            [sys.executable, str(HERE / script), *(quick if args.quick else full)],
            capture_output=True, text=True, env=env, cwd=HERE.parent,
        )  # fmt: skip
        took = time.monotonic() - t0
        if done.returncode != 0:
            status = 1
            tail = "\n".join(done.stderr.strip().splitlines()[-5:])
            parts.append(f"## {name}: FAILED after {took:.0f} s\n\n```\n{tail}\n```\n")
        else:
            parts.append(f"## {name} ({took:.0f} s)\n\n{done.stdout.strip()}\n")
    text = "\n".join(parts) + "\n"
    out = HERE / "results" / "latest.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)
    print(text)
    print(f"written to {out}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
