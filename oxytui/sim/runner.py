"""Executes a plan the way an OxyGent ReAct agent runs: it emits tool_call/stream/observation/think/answer."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .brain import AgentSpec, Plan, Step, final_text, llm_tool_text, run_tool, split_think
from .faults import HOSTILE, bad_utf8_frame, malformed_frame
from .framing import encode_event, new_id
from .knobs import NodeKnobs
from .queues import Item, TraceQueue
from .records import STATE_COMPLETED, STATE_FAILED, RecordStore

__all__ = ["Aborted", "RemoteFn", "RunContext", "execute_run"]

Forward = Callable[[Any, str | None, str | None, int | None], Awaitable[None]]
RemoteFn = Callable[[str, dict[str, Any], Forward], Awaitable[Any]]
"""(remote agent name, OxyRequest fields, forwarder) -> the remote's answer or a failure text."""


class Aborted(Exception):
    """The run was cut by a ``disconnect`` fault: no answer and no ``close`` follow."""


@dataclass(slots=True)
class RunContext:
    """Everything one run needs: ids, the seeded rng, the queue it writes to (None for ``/chat``)."""

    knobs: NodeKnobs
    trace_id: str
    request_id: str
    ids: random.Random
    rng: random.Random
    queue: TraceQueue | None
    records: RecordStore
    remote: RemoteFn | None = None
    group_id: str = ""
    emitted: int = 0

    def new_id(self, length: int = 16) -> str:
        return new_id(self.ids, length)

    async def push(self, item: Item) -> None:
        """Queue one item; yield to the loop every few items (LocalRedis yields on every push, but one
        write per event would cap a benchmark) or pace to ``event_rate``."""
        if self.queue is not None:
            self.queue.push(item)
        self.emitted += 1
        rate = self.knobs.event_rate
        if rate > 0:
            await asyncio.sleep(1.0 / rate)
        elif self.emitted % 16 == 0:
            await asyncio.sleep(0)

    async def emit(
        self, message: Any, *, sse_id: str | None = None, event: str = "message", retry: int | None = 3000
    ) -> None:
        if self.queue is not None:
            frame = encode_event(message, id=sse_id or self.new_id(), event=event, retry=retry)
            await self.push(Item("frame", frame))
        else:
            await self.push(Item("frame"))

    async def pause(self, seconds: float) -> None:
        if seconds > 0:
            await asyncio.sleep(seconds)


@dataclass(slots=True)
class _Frame:
    """Call-site data shared by the children of one agent call."""

    agent: str
    stack: list[str]
    nid_stack: list[str]
    node_id: str
    prev: str = ""


def _call(
    ctx: RunContext,
    nid: str,
    caller: str,
    callee: str,
    caller_cat: str,
    callee_cat: str,
    stack: list[str],
    copied: str = "",
) -> dict[str, Any]:
    return {
        "node_id": nid,
        "copied_node_id": copied,
        "caller": caller,
        "callee": callee,
        "caller_category": caller_cat,
        "callee_category": callee_cat,
        "call_stack": stack,
    }


async def _tool_call(ctx: RunContext, base: dict[str, Any], arguments: dict[str, Any]) -> None:
    await ctx.emit(
        {"type": "tool_call", "content": {**base, "arguments": arguments, "request_id": ctx.request_id}}
    )


async def _answer(ctx: RunContext, content: Any) -> None:
    """The ``answer`` message: OxyGent sends it only for a call whose caller category is ``user``."""
    await ctx.emit(
        {"type": "answer", "content": content, "current_trace_id": ctx.trace_id, "request_id": ctx.request_id}
    )


async def _observation(ctx: RunContext, base: dict[str, Any], output: Any) -> None:
    content = {**base, "output": output, "current_trace_id": ctx.trace_id, "request_id": ctx.request_id}
    await ctx.emit({"type": "observation", "content": content})


def _open(
    ctx: RunContext, f: _Frame, nid: str, callee: str, node_type: str, cls: str, arguments: dict[str, Any]
) -> dict[str, Any]:
    rec = ctx.records.open(
        trace_id=ctx.trace_id,
        node_id=nid,
        node_type=node_type,
        caller=f.agent,
        callee=callee,
        call_stack=[*f.stack, callee],
        node_id_stack=[*f.nid_stack, nid],
        father_node_id=f.node_id,
        pre_node_ids=[f.prev] if f.prev else [],
        request_id=ctx.request_id,
        group_id=ctx.group_id,
        class_name=cls,
        arguments=arguments,
    )
    f.prev = nid
    return rec


