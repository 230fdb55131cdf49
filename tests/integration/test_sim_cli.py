"""``oxytui.sim.cli.run`` in a real subprocess: prints the URLs, serves, stops cleanly on SIGINT/SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request

import pytest

SCRIPT = "import sys; from oxytui.sim.cli import run; sys.exit(run({nodes}, {port}, '127.0.0.1', 5))"


def start(nodes: int, port: int = 0) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT.format(nodes=nodes, port=port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    urls: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        if m := re.match(r"(\w+)\s+(http://\S+)", line):
            urls[m[1]] = m[2]
        if line.startswith("Ctrl-C"):
            break
    else:
        raise AssertionError(f"no banner; stderr: {proc.stderr.read() if proc.stderr else ''}")
    return proc, urls


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_cli_serves_then_stops_cleanly(sig: signal.Signals) -> None:
    proc, urls = start(3)
    try:
        assert list(urls) == ["master_agent", "math_agent", "research_agent"]
        for url in urls.values():
            with urllib.request.urlopen(url + "/check_alive", timeout=5) as r:
                assert r.read() == b'{"alive":1}'
        req = urllib.request.Request(
            urls["master_agent"] + "/chat", data=json.dumps({"query": "add 2 3"}).encode()
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            assert (
                json.loads(r.read())["answer"] == "Final answer (via math_agent): Final answer (via add): 5"
            )
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped." in out and "Traceback" not in err


def test_cli_fixed_ports_and_port_in_use() -> None:
    first, urls = start(1)
    try:
        port = int(urls["master_agent"].rsplit(":", 1)[1])
        second = subprocess.run(
            [sys.executable, "-c", SCRIPT.format(nodes=1, port=port)],
            capture_output=True,
            text=True,
            timeout=20,
        )
        assert second.returncode == 1 and "cannot listen" in second.stderr
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=10)
    assert first.returncode == 0
