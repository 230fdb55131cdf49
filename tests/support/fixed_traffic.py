"""Fixed, deterministic fleet traffic on top of :mod:`tests.support.fixed_feed`: runs other people started,
as the nodes' own records (``/history_with_ratings`` and ``/view`` bodies in the captured shapes), parsed
by the real client parsers and merged by the real fleet model. No network, no clock.

Scenario: a remote hop master → math with LLM tokens, a tool failing by node state on math while the
answer reads fine, an in-flight run on master, a hostile callee name and output, the dashboard's own
remote run (``TRremote00000001``) merged with both nodes' records, and a node keeping no records.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from oxytui.client.records import parse_history, parse_view
from oxytui.runs import Fleet, FleetEvent, RunStore, Source
from oxytui.runs.fleetlog import apply_fleet_events
from tests.support.fixed_feed import HOSTILE, WALL0

SECRET = "SECRET-TOKEN-fixed-777"
"""A bearer token the "other user" sent: it must appear in no cell of any screen."""


def _time(offset: float) -> str:
    """Node-local time as OxyGent writes it (the nodes here run on UTC): nine fraction digits."""
    dt = datetime.fromtimestamp(WALL0 + offset, tz=UTC).replace(tzinfo=None)
    return dt.strftime("%Y-%m-%d %H:%M:%S.%f") + "000"


def _date(offset: float) -> datetime:
    return datetime.fromtimestamp(int(WALL0 + offset), tz=UTC)


class _Trace:
    """Records of one trace, per node, in OxyGent's ``/view`` record shape."""

    def __init__(self, trace_id: str, query: str, headers: dict[str, str] | None = None) -> None:
        self.trace_id = trace_id
        self.query = query
        self.headers = headers or {"host": "127.0.0.1:18080", "user-agent": "curl/8.5.0"}
        self.nodes: dict[str, list[dict[str, Any]]] = {}

    def rec(
        self,
        node: str,
        node_id: str,
        father: str,
        node_type: str,
        caller: str,
        callee: str,
        stack: list[str],
        start: float,
        end: float | None,
        *,
        state: int = 3,
        args: Any = None,
        output: Any = "",
        tokens: tuple[int, int] | None = None,
    ) -> None:
        record: dict[str, Any] = {
            "node_id": node_id,
            "node_type": node_type,
            "trace_id": self.trace_id,
            "group_id": "G" + self.trace_id[2:10],
            "caller": caller,
            "callee": callee,
            "father_node_id": father,
            "call_stack": stack,
            "node_id_stack": ["", node_id],
            "shared_data": json.dumps({"query": self.query, "_headers": self.headers}),
            "create_time": _time(start),
            "index": len(self.nodes.get(node, [])),
        }
        if end is not None:
            extra: dict[str, Any] = {}
            if tokens is not None:
                extra["usage"] = {
                    "input_tokens": tokens[0],
                    "output_tokens": tokens[1],
                    "total_tokens": sum(tokens),
                    "model_name": "fake-react-1",
                }
            arguments = args if args is not None else {"query": self.query}
            record |= {
                "update_time": _time(end),
                "state": state,
                "input": json.dumps({"class_attr": {"class_name": "X"}, "arguments": arguments}),
                "output": output if isinstance(output, str) else json.dumps(output),
                "extra": json.dumps(extra),
            }
        self.nodes.setdefault(node, []).append(record)

    def view(self, node: str) -> dict[str, Any]:
        return {
            "code": 200,
            "message": "SUCCESS",
            "data": {"nodes": self.nodes[node], "trace_id": self.trace_id},
        }


def _history(node: str, traces: list[tuple[_Trace, float, str]]) -> dict[str, Any]:
    groups = [
        {
            "group_id": "G" + t.trace_id[2:10],
            "latest_create_time": _time(start),
            "conversations": [
                {
                    "trace_id": t.trace_id,
                    "input": json.dumps({"query": t.query, "short_memory": []}),
                    "callee": f"{node}_agent",
                    "output": output,
                    "create_time": _time(start),
                    "from_trace_id": "",
                    "rating_stats": None,
                    "rating_history": [],
                }
            ],
        }
        for t, start, output in sorted(traces, key=lambda x: -x[1])
    ]
    data = {"conversation_groups": groups, "total": len(groups), "page": 1, "page_size": 10, "total_pages": 1}
    return {"code": 200, "message": "SUCCESS", "data": data}