async def _llm(ctx: RunContext, f: _Frame, text: str, deltas: list[str] | None = None) -> str:
    """One LLM call streamed as deltas; returns the reply's answer part (after any think block)."""
    nid = ctx.new_id()
    rec = _open(ctx, f, nid, "default_llm", "llm", "HttpLLM", {})
    base = _call(ctx, nid, f.agent, "default_llm", "agent", "llm", [*f.stack, "default_llm"])
    await _tool_call(ctx, base, {})
    await ctx.pause(ctx.knobs.latency(ctx.rng))
    n = ctx.knobs.chunk_chars
    token = ctx.knobs.token_ms / 1000.0 if deltas is None else 0.0
    for k, delta in enumerate(
        deltas if deltas is not None else [text[i : i + n] for i in range(0, len(text), n)]
    ):
        if k and token:
            await ctx.pause(token)
        await ctx.emit({"type": "stream", "content": {"delta": delta, "agent": f.agent, "node_id": nid}})
    await ctx.emit({"type": "stream_end", "content": {"delta": "", "agent": f.agent, "node_id": nid}})
    await _observation(ctx, base, text)
    ctx.records.close(rec, text, STATE_COMPLETED)
    think, answer = split_think(text)
    if think is not None:
        await ctx.emit({"type": "think", "content": think, "agent": f.agent})
    return answer


async def _tool(ctx: RunContext, f: _Frame, step: Step) -> Any:
    nid = ctx.new_id()
    rec = _open(ctx, f, nid, step.name, "tool", "FunctionTool", step.args)
    base = _call(ctx, nid, f.agent, step.name, "agent", "tool", [*f.stack, step.name])
    await _tool_call(ctx, base, {})
    await ctx.pause(float(step.value) if step.name == "slow_tool" else ctx.knobs.latency(ctx.rng))
    output, ok = run_tool(step, ctx.rng, ctx.knobs.failure_rate)
    pad = ctx.knobs.payload_bytes
    if pad and isinstance(output, str) and len(output) < pad:
        output = output + " " + "~" * (pad - len(output) - 1)
    await _observation(ctx, base, output)
    ctx.records.close(rec, output, STATE_COMPLETED if ok else STATE_FAILED)
    return output


async def _remote(ctx: RunContext, f: _Frame, step: Step) -> Any:
    """A sub-agent on another node (an SSEOxyGent hop); its events keep their own id/event/retry."""
    nid = ctx.new_id()
    rec = _open(ctx, f, nid, step.name, "agent", "SSEOxyGent", step.args)
    base = _call(ctx, nid, f.agent, step.name, "agent", "agent", [*f.stack, step.name])
    await _tool_call(ctx, base, {"query": step.value})

    async def forward(message: Any, event: str | None, sse_id: str | None, retry: int | None) -> None:
        await ctx.emit(
            message, sse_id=sse_id, event=event or "message", retry=3000 if retry is None else retry
        )

    fields = {
        "current_trace_id": ctx.trace_id,
        "request_id": ctx.request_id,
        "group_id": ctx.group_id,
        "caller": f.agent,
        "callee": step.name,
        "caller_category": "agent",
        "callee_category": "agent",
        "call_stack": [*f.stack, step.name],
        "node_id_stack": [*f.nid_stack, nid],
        "node_id": nid,
        "father_node_id": f.node_id,
        "arguments": {"query": step.value},
    }
    if ctx.remote is None:
        output: Any = f"Tool {step.name} not exists"
    else:
        output = await ctx.remote(step.name, fields, forward)
    await _observation(ctx, base, output)
    ctx.records.close(rec, output, STATE_COMPLETED)
    return output


async def _fault(ctx: RunContext, f: _Frame, name: str) -> None:
    if name == "malformed":
        await ctx.push(Item("frame", malformed_frame(ctx.new_id())))
    elif name == "badutf8":
        await ctx.push(Item("frame", bad_utf8_frame(ctx.new_id(), f.agent)))
    elif name == "hang":
        await ctx.push(Item("hang"))
        await asyncio.Future()  # until the reader goes away and the run is cancelled
    elif name == "disconnect":
        await ctx.push(Item("abort"))
        raise Aborted


