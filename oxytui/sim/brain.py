"""The deterministic "brain" of a simulated agent: a query becomes a ReAct plan (pure, no I/O).

Steering words are read left to right; each one adds a step (see the package docstring for the list).
Everything random comes from the ``random.Random`` handed in, so a seeded rng gives the same plan.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any, Literal

from .faults import HOSTILE, HOSTILE_THINK, HTTP_FAULTS, STREAM_FAULTS
from .framing import to_json

__all__ = [
    "COMMON_TOOLS",
    "ROLE_TOOLS",
    "TOOL_DESCRIPTIONS",
    "AgentSpec",
    "Plan",
    "Step",
    "big_text",
    "direct_call_plan",
    "final_text",
    "llm_tool_text",
    "make_plan",
    "run_tool",
    "split_think",
]

TOOL_DESCRIPTIONS: dict[str, str] = {
    "now": "Current date and time.",
    "echo": "Repeat a text verbatim.",
    "boom": "Always fails (test tool).",
    "slow_tool": "Sleeps for a while (test tool).",
    "big_output": "Returns a very large text (test tool).",
    "flaky": "Fails on request or at random (test tool).",
    "add": "Add two numbers.",
    "multiply": "Multiply two numbers.",
    "search": "Search the web (simulated).",
    "fetch_page": "Fetch a web page (simulated).",
    "run_code": "Run a code snippet (simulated).",
    "lookup": "Look up a record (simulated).",
}
COMMON_TOOLS = ("now", "echo", "boom", "slow_tool", "big_output", "flaky")
ROLE_TOOLS: dict[str, tuple[str, ...]] = {
    "math_agent": ("add", "multiply"),
    "research_agent": ("search", "fetch_page"),
    "code_agent": ("run_code",),
}
_TEST_TOOLS = frozenset({"echo", "boom", "slow_tool", "big_output", "flaky"})
_BIG_LINE = "line {:06d}: the quick brown fox jumps over the lazy dog\n"
_SUMMARY_CHARS = 300
MAX_BIG = 64 * 2**20
"""Largest ``big``/``oversized`` output (characters): a query must not be able to exhaust memory."""
MAX_FLOOD = 1_000_000
UNICODE_TEXT = "héllo ✓ 中文 — line\u2028separator and tab\tend"
MULTILINE_TEXT = "line one\nline two\n\nline four"
_TOPICS = ("asyncio", "SSE framing", "OxyGent", "Textual", "backpressure", "p99 latency", "ReAct agents")


@dataclass(slots=True)
class AgentSpec:
    """What one node's agent can do: its local tools and its remote sub-agents (name -> their tools)."""

    name: str
    tools: tuple[str, ...]
    remotes: dict[str, frozenset[str]] = field(default_factory=dict)
    description: str = ""


@dataclass(slots=True)
class Step:
    """One ReAct step. ``kind``: tool | remote | missing (no such tool anywhere) | fault | flood,
    or ``call``: the request's ``callee`` is this tool, run directly without the agent."""

    kind: Literal["tool", "remote", "missing", "fault", "flood", "call"]
    name: str
    args: dict[str, Any] = field(default_factory=dict)
    value: Any = None


@dataclass(slots=True)
class Plan:
    steps: list[Step]
    direct: str | None = None
    """Answer text when no tool is needed."""
    direct_think: str = "No tool is needed for this query."
    http_fault: str | None = None


def _num(word: str) -> int | float | None:
    try:
        return int(word)
    except ValueError:
        try:
            value = float(word)
        except ValueError:
            return None
        return value if value == value and abs(value) != float("inf") else None


def _take_num(words: list[str], i: int) -> tuple[int | float | None, int]:
    """The number right after position ``i`` (and the index after it), or None."""
    if i + 1 < len(words):
        value = _num(words[i + 1])
        if value is not None:
            return value, i + 2
    return None, i + 1


def default_args(tool: str, rng: random.Random) -> tuple[dict[str, Any], Any]:
    """Arguments (as the LLM writes them) and the hidden value for a tool picked by ``steps N``."""
    if tool in ("add", "multiply"):
        return {"a": rng.randint(1, 99), "b": rng.randint(1, 99)}, None
    if tool == "search":
        return {"query": rng.choice(_TOPICS)}, None
    if tool == "fetch_page":
        return {"url": f"https://example.com/{rng.randint(1, 999)}"}, None
    if tool == "run_code":
        return {"code": f"print({rng.randint(2, 9)} ** {rng.randint(2, 9)})"}, None
    if tool == "lookup":
        return {"key": f"rec-{rng.randint(1000, 9999)}"}, None
    if tool == "echo":
        return {"text": "ok"}, "ok"
    return {}, None


