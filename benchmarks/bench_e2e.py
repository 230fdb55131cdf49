"""End-to-end client throughput and memory per open stream: our SSEOxyGent vs OxyGent 1.1.3's SSEOxyGent.

A simulated node (``oxytui.sim``, zero burst delay, zero LLM latency, unbounded queue) runs in this process;
each client runs in a fresh process (ours: this repo's venv; OxyGent: the interop venv) and streams
``flood N`` (one LLM call with N deltas). Reported: events/s, client CPU µs per event (user+sys of the
client process: independent of how fast the sim can write) and, with 200 runs held open at once
(``slow 30``), client RSS growth per open stream. Run: ``python benchmarks/bench_e2e.py``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import OURS_PYTHON, BytesServer, fmt, median_of, peer_python, ratio, run_worker, table

FLOOD = 50_000  # the LLM observation joins all deltas: 50k stays under OxyGent's 512 KiB event cap
OPEN_STREAMS = 200


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


# --- workers ------------------------------------------------------------------------------------------------


async def ours(url: str, mode: str, query: str) -> int:
    from oxytui.client import SSEOxyGent, StreamClosed

    count = 0

    async def handler(message: Any, event: Any = None, id: Any = None, retry: Any = None) -> None:
        nonlocal count
        count += 1

    async with SSEOxyGent("math_agent", url, max_retries=0, idle_timeout=None) as agent:
        request = agent.build_request(query)
        if mode == "execute":
            request.set_message_handler(handler)
            response = await agent.execute(request)
            assert response.state.name == "COMPLETED", response.output
        else:
            async for ev in agent.stream(request):
                if type(ev) is not StreamClosed and ev.type != "ping":
                    count += 1
    return count


def _oxygent_request(query: str, counter: list[int]) -> Any:
    from oxygent.schemas import OxyRequest

    class CountingRequest(OxyRequest):
        """OxyGent's request with delivery replaced by a counter (no MAS needed)."""

        async def send_message(
            self, message: Any = None, event: Any = None, id: Any = None, retry: Any = None
        ):
            counter[0] += 1

    return CountingRequest(
        arguments={"query": query}, caller="user", callee="math_agent", call_stack=["user", "math_agent"],
        node_id_stack=["", ""], current_trace_id=os.urandom(8).hex(),
    )  # fmt: skip


async def run_oxygent(url: str, query: str) -> int:
    from oxygent.oxy import SSEOxyGent

    counter = [0]
    agent = SSEOxyGent(name="math_agent", server_url=url)
    response = await agent._execute(_oxygent_request(query, counter))
    assert response.state.name == "COMPLETED", response.output
    return counter[0]


async def hold_open(client: str, url: str, n: int) -> dict[str, float]:
    """Open ``n`` runs that block on the node (``slow 30``); RSS once all have delivered an event."""
    import gc

    first = asyncio.Event()
    seen: set[int] = set()
    before = rss_mb()

    def mark(i: int) -> None:
        seen.add(i)
        if len(seen) == n:
            first.set()

    async def one_ours(agent: Any, i: int) -> None:
        async for _ in agent.stream(agent.build_request("slow 30")):
            mark(i)

    async def one_oxygent(agent: Any, i: int) -> None:
        from oxygent.schemas import OxyRequest

        class Marking(OxyRequest):
            async def send_message(self, *args: Any, **kwargs: Any) -> None:
                mark(i)

        req = Marking(arguments={"query": "slow 30"}, caller="user", callee="math_agent",
                      call_stack=["user", "math_agent"], node_id_stack=["", ""],
                      current_trace_id=os.urandom(8).hex())  # fmt: skip
        await agent._execute(req)

    if client == "ours":
        from oxytui.client import SSEOxyGent

        agent: Any = SSEOxyGent("math_agent", url, max_retries=0, idle_timeout=None)
        before = rss_mb()
        tasks = [asyncio.create_task(one_ours(agent, i)) for i in range(n)]
    else:
        from oxygent.oxy import SSEOxyGent as TheirAgent

        agent = TheirAgent(name="math_agent", server_url=url)
        before = rss_mb()
        tasks = [asyncio.create_task(one_oxygent(agent, i)) for i in range(n)]
    await asyncio.wait_for(first.wait(), 60)
    gc.collect()
    after = rss_mb()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if client == "ours":
        await agent.aclose()
    return {"per_stream_kb": (after - before) * 1024 / n, "rss_mb": after}


def worker(kind: str, url: str, arg: str) -> None:
    kind = kind.replace("before_", "ours_")  # same code path, older oxytui on PYTHONPATH
    if kind.startswith("ours"):
        import oxytui.client  # noqa: F401  (imports before the clock)
    else:
        import oxygent.oxy  # noqa: F401
    if kind.endswith("_mem"):
        print(json.dumps(asyncio.run(hold_open(kind.removesuffix("_mem"), url, int(arg)))))
        return
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    if kind == "oxygent":
        count = asyncio.run(run_oxygent(url, arg))
    else:
        count = asyncio.run(ours(url, kind.removeprefix("ours_"), arg))
    seconds, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    print(
        json.dumps(
            {"events": count, "ev_s": count / seconds, "cpu_us": cpu / count * 1e6, "seconds": seconds}
        )
    )


