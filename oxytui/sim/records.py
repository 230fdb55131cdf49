"""Node records of recent traces for ``GET /view?item_id=``, shaped like OxyGent's ES ``_node`` docs."""

from __future__ import annotations

import copy
import json
from collections import OrderedDict
from datetime import datetime
from typing import Any

from .framing import to_json

__all__ = ["STATE_CANCELED", "STATE_COMPLETED", "STATE_FAILED", "RecordStore", "format_time"]

# OxyState auto() values: COMPLETED=3, FAILED=4, CANCELED=7 (CREATED=1 ... SKIPPED=6)
STATE_COMPLETED, STATE_FAILED, STATE_CANCELED = 3, 4, 7
MAX_OUTPUT = 16 * 1024


def format_time() -> str:
    """OxyGent's ``get_format_time``: local time with nanosecond digits."""
    now = datetime.now()
    return now.strftime("%Y-%m-%d %H:%M:%S.") + f"{now.microsecond * 1000:09d}"


class RecordStore:
    """Bounded per-trace lists of node records (the oldest trace is forgotten first)."""

    def __init__(self, max_traces: int = 1000) -> None:
        self.max_traces = max_traces
        self._traces: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        self._node_trace: dict[str, str] = {}

    def open(
        self,
        *,
        trace_id: str,
        node_id: str,
        node_type: str,
        caller: str,
        callee: str,
        call_stack: list[str],
        node_id_stack: list[str],
        father_node_id: str,
        pre_node_ids: list[str],
        request_id: str,
        group_id: str,
        class_name: str,
        arguments: dict[str, Any],
    ) -> dict[str, Any]:
        """Record a node at its start (the ``tool_call`` moment)."""
        record: dict[str, Any] = {
            "node_id": node_id,
            "copied_node_id": "",
            "node_type": node_type,
            "trace_id": trace_id,
            "group_id": group_id,
            "request_id": request_id,
            "caller": caller,
            "callee": callee,
            "parallel_id": "",
            "father_node_id": father_node_id,
            "call_stack": list(call_stack),
            "node_id_stack": list(node_id_stack),
            "pre_node_ids": list(pre_node_ids),
            "shared_data": {},
            "create_time": format_time(),
            "input": json.dumps(
                {"class_attr": {"class_name": class_name, "name": callee}, "arguments": arguments},
                ensure_ascii=False,
                default=str,
            ),
            "input_md5": "",
        }
        nodes = self._traces.get(trace_id)
        if nodes is None:
            nodes = self._traces[trace_id] = []
            while len(self._traces) > self.max_traces:
                _, old = self._traces.popitem(last=False)
                for n in old:
                    self._node_trace.pop(n["node_id"], None)
        nodes.append(record)
        self._node_trace[node_id] = trace_id
        return record

    @staticmethod
    def close(record: dict[str, Any], output: Any, state: int) -> None:
        """Complete a record at its end (the ``observation`` moment, or cancellation).

        Outputs over ``MAX_OUTPUT`` characters are cut (with a note): a long benchmark of big outputs
        must not keep hundreds of megabytes of history alive.
        """
        text = to_json(output)
        if len(text) > MAX_OUTPUT:
            text = f"{text[:MAX_OUTPUT]}... [{len(text)} chars, cut by the simulator]"
        record.update(output=text, state=state, extra="{}", update_time=format_time())

    def cancel_open(self, trace_id: str) -> None:
        """Mark the trace's unfinished nodes CANCELED (its run was cancelled)."""
        for record in self._traces.get(trace_id, []):
            if "state" not in record:
                self.close(record, "cancelled", STATE_CANCELED)

    def view(self, item_id: str) -> dict[str, Any]:
        """``/view`` data: the trace of ``item_id`` (a node id or a trace id), nodes by creation time."""
        trace_id = self._node_trace.get(item_id, item_id)
        nodes = copy.deepcopy(sorted(self._traces.get(trace_id, []), key=lambda n: n["create_time"]))
        by_id = {n["node_id"]: n for n in nodes}
        for index, node in enumerate(nodes):
            if node["pre_node_ids"] == [""]:
                node["pre_node_ids"] = []
            node["index"] = index
            node["post_node_ids"] = []
            node["child_node_ids"] = []
        for node in nodes:
            for pre in node["pre_node_ids"]:
                if pre in by_id:
                    by_id[pre]["post_node_ids"].append(node["node_id"])
            father = node["father_node_id"]
            if father in by_id:
                by_id[father]["child_node_ids"].append(node["node_id"])
        return {"nodes": nodes, "trace_id": trace_id}
