"""A remote run whose callee node is polled (and finishes) before its caller node lists it: the run must
not end with only the callee's side (a half trace in OTLP, the run counted on the wrong node)."""

from __future__ import annotations

from oxytui.client import SSEOxyGent
from oxytui.ops.traffic import TrafficWatcher
from oxytui.runs import Fleet
from oxytui.sim import NodeKnobs, SimCluster
from tests.integration.test_traffic_watch import other_client

FAST = NodeKnobs(latency_ms=0, token_ms=0, burst_ms=0)


async def test_callee_side_first_waits_for_the_caller_side() -> None:
    async with SimCluster(nodes=2, seed=4, burst_ms=0, knobs=FAST) as c:
        agents = {n: SSEOxyGent(name=n, server_url=u) for n, u in c.urls.items()}
        fleet = Fleet()
        watcher = TrafficWatcher(lambda: agents.values(), fleet)
        try:
            for a in agents.values():  # first polls: what is already there is history
                await watcher.tick(a)
            await other_client(c.urls["master_agent"], "remote add 2 3", "TRcalleeFirst001")
            math = agents["math_agent"]
            for _ in range(6):  # only the callee node, until it has nothing left to poll
                await watcher.tick(math)
            run = fleet.get("TRcalleeFirst001")
            assert run is not None and set(run.records) == {"math_agent"}
            assert not run.ended  # the entry call (on the master) was never seen: not finished yet
            for _ in range(6):
                await watcher.tick(agents["master_agent"])
            assert run.ended and set(run.records) == {"master_agent", "math_agent"}
            assert run.start_node == "master_agent" and run.root is not None
        finally:
            for a in agents.values():
                await a.aclose()
