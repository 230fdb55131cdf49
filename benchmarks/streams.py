"""Deterministic OxyGent-1.1.3-framed SSE streams for the benchmarks (no oxytui import: peers load it).

Framing is byte-for-byte what sse-starlette sends for OxyGent (``tests/fixtures/PROTOCOL.md`` §4): CRLF,
``id``/``event``/``data``/``retry`` per event, ``: ping - <utc>`` comments, and a final ``event: close``.
"""

from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass

ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Stream:
    name: str
    body: bytes
    events: int  # ``event: message`` events (pings and the close excluded)


def _sid(rng: random.Random, n: int = 16) -> str:
    return "".join(rng.choices(ALPHABET, k=n))


def _frame(sid: str, data: str, event: str = "message") -> bytes:
    return f"id: {sid}\r\nevent: {event}\r\ndata: {data}\r\nretry: 3000\r\n\r\n".encode()


def _call(rng: random.Random, kind: str, output: object = None) -> dict:
    content = {
        "node_id": _sid(rng),
        "copied_node_id": "",
        "caller": "math_agent",
        "callee": rng.choice(["add", "default_llm", "search", "multiply"]),
        "caller_category": "agent",
        "callee_category": "tool",
        "call_stack": ["user", "math_agent", "add"],
    }
    if kind == "tool_call":
        content["arguments"] = {"query": "add 2 3 and then tell me something about héllo ✓ 中文"}
    else:
        content["output"] = output
        content["current_trace_id"] = _sid(rng)
    content["request_id"] = _sid(rng, 22)
    return {"type": kind, "content": content}


def _small(rng: random.Random) -> dict:
    roll = rng.random()
    if roll < 0.5:
        delta = "".join(rng.choices(ALPHABET + " \n", k=rng.randint(8, 40)))
        return {"type": "stream", "content": {"delta": delta, "agent": "math_agent", "node_id": _sid(rng)}}
    if roll < 0.75:
        return _call(rng, "tool_call")
    return _call(rng, "observation", rng.randint(0, 10**6))


def _big_output(rng: random.Random, size: int) -> str:
    line = "line {:06d}: " + "x" * 60 + " — ✓\n"
    text = "".join(line.format(i) for i in range(size // 70 + 2))
    return text[:size]


def build(events: int, big_every: int = 0, big_size: int = 0, seed: int = 1, ping_every: int = 2000) -> bytes:
    rng = random.Random(seed)
    parts: list[bytes] = []
    big = _big_output(rng, big_size) if big_size else ""
    for i in range(events):
        if big_every and i % big_every == big_every - 1:
            payload = _call(rng, "observation", big)
        else:
            payload = _small(rng)
        parts.append(_frame(_sid(rng), json.dumps(payload, ensure_ascii=False)))
        if ping_every and i % ping_every == ping_every - 1:
            parts.append(b": ping - 2026-11-24 02:31:57.956083+00:00\r\n\r\n")
    parts.append(_frame(_sid(rng), "done", event="close"))
    return b"".join(parts)


SCENARIOS = {
    # name: (events, big_every, big_size)
    "small": (100_000, 0, 0),
    "mixed": (20_000, 100, 170_000),
    "huge": (10, 1, 5_000_000),
}


def scenario(name: str) -> Stream:
    events, big_every, big_size = SCENARIOS[name]
    return Stream(name, build(events, big_every, big_size), events)
