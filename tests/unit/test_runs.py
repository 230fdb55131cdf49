"""RunStore against real OxyGent captures: call trees across remote hops, error heuristic, log, stats."""

from __future__ import annotations

from pathlib import Path

import pytest

from oxytui.client.events import event_from_comment, event_from_message
from oxytui.client.sse import SSEComment, SSEDecoder
from oxytui.runs import CallStatus, RunState, RunStore, is_error_output, one_line
from oxytui.runs.calltree import MAX_DEPTH, Run
from oxytui.runs.store import ALL, NodeStatus


def feed_capture(
    store: RunStore,
    path: Path,
    node: str,
    trace: str,
    t0: float = 100.0,
    step: float = 0.01,
    query: str = "q",
) -> float:
    store.start_run(node, trace, query, mono=t0, wall=1_700_000_000 + t0)
    dec = SSEDecoder(max_event_size=1 << 24)
    items = dec.feed(path.read_bytes()) + dec.flush()
    t = t0
    for item in items:
        t += step
        meta = {"node": node, "trace_id": trace, "mono": t, "wall": 1_700_000_000 + t}
        if isinstance(item, SSEComment):
            ev = event_from_comment(item, **meta)
        else:
            ev = event_from_message(item, **meta)
        store.add_event(ev)
    return t


def test_remote_hop_tree(captures_dir: Path) -> None:
    store = RunStore()
    end = feed_capture(store, captures_dir / "master_remote_add.sse", "master", "T1")
    run = store.get_run("master", "T1")
    assert run is not None and run.state is RunState.COMPLETED
    assert run.answer and run.end_mono == pytest.approx(end)
    assert [c.callee for c in run.roots] == ["master_agent"]
    master = run.roots[0]
    math = next(c for c in master.children if c.callee == "math_agent")
    assert {c.callee for c in math.children} >= {"default_llm", "add"}
    add = next(c for c in math.children if c.callee == "add")
    assert add.call_stack == ("user", "master_agent", "math_agent", "add")
    assert add.status is CallStatus.DONE and add.output_preview == "5"
    assert all(c.status is not CallStatus.RUNNING for c in run.walk())
    assert run.ttfe == pytest.approx(0.01)


def test_stream_rows_coalesce(captures_dir: Path) -> None:
    store = RunStore()
    feed_capture(store, captures_dir / "master_remote_add.sse", "master", "T1")
    rows = list(store.log.rows)
    streams = [r for r in rows if r.type == "stream"]
    raw_streams = (captures_dir / "master_remote_add.sse").read_bytes().count(b'"type": "stream"')
    assert raw_streams > len(streams) > 0
    assert sum(r.count for r in streams) == raw_streams  # stream_end closes a row, is not a delta
    assert "I should call math_agent" in streams[0].detail()["text"]


def test_a_failed_call_fails_the_run_and_the_health(captures_dir: Path) -> None:
    """The agent still answers ("Final answer (via boom): boom tool failed ..."), but a call inside the
    run failed: the run is failed, so success rates, probes and node status count it (issue 13, 2)."""
    store = RunStore()
    store.add_node("math")
    store.set_alive("math", True, 99.0)
    feed_capture(store, captures_dir / "math_boom.sse", "math", "B")
    run = store.get_run("math", "B")
    assert run is not None and run.state is RunState.FAILED
    assert run.answer.startswith("Final answer (via boom)")  # the answer is kept
    assert run.error.startswith("call boom failed: boom tool failed")
    errs = run.error_calls()
    assert [c.callee for c in errs] == ["boom"]
    assert any(r.error for r in store.log.rows)
    st = store.stats["math"]
    assert (st.completed, st.failed, st.success_total, st.success_rolling) == (0, 1, 0.0, 0.0)
    assert store.stats[ALL].failed == 1
    assert store.status("math") is NodeStatus.DEGRADED


def test_an_error_event_fails_an_answered_run() -> None:
    store = RunStore()
    run = store.start_run("n", "T", "q", 1.0, 1.0)
    run.answer = "42"
    run.error = "RemoteError: upstream hiccup"  # what an `error` event leaves behind
    store.finish_run("n", "T", 2.0, 2.0)
    assert run.state is RunState.FAILED and store.stats["n"].failed == 1


