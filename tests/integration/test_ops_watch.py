"""oxytui watch against live local servers: result lines, state changes, exit codes, /metrics, tokens."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics

from oxytui.config import NodeConfig, Settings
from oxytui.ops.watch import Watcher, WatchOptions
from tests.support.scripted_server import Json, Replay, ScriptedServer, Silent, Status, free_port
from tests.unit.test_ops_prom import parse_prometheus

ROOT = Path(__file__).parents[2]
CAPTURES = ROOT / "tests" / "fixtures" / "captures"
TOKEN = "watch-secret-token-9f3a"


def healthy(srv: ScriptedServer) -> ScriptedServer:
    srv.on("GET", "/check_alive", Json({"alive": 1}))
    srv.on("POST", "/sse/chat", Replay((CAPTURES / "math_add.sse").read_bytes(), chunk_size=500))
    return srv


def settings(*nodes: tuple[str, str]) -> Settings:
    from pydantic import SecretStr

    return Settings(nodes=[NodeConfig(name=n, url=u, token=SecretStr(TOKEN)) for n, u in nodes])


def lines(out: io.StringIO) -> list[dict]:
    return [json.loads(ln) for ln in out.getvalue().splitlines()]


async def test_probe_results_state_changes_and_rate() -> None:
    async with ScriptedServer() as good, ScriptedServer() as sick:
        healthy(good)
        sick.on("GET", "/check_alive", Json({"alive": 1}))
        sick.on("POST", "/sse/chat", Status(500, b"boom"))
        dead = f"http://127.0.0.1:{free_port()}"
        out, err = io.StringIO(), io.StringIO()
        opts = WatchOptions(probe="add 2 3", every=0.01, count=2, json=True, fail_below=0.5, timeout=5)
        w = Watcher(settings(("good", good.url), ("sick", sick.url), ("dead", dead)), opts, out, err)
        code = await w.run()
    got = lines(out)
    by = {(o["node"], o["kind"]): o for o in got}
    assert by[("good", "probe")]["ok"] is True and "5" in by[("good", "probe")]["detail"]
    assert by[("sick", "alive")]["ok"] is True and by[("sick", "probe")]["ok"] is False
    assert by[("dead", "alive")]["ok"] is False
    states = [(o["node"], o["from"], o["to"]) for o in got if o["kind"] == "state"]
    assert sorted(states) == [
        ("dead", "unknown", "down"),
        ("good", "unknown", "up"),
        ("sick", "unknown", "degraded"),
    ]  # one line per change, not per check
    assert sum(1 for o in got if o["kind"] == "probe") == 6
    assert w.success_rate == 2 / 6 and code == 1
    assert "below 0.5" in err.getvalue()
    # the bearer token went on the wire, never into the output
    assert good.requests and good.requests[-1].headers.get("authorization") == f"Bearer {TOKEN}"
    assert TOKEN not in out.getvalue() + err.getvalue()


async def test_alive_only_rate_and_text_output() -> None:
    async with ScriptedServer() as good:
        healthy(good)
        out, err = io.StringIO(), io.StringIO()
        w = Watcher(settings(("good", good.url)), WatchOptions(every=0.01, count=3, fail_below=1.0), out, err)
        assert await w.run() == 0
    text = out.getvalue().splitlines()
    assert sum(" alive ok " in ln for ln in text) == 3 and any("state unknown -> up" in ln for ln in text)
    assert w.success_rate == 1.0 and not good.requests_to("/sse/chat")


async def test_metrics_endpoint_serves_prometheus_text() -> None:
    async with ScriptedServer() as good:
        healthy(good)
        dead = f"http://127.0.0.1:{free_port()}"
        opts = WatchOptions(probe="add 2 3", every=0.01, metrics_port=0, timeout=5)
        w = Watcher(settings(("good", good.url), ("dead", dead)), opts, io.StringIO(), io.StringIO())
        task = asyncio.create_task(w.run())
        try:
            while w.nodes["good"].probe_total < 2 or w.nodes["dead"].alive_total < 2:
                w.checked.clear()
                await asyncio.wait_for(w.checked.wait(), 10)
            assert w.metrics_url is not None
            async with aiohttp.ClientSession() as s, s.get(w.metrics_url) as resp:
                assert resp.status == 200
                assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
                text = await resp.text()
            assert w.metrics_url.startswith("http://127.0.0.1:")  # loopback unless told otherwise
            om = {"Accept": "application/openmetrics-text; version=1.0.0"}
            async with aiohttp.ClientSession() as s, s.get(w.metrics_url, headers=om) as resp:
                assert resp.headers["Content-Type"].startswith("application/openmetrics-text")
                strict = {f.name: f for f in parse_openmetrics(await resp.text())}  # raises if malformed
            assert strict["oxytui_run_duration_seconds"].type == "histogram"
        finally:
            w.stop()
            assert await task == 0
    fams = parse_prometheus(text)
    up = {s[1]["node"]: s[2] for s in fams["oxytui_node_up"]["samples"]}
    assert up == {"good": 1, "dead": 0}
    runs = {s[1]["node"]: s[2] for s in fams["oxytui_probe_runs_total"]["samples"]}
    assert runs["good"] >= 2
    fails = {s[1]["node"]: s[2] for s in fams["oxytui_probe_failures_total"]["samples"]}
    assert fails["good"] == 0 and fails["dead"] >= 2
    hist = [s for s in fams["oxytui_probe_latency_seconds"]["samples"] if s[1]["node"] == "good"]
    assert hist[-1][0].endswith("_count") and hist[-1][2] >= 2
    probes = {(s[1]["node"], s[1]["source"]): s[2] for s in fams["oxytui_runs_total"]["samples"]}
    assert probes[("good", "probe")] >= 2 and ("dead", "probe") not in probes  # a skipped probe is no run
    dur = [s for s in fams["oxytui_run_duration_seconds"]["samples"] if s[0].endswith("_count")]
    assert dur and dur[0][1] == {"node": "good", "source": "probe"} and dur[0][2] >= 2
    assert TOKEN not in text


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(ROOT), "OXYTUI_CONFIG_DIR": "/nonexistent-oxytui", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "oxytui.cli", *args], capture_output=True, text=True, timeout=60, env=full
    )


async def test_cli_exit_codes(tmp_path: Path) -> None:
    async with ScriptedServer() as good:
        healthy(good)
        dead = f"http://127.0.0.1:{free_port()}"
        cfg = tmp_path / "c.toml"
        cfg.write_text(
            f'[[nodes]]\nname = "g"\nurl = "{good.url}"\ntoken_env = "WATCH_TOK"\nprobe_query = "add 2 3"\n'
        )
        ok = await asyncio.to_thread(
            _cli,
            "watch",
            "--config",
            str(cfg),
            "--count",
            "1",
            "--json",
            "--fail-below",
            "1",
            env={"WATCH_TOK": TOKEN},
        )
        bad = await asyncio.to_thread(
            _cli, "watch", good.url, dead, "--count", "1", "--every", "10ms", "--fail-below", "0.9"
        )
        usage = await asyncio.to_thread(_cli, "watch", good.url, "--every", "soon")
    assert ok.returncode == 0, ok.stderr
    kinds = [json.loads(ln)["kind"] for ln in ok.stdout.splitlines()]
    assert kinds == ["alive", "probe", "state"]
    assert TOKEN not in ok.stdout + ok.stderr
    assert bad.returncode == 1 and "below 0.9" in bad.stderr
    assert usage.returncode == 2 and usage.stderr.count("\n") == 1 and "duration" in usage.stderr


async def test_history_keeps_probe_results(tmp_path: Path, monkeypatch) -> None:
    from oxytui.ops.history import History

    monkeypatch.setenv("OXYTUI_DATA_DIR", str(tmp_path / "data"))
    async with ScriptedServer() as good:
        healthy(good)
        opts = WatchOptions(probe="add 2 3", every=0.01, count=3, history=True, timeout=5)
        w = Watcher(settings(("good", good.url)), opts, io.StringIO(), io.StringIO())
        assert await w.run() == 0
    with History() as h:
        recent = h.recent("good")
    assert [r.source for r in recent] == ["probe"] * 3
    assert all(r.state == "completed" and r.query == "add 2 3" and "5" in r.answer for r in recent)


def test_interval_precedence() -> None:
    nodes = [NodeConfig(name="a", url="http://a:1", probe_every=5.0), NodeConfig(name="b", url="http://b:1")]
    w = Watcher(Settings(nodes=nodes), WatchOptions(), io.StringIO(), io.StringIO())
    assert (w.nodes["a"].every, w.nodes["b"].every) == (5.0, 30.0)
    w = Watcher(Settings(nodes=nodes), WatchOptions(every=2.0), io.StringIO(), io.StringIO())
    assert (w.nodes["a"].every, w.nodes["b"].every) == (2.0, 2.0)  # the command line wins


async def test_a_failed_call_inside_a_probe_fails_it() -> None:
    """The agent answers "Final answer (via boom): boom tool failed ...": the probe still failed."""
    async with ScriptedServer() as boom:
        boom.on("GET", "/check_alive", Json({"alive": 1}))
        boom.on("POST", "/sse/chat", Replay((CAPTURES / "math_boom.sse").read_bytes(), chunk_size=500))
        out, err = io.StringIO(), io.StringIO()
        opts = WatchOptions(probe="boom", every=0.01, count=1, json=True, fail_below=0.9, timeout=5)
        w = Watcher(settings(("boom", boom.url)), opts, out, err)
        code = await w.run()
    by = {(o["node"], o["kind"]): o for o in lines(out)}
    probe = by[("boom", "probe")]
    assert probe["ok"] is False and probe["detail"].startswith("call boom failed: boom tool failed")
    assert by[("boom", "state")]["to"] == "degraded"
    assert w.success_rate == 0.0 and code == 1


async def test_a_down_node_fails_fail_below_even_without_a_probe() -> None:
    """Issue 13: a probe on one node, none on the dead one: its failed checks count, and down fails."""
    async with ScriptedServer() as good:
        healthy(good)
        dead = f"http://127.0.0.1:{free_port()}"
        nodes = [
            NodeConfig(name="good", url=good.url, probe_query="add 2 3"),
            NodeConfig(name="us-stage-dead-01", url=dead),
        ]
        out, err = io.StringIO(), io.StringIO()
        opts = WatchOptions(every=0.01, count=1, fail_below=0.5, timeout=5)
        w = Watcher(Settings(nodes=nodes), opts, out, err)
        code = await w.run()
    assert "us-stage-dead-01 state unknown -> down" in out.getvalue()
    assert w.success_rate == 0.5  # good's probe (1/1) and dead's /check_alive (0/1)
    assert code == 1 and "down or never checked: us-stage-dead-01" in err.getvalue()


async def test_own_probe_ids_are_bounded() -> None:
    """A weeks-long watch remembers only its latest probe trace ids (here a bound of 3), newest kept."""
    async with ScriptedServer() as good:
        healthy(good)
        opts = WatchOptions(probe="add 2 3", every=0.01, count=8, json=True, timeout=5)
        out = io.StringIO()
        w = Watcher(settings(("good", good.url)), opts, out, io.StringIO())
        w.ours_max = 3
        await w.run()
    traces = [o["trace_id"] for o in lines(out) if o["kind"] == "probe"]
    assert len(traces) == 8 and len(set(traces)) == 8
    assert list(w._ours) == traces[-3:]


async def test_a_down_node_says_why() -> None:
    """Tester report: ``alive FAIL 0.020s /check_alive failed`` for every cause; the client knows which."""
    async with ScriptedServer() as sick, ScriptedServer() as slow, ScriptedServer() as odd:
        sick.on("GET", "/check_alive", Status(503, b"maintenance"))
        slow.on("GET", "/check_alive", Silent())
        odd.on("GET", "/check_alive", Json({"alive": 0}))
        nodes = [
            ("refused", f"http://127.0.0.1:{free_port()}"),
            ("dns", "http://no-such-host.invalid:8080"),
            ("sick", sick.url),
            ("slow", slow.url),
            ("odd", odd.url),
        ]
        out, err = io.StringIO(), io.StringIO()
        w = Watcher(settings(*nodes), WatchOptions(every=0.01, count=1, json=True, timeout=0.5), out, err)
        await w.run()
    why = {o["node"]: o["detail"] for o in lines(out) if o["kind"] == "alive"}
    assert "refused" in why["refused"].lower(), why
    assert any(w in why["dns"].lower() for w in ("name", "resolve", "dns")), why
    assert "503" in why["sick"], why
    assert "timed out" in why["slow"] or "timeout" in why["slow"], why
    assert "alive" in why["odd"] and why["odd"] != "/check_alive failed", why
    assert all(TOKEN not in d for d in why.values())
