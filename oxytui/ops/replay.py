"""Replay a recording: records back into typed events (the same decoder path as live), with timing.

The dashboard drives a :class:`Replayer` (speed, pause, step, jump to time) and feeds what it yields into
its ``RunStore``; :func:`apply` does that feeding in one place so live and replayed state match.
:func:`print_replay` is the headless printer behind ``oxytui replay --no-ui``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from oxytui.client.events import OxyEvent, event_from_comment, event_from_message
from oxytui.client.sse import SSEComment, SSEMessage
from oxytui.redact import scrub_text, scrub_value
from oxytui.runs.sanitize import printable

from .record import Damage, Record, read_recording, remember_configured_tokens


@dataclass(slots=True)
class ReplayItem:
    """One step of a replay: the record, its typed event (None for start/finish marks) and its offset."""

    record: Record
    event: OxyEvent | None
    offset: float
    """Seconds since the first record (original timing)."""


class ReplayReset:
    """Yielded before a backwards jump: the consumer clears its model, then receives events from 0 again."""


def to_event(rec: Record, mono: float) -> OxyEvent | None:
    """Typed event for a ``msg`` / ``ping`` record, via the client's own builders."""
    meta: dict[str, Any] = {"node": rec.node, "trace_id": rec.trace_id, "mono": mono, "wall": rec.wall}
    if rec.kind == "msg":
        msg = SSEMessage(
            event=rec.event,
            data=rec.data,
            id=rec.id,
            retry=rec.retry,
            size=len(rec.data.encode("utf-8", "replace")),
        )
        return event_from_message(msg, **meta)
    if rec.kind == "ping":
        return event_from_comment(SSEComment(rec.data), **meta)
    return None


def load(path: Path | str) -> tuple[list[Record], Damage | None]:
    """All intact records (a recording is evidence: keep it whole in memory to allow jumping back)."""
    reader = read_recording(path)
    records = list(reader)
    return records, reader.damage


def apply(store: Any, item: ReplayItem, mono: float | None = None) -> None:
    """Feed one replay item into a ``RunStore`` the way the live dashboard does."""
    rec = item.record
    m = item.offset if mono is None else mono
    if rec.kind == "start":
        store.start_run(
            rec.node,
            rec.trace_id,
            str(rec.fields.get("query", "")),
            m,
            rec.wall,
            group=str(rec.fields.get("group", "")),
            source=str(rec.fields.get("source", "")),
        )
    elif rec.kind == "finish":
        from oxytui.runs import RunState

        state = rec.fields.get("state")
        try:
            run_state = RunState(state) if state else None
        except ValueError:
            run_state = None
        store.finish_run(
            rec.node, rec.trace_id, m, rec.wall, state=run_state, error=str(rec.fields.get("error") or "")
        )
    elif rec.kind == "traffic":
        from oxytui.runs.fleetlog import apply_call_row

        detail = _traffic_detail(rec)
        kind = "observation" if rec.fields.get("type") == "observation" else "tool_call"
        run_node = str(rec.fields.get("run_node") or rec.node)
        apply_call_row(store, run_node, rec.trace_id, kind, rec.node, detail, m, rec.wall)
    elif item.event is not None:
        store.add_event(item.event)


def _traffic_detail(rec: Record) -> dict[str, Any]:
    """The call detail a ``traffic`` record carries (a JSON string; anything else: empty)."""
    try:
        value = json.loads(str(rec.fields.get("detail", "")))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class Replayer:
    """Original timing scaled by ``speed`` (0 = as fast as possible); pause, step and jump.

    ``clock``/``sleep`` are injectable so tests control time without sleeping."""

    def __init__(
        self,
        records: list[Record],
        speed: float = 1.0,
        step: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.records = records
        self.speed = speed
        self.step_mode = step
        self.clock = clock
        self.base = records[0].wall if records else 0.0
        reach: list[float] = []
        latest = self.base
        for rec in records:  # not in time order: traffic marks carry the earlier times calls had on a node
            latest = max(latest, rec.wall)
            reach.append(latest)
        self._reach = reach
        """Latest time among the first ``i + 1`` records: the replay clock, which never runs backwards."""
        self.duration = (reach[-1] - self.base) if records else 0.0
        self.position = 0
        self.paused = False
        self._wake = asyncio.Event()
        self._steps = 0
        self._jump: float | None = None

    @property
    def offset(self) -> float:
        """Replay time reached (seconds since the first record)."""
        if self.position == 0 or not self.records:
            return 0.0
        return self._reach[min(self.position, len(self.records)) - 1] - self.base

    @property
    def done(self) -> bool:
        return self.position >= len(self.records)

    def pause(self) -> None:
        self.paused = True
        self._wake.set()

    def resume(self) -> None:
        self.paused = False
        self._wake.set()

    def step(self, n: int = 1) -> None:
        """In step mode (or paused), release ``n`` more events."""
        self._steps += n
        self._wake.set()

    def jump(self, offset: float) -> None:
        """Go to ``offset`` seconds: forward fast-forwards, backward yields :class:`ReplayReset` first."""
        self._jump = max(0.0, offset)
        self._wake.set()

    async def items(self) -> AsyncIterator[ReplayItem | ReplayReset]:
        anchor_clock, anchor_offset = self.clock(), 0.0
        while True:
            if self._jump is not None:
                target, self._jump = self._jump, None
                if target < self.offset:
                    self.position = 0
                    yield ReplayReset()
                while self.position < len(self.records) and self._reach[self.position] - self.base <= target:
                    yield self._next()
                anchor_clock, anchor_offset = self.clock(), target
                continue
            if self.done:
                return
            if self.paused or self.step_mode:
                if self._steps > 0:
                    self._steps -= 1
                    yield self._next()
                    anchor_clock, anchor_offset = self.clock(), self.offset
                    continue
                await self._wait(None)
                anchor_clock, anchor_offset = self.clock(), self.offset
                continue
            due = self._reach[self.position] - self.base
            if self.speed > 0:
                delay = (due - anchor_offset) / self.speed - (self.clock() - anchor_clock)
                if delay > 0:
                    if await self._wait(delay):
                        anchor_clock, anchor_offset = self.clock(), self.offset
                        continue
            yield self._next()

    def _next(self) -> ReplayItem:
        rec = self.records[self.position]
        self.position += 1
        offset = rec.wall - self.base
        return ReplayItem(rec, to_event(rec, offset), offset)

    async def _wait(self, delay: float | None) -> bool:
        """Sleep ``delay`` seconds (None: forever) or until a control call; True when woken by a control."""
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), delay)
        except TimeoutError:
            return False
        return True