def test_an_explicit_outcome_is_kept_unless_a_call_failed() -> None:
    """Recordings carry the state the recorder saw; a replay applies today's rule to the same events."""
    store = RunStore()
    run = store.start_run("n", "T", "q", 1.0, 1.0)
    assert store.finish_run("n", "T", 2.0, 2.0, state=RunState.COMPLETED) is run
    assert run.state is RunState.COMPLETED  # explicit and nothing failed inside
    run = store.start_run("n", "T2", "q", 3.0, 3.0)
    call = dict(
        caller="agent", callee="boom", category="tool", call_stack=["user", "agent", "boom"], mono=3.1
    )
    run.on_tool_call(node_id="X", arguments={}, **call)  # type: ignore[arg-type]
    run.on_observation(node_id="X", output="boom tool failed on purpose", **call)  # type: ignore[arg-type]
    run.answer = "Final answer (via boom): boom tool failed on purpose"
    store.finish_run("n", "T2", 4.0, 4.0, state=RunState.COMPLETED)
    assert run.state is RunState.FAILED and run.error == "call boom failed: boom tool failed on purpose"
    assert store.finish_run("n", "T3", 5.0, 5.0, state=RunState.CANCELED) is None


def test_remote_down_marks_call_error(captures_dir: Path) -> None:
    store = RunStore()
    feed_capture(store, captures_dir / "master_remote_down.sse", "master", "D")
    run = store.get_run("master", "D")
    assert run is not None
    assert any(c.callee == "math_agent" and c.status is CallStatus.ERROR for c in run.walk())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SSE connection failed after 3 retries: Cannot connect", True),
        ("Unexpected error in SSE connection: SSE event too large (> 524288 bytes)", True),
        ("Error executing oxy add: x", True),
        ("Executing tool slow_tool timed out", True),
        ("No permission for tool: add", True),
        ("Sorry, I seem to have encountered a problem. Please try again.", True),
        ("boom tool failed on purpose (the query asked for boom)", True),
        ("flaky tool failed (fail_rate=0.5)", True),
        ("flaky tool succeeded", False),
        ("Final answer (via add): 5", False),
        (5, False),
        (None, False),
    ],
)
def test_error_heuristic(text: object, expected: bool) -> None:
    assert is_error_output(text) is expected


def test_log_cap_drops_oldest_and_counts() -> None:
    store = RunStore(log_cap=10)
    store.start_run("n", "t", "q", mono=0.0, wall=0.0)
    from oxytui.client.events import ThinkEvent

    for i in range(25):
        store.add_event(
            ThinkEvent(
                node="n",
                trace_id="t",
                mono=1.0 + i,
                wall=1.0 + i,
                content=f"x{i}",
                agent="a",
                raw={"type": "think", "content": f"x{i}"},
            )
        )
    assert len(store.log.rows) == 10
    assert store.log.dropped == 16  # 26 rows (request + 25) - 10
    assert store.log.rows[-1].summary == "a: x24"
    assert [r.seq for r in store.log.since(24)] == [24, 25]


def test_stats_and_status() -> None:
    store = RunStore()
    store.add_node("n", "http://x")
    assert store.status("n") is NodeStatus.CONNECTING
    store.set_alive("n", True, mono=0.0)
    for i in range(10):
        store.start_run("n", f"t{i}", "q", mono=float(i), wall=0.0)
        store.finish_run(
            "n",
            f"t{i}",
            mono=i + 0.1 * (i + 1),
            wall=0.0,
            state=RunState.COMPLETED if i < 5 else RunState.FAILED,
        )
    st = store.stats["n"]
    assert st.runs == 10 and st.completed == 5 and st.failed == 5
    assert st.success_total == 0.5
    assert store.status("n") is NodeStatus.DEGRADED
    p50, _p95, p99 = st.latency_percentiles()
    assert p50 == pytest.approx(0.5) and p99 == pytest.approx(1.0)
    assert store.stats[ALL].runs == 10
    store.set_alive("n", False, mono=20.0)
    assert store.status("n") is NodeStatus.DOWN


