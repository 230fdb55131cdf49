"""Node records of recent traces for ``GET /view?item_id=``, shaped like OxyGent's ES ``_node`` docs."""

from __future__ import annotations

import copy
import json
from collections import OrderedDict
from datetime import datetime
from typing import Any

from .framing import to_json

__all__ = ["STATE_CANCELED", "STATE_COMPLETED", "STATE_FAILED", "RecordStore", "format_time", "history_page"]

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
        self.docs: OrderedDict[str, dict[str, Any]] = OrderedDict()
        """Trace documents (``/history_with_ratings``), oldest first; ``output`` is "" while in flight."""
        self._shared: dict[str, str] = {}

    def start_trace(
        self, trace_id: str, group_id: str, callee: str, arguments: dict[str, Any], headers: dict[str, str]
    ) -> None:
        """The trace document and the run's ``shared_data`` (with the caller's headers, as OxyGent keeps)."""
        query = arguments.get("query", "")
        args = {"query": query, "short_memory": [], **{k: v for k, v in arguments.items() if k != "query"}}
        if trace_id not in self.docs:
            self.docs[trace_id] = {
                "trace_id": trace_id,
                "input": json.dumps(args, ensure_ascii=False, default=str),
                "callee": callee,
                "output": "",
                "create_time": format_time(),
                "from_trace_id": "",
                "group_id": group_id,
            }
            while len(self.docs) > self.max_traces:
                old, _ = self.docs.popitem(last=False)
                self._shared.pop(old, None)
        shared = {"_headers": headers, "_metrics": {"first_response_time_ms": 0.0}, "query": query}
        self._shared[trace_id] = json.dumps(shared, ensure_ascii=False, default=str)

    def end_trace(self, trace_id: str, output: Any) -> None:
        doc = self.docs.get(trace_id)
        if doc is not None and not doc["output"]:
            doc["output"] = to_json(output)[:MAX_OUTPUT] or " "
            doc["update_time"] = format_time()

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
            "shared_data": self._shared.get(trace_id, "{}"),
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
        extra = "{}"
        if record.get("node_type") == "llm":  # OxyGent keeps the call's usage in the llm record's extra
            tin, tout = len(record.get("input", "")) // 4 + 1, len(text) // 4 + 1
            usage = {"input_tokens": tin, "output_tokens": tout, "total_tokens": tin + tout}
            extra = json.dumps({"usage": {**usage, "model_name": "sim-llm-1", "estimation_method": "sim"}})
        record.update(output=text, state=state, extra=extra, update_time=format_time())

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

    def node(self, item_id: str) -> dict[str, Any] | None:
        """``/node`` data: one record with ``input`` decoded and ``pre_id``/``next_id``; a trace id gives
        its first node; None for an unknown id (OxyGent: ``{"code": 400, "message": "illegal node_id"}``)."""
        trace_id = self._node_trace.get(item_id, item_id)
        nodes = self.view(trace_id)["nodes"]
        if not nodes:
            return None
        ids = [n["node_id"] for n in nodes]
        i = ids.index(item_id) if item_id in ids else 0
        rec: dict[str, Any] = nodes[i]
        for key in ("index", "post_node_ids", "child_node_ids"):
            rec.pop(key, None)
        try:
            rec["input"] = json.loads(rec.get("input") or "{}")
        except ValueError:
            pass
        rec["pre_id"] = ids[i - 1] if i > 0 else ""
        rec["next_id"] = ids[i + 1] if i + 1 < len(ids) else ""
        rec["data_range_map"] = {}
        return rec


def history_page(docs: list[dict[str, Any]], page: int, page_size: int, search: str = "") -> dict[str, Any]:
    """``/history_with_ratings`` data: conversation groups newest first (by their latest trace), paged."""
    if search:
        words = search.lower().split()
        docs = [
            d
            for d in docs
            if d["trace_id"] == search
            or all(w in f"{d['input']} {d['callee']} {d['output']}".lower() for w in words)
        ]
    groups: dict[str, list[dict[str, Any]]] = {}
    for d in docs[-page_size * 10 * max(1, page) :]:  # the node reads page_size x 10 traces per page
        groups.setdefault(d["group_id"] or d["trace_id"], []).append(d)
    ordered = sorted(groups.items(), key=lambda kv: kv[1][-1]["create_time"], reverse=True)
    start = (page - 1) * page_size
    out = []
    for gid, convs in ordered[start : start + page_size] if page >= 1 else []:
        out.append(
            {
                "group_id": gid,
                "conversations": [
                    {
                        "trace_id": d["trace_id"],
                        "input": d["input"],
                        "callee": d["callee"],
                        "output": d["output"],
                        "create_time": d["create_time"],
                        "from_trace_id": d["from_trace_id"],
                        "rating_stats": None,
                        "rating_history": [],
                    }
                    for d in convs
                ],
                "latest_create_time": convs[-1]["create_time"],
                "conversation_count": len(convs),
                "total_likes": 0,
                "total_dislikes": 0,
                "has_rating": False,
            }
        )
    total = len(ordered)
    pages = (total + page_size - 1) // page_size if page_size else 0
    return {
        "conversation_groups": out,
        "total": total,
        "page": page,
        "page_size": page_size,
        "total_pages": pages,
    }
