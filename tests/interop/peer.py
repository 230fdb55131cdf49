"""The interop peer: a cached venv with OxyGent 1.1.3 (pinned by ``requirements.lock``) and its nodes.

Plain module (no pytest import) so the benchmarks can use it too. ``ensure_venv()`` returns the
venv's python or raises :class:`PeerUnavailable` with a one-line reason (the suite then skips).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.venvs import build_venv

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
LOCK = HERE / "requirements.lock"
NODE_SCRIPT = HERE / "oxy_node.py"
VENV = Path(os.environ.get("OXYTUI_INTEROP_VENV", REPO / ".interop-venv"))
STAMP = VENV / ".lock-sha256"
INSTALL_TIMEOUT = float(os.environ.get("OXYTUI_INTEROP_INSTALL_TIMEOUT", "900"))


class PeerUnavailable(RuntimeError):
    """The OxyGent venv cannot be built here (no index, no wheels, wrong platform)."""


def venv_python() -> Path:
    return VENV / "bin" / "python"


def _lock_hash() -> str:
    return hashlib.sha256(LOCK.read_bytes()).hexdigest()


def ensure_venv() -> Path:
    """Create or reuse the interop venv; reuse only when it was built from the current lock file."""
    py = venv_python()
    if py.exists() and STAMP.exists() and STAMP.read_text().strip() == _lock_hash():
        return py
    steps = [
        [str(py), "-m", "pip", "install", "--quiet", "--no-deps", "-r", str(LOCK)],
        [str(py), "-c", "import oxygent, httpx_sse, dotenv, mcp.client.streamable_http"],
    ]
    build_venv(
        VENV,
        steps,
        timeout=INSTALL_TIMEOUT,
        unavailable=PeerUnavailable,
        name="OxyGent 1.1.3",
        package=f"OxyGent 1.1.3 from {LOCK.name}",
    )
    STAMP.write_text(_lock_hash())
    return py


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def is_alive(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/check_alive", timeout=timeout) as resp:
            return resp.status == 200 and b'"alive":1' in resp.read()
    except OSError:
        return False


@dataclass
class OxyNode:
    """One real OxyGent node process (``oxy_node.py``) on a loopback port."""

    role: str
    remote: str = ""
    python: Path = field(default_factory=venv_python)
    host: str = "127.0.0.1"
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    workdir: Path | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def spawn(self) -> None:
        """Start the process without waiting (use :meth:`wait_alive` or :meth:`start`)."""
        self.port = self.port or free_port(self.host)
        self.workdir = Path(tempfile.mkdtemp(prefix=f"oxy-{self.role}-"))
        cmd = [str(self.python), str(NODE_SCRIPT), "--role", self.role, "--port", str(self.port)]
        if self.remote:
            cmd += ["--remote", self.remote]
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}
        env.pop("PYTHONPATH", None)
        with open(self.workdir / "node.log", "wb") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )

    def log_tail(self, lines: int = 15) -> str:
        if self.workdir is None:
            return ""
        with contextlib.suppress(OSError):
            text = (self.workdir / "node.log").read_text(errors="replace")
            return "\n".join(text.splitlines()[-lines:])
        return ""

    def poll_ready(self) -> bool:
        """True once ``/check_alive`` answers; raises if the process died."""
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(
                f"OxyGent {self.role} node exited ({self.proc.returncode}):\n{self.log_tail()}"
            )
        return is_alive(self.url, timeout=0.5)

    def wait_alive(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.poll_ready():
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"OxyGent {self.role} node not alive after {timeout}s:\n{self.log_tail()}")
            time.sleep(0.2)

    def start(self, timeout: float = 90.0) -> OxyNode:
        self.spawn()
        self.wait_alive(timeout)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