def test_rate_series_deterministic() -> None:
    store = RunStore()
    st = store._stats("n")
    for t in (10.1, 10.5, 11.2, 13.9):
        st.on_event(t)
    series = st.rate_series(now=14.0)
    assert series[-5:] == [2.0, 1.0, 0.0, 1.0, 0.0][-5:] or series[-4:] == [2.0, 1.0, 0.0, 1.0]
    assert sum(series) == 4


def test_one_line_strips_controls() -> None:
    s = one_line("a\x1b[31mred\x07\nnext\u202e[@click=app.quit]")
    assert "\x1b" not in s and "\x07" not in s and "\u202e" not in s and "\n" not in s
    assert "[@click=app.quit]" in s


def test_view_timeline_parse_and_gantt() -> None:
    from oxytui.runs.timeline import gantt, parse_view

    payload = {
        "code": 200,
        "message": "SUCCESS",
        "data": {
            "trace_id": "T",
            "nodes": [
                {
                    "node_id": "a",
                    "callee": "master_agent",
                    "node_type": "agent",
                    "call_stack": ["user", "master_agent"],
                    "create_time": "2026-11-24 02:31:27.000000000",
                    "update_time": "2026-11-24 02:31:29.000000000",
                },
                {
                    "node_id": "b",
                    "callee": "add",
                    "node_type": "tool",
                    "call_stack": ["user", "master_agent", "add"],
                    "create_time": "2026-11-24 02:31:28.000000000",
                },
                {"node_id": "bad", "create_time": 5},
                "junk",
            ],
        },
    }
    entries = parse_view(payload)
    assert [(e.callee, e.depth, e.start, e.end) for e in entries] == [
        ("master_agent", 0, 0.0, 2.0),
        ("add", 1, 1.0, None),
    ]
    assert gantt(entries, 21) == [(0, 21), (10, 11)]
    assert parse_view({"code": 404}) == [] and parse_view("x") == []


def _nest(run: Run, names: list[str], node_id: str) -> None:
    run.on_tool_call(
        node_id=node_id,
        caller=names[-2],
        callee=names[-1],
        category="agent",
        call_stack=names,
        arguments={},
        mono=0.0,
    )


def test_call_tree_depth_is_capped_with_a_marker() -> None:
    run = Run("n", "t")
    names = ["user"] + [f"a{i}" for i in range(3 * MAX_DEPTH)]
    for i in range(1, len(names)):
        _nest(run, names[: i + 1], f"N{i}")
    calls = run.walk()
    assert len(calls) == 3 * MAX_DEPTH and calls[0].level == 0 and not calls[0].clipped
    assert [c.level for c in calls[:MAX_DEPTH]] == list(range(MAX_DEPTH))  # true nesting up to the cap
    assert all(c.level == MAX_DEPTH - 1 and c.clipped for c in calls[MAX_DEPTH:])  # then flattened, marked
    assert run.clipped == 2 * MAX_DEPTH
    assert all(c.parent is calls[MAX_DEPTH - 2] for c in calls[MAX_DEPTH - 1 :])


def test_call_tree_parent_is_longest_known_prefix() -> None:
    run = Run("n", "t")
    _nest(run, ["user", "master"], "M")
    _nest(run, ["user", "master", "remote", "math", "add"], "A")  # intermediate hops without own calls
    _nest(run, ["user", "other", "x"], "X")  # no known prefix: a root
    _nest(run, ["user", "master", "remote"], "R")
    _nest(run, ["user", "master", "remote", "math"], "Q")
    by_id = run.calls
    assert by_id["A"].parent is by_id["M"] and by_id["X"].parent is None
    assert by_id["R"].parent is by_id["M"] and by_id["Q"].parent is by_id["R"]
    assert [c.node_id for c in run.roots] == ["M", "X"]


def test_printable_is_the_strict_line_for_printed_output() -> None:
    from oxytui.runs.sanitize import printable

    s = printable("a\x1b]0;t\x07b\u200bc\u202ed\ne\u00a0f" + "x" * 500, 40)
    assert s.isprintable() and len(s) == 40 and s.endswith("…") and s.startswith("a ]0;t b c d e f")
    assert printable({"k": "v\x9b"}, 40) == '{"k": "v�"}'
