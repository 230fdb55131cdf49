"""Start-up: ``oxytui --version`` wall time (and that Textual is not imported on that path), and time from
process start to the first frame of ``oxytui --demo`` drawn on a real pseudo-terminal.

First frame = the first write that contains the dashboard's own text (``oxytui`` title bar) after the
terminal switched to the alternate screen. Medians of N fresh processes.
Run: ``python benchmarks/bench_startup.py``.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time
from fcntl import ioctl
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import table

BIN = Path(sys.executable).parent
OXYTUI = BIN / "oxytui"


def timed_run(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def first_frame(marker: bytes = b"oxytui", limit: float = 30.0) -> float | None:
    """Seconds from fork to the first frame containing ``marker`` on a 160x45 pty (None: not seen)."""
    pid, fd = pty.fork()
    if pid == 0:  # child: the real command on the pty
        os.environ.update({"TERM": "xterm-256color", "COLORTERM": "truecolor"})
        os.execv(str(OXYTUI), [str(OXYTUI), "--demo"])
    t0 = time.perf_counter()
    ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 45, 160, 0, 0))
    os.kill(pid, signal.SIGWINCH)
    seen = b""
    found: float | None = None
    try:
        while time.perf_counter() - t0 < limit:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            seen += data
            alt = seen.find(b"\x1b[?1049h")
            if alt >= 0 and marker in seen[alt:]:
                found = time.perf_counter() - t0
                break
    finally:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                while os.read(fd, 65536) if select.select([fd], [], [], 0.05)[0] else b"":
                    pass
            except OSError:
                pass
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    return found


def measure(n: int = 7) -> dict[str, Any]:
    python = sys.executable
    probe = (
        "import sys; from oxytui.cli import main; main(['--version']); print(sorted(m for m in sys.modules "
    )
    probe += "if m.split('.')[0] in ('textual', 'aiohttp', 'pydantic', 'rich')))"
    imported = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True).stdout
    res: dict[str, Any] = {
        "python_bare_s": statistics.median(timed_run([python, "-c", "pass"]) for _ in range(n)),
        "version_s": statistics.median(timed_run([str(OXYTUI), "--version"]) for _ in range(n)),
        "version_heavy_imports": imported.strip().splitlines()[-1],
    }
    frames = [first_frame() for _ in range(max(3, n // 2))]
    ok = [f for f in frames if f is not None]
    res["first_frame_s"] = statistics.median(ok) if ok else None
    res["first_frame_runs"] = frames
    return res


def summarise(res: dict[str, Any]) -> str:
    ff = res["first_frame_s"]
    rows = [
        ["`python -c pass` (floor)", f"{res['python_bare_s']:.3f} s", ""],
        ["`oxytui --version`", f"{res['version_s']:.3f} s", "< 0.15 s"],
        ["heavy modules imported by `--version`", res["version_heavy_imports"], "[] (no Textual)"],
        [
            "`oxytui --demo`: first frame on a 160x45 pty",
            "not seen" if ff is None else f"{ff:.2f} s",
            "< 1.5 s",
        ],
    ]
    return (
        "### start-up (medians of fresh processes)\n\n" + table(["measure", "value", "target"], rows) + "\n"
    )


def main() -> None:
    res = measure(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
    print(summarise(res))
    out = Path(__file__).resolve().parent / "results" / "startup.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
