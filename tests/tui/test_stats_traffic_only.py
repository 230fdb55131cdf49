"""Tester report: a node whose runs all come from other clients showed ``ev/s 0`` (traffic runs are read
from the node's records, no event stream): it says "—" and why, instead of a misleading 0."""

from __future__ import annotations

from oxytui.config import NodeConfig, Settings
from oxytui.runs import RunStore
from oxytui.tui.app import OxyApp

SIZE = (160, 45)


class Ev:
    """A typed event as the client builds it (duck-typed by RunStore.add_event)."""

    def __init__(self, node: str, trace: str, mono: float, kind: str = "think") -> None:
        self.type, self.node, self.trace_id, self.mono, self.wall = kind, node, trace, mono, 1e9 + mono
        self.agent, self.summary, self.raw = "a", "hm", {"type": kind}


def _store() -> RunStore:
    store = RunStore()
    for name in ("theirs", "mine"):
        store.add_node(name, f"http://127.0.0.1:9/{name}")
        store.set_alive(name, True, 0.0)
    for i in range(3):  # other clients' runs, seen in the node's records
        store.start_run("theirs", f"T{i}", "q", 1.0 + i, 1e9, group="traffic", source="traffic")
        store.finish_run("theirs", f"T{i}", 1.5 + i, 1e9)
    store.start_run("mine", "M1", "q", 3.0, 1e9)  # one of ours, streamed
    for k in range(4):
        store.add_event(Ev("mine", "M1", 3.1 + k * 0.1))
    return store


def _rows(app: OxyApp) -> dict[str, list[str]]:
    text = str(app.main.query_one("#stats-table").render())
    return {line.split()[0]: line.split() for line in text.splitlines()[1:] if line.split()}


async def test_traffic_only_rates_say_no_stream() -> None:
    nodes = [NodeConfig(name=n, url=f"http://127.0.0.1:9/{n}") for n in ("theirs", "mine")]
    app = OxyApp(Settings(nodes=nodes), store=_store(), frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        rows = _rows(app)
        assert rows["theirs"][1] == "3" and rows["theirs"][-2:] == ["—", "—"], rows  # ttfe, ev/s
        assert rows["mine"][-1] != "—" and rows["all"][-1] != "—", rows  # our stream has a rate
        app.main.set_focus_node("theirs")
        await pilot.pause()
        app.main.flush(app.clock(), app.frame(), force=True)
        await pilot.pause()
        label = str(app.main.query_one("#rate-label").render())
        chart = str(app.main.query_one("#rate-spark").render())
        assert "traffic runs carry no event stream" in label + chart, (label, chart)