async def run_agent(
    ctx: RunContext,
    spec: AgentSpec,
    plan: Plan,
    *,
    query: Any,
    caller: str,
    caller_category: str,
    call_stack: list[str],
    node_id_stack: list[str],
    node_id: str,
    copied_node_id: str = "",
    father_node_id: str = "",
) -> Any:
    """The agent's whole call: its tool_call, ReAct rounds, final LLM, observation and (for users) answer."""
    f = _Frame(spec.name, [*call_stack, spec.name], [*node_id_stack, node_id], node_id)
    rec = ctx.records.open(
        trace_id=ctx.trace_id,
        node_id=node_id,
        node_type="agent",
        caller=caller,
        callee=spec.name,
        call_stack=f.stack,
        node_id_stack=f.nid_stack,
        father_node_id=father_node_id,
        pre_node_ids=[],
        request_id=ctx.request_id,
        group_id=ctx.group_id,
        class_name="ReActAgent",
        arguments={"query": query},
    )
    base = _call(ctx, node_id, caller, spec.name, caller_category, "agent", f.stack, copied_node_id)
    await _tool_call(ctx, base, {"query": query})
    results: list[tuple[str, Any]] = []
    for step in plan.steps:
        if step.kind == "fault":
            await _fault(ctx, f, step.name)
        elif step.kind == "flood":
            count = int(step.value)
            await _llm(ctx, f, "".join(f"tok{k} " for k in range(count)), [f"tok{k} " for k in range(count)])
        else:
            text, _ = llm_tool_text(step.name, step.args, hostile=step.value == HOSTILE)
            await _llm(ctx, f, text)
            if step.kind == "missing":
                results.append((step.name, f"Tool {step.name} not exists"))
            elif step.kind == "remote":
                results.append((step.name, await _remote(ctx, f, step)))
            else:
                results.append((step.name, await _tool(ctx, f, step)))
    if results:
        answer = await _llm(ctx, f, final_text(results))
    else:
        answer = await _llm(ctx, f, f"<think>{plan.direct_think}</think>{plan.direct or ''}")
    await _observation(ctx, base, answer)
    ctx.records.close(rec, answer, STATE_COMPLETED)
    if caller_category == "user":
        await _answer(ctx, answer)
    return answer


async def run_tool_call(
    ctx: RunContext,
    step: Step,
    *,
    query: Any,
    caller: str,
    caller_category: str,
    call_stack: list[str],
    node_id_stack: list[str],
    node_id: str,
    copied_node_id: str = "",
    father_node_id: str = "",
) -> Any:
    """A request whose callee is a tool: one tool_call/observation pair (and the answer for a user)."""
    stack = [*call_stack, step.name]
    rec = ctx.records.open(
        trace_id=ctx.trace_id, node_id=node_id, node_type="tool", caller=caller, callee=step.name,
        call_stack=stack, node_id_stack=[*node_id_stack, node_id], father_node_id=father_node_id,
        pre_node_ids=[], request_id=ctx.request_id, group_id=ctx.group_id, class_name="FunctionTool",
        arguments=step.args,
    )  # fmt: skip
    base = _call(ctx, node_id, caller, step.name, caller_category, "tool", stack, copied_node_id)
    await _tool_call(ctx, base, {"query": query})
    await ctx.pause(float(step.value) if step.name == "slow_tool" else ctx.knobs.latency(ctx.rng))
    try:
        output, ok = run_tool(step, ctx.rng, ctx.knobs.failure_rate)
    except (KeyError, TypeError, ValueError) as exc:
        output, ok = f"Error executing oxy {step.name}: bad arguments ({exc!r})", False
    await _observation(ctx, base, output)
    ctx.records.close(rec, output, STATE_COMPLETED if ok else STATE_FAILED)
    if caller_category == "user":
        await _answer(ctx, output)
    return output


async def execute_run(ctx: RunContext, spec: AgentSpec, plan: Plan, **call: Any) -> Any:
    """A whole request: the agent call, then ``event: close`` / ``data: done`` (unless a fault cut it)."""
    try:
        if plan.steps and plan.steps[0].kind == "call":
            answer = await run_tool_call(ctx, plan.steps[0], **call)
        else:
            answer = await run_agent(ctx, spec, plan, **call)
    except Aborted:
        return None
    if ctx.queue is not None:
        ctx.queue.push(Item("close", encode_event("done", id=ctx.new_id(), event="close")))
    return answer
