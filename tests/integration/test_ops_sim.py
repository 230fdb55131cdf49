"""Incident tooling against the simulated cluster over real sockets: record -> replay round trip through
the real client, tokens kept out of recordings and exports, watch over live and dead nodes."""

from __future__ import annotations

import gzip
import io
import time

from pydantic import SecretStr

from oxytui.client import RemoteError, SSEOxyGent
from oxytui.config import NodeConfig, Settings
from oxytui.ops.export import run_from_store, stats_to_json, stats_to_prometheus
from oxytui.ops.record import Recorder
from oxytui.ops.replay import Replayer, ReplayReset, apply, load
from oxytui.ops.watch import Watcher, WatchOptions
from oxytui.runs import RunStore
from oxytui.sim import NodeKnobs, SimCluster

FAST = NodeKnobs(latency_ms=2.0, latency_dist="fixed")

TOKEN = "sim-bearer-token-77c1e0"
QUERIES = ["add 2 3", "remote add 2 3", "steps 3", "fail", "boom"]


def snapshot(store: RunStore) -> object:
    runs = {
        key: (
            r.query,
            r.state.value,
            r.answer,
            r.error,
            r.events,
            [
                (c.node_id, c.callee, c.caller, c.status.value, c.output_preview, len(c.children))
                for c in r.walk()
            ],
        )
        for key, r in store.runs.items()
    }
    stats = {n: (s.runs, s.completed, s.failed, s.canceled, s.events) for n, s in store.stats.items()}
    rows = [
        (row.node, row.trace_id, row.type, row.caller, row.callee, row.summary, row.count, row.error)
        for row in store.log.rows
    ]
    return runs, stats, rows


async def test_record_replay_round_trip_through_the_client(tmp_path) -> None:
    path = tmp_path / "incident.jsonl.gz"
    live = RunStore()
    async with SimCluster(nodes=2, seed=7, burst_ms=0, ping_interval=0.05, knobs=FAST) as cluster:
        rec = Recorder(path, secrets=[TOKEN])
        agents = [
            SSEOxyGent(
                name=name, server_url=url, token=TOKEN, wire_tap=rec.wire_tap, max_retries=0, idle_timeout=10
            )
            for name, url in cluster.urls.items()
        ]
        try:
            for agent in agents:
                for q in QUERIES:
                    request = agent.build_request(q)
                    trace = request.current_trace_id
                    wall = time.time()
                    live.start_run(agent.name, trace, q, time.monotonic(), wall)
                    rec.mark("start", agent.name, trace, wall, query=q)
                    try:
                        async for ev in agent.stream(request):
                            live.add_event(ev)
                    except RemoteError as exc:
                        live.finish_run(agent.name, trace, time.monotonic(), time.time(), error=str(exc))
                        rec.mark("finish", agent.name, trace, error=str(exc))
        finally:
            for agent in agents:
                await agent.aclose()
            rec.close()
    assert rec.error is None and rec.events > 20
    records, damage = load(path)
    assert damage is None
    replayed = RunStore()
    async for item in Replayer(records, speed=0).items():
        assert not isinstance(item, ReplayReset)
        apply(replayed, item)
    assert snapshot(replayed) == snapshot(live)
    assert len(live.runs) == 2 * len(QUERIES)
    by_query = {r.query: r for r in live.runs.values()}
    assert by_query["add 2 3"].state.value == "completed" and by_query["add 2 3"].answer
    assert any(c.status.value == "error" for c in by_query["boom"].walk())
    # the token went to the nodes in headers, never into the recording or any export
    raw = gzip.decompress(path.read_bytes()).decode()
    assert TOKEN not in raw and "Bearer" not in raw
    exported = stats_to_json(live.stats) + stats_to_prometheus(live.stats)
    exported += str([run_from_store(live, *key) for key in live.runs])
    exported += str([a.get_connection_stats() for a in agents])
    assert TOKEN not in exported


async def test_watch_over_the_sim_cluster() -> None:
    async with SimCluster(nodes=2, dead_nodes=1, seed=3, burst_ms=0, knobs=FAST) as cluster:
        nodes = [NodeConfig(name=n, url=u, token=SecretStr(TOKEN)) for n, u in cluster.urls.items()]
        out, err = io.StringIO(), io.StringIO()
        opts = WatchOptions(probe="add 2 3", every=0.01, count=2, fail_below=0.6, timeout=10)
        w = Watcher(Settings(nodes=nodes), opts, out, err)
        code = await w.run()
    states = {n: s.state for n, s in w.nodes.items()}
    dead = list(cluster.urls)[-1]
    assert states.pop(dead) == "down" and set(states.values()) == {"up"}
    assert w.success_rate == 4 / 6  # above --fail-below 0.6, but a node ended down: that fails it
    assert code == 1 and f"down or never checked: {dead}" in err.getvalue()
    assert TOKEN not in out.getvalue()
    metrics = w.metrics_text()
    assert f'oxytui_node_up{{node="{dead}"}} 0' in metrics


async def test_watch_prints_hostile_answers_without_control_characters() -> None:
    async with SimCluster(nodes=1, seed=1, burst_ms=0, knobs=FAST) as cluster:
        ((name, url),) = cluster.urls.items()
        out = io.StringIO()
        opts = WatchOptions(probe="hostile", every=0.01, count=1, timeout=10)
        w = Watcher(Settings(nodes=[NodeConfig(name=name, url=url)]), opts, out, io.StringIO())
        await w.run()
    text = out.getvalue()
    assert " probe " in text
    assert all(ch.isprintable() or ch == "\n" for ch in text), repr(text)
