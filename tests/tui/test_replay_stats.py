"""A replay's panes end where ``oxytui export`` of the same file ends (tester report: the Stats and Nodes
panes kept a mid-replay snapshot because the last changes came within the tables' 0.5 s refresh gap)."""

from __future__ import annotations

import asyncio
import io
import json
from contextlib import redirect_stdout
from pathlib import Path

from oxytui.client.sse import SSEMessage
from oxytui.config import Settings
from oxytui.ops.export import export_recording
from oxytui.ops.record import Recorder
from oxytui.tui.replay import ReplayController, make_replay_app
from oxytui.tui.text import fmt_pct, fmt_secs

SIZE = (160, 45)
RUNS = [  # (trace, query, start, seconds, outcome)
    ("T1", "remote add 2 3", 100.0, 0.72, "completed"),
    ("T2", "boom", 101.0, 0.71, "failed"),
    ("T3", "hostile", 102.0, 0.51, "completed"),
    ("T4", "remote add 4 5", 102.6, 0.70, "completed"),
]


def _record(path: Path) -> None:
    """Four runs the way the dashboard records them (start mark, SSE messages, finish mark), one failed."""
    with Recorder(path) as rec:
        for trace, query, t0, secs, outcome in RUNS:
            rec.mark("start", "n1", trace, t0, query=query)
            think = json.dumps({"type": "think", "content": "hm"})
            rec.wire_tap("n1", trace, SSEMessage("message", think, f"{trace}a", None, 30), t0 + 0.1)
            if outcome == "failed":  # OxyGent's failed-tool shape: the agent still answers around it
                call = {"node_id": "c1", "caller": "math_agent", "callee": "boom", "callee_category": "tool"}
                call |= {"call_stack": ["user", "math_agent", "boom"], "output": "boom tool failed"}
                obs = json.dumps({"type": "observation", "content": call})
                rec.wire_tap("n1", trace, SSEMessage("message", obs, f"{trace}o", None, 30), t0 + 0.2)
            answer = json.dumps({"type": "answer", "content": f"answer to {query}"})
            rec.wire_tap("n1", trace, SSEMessage("message", answer, f"{trace}b", None, 30), t0 + secs)
            rec.wire_tap("n1", trace, SSEMessage("close", "done", f"{trace}c", None, 30), t0 + secs)
            error = "call boom failed: boom tool failed" if outcome == "failed" else ""
            rec.mark("finish", "n1", trace, t0 + secs, state=outcome, error=error)


async def until(pilot, cond, limit: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not cond():
        if loop.time() > end:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.05)


async def test_replay_panes_end_with_export_figures(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl.gz"
    _record(path)
    out = io.StringIO()
    with redirect_stdout(out):
        assert export_recording(path, "json") == 0
    (row,) = json.loads(out.getvalue())["nodes"]
    assert (row["runs"], row["success_rate"]) == (4, 0.75)

    app = make_replay_app(Settings(), path, step=True)
    async with app.run_test(size=SIZE) as pilot:
        ctl = app.controller
        assert isinstance(ctl, ReplayController)
        await until(pilot, lambda: ctl.replayer is not None)
        table = lambda: str(app.main.query_one("#stats-table").render())  # noqa: E731

        def all_row() -> list[str]:
            return next(line.split() for line in table().splitlines() if line.split()[:1] == ["all"])

        ctl.step()  # the first start: the tables show it at their next refresh...
        await until(pilot, lambda: all_row()[1] == "1")
        ctl.replayer.step(len(ctl.replayer.records))  # ...and the rest comes right after that refresh
        await until(pilot, lambda: ctl.finished)
        p50 = fmt_secs(row["latency_p50_seconds"])
        want = ["all", "4", fmt_pct(0.75), fmt_pct(0.75), fmt_secs(row["latency_avg_seconds"]), p50]
        try:
            await until(pilot, lambda: all_row()[:6] == want, 3.0)
        except AssertionError:
            raise AssertionError(f"stats pane does not end at {want}:\n{table()}") from None
        assert "latency, last 4 runs" in str(app.main.query_one("#lat-label").render())
        assert not app.store.live_runs()
        assert all(str(cell).strip() in ("", "0") for cell in app.main.nodes.get_column("act"))  # none live
