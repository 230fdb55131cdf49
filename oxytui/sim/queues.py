"""Per-trace message queues, shaped like OxyGent's LocalRedis lists: bounded, oldest dropped, pop-once."""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Literal

__all__ = ["Item", "QueueHub", "TraceQueue"]

Kind = Literal["frame", "close", "hang", "abort"]


@dataclass(slots=True, frozen=True)
class Item:
    """One queued thing: an encoded SSE frame, the final close frame, or a stream-level fault marker."""

    kind: Kind
    data: bytes = b""


class TraceQueue:
    """Messages of one ``current_trace_id``. Every reader pops, so each message reaches exactly one reader."""

    __slots__ = ("_changed", "dropped", "items", "pushed")

    def __init__(self, maxlen: int) -> None:
        self.items: deque[Item] = deque(maxlen=maxlen)
        self.dropped = 0
        self.pushed = 0
        self._changed = asyncio.Event()

    def push(self, item: Item) -> None:
        """Append; when full the oldest message is silently dropped (counted in ``dropped``)."""
        if len(self.items) == self.items.maxlen:
            self.dropped += 1
        self.items.append(item)
        self.pushed += 1
        self._changed.set()

    def pop(self) -> Item | None:
        """The oldest message, or None when empty."""
        if self.items:
            return self.items.popleft()
        return None

    async def wait(self, seconds: float) -> None:
        """Wait until something is pushed (or ``seconds`` pass)."""
        if self.items:
            return
        self._changed.clear()
        try:
            async with asyncio.timeout(seconds):
                await self._changed.wait()
        except TimeoutError:
            pass

    def __len__(self) -> int:
        return len(self.items)


class QueueHub:
    """All trace queues of a node. Bounded in number: the least recently used idle queue is forgotten."""

    def __init__(self, maxlen: int, max_queues: int = 4096) -> None:
        self.maxlen = maxlen
        self.max_queues = max_queues
        self._queues: OrderedDict[str, TraceQueue] = OrderedDict()

    def get(self, trace_id: str) -> TraceQueue:
        """The queue for ``trace_id`` (created on first use; two runs with one trace id share it)."""
        q = self._queues.get(trace_id)
        if q is None:
            q = self._queues[trace_id] = TraceQueue(self.maxlen)
            while len(self._queues) > self.max_queues:
                self._queues.popitem(last=False)
        else:
            self._queues.move_to_end(trace_id)
        return q

    def peek(self, trace_id: str) -> TraceQueue | None:
        return self._queues.get(trace_id)

    def discard(self, trace_id: str) -> None:
        self._queues.pop(trace_id, None)

    def __len__(self) -> int:
        return len(self._queues)
