"""Building a cached side venv for tests against real programs (OxyGent for interop, Phoenix for OTLP).

One builder for both: create the venv with the base interpreter, run the install and check commands within a
deadline, and remove a half-built venv on any failure, raising the caller's "unavailable" error (the tests
then skip with that reason)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path


def base_python() -> str:
    """A python that can create venvs: the interpreter behind the current venv if we are in one."""
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    return str(base) if base.exists() else sys.executable


def build_venv(
    venv: Path,
    steps: list[list[str]],
    *,
    timeout: float,
    unavailable: type[Exception],
    name: str,
    package: str,
) -> None:
    """Create ``venv`` afresh, then run ``steps`` (install, import check); a failure removes the venv and
    raises ``unavailable`` naming ``name`` (build) or ``package`` (install) with pip's last lines."""
    shutil.rmtree(venv, ignore_errors=True)
    deadline = time.monotonic() + timeout
    for cmd in [[base_python(), "-m", "venv", str(venv)], *steps]:
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=max(1.0, deadline - time.monotonic())
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            shutil.rmtree(venv, ignore_errors=True)
            raise unavailable(f"cannot build the {name} venv ({cmd[1:3]}): {exc}") from None
        if done.returncode != 0:
            lines = [ln for ln in (done.stderr or done.stdout).splitlines() if not ln.startswith("WARNING")]
            shutil.rmtree(venv, ignore_errors=True)
            raise unavailable(f"cannot install {package}: {' | '.join(lines[-3:])[:400]}")
