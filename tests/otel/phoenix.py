"""A real trace backend for ``make test-otel``: Arize Phoenix in its own cached venv (like the OxyGent
interop venv: large, ~850 MB, built once, reused while ``PHOENIX_REQUIREMENT`` is unchanged).

Plain module (no pytest import). ``ensure_venv()`` returns the venv's python or raises
:class:`PhoenixUnavailable` with a one-line reason (the tests then skip and say why).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.interop.peer import free_port
from tests.support.venvs import build_venv

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
VENV = Path(os.environ.get("OXYTUI_PHOENIX_VENV", REPO / ".phoenix-venv"))
PHOENIX_REQUIREMENT = os.environ.get("OXYTUI_PHOENIX_REQUIREMENT", "arize-phoenix")
STAMP = VENV / ".requirement"
INSTALL_TIMEOUT = float(os.environ.get("OXYTUI_PHOENIX_INSTALL_TIMEOUT", "1200"))


class PhoenixUnavailable(RuntimeError):
    """Phoenix cannot be installed or started here."""


def ensure_venv() -> Path:
    """Create or reuse the Phoenix venv."""
    py = VENV / "bin" / "python"
    if py.exists() and STAMP.exists() and STAMP.read_text().strip() == PHOENIX_REQUIREMENT:
        return py
    if py.exists() and not STAMP.exists():  # built by hand (e.g. a background pip): check it works
        ok = subprocess.run([str(py), "-c", "import phoenix.server.main"], capture_output=True, timeout=300)
        if ok.returncode == 0:
            STAMP.write_text(PHOENIX_REQUIREMENT)
            return py
    steps = [
        [str(py), "-m", "pip", "install", "--quiet", PHOENIX_REQUIREMENT],
        [str(py), "-c", "import phoenix.server.main"],
    ]
    build_venv(
        VENV,
        steps,
        timeout=INSTALL_TIMEOUT,
        unavailable=PhoenixUnavailable,
        name="Phoenix",
        package=PHOENIX_REQUIREMENT,
    )
    STAMP.write_text(PHOENIX_REQUIREMENT)
    return py


@dataclass
class Phoenix:
    """``phoenix serve`` on loopback ports with a scratch working dir (its SQLite database)."""

    python: Path
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="oxytui-phoenix-")))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180.0) -> Phoenix:
        self.port = self.port or free_port()
        env = {
            **os.environ,
            "PHOENIX_HOST": "127.0.0.1",
            "PHOENIX_PORT": str(self.port),
            "PHOENIX_GRPC_PORT": str(free_port()),
            "PHOENIX_WORKING_DIR": str(self.workdir),
            "PHOENIX_TELEMETRY_ENABLED": "false",
            "NO_COLOR": "1",
        }
        env.pop("PYTHONPATH", None)
        for k in [k for k in env if k.startswith("OTEL_")]:
            env.pop(k)
        cmd = [str(self.python), "-m", "phoenix.server.main", "serve"]
        with open(self.workdir / "phoenix.log", "wb") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while not self._ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = self.log_tail()
                self.stop()
                raise PhoenixUnavailable(f"phoenix serve did not come up: {tail[-400:]}")
            time.sleep(0.5)
        return self

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as resp:
                return resp.status == 200
        except OSError:
            return False

    def log_tail(self, lines: int = 10) -> str:
        with contextlib.suppress(OSError):
            return "\n".join((self.workdir / "phoenix.log").read_text(errors="replace").splitlines()[-lines:])
        return ""

    def spans(self, project: str = "default") -> list[dict[str, Any]]:
        """Every span Phoenix stored for ``project`` (its REST API, paged)."""
        out: list[dict[str, Any]] = []
        cursor = ""
        while True:
            q = f"?limit=1000{'&cursor=' + cursor if cursor else ''}"
            with urllib.request.urlopen(f"{self.url}/v1/projects/{project}/spans{q}", timeout=10) as resp:
                page = json.loads(resp.read())
            out += page.get("data", [])
            cursor = page.get("next_cursor") or ""
            if not cursor:
                return out

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.workdir, ignore_errors=True)
