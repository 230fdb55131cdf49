"""Idle cost of the dashboard over a fleet: ``oxytui`` with 60 bare URLs (55 simulated nodes in their own
process, 5 URLs where nothing listens) on a real 160x45 pseudo-terminal, nobody chatting.

Measures, in a fresh process: seconds from fork to the first frame (alternate screen + the title bar), then
after a settle period the dashboard process's own CPU time (``/proc/PID/stat`` utime+stime) over a window,
as % of one core, and the bytes it wrote to the terminal per second (no redraw without change: an idle
screen should write almost nothing). The farm's CPU is reported separately (not the dashboard's).
Run: ``python benchmarks/bench_idle.py [WINDOW_S] [SETTLE_S]`` (defaults 60 and 15).
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import time
from fcntl import ioctl
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import table

HERE = Path(__file__).resolve().parent
OXYTUI = Path(sys.executable).parent / "oxytui"
LIVE, DEAD = 55, 5
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14 and 15 of stat)


def dead_urls(n: int) -> list[str]:
    out = []
    for _ in range(n):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            out.append(f"http://127.0.0.1:{s.getsockname()[1]}")
    return out


def measure(window: float = 60.0, settle: float = 15.0) -> dict[str, Any]:
    farm = subprocess.Popen(
        [sys.executable, str(HERE / "sim_farm.py"), str(LIVE), "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert farm.stdout is not None and farm.stdin is not None
    urls = list(json.loads(farm.stdout.readline())["urls"].values()) + dead_urls(DEAD)
    data_dir = tempfile.mkdtemp(prefix="oxytui-bench-idle-")
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update({"TERM": "xterm-256color", "COLORTERM": "truecolor", "OXYTUI_DATA_DIR": data_dir})
        os.execv(str(OXYTUI), [str(OXYTUI), *urls])
    t0 = time.perf_counter()
    ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 45, 160, 0, 0))
    os.kill(pid, signal.SIGWINCH)
    seen = b""
    first: float | None = None
    written = 0

    def drain(until: float) -> int:
        got = 0
        while time.perf_counter() < until:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                got += len(chunk)
        return got

    try:
        while time.perf_counter() - t0 < 30 and first is None:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                seen += os.read(fd, 65536)
                alt = seen.find(b"\x1b[?1049h")
                if alt >= 0 and b"oxytui" in seen[alt:]:
                    first = time.perf_counter() - t0
        drain(time.perf_counter() + settle)
        farm_cpu0 = cpu_seconds(farm.pid)
        cpu0, w0 = cpu_seconds(pid), time.perf_counter()
        written = drain(w0 + window)
        cpu1, w1 = cpu_seconds(pid), time.perf_counter()
        farm_cpu1 = cpu_seconds(farm.pid)
    finally:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            drain(time.perf_counter() + 0.1)
            if os.waitpid(pid, os.WNOHANG)[0]:
                break
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
        farm.stdin.write("quit\n")
        farm.stdin.flush()
        farm.wait(10)
    span = w1 - w0
    return {
        "nodes": LIVE + DEAD,
        "first_frame_s": first,
        "window_s": span,
        "settle_s": settle,
        "cpu_pct_one_core": 100 * (cpu1 - cpu0) / span,
        "tty_bytes_per_s": written / span,
        "farm_cpu_pct": 100 * (farm_cpu1 - farm_cpu0) / span,
        "load_avg_start": os.getloadavg()[0],
    }


def summarise(res: dict[str, Any]) -> str:
    ff = res["first_frame_s"]
    rows = [
        ["first frame on a 160x45 pty", "not seen" if ff is None else f"{ff:.2f} s", "< 3 s"],
        [
            f"idle CPU, {res['nodes']} nodes ({DEAD} down), {res['window_s']:.0f} s window",
            f"{res['cpu_pct_one_core']:.2f} % of one core",
            "< 3 %",
        ],
        ["bytes written to the terminal while idle", f"{res['tty_bytes_per_s']:.0f} B/s", "~0"],
        ["simulated farm (other process, not counted)", f"{res['farm_cpu_pct']:.2f} %", ""],
    ]
    return "### idle fleet\n\n" + table(["measure", "value", "target"], rows) + "\n"


def main() -> None:
    window = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    settle = float(sys.argv[2]) if len(sys.argv) > 2 else 15.0
    res = measure(window, settle)
    print(summarise(res))
    out = HERE / "results" / "idle.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