def _scenario() -> list[tuple[_Trace, float, str, list[str]]]:
    """``(trace, start offset, answer, nodes)``; an empty answer means in flight."""
    ma, mm = ["user", "master_agent"], ["user", "master_agent", "math_agent"]
    # someone's remote hop: master -> math_agent (remote) -> add; LLM tokens on both nodes
    hop = _Trace("TRtrafficHop0001", "remote add 7 8", {"authorization": f"Bearer {SECRET}", "host": "m"})
    hop.rec("master", "H1", "", "agent", "user", "master_agent", ma, 90.0, 91.2, output="15")
    hop.rec("master", "H1L", "H1", "llm", "master_agent", "default_llm", [*ma, "default_llm"], 90.05, 90.3,
            args={"messages": [{"role": "user", "content": "remote add 7 8"}]},
            output='{"tool_name": "math_agent"}', tokens=(600, 30))  # fmt: skip
    hop.rec("master", "H2", "H1", "agent", "master_agent", "math_agent", mm, 90.35, 91.1,
            args={"query": "add 7 8"}, output="Final answer (via add): 15")  # fmt: skip
    hop.rec("math", "H2", "H1", "agent", "master_agent", "math_agent", mm, 90.45, 91.0,
            args={"query": "add 7 8"}, output="Final answer (via add): 15")  # fmt: skip
    hop.rec("math", "H3L", "H2", "llm", "math_agent", "default_llm", [*mm, "default_llm"], 90.5, 90.8,
            args={"messages": [{"role": "user", "content": "add 7 8"}]},
            output='{"tool_name": "add"}', tokens=(640, 40))  # fmt: skip
    hop.rec("math", "H4", "H2", "tool", "math_agent", "add", [*mm, "add"], 90.85, 90.9,
            args={"a": 7, "b": 8}, output=15)  # fmt: skip
    # someone's failing tool: state FAILED while the answer reads like a success
    boom = _Trace("TRtrafficBoom002", "boom again")
    m1 = ["user", "math_agent"]
    boom.rec(
        "math", "B1", "", "agent", "user", "math_agent", m1, 95.0, 95.6, output="Final answer (via boom): ok"
    )
    boom.rec("math", "B2", "B1", "tool", "math_agent", "boom", [*m1, "boom"], 95.1, 95.4, state=4,
             args={}, output="boom tool failed on purpose")  # fmt: skip
    # hostile callee name and output
    bad = _Trace("TRtrafficEvil003", HOSTILE)
    bad.rec("math", "E1", "", "agent", "user", "math_agent", m1, 97.0, 97.5, output="done")
    bad.rec("math", "E2", "E1", "tool", "math_agent", HOSTILE, [*m1, HOSTILE], 97.1, 97.3, state=4,
            args={"q": HOSTILE}, output=HOSTILE)  # fmt: skip
    # in flight on master: the root has no state yet
    slow = _Trace("TRtrafficSlow004", "slow 30")
    slow.rec("master", "S1", "", "agent", "user", "master_agent", ma, 103.0, None)
    ask = {"messages": [{"role": "user", "content": "slow 30"}]}
    slow.rec("master", "S1L", "S1", "llm", "master_agent", "default_llm", [*ma, "default_llm"], 103.1, 103.9,
             args=ask, output="{}", tokens=(500, 12))  # fmt: skip
    # the dashboard's own remote run, as both nodes recorded it (merged, not shown twice)
    own = _Trace("TRremote00000001", "remote add 2 3")
    own.rec(
        "master",
        "N1",
        "",
        "agent",
        "user",
        "master_agent",
        ma,
        100.25,
        101.15,
        output="Final answer (via math_agent): 5",
    )
    own.rec("master", "N2", "N1", "agent", "master_agent", "math_agent", mm, 100.6, 101.0,
            args={"query": "add 2 3"}, output="Final answer (via add): 5")  # fmt: skip
    own.rec("math", "N2", "N1", "agent", "master_agent", "math_agent", mm, 100.65, 100.95,
            args={"query": "add 2 3"}, output="Final answer (via add): 5")  # fmt: skip
    own.rec(
        "math",
        "N3",
        "N2",
        "tool",
        "math_agent",
        "add",
        [*mm, "add"],
        100.8,
        100.85,
        args={"a": 2, "b": 3},
        output=5,
    )
    return [
        (hop, 90.0, "15", ["master", "math"]),
        (boom, 95.0, "Final answer (via boom): ok", ["math"]),
        (bad, 97.0, "done", ["math"]),
        (own, 100.25, "Final answer (via math_agent): 5", ["master", "math"]),
        (slow, 103.0, "", ["master"]),
    ]


def fill_traffic(store: RunStore, fleet: Fleet | None = None) -> Fleet:
    """Feed the scenario through the real parsers and fleet model into ``fleet`` and ``store``."""
    fleet = fleet or Fleet()
    scenario = _scenario()
    seen = float(math.ceil(max(store.last_mono, 104.0) + 0.5))  # every poll "happens" now: after the feed
    wall, date = WALL0 + seen, _date(seen)
    fleet.claim("TRremote00000001", Source.MINE, "master", "remote add 2 3", WALL0 + 100.2)
    events: list[FleetEvent] = []
    for node in ("master", "math"):
        listed = [(t, start, answer) for t, start, answer, nodes in scenario if node == nodes[0]]
        events += fleet.observe_history(node, parse_history(_history(node, listed), node), wall, date)
    for trace, _start, answer, nodes in scenario:
        for node in nodes:
            view = parse_view(trace.view(node), node, trace.trace_id)
            events += fleet.apply_view(node, view, wall, date)
        if answer:
            events += fleet.finish(trace.trace_id, wall)
    fleet.set_no_records("dead", "no /history_with_ratings here (HTTP 404)")
    apply_fleet_events(store, events, store.last_mono, WALL0 + store.last_mono)
    return fleet
