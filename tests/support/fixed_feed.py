"""A fixed, deterministic event sequence (fixed times, ids and text) for snapshots and screenshots.

It reproduces the shapes of real captures (remote hop, streaming LLM, failing tool, dead node, hostile
text) so pictures show every pane populated without any network or clock.
"""

from __future__ import annotations

from typing import Any

from oxytui.client.events import (
    AnswerEvent,
    KeepAlive,
    ObservationEvent,
    OxyEvent,
    StreamClosed,
    StreamEndEvent,
    StreamEvent,
    ThinkEvent,
    ToolCallEvent,
)
from oxytui.runs import RunStore

WALL0 = 1_795_000_000.0
"""2026-11-18 08:26:40 UTC: a fixed wall clock origin."""

NODES = {
    "master": "http://127.0.0.1:18080",
    "math": "http://127.0.0.1:18081",
    "dead": "http://127.0.0.1:18089",
}

ORG_MATH: dict[str, Any] = {
    "name": "math_agent",
    "type": "agent",
    "path": ["math_agent"],
    "children": [
        {"name": n, "type": "tool", "path": ["math_agent", n]} for n in ("add", "boom", "slow_tool", "flaky")
    ],
}
ORG_MASTER: dict[str, Any] = {
    "name": "master_agent",
    "type": "agent",
    "path": ["master_agent"],
    "children": [
        {
            "name": "math_agent",
            "type": "agent",
            "path": ["master_agent", "math_agent"],
            "children": [
                {**c, "path": ["master_agent", "math_agent", c["name"]], "is_remote": True}
                for c in ORG_MATH["children"]
            ],
        },
        {"name": "now", "type": "tool", "path": ["master_agent", "now"]},
    ],
}

HOSTILE = "[@click=app.quit]click me[/] \x1b[2J\x1b]0;pwned\x07 [bold red]not bold[/]"


class _Feed:
    def __init__(self, store: RunStore) -> None:
        self.store = store
        self.t = 100.0
        self.n = 0

    def ev(self, cls: type[OxyEvent], node: str, trace: str, dt: float = 0.05, **kw: Any) -> None:
        self.t += dt
        self.n += 1
        kind = cls().type
        raw = kw.pop("raw", None) or {
            "type": kind,
            "content": {k: v for k, v in kw.items() if k not in ("current_trace_id",)},
        }
        self.store.add_event(
            cls(
                node=node,
                trace_id=trace,
                mono=self.t,
                wall=WALL0 + self.t,
                sse_id=f"id{self.n:06d}",
                raw=raw,
                **kw,
            )
        )

    def call(
        self,
        node: str,
        trace: str,
        nid: str,
        caller: str,
        callee: str,
        cat: str,
        stack: list[str],
        query: str | None = None,
        dt: float = 0.05,
    ) -> None:
        args = {"query": query} if query else {}
        self.ev(
            ToolCallEvent, node, trace, dt, **_call_fields(nid, caller, callee, cat, stack), arguments=args
        )

    def obs(
        self,
        node: str,
        trace: str,
        nid: str,
        caller: str,
        callee: str,
        cat: str,
        stack: list[str],
        output: Any,
        dt: float = 0.05,
    ) -> None:
        self.ev(
            ObservationEvent,
            node,
            trace,
            dt,
            **_call_fields(nid, caller, callee, cat, stack),
            output=output,
            current_trace_id=trace,
        )

    def llm(
        self, node: str, trace: str, nid: str, agent: str, stack: list[str], reply: str, end: bool = True
    ) -> None:
        self.call(node, trace, nid, agent, "default_llm", "llm", [*stack, "default_llm"])
        for i in range(0, len(reply), 12):
            self.ev(StreamEvent, node, trace, 0.015, delta=reply[i : i + 12], agent=agent, node_id=nid)
        if end:
            self.ev(StreamEndEvent, node, trace, 0.01, delta="", agent=agent, node_id=nid)
            self.obs(node, trace, nid, agent, "default_llm", "llm", [*stack, "default_llm"], reply)

    def answer(self, node: str, trace: str, text: str) -> None:
        self.ev(
            AnswerEvent,
            node,
            trace,
            raw={"type": "answer", "content": text, "current_trace_id": trace},
            content=text,
            current_trace_id=trace,
        )
        self.ev(StreamClosed, node, trace, 0.01, raw="done")

    def start(self, node: str, trace: str, query: str, group: str = "", dt: float = 0.2) -> None:
        self.t += dt
        self.store.start_run(node, trace, query, mono=self.t, wall=WALL0 + self.t, group=group)