def _sub_query(tools: frozenset[str], rng: random.Random) -> str:
    """A query a remote with these tools can answer (used when a master's ``steps`` go remote)."""
    for tool, query in (("add", "add"), ("search", "search"), ("run_code", "run_code"), ("lookup", "lookup")):
        if tool in tools:
            return f"{query} {rng.randint(1, 99)} {rng.randint(1, 99)}" if tool == "add" else query
    return "now"


def _remote_for(words: list[str], i: int, spec: AgentSpec) -> str | None:
    if i + 1 < len(words):
        w = words[i + 1].lower()
        for name in spec.remotes:
            if w in (name.lower(), name.lower().removesuffix("_agent")):
                return name
    return None


def make_plan(query: str, spec: AgentSpec, rng: random.Random, node_fault: str | None = None) -> Plan:
    """Turn a query into steps; tools this agent lacks make it delegate to a remote that has them."""
    words = [w.strip(",.;:!?") for w in query.split()]
    lower = [w.lower() for w in words]
    steps: list[Step] = []
    plan = Plan(steps)
    remote_forced, remote_target, remote_words = False, None, set[int]()
    i = 0
    while i < len(words):
        w = lower[i]
        nxt = i + 1
        if w in ("add", "multiply"):
            a, nxt = _take_num(words, i)
            b, nxt2 = _take_num(words, nxt - 1) if a is not None else (None, nxt)
            nxt = nxt2 if b is not None else nxt
            a = rng.randint(1, 99) if a is None else a
            b = rng.randint(1, 99) if b is None else b
            steps.append(Step("tool", w, {"a": a, "b": b}))
        elif w == "steps":
            n, nxt = _take_num(words, i)
            safe = [t for t in spec.tools if t not in _TEST_TOOLS] or ["now"]
            for _ in range(max(0, min(int(n if n is not None else 3), 200))):
                tool = rng.choice(safe + sorted(spec.remotes))
                if tool in spec.remotes:  # a master spreads its steps over its sub-agents too
                    sub = _sub_query(spec.remotes[tool], rng)
                    steps.append(Step("remote", tool, {"query": sub}, sub))
                    continue
                args, value = default_args(tool, rng)
                steps.append(Step("tool", tool, args, value))
        elif w == "slow":
            given, nxt = _take_num(words, i)
            secs = max(0.0, float(1.0 if given is None else given))
            steps.append(Step("tool", "slow_tool", {"seconds": secs}, secs))
        elif w == "boom":
            steps.append(Step("tool", "boom", {"reason": "the query asked for boom"}))
        elif w == "fail":
            steps.append(Step("tool", "flaky", {"reason": "the query asked for fail"}, True))
        elif w in ("big", "oversized"):
            n, nxt = _take_num(words, i)
            size = min(max(0, int(n if n is not None else (100_000 if w == "big" else 600_000))), MAX_BIG)
            steps.append(Step("tool", "big_output", {"size": size}, size))
        elif w == "hostile":
            steps.append(Step("tool", "echo", {"text": "hostile"}, HOSTILE))
        elif w in ("search", "lookup", "fetch_page", "run_code"):
            args, value = default_args(w, rng)
            steps.append(Step("tool", w, args, value))
        elif w == "now":
            steps.append(Step("tool", "now", {}))
        elif w == "flood":
            n, nxt = _take_num(words, i)
            count = min(max(0, int(n if n is not None else 10_000)), MAX_FLOOD)
            steps.append(Step("flood", "flood", {}, count))
        elif w in STREAM_FAULTS:
            steps.append(Step("fault", w))
        elif w in HTTP_FAULTS:
            plan.http_fault = w
        elif w == "remote":
            remote_forced, remote_words = True, remote_words | {i}
            remote_target = _remote_for(words, i, spec) or remote_target
            if remote_target and i + 1 < len(words) and _remote_for(words, i, spec):
                remote_words.add(i + 1)
                nxt = i + 2
        elif w == "unicode":
            plan.direct, plan.direct_think = UNICODE_TEXT, "Unicode test."
        elif w == "multiline":
            plan.direct, plan.direct_think = MULTILINE_TEXT, "Multi-line test."
        i = max(nxt, i + 1)

    needed = {s.name for s in steps if s.kind == "tool"}
    if spec.remotes and (remote_forced or not needed <= set(spec.tools)):
        target = remote_target or next(
            (name for name, tools in spec.remotes.items() if needed and needed <= tools),
            next(iter(spec.remotes)),
        )
        sub = " ".join(w for k, w in enumerate(words) if k not in remote_words) if remote_forced else query
        return Plan([Step("remote", target, {"query": sub}, sub)])
    for s in steps:
        if s.kind == "tool" and s.name not in spec.tools:
            s.kind = "missing"
    if node_fault in STREAM_FAULTS:
        steps.insert(0, Step("fault", node_fault))
    elif node_fault == "flood":
        steps.insert(0, Step("flood", "flood", {}, 10_000))
    elif node_fault == "oversized":
        steps.insert(0, Step("tool", "big_output", {"size": 600_000}, 600_000))
    elif node_fault in HTTP_FAULTS and plan.http_fault is None:
        plan.http_fault = node_fault
    if plan.direct is None and not any(s.kind in ("tool", "remote", "missing") for s in steps):
        plan.direct = f"Hello! You asked: {query}"
    return plan