# --- headless printer ----------------------------------------------------------------------------------


def _safe(text: str, limit: int = 200) -> str:
    return printable(scrub_text(text), limit)


def format_item(item: ReplayItem) -> str:
    rec, ev = item.record, item.event
    head = f"+{item.offset:9.3f}s {_safe(rec.node, 40)} {_safe(rec.trace_id, 24)}"
    if rec.kind == "start":
        return f"{head} start   {_safe(str(rec.fields.get('query', '')))}"
    if rec.kind == "finish":
        state, error = str(rec.fields.get("state", "")), str(rec.fields.get("error") or "")
        return f"{head} finish  {_safe(state)} {_safe(error)}"
    if rec.kind == "traffic":
        d = _traffic_detail(rec)
        what = f"{d.get('caller', '')} -> {d.get('callee', '')} {d.get('state') or ''}"
        return f"{head} traffic {_safe(str(rec.fields.get('type', '')))} {_safe(what)}"
    assert ev is not None
    return f"{head} {ev.type or 'unknown':<11} {_safe(ev.summary)}"


def _as_json(item: ReplayItem) -> str:
    rec, ev = item.record, item.event
    obj: dict[str, Any] = {
        "offset": round(item.offset, 6),
        "wall": rec.wall,
        "node": rec.node,
        "trace_id": rec.trace_id,
        "kind": rec.kind,
    }
    if ev is not None:
        obj.update(type=ev.type, sse_id=ev.sse_id, data=ev.raw)
    else:
        obj.update(rec.fields)
    return json.dumps(_clean(scrub_value(obj)), ensure_ascii=False, default=str)


def _clean(value: Any) -> Any:
    """Control and bidi characters replaced in every string (JSON escapes only C0), iteratively."""
    from oxytui.runs import clean

    root = [value]
    todo: list[tuple[Any, Any]] = [(root, 0)]
    while todo:
        box, key = todo.pop()
        v = box[key]
        if isinstance(v, str):
            box[key] = clean(v)
        elif isinstance(v, dict):
            items = list(v.items())
            v.clear()
            for k, x in items:
                v[clean(k) if isinstance(k, str) else k] = x
            todo.extend((v, k) for k in v)
        elif isinstance(v, list):
            todo.extend((v, i) for i in range(len(v)))
    return root[0]


async def print_replay(
    path: Path | str,
    speed: float = 0.0,
    step: bool = False,
    as_json: bool = False,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
    read_line: Callable[[], str] | None = None,
) -> int:
    """Print a recording (``--no-ui``). Returns 0, or 1 when the recording is damaged (after printing
    everything up to the damage)."""
    out = out or sys.stdout
    err = err or sys.stderr
    remember_configured_tokens()
    records, damage = load(path)
    replayer = Replayer(records, speed=speed, step=step)
    if step:
        replayer.step()
    count = 0
    async for item in replayer.items():
        if isinstance(item, ReplayReset):
            continue
        print(_as_json(item) if as_json else format_item(item), file=out, flush=True)
        count += 1
        if step and not replayer.done:
            line = await asyncio.to_thread(read_line or sys.stdin.readline)
            if line == "" or line.strip().lower() == "q":
                break
            replayer.step()
    print(f"replayed {count} records from {path}", file=err)
    if damage is not None:
        print(f"recording damaged at {damage}; replayed up to there", file=err)
        return 1
    return 0
