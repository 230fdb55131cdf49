"""The probes the headless watch runs, shared with the dashboard: ``/check_alive`` with a reason, and
one probe prompt judged by its answer and by every call inside it.

Kept apart from :mod:`oxytui.ops.watch` (which re-exports them) so the watch module is about scheduling,
state and reporting; these only talk to one agent and say what happened.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["ProbeResult", "alive_check", "alive_reason", "run_probe"]


@dataclass(slots=True)
class ProbeResult:
    ok: bool
    detail: str
    """The answer, or why it failed (raw: a node may echo secrets; the watch output scrubs them)."""
    elapsed: float
    trace_id: str


async def alive_check(agent: Any, deadline: float) -> tuple[bool, float]:
    """``/check_alive`` within ``deadline`` seconds: (alive, seconds). Shared with the dashboard's probes."""
    why, elapsed = await alive_reason(agent, deadline)
    return not why, elapsed


async def alive_reason(agent: Any, deadline: float) -> tuple[str, float]:
    """``/check_alive`` within ``deadline`` seconds: ("" when alive, else why not: refused, timeout, DNS,
    HTTP status...; see ``SSEOxyGent.why_not_alive``), seconds."""
    t0 = time.monotonic()
    try:
        why = str(await asyncio.wait_for(agent.why_not_alive(), deadline))
    except TimeoutError:
        why = f"/check_alive timed out after {deadline:g}s"
    return why, time.monotonic() - t0


async def run_probe(agent: Any, query: str, deadline: float) -> ProbeResult:
    """One probe prompt via ``SSEOxyGent.execute`` within ``deadline`` seconds (shared with the dashboard)."""
    from oxytui.client import OxyState
    from oxytui.runs import is_error_output, one_line

    request = agent.build_request(query)
    failed: list[str] = []

    async def watch_calls(message: Any, event: str | None, sse_id: str | None, retry: int | None) -> None:
        """Forwarded events of the run: remember calls that failed inside it."""
        if not isinstance(message, dict) or message.get("type") != "observation":
            return
        content = message.get("content")
        if isinstance(content, dict) and is_error_output(content.get("output")):
            failed.append(
                f"call {one_line(content.get('callee'), 60)} failed: {one_line(content['output'], 120)}"
            )

    request.set_message_handler(watch_calls)
    t0 = time.monotonic()
    try:
        resp = await asyncio.wait_for(agent.execute(request), deadline)
    except TimeoutError:
        return ProbeResult(
            False, f"timed out after {deadline:g}s", time.monotonic() - t0, request.current_trace_id
        )
    detail = str(resp.output if resp.output is not None else "")
    ok = resp.state == OxyState.COMPLETED and not is_error_output(resp.output)
    if ok and failed:
        ok, detail = False, failed[0] + (f" (and {len(failed) - 1} more)" if len(failed) > 1 else "")
    return ProbeResult(ok, detail, time.monotonic() - t0, request.current_trace_id)