def direct_call_plan(tool: str, arguments: dict[str, Any]) -> Plan:
    """A request whose ``callee`` is a tool: OxyGent runs just that tool with the payload's arguments."""
    args = {k: v for k, v in arguments.items() if k != "query"}
    value: Any = {"slow_tool": args.get("seconds", 1.0), "big_output": args.get("size", 1000)}.get(tool)
    if tool == "echo":
        value = args.get("text", "")
    return Plan([Step("call", tool, args, value)])


def llm_tool_text(tool: str, args: dict[str, Any], hostile: bool = False) -> tuple[str, str]:
    """The LLM reply asking for a tool (fenced JSON, as the captures show) and its ``think`` text."""
    think = HOSTILE_THINK if hostile else f"I should call {tool}."
    body = json.dumps({"think": think, "tool_name": tool, "arguments": args}, indent=4, ensure_ascii=False)
    return f"```json\n{body}\n```", think


def _summary(output: Any) -> str:
    text = to_json(output)
    if len(text) > _SUMMARY_CHARS:
        return f"{text[:_SUMMARY_CHARS]}... [{len(text)} chars total]"
    return text


def final_text(results: list[tuple[str, Any]]) -> str:
    """The last LLM reply: a ``<think>`` block, then the final answer built from the tool outputs."""
    if len(results) == 1:
        tool, output = results[0]
        think = f"The tool {tool} returned a result; answering now."
        return f"<think>{think}</think>Final answer (via {tool}): {_summary(output)}"
    names = ", ".join(dict.fromkeys(name for name, _ in results))
    outputs = " | ".join(_summary(out) for _, out in results)
    tools = ", ".join(name for name, _ in results)
    think = f"The tools {names} returned results; answering now."
    return f"<think>{think}</think>Final answer (via {tools}): {outputs}"


def split_think(text: str) -> tuple[str | None, str]:
    """(think, answer) of an LLM reply: a ``<think>`` block or the JSON ``think`` field."""
    if text.startswith("<think>") and "</think>" in text:
        think, _, rest = text[len("<think>") :].partition("</think>")
        return think, rest.strip()
    if text.startswith("```json\n"):
        try:
            return json.loads(text[8:-4]).get("think"), text
        except (ValueError, AttributeError):
            return None, text
    return None, text.strip()


def big_text(size: int) -> str:
    """``size`` characters of numbered lines like the captured ``big_output`` tool."""
    line_len = len(_BIG_LINE.format(0))
    lines = size // line_len + 1
    return "".join(_BIG_LINE.format(k) for k in range(lines))[:size]


def run_tool(step: Step, rng: random.Random, failure_rate: float) -> tuple[Any, bool]:
    """(output, ok) of a local tool. Errors are plain text outputs, exactly as OxyGent reports them."""
    name, args = step.name, step.args
    if failure_rate and rng.random() < failure_rate:
        return f"Error executing oxy {name}: simulated failure (failure_rate={failure_rate})", False
    if name == "add":
        return args["a"] + args["b"], True
    if name == "multiply":
        return args["a"] * args["b"], True
    if name == "now":
        return f"2026-11-24T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}", True
    if name == "boom":
        return "boom tool failed on purpose (the query asked for boom)", False
    if name == "flaky":
        return "Error executing oxy flaky: flaky tool failed on purpose (the query asked for fail)", False
    if name == "slow_tool":
        return f"slept {step.value} s", True
    if name == "big_output":
        return big_text(int(step.value)), True
    if name == "echo":
        return str(step.value), True
    if name == "search":
        q = args.get("query", "")
        return [
            {
                "title": f"Result {k + 1} about {q}",
                "url": f"https://example.com/{q}/{k + 1}".replace(" ", "-"),
                "score": round(rng.random(), 3),
            }
            for k in range(3)
        ], True
    if name == "fetch_page":
        return f"<html><title>{args.get('url', '')}</title><p>Simulated page body.</p></html>", True
    if name == "run_code":
        return {"stdout": f"{rng.randint(4, 512)}\n", "exit_code": 0}, True
    if name == "lookup":
        return {"key": args.get("key", ""), "value": rng.randint(0, 10**6)}, True
    return f"Tool {name} not exists", False