def fill(store: RunStore, *, live: bool = True) -> RunStore:
    """Populate ``store`` with the fixed scenario; ``live`` leaves one slow run in progress."""
    f = _Feed(store)
    for name, url in NODES.items():
        store.add_node(name, url)
    store.set_org("master", ORG_MASTER)
    store.set_org("math", ORG_MATH)
    store.set_alive("master", True, 100.0)
    store.set_alive("math", True, 100.0)
    store.set_alive("dead", False, 100.0, "Cannot connect to host 127.0.0.1:18089")
    ma, mm = ["user", "master_agent"], ["user", "master_agent", "math_agent"]
    # 1. remote hop: master -> math_agent (remote) -> add
    f.start("master", "TRremote00000001", "remote add 2 3")
    f.call("master", "TRremote00000001", "N1", "user", "master_agent", "agent", ma, "remote add 2 3")
    f.llm(
        "master",
        "TRremote00000001",
        "L1",
        "master_agent",
        ma,
        '{"think": "I should call math_agent.", "tool_name": "math_agent"}',
    )
    f.ev(
        ThinkEvent,
        "master",
        "TRremote00000001",
        content="I should call math_agent.",
        agent="master_agent",
        raw={"type": "think", "content": "I should call math_agent.", "agent": "master_agent"},
    )
    f.call("master", "TRremote00000001", "N2", "master_agent", "math_agent", "agent", mm, "add 2 3")
    f.llm(
        "master",
        "TRremote00000001",
        "L2",
        "math_agent",
        mm,
        '{"think": "I should call add.", "tool_name": "add", "arguments": {"a": 2, "b": 3}}',
    )
    f.call("master", "TRremote00000001", "N3", "math_agent", "add", "tool", [*mm, "add"], dt=0.1)
    f.obs("master", "TRremote00000001", "N3", "math_agent", "add", "tool", [*mm, "add"], 5)
    f.obs(
        "master",
        "TRremote00000001",
        "N2",
        "master_agent",
        "math_agent",
        "agent",
        mm,
        "Final answer (via add): 5",
        dt=0.1,
    )
    f.obs(
        "master",
        "TRremote00000001",
        "N1",
        "user",
        "master_agent",
        "agent",
        ma,
        "Final answer (via math_agent): 5",
    )
    f.answer("master", "TRremote00000001", "Final answer (via math_agent): 5")
    # 2. a failing tool on math
    m1 = ["user", "math_agent"]
    f.start("math", "TRboom0000000002", "boom")
    f.call("math", "TRboom0000000002", "B1", "user", "math_agent", "agent", m1, "boom")
    f.call("math", "TRboom0000000002", "B2", "math_agent", "boom", "tool", [*m1, "boom"])
    f.obs(
        "math",
        "TRboom0000000002",
        "B2",
        "math_agent",
        "boom",
        "tool",
        [*m1, "boom"],
        "boom tool failed on purpose (the query asked for boom)",
    )
    f.obs(
        "math", "TRboom0000000002", "B1", "user", "math_agent", "agent", m1, "Final answer (via boom): failed"
    )
    f.answer("math", "TRboom0000000002", "Final answer (via boom): boom tool failed on purpose")
    # 3. hostile remote text: must render literally, nothing clickable, no escape sequences
    f.start("math", "TRhostile0000003", "hostile")
    f.call("math", "TRhostile0000003", "H1", "user", "math_agent", "agent", m1, HOSTILE)
    f.ev(
        ThinkEvent,
        "math",
        "TRhostile0000003",
        content=HOSTILE,
        agent="math_agent",
        raw={"type": "think", "content": HOSTILE, "agent": "math_agent"},
    )
    f.obs("math", "TRhostile0000003", "H1", "user", "math_agent", "agent", m1, HOSTILE)
    f.answer("math", "TRhostile0000003", HOSTILE)
    # 4. fan-out "add 2 3" to every node, dead one fails
    for node in ("master", "math"):
        f.start(node, f"TRfan{node:0>11}", "add 2 3", group="G1", dt=0.0)
    stack = {"master": ["user", "master_agent"], "math": ["user", "math_agent"]}
    for node in ("master", "math"):
        s = stack[node]
        tr = f"TRfan{node:0>11}"
        f.call(node, tr, f"F{node}", "user", s[-1], "agent", s, "add 2 3")
        f.call(node, tr, f"A{node}", s[-1], "add", "tool", [*s, "add"])
        f.obs(node, tr, f"A{node}", s[-1], "add", "tool", [*s, "add"], 5)
        f.obs(node, tr, f"F{node}", "user", s[-1], "agent", s, f"Final answer (via add): 5 [{node}]")
        f.answer(node, tr, f"Final answer (via add): 5 [{node}]")
    f.start("dead", "TRfandead0000000", "add 2 3", group="G1", dt=0.0)
    f.t += 0.01
    store.finish_run(
        "dead",
        "TRfandead0000000",
        mono=f.t,
        wall=WALL0 + f.t,
        error="dead: cannot connect to http://127.0.0.1:18089 (connection refused)",
    )
    f.ev(KeepAlive, "master", "TRremote00000001", 0.0, raw=": ping", text="ping")
    if live:  # 5. a slow run still streaming on master
        tr = "TRslow0000000005"
        f.start("master", tr, "slow 1.5")
        f.call("master", tr, "S1", "user", "master_agent", "agent", ma, "slow 1.5")
        f.llm("master", tr, "SL", "master_agent", ma, '{"think": "The slow tool takes a while', end=False)
    return store


def _call_fields(nid: str, caller: str, callee: str, cat: str, stack: list[str]) -> dict[str, Any]:
    """The fields a tool_call and its observation share (OxyGent pairs them by ``node_id``)."""
    return {
        "node_id": nid,
        "caller": caller,
        "callee": callee,
        "caller_category": "user" if caller == "user" else "agent",
        "callee_category": cat,
        "call_stack": stack,
    }
