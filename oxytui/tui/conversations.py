"""Chat conversations as OxyGent's own web UI keeps them: a follow-up prompt to the same node carries
``from_trace_id`` = the trace id of that node's previous answered run and the same ``group_id``, so the
node's short-term memory (history by ``root_trace_ids``) applies. One conversation per node (a fan-out keeps
one per node); a key starts new ones. Pure bookkeeping: the controller asks, builds, and reports back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(slots=True)
class Conversation:
    group_id: str
    last_trace: str = ""
    """Trace id of the last run of this conversation that answered (OxyGent's UI sets it on the answer)."""
    turns: int = 0


class Conversations:
    def __init__(self) -> None:
        self.by_node: dict[str, Conversation] = {}

    def next_turn(self, node: str) -> tuple[dict[str, str], Conversation]:
        """Request fields for the next prompt to ``node`` (``group_id``, and ``from_trace_id`` on a
        follow-up) and its conversation, whose turn count this advances."""
        conv = self.by_node.get(node)
        if conv is None:
            conv = self.by_node[node] = Conversation(group_id=uuid.uuid4().hex)
        conv.turns += 1
        fields = {"group_id": conv.group_id}
        if conv.last_trace:
            fields["from_trace_id"] = conv.last_trace
        return fields, conv

    def answered(self, node: str, group_id: str, trace_id: str) -> None:
        """A run of the conversation answered: the next prompt continues from it."""
        conv = self.by_node.get(node)
        if conv is not None and conv.group_id == group_id:
            conv.last_trace = trace_id

    def reset(self) -> int:
        """Start over on every node; returns how many conversations ended."""
        n = len(self.by_node)
        self.by_node.clear()
        return n