# --- orchestration ------------------------------------------------------------------------------------------


async def measure(reps: int = 3) -> dict[str, Any]:
    from oxytui.sim import NodeKnobs, SimNode

    peer = peer_python()
    knobs = NodeKnobs(latency_ms=0, token_ms=0, burst_ms=0, queue_max=10**8, ping_interval=3600)
    node = SimNode("math_agent", seed=3, knobs=knobs)
    await node.start(port=0)
    script = Path(__file__)
    thr: dict[str, list[dict[str, Any]]] = {}
    replay: dict[str, list[dict[str, Any]]] = {}
    mem: dict[str, list[dict[str, Any]]] = {}
    try:
        clients = [("ours_stream", OURS_PYTHON), ("ours_execute", OURS_PYTHON)]
        before = os.environ.get("OXYTUI_BENCH_BEFORE")  # a checkout of the previous oxytui: before/after
        if before:
            clients += [("before_stream", OURS_PYTHON), ("before_execute", OURS_PYTHON)]
        if peer is not None:
            clients.append(("oxygent", peer))
        for _ in range(reps):
            for kind, python in clients:
                path = before if kind.startswith("before") else None
                args = ["worker", kind, node.url, f"flood {FLOOD}"]
                thr.setdefault(kind, []).append(await run_worker(python, script, args, pythonpath=path))
        # the same run's bytes, recorded once from the sim and replayed at memory speed: client-bound
        import aiohttp

        async with aiohttp.ClientSession() as session:
            body = {"query": f"flood {FLOOD}", "current_trace_id": "benchreplay00001"}
            async with session.post(node.url + "/sse/chat", json=body) as resp:
                recorded = await resp.read()
        async with BytesServer(recorded) as server:
            base = server.url.rsplit("/sse/chat", 1)[0]
            for _ in range(reps):
                for kind, python in clients:
                    path = before if kind.startswith("before") else None
                    args = ["worker", kind, base, f"flood {FLOOD}"]
                    res = await run_worker(python, script, args, pythonpath=path)
                    replay.setdefault(kind, []).append(res)
        mem_clients = [("ours_mem", OURS_PYTHON)] + ([("oxygent_mem", peer)] if peer else [])
        for kind, python in mem_clients:
            res = await run_worker(python, script, ["worker", kind, node.url, str(OPEN_STREAMS)])
            mem.setdefault(kind, []).append(res)
    finally:
        await node.stop()
    return {"throughput": thr, "replay": replay, "memory": mem}


def _throughput(title: str, thr: dict[str, Any]) -> list[str]:
    rows = []
    for kind, runs in thr.items():
        errors = sorted({r["error"] for r in runs if "error" in r})
        events = {r.get("events") for r in runs if "events" in r}
        rows.append([kind, fmt(median_of(runs, "ev_s")), fmt(median_of(runs, "cpu_us"), ".1f"),
                     ",".join(str(e) for e in sorted(events)), "; ".join(errors)])  # fmt: skip
    out = [title, table(["client", "events/s", "client CPU µs/event", "events delivered", "notes"], rows)]
    ev = {k: median_of(v, "ev_s") for k, v in thr.items()}
    cpu = {k: median_of(v, "cpu_us") for k, v in thr.items()}
    out.append(
        f"\n- ours_execute / oxygent events/s: **{ratio(ev.get('ours_execute'), ev.get('oxygent'))}**, "
        f"ours_stream / oxygent: **{ratio(ev.get('ours_stream'), ev.get('oxygent'))}**; "
        f"CPU per event oxygent / ours_execute: **{ratio(cpu.get('oxygent'), cpu.get('ours_execute'))}**"
    )
    if "before_execute" in ev:
        out.append(
            f"- after / before this change: execute "
            f"**{ratio(ev.get('ours_execute'), ev.get('before_execute'))}**, stream "
            f"**{ratio(ev.get('ours_stream'), ev.get('before_stream'))}** (events/s)"
        )
    return out


def summarise(results: dict[str, Any]) -> str:
    mem = results["memory"]
    out = _throughput(
        f"### flood {FLOOD:,} (one run, {FLOOD:,} LLM deltas), live from a zero-delay sim node\n",
        results["throughput"],
    )
    if results.get("replay"):
        out += _throughput(
            "\n### the same run's bytes recorded from the sim, replayed at memory speed (client-bound)\n",
            results["replay"],
        )
    rows = [
        [kind, fmt(median_of(runs, "per_stream_kb"), ".1f"), fmt(median_of(runs, "rss_mb"), ".0f"),
         "; ".join(sorted({r["error"] for r in runs if "error" in r}))]
        for kind, runs in mem.items()
    ]  # fmt: skip
    out.append(f"\n### memory with {OPEN_STREAMS} streams open at once (`slow 30`)\n")
    out.append(table(["client", "RSS growth per open stream, KB", "client RSS MB", "notes"], rows))
    return "\n".join(out) + "\n"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        worker(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    results = asyncio.run(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 3))
    print(summarise(results))
    out = Path(__file__).resolve().parent / "results" / "e2e.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
