"""Shared benchmark plumbing: the peer venv's python, a raw loopback HTTP server, fresh-process runs, stats.

Every contestant runs in a fresh process (ours with this repo's ``.venv``, OxyGent 1.1.3 and httpx-sse with
the interop venv's python, built from ``tests/interop/requirements.lock``) against the same bytes served
by one loopback server in the orchestrating process; results come back as one JSON line on stdout.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OURS_PYTHON = Path(sys.executable)


def peer_python() -> Path | None:
    """The interop venv's python (built on first use from the lock file), or None if unavailable."""
    spec = importlib.util.spec_from_file_location("_oxytui_interop_peer", REPO / "tests/interop/peer.py")
    assert spec and spec.loader
    peer = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = peer
    spec.loader.exec_module(peer)
    try:
        return Path(peer.ensure_venv())
    except peer.PeerUnavailable as exc:
        print(f"peer venv unavailable, OxyGent/httpx-sse columns skipped: {exc}", file=sys.stderr)
        return None


def chunked(body: bytes, size: int) -> bytes:
    """HTTP/1.1 chunked encoding with fixed-size chunks (an odd size: CRLFs straddle reads)."""
    out = bytearray()
    for start in range(0, len(body), size):
        part = body[start : start + size]
        out += f"{len(part):x}\r\n".encode() + part + b"\r\n"
    out += b"0\r\n\r\n"
    return bytes(out)


HEADERS = (
    b"HTTP/1.1 200 OK\r\nserver: uvicorn\r\ncache-control: no-store\r\nconnection: close\r\n"
    b"x-accel-buffering: no\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n"
)


class BytesServer:
    """Serves one pre-encoded SSE response to every request on 127.0.0.1 (ephemeral port)."""

    def __init__(self, body: bytes, chunk: int = 16_381) -> None:
        self.payload = HEADERS + chunked(body, chunk)
        self.server: asyncio.AbstractServer | None = None
        self.url = ""

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            writer.write(self.payload)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def __aenter__(self) -> BytesServer:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/sse/chat"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


async def run_worker(
    python: Path, script: Path, args: list[str], limit: float = 600.0, pythonpath: str | Path | None = None
) -> dict[str, Any]:
    """Run ``python script args`` as a fresh process; parse its last stdout line as JSON.

    ``pythonpath``: import oxytui from there instead of this repo (before/after comparisons)."""
    env = {**os.environ, "PYTHONPATH": str(pythonpath or REPO)}
    proc = await asyncio.create_subprocess_exec(
        str(python), str(script), *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), limit)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return {"error": f"timeout after {limit}s"}
    lines = out.decode().strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = err.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
        return {"error": f"exit {proc.returncode}: {tail[0][:200]}"}
    return json.loads(lines[-1])


def median_of(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None and "error" not in r]
    return statistics.median(values) if values else None


def machine_info() -> dict[str, str]:
    info = {"python": platform.python_version(), "platform": platform.platform()}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        keep = ("Model name", "CPU(s)", "Thread(s) per core", "CPU max MHz", "L2 cache", "L3 cache")
        for line in lscpu.splitlines():
            name, _, value = line.partition(":")
            if name.strip() in keep:
                info[name.strip()] = value.strip()
    except OSError:
        pass
    return info


def versions(python: Path, modules: list[str]) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json, sys\n"
        "out = {}\n"
        "for name in sys.argv[1:]:\n"
        "    try: out[name] = m.version(name)\n"
        "    except m.PackageNotFoundError: out[name] = '-'\n"
        "print(json.dumps(out))"
    )
    done = subprocess.run([str(python), "-c", code, *modules], capture_output=True, text=True, timeout=60)
    return json.loads(done.stdout) if done.returncode == 0 else {}


def fmt(value: float | None, spec: str = ",.0f") -> str:
    return "fails" if value is None else format(value, spec)


def ratio(a: float | None, b: float | None) -> str:
    if a is None:
        return "-"
    if b is None or b == 0:
        return "∞ (peer fails)"
    return f"{a / b:.2f}x"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


Printer = Callable[[str], None]
