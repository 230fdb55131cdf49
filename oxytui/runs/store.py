"""``RunStore``: the whole dashboard state, fed by typed events, with explicit times (no clock inside)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from .calltree import Run, RunState
from .errors import is_error_output
from .eventlog import EventLog
from .names import NameSource, display_names
from .nodeinfo import NodeInfo as NodeInfo
from .nodeinfo import NodeStatus as NodeStatus
from .outcome import finished_state
from .sanitize import one_line
from .stats import NodeStats

ALL = "*"
"""Key of the aggregate :class:`NodeStats` over every node."""
TRAFFIC = "traffic"
"""``Run.source`` / ``LogRow.source`` of runs someone else started (seen in the nodes' own records)."""


class RunStore:
    """Runs keyed by ``(node, trace_id)``, a bounded event log, call trees and per-node stats.

    ``version`` increases on every change so a UI can redraw only when something happened.
    """

    def __init__(self, log_cap: int = 20_000, max_runs: int = 2_000, degraded_below: float = 0.8) -> None:
        self.log = EventLog(log_cap)
        self.nodes: dict[str, NodeInfo] = {}
        self.runs: OrderedDict[tuple[str, str], Run] = OrderedDict()
        self.stats: dict[str, NodeStats] = {ALL: NodeStats(ALL)}
        """Everyone's runs: this dashboard's and traffic seen on the nodes (``source == "traffic"``)."""
        self.own_stats: dict[str, NodeStats] = {ALL: NodeStats(ALL)}
        """Only the runs this dashboard started (chat, probes, demo driver)."""
        self.max_runs = max_runs
        self.degraded_below = degraded_below
        self.version = 0
        self.last_mono = 0.0
        """Latest time seen in any input: the 'now' of the model when the UI has no clock (snapshots)."""
        self.names: dict[str, str] = {}
        """Node key -> the one display name every pane and export uses (see :mod:`.names`)."""
        self.names_version = 0

    def reset(self) -> None:
        """Forget everything (replay jumping backwards), keeping this object so views stay attached."""
        nodes = list(self.nodes.values())
        self.__init__(self.log.cap, self.max_runs, self.degraded_below)  # type: ignore[misc]
        for old in nodes:
            self.add_node(old.name, old.url, old.tags, auto_name=old.auto_name)
            self.nodes[old.name].org = old.org
        self._rename()

    # --- nodes -------------------------------------------------------------------------------------

    def add_node(
        self, name: str, url: str = "", tags: list[str] | None = None, *, auto_name: bool = False
    ) -> NodeInfo:
        info = self.nodes.get(name)
        if info is None:
            clean_tags = [one_line(t, 40) for t in tags or []]
            info = self.nodes[name] = NodeInfo(name=name, url=url, tags=clean_tags, auto_name=auto_name)
            self.stats.setdefault(name, NodeStats(name))
            self.own_stats.setdefault(name, NodeStats(name))
            self._rename()
        self.version += 1
        return info

    def remove_node(self, name: str) -> None:
        self.nodes.pop(name, None)
        self._rename()
        self.version += 1

    def display(self, key: str) -> str:
        """The node's one display name (its key when unknown; "all nodes" for :data:`ALL`)."""
        if key == ALL:
            return "all nodes"
        return self.names.get(key, key)

    def _rename(self) -> None:
        sources = []
        for info in self.nodes.values():
            root = ""
            if info.auto_name and isinstance(info.org, dict) and isinstance(info.org.get("name"), str):
                root = info.org["name"].strip()
            sources.append(NameSource(info.name, info.url, root))
        self.names = display_names(sources)
        self.names_version += 1

    def set_alive(self, name: str, alive: bool, mono: float, error: str = "") -> None:
        info = self.nodes.get(name) or self.add_node(name)
        error = one_line(error, 200)
        changed = info.alive is not alive or info.probe_error != error
        info.alive = alive
        info.probe_error = error
        info.last_probe = mono
        if mono > self.last_mono:
            self.last_mono = mono
        if changed:  # an unchanged probe result redraws nothing (60 idle nodes probe all the time)
            self.version += 1

    def set_org(self, name: str, org: dict[str, Any] | None) -> None:
        info = self.nodes.get(name) or self.add_node(name)
        info.org = org
        if info.auto_name:
            self._rename()
        self.version += 1

    def status(self, name: str) -> NodeStatus:
        info = self.nodes.get(name)
        if info is None or info.alive is None:
            return NodeStatus.CONNECTING
        if not info.alive:
            return NodeStatus.DOWN
        rolling = self.stats[name].success_rolling
        if rolling is not None and rolling < self.degraded_below:
            return NodeStatus.DEGRADED
        return NodeStatus.UP

    def count_up(self) -> tuple[int, int, int]:
        """(up-or-degraded, probed, total) for the connection progress line."""
        probed = [n for n in self.nodes.values() if n.alive is not None]
        return sum(1 for n in probed if n.alive), len(probed), len(self.nodes)

    # --- runs --------------------------------------------------------------------------------------

    def start_run(
        self,
        node: str,
        trace_id: str,
        query: str,
        mono: float,
        wall: float,
        group: str = "",
        source: str = "",
    ) -> Run:
        """``source`` "traffic": a run someone else started, seen in the nodes' records."""
        run = Run(
            node=node,
            trace_id=trace_id,
            query=one_line(query, 500),
            start_mono=mono,
            start_wall=wall,
            group=group,
            source=source,
        )
        self.runs[run.key] = run
        for st in self._each(node, source):
            st.on_start()
        while len(self.runs) > self.max_runs:
            for key, old in self.runs.items():
                if not old.live:
                    del self.runs[key]
                    break
            else:
                break
        self.log.append(
            mono=mono,
            wall=wall,
            node=node,
            trace_id=trace_id,
            type="request",
            caller="traffic" if source == TRAFFIC else "you",
            callee=node,
            summary=query,
            raw={"query": query},
            source=source,
        )
        self._tick(mono)
        return run

    def restore_run(
        self,
        node: str,
        trace_id: str,
        *,
        query: str,
        state: str,
        duration: float | None,
        answer: str,
        error: str,
        wall: float,
        events: int = 0,
        source: str = "",
    ) -> Run:
        """A finished run from persisted history: counted in stats, not added to the event log.
        ``source`` "traffic": someone else's run (counted in everyone's stats, not in our own)."""
        try:
            run_state = RunState(state)
        except ValueError:
            run_state = RunState.FAILED
        mono = self.last_mono
        run = Run(
            node=node,
            trace_id=trace_id,
            query=one_line(query, 500),
            state=run_state,
            start_mono=mono,
            start_wall=wall,
            end_mono=mono + (duration or 0.0),
            answer=answer,
            error=one_line(error, 500),
            events=events,
            group="history",
            source=source,
        )
        self.runs[run.key] = run
        ok = None if run_state is RunState.CANCELED else run_state is RunState.COMPLETED
        for st in self._each(node, source):
            st.runs += 1
            st.active += 1
            st.on_finish(ok, duration or 0.0)
        self.version += 1
        return run

    def get_run(self, node: str, trace_id: str) -> Run | None:
        return self.runs.get((node, trace_id))

    def replace_traffic(self, trace_id: str) -> int:
        """Drop the live traffic copies of ``trace_id`` (their start uncounted): the dashboard is about
        to follow that run itself (attach), and one run must remain, the one that ends. Returns how many."""
        gone = [r for r in self.runs.values() if r.trace_id == trace_id and r.source == TRAFFIC and r.live]
        for run in gone:
            del self.runs[run.key]
            for st in self._each(run.node, run.source):
                st.runs, st.active = max(0, st.runs - 1), max(0, st.active - 1)
        self.version += bool(gone)
        return len(gone)

    def find_trace(self, trace_id: str) -> Run | None:
        """A run of ``trace_id`` on any node (a linear scan: for rare look-ups)."""
        return next((r for r in self.runs.values() if r.trace_id == trace_id), None)

    def live_runs(self) -> list[Run]:
        return [r for r in self.runs.values() if r.live]

    def finish_run(
        self,
        node: str,
        trace_id: str,
        mono: float,
        wall: float,
        state: RunState | None = None,
        error: str = "",
    ) -> Run | None:
        """End a run. ``state`` None means: completed if an answer came, else failed."""
        run = self.runs.get((node, trace_id))
        if run is None or not run.live:
            return run
        state, error = finished_state(run, state, error)
        if error:
            run.error = one_line(error, 500)
        run.state = state
        run.end_mono = mono
        ok = None if state is RunState.CANCELED else state is RunState.COMPLETED
        duration = run.duration(mono)
        for st in self._each(node, run.source):
            st.on_finish(ok, duration)
        if state is not RunState.COMPLETED:
            self.log.append(
                mono=mono,
                wall=wall,
                node=node,
                trace_id=trace_id,
                type=state.value,
                caller=node,
                callee="you",
                summary=run.error or state.value,
                raw={"state": state.value, "error": run.error},
                error=True,
                source=run.source,
            )
        self._tick(mono)
        return run

    # --- events ------------------------------------------------------------------------------------

    def add_event(self, ev: Any) -> Run | None:
        """Apply one typed :mod:`oxytui.client.events` event (duck-typed: no import of the client)."""
        kind = ev.type
        mono, wall, node, trace = ev.mono, ev.wall, ev.node, ev.trace_id
        self._tick(mono)
        if kind == "ping":
            return None
        run = self.runs.get((node, trace))
        if run is None:  # events of a run we did not start (attach, replay): adopt it
            run = self.start_run(node, trace, "", mono, wall)
        if kind == "close":
            if run.live:
                self.finish_run(node, trace, mono, wall)
            return run
        run.events += 1
        if run.first_event_mono is None:
            run.first_event_mono = mono
            ttfe = mono - run.start_mono
            for st in self._each(node, run.source):
                st.on_first_event(ttfe)
        for st in self._each(node, run.source):
            st.on_event(mono)
        log = self.log
        if kind == "stream" or kind == "stream_end":
            log.stream(
                mono=mono,
                wall=wall,
                node=node,
                trace_id=trace,
                node_id=ev.node_id,
                agent=ev.agent,
                delta=ev.delta,
                end=kind == "stream_end",
                raw=ev.raw,
            )
            if ev.delta and len(run.streamed) < 20_000:
                run.streamed += ev.delta
            return run
        if kind == "tool_call":
            run.on_tool_call(
                node_id=ev.node_id,
                caller=ev.caller,
                callee=ev.callee,
                category=ev.callee_category,
                call_stack=ev.call_stack,
                arguments=ev.arguments,
                mono=mono,
            )
            self._row(ev, kind, ev.caller, ev.callee, _query_of(ev.arguments))
        elif kind == "observation":
            call = run.on_observation(
                node_id=ev.node_id,
                caller=ev.caller,
                callee=ev.callee,
                category=ev.callee_category,
                call_stack=ev.call_stack,
                output=ev.output,
                mono=mono,
            )
            self._row(ev, kind, ev.caller, ev.callee, call.output_preview, call.status == "error")
        elif kind == "answer":
            content = ev.content
            run.answer = content if isinstance(content, str) else one_line(content, 100_000)
            self._row(ev, kind, node, "you", run.answer, is_error_output(content))
        elif kind == "think":
            think = getattr(ev, "content", None)  # duck-typed events: a think may lack it
            if think:
                run.think = one_line(think, 500)
            self._row(ev, kind, getattr(ev, "agent", ""), "", ev.summary)
        elif kind == "error":
            run.error = one_line(ev.message, 500)
            self._row(ev, kind, "", "", run.error, True)
        else:
            self._row(ev, kind or "unknown", getattr(ev, "agent", ""), "", ev.summary)
        return run

    def _row(self, ev: Any, kind: str, caller: str, callee: str, summary: str, error: bool = False) -> None:
        """One event-log row for a non-stream event (times, node, trace and raw data from the event)."""
        self.log.append(
            mono=ev.mono,
            wall=ev.wall,
            node=ev.node,
            trace_id=ev.trace_id,
            type=kind,
            caller=caller,
            callee=callee,
            summary=summary,
            raw=ev.raw,
            error=error,
        )

    # --- misc --------------------------------------------------------------------------------------

    def clear_log(self) -> None:
        self.log.clear()
        self.version += 1

    def _stats(self, node: str) -> NodeStats:
        s = self.stats.get(node)
        if s is None:
            s = self.stats[node] = NodeStats(node)
        return s

    def _each(self, node: str, source: str) -> tuple[NodeStats, ...]:
        """The stats a run counts in: everyone's always, this dashboard's own unless it is traffic."""
        if source == TRAFFIC:
            return (self._stats(node), self.stats[ALL])
        own = self.own_stats.get(node)
        if own is None:
            own = self.own_stats[node] = NodeStats(node)
        return (self._stats(node), self.stats[ALL], own, self.own_stats[ALL])

    def _tick(self, mono: float) -> None:
        if mono > self.last_mono:
            self.last_mono = mono
        self.version += 1


def _query_of(arguments: Any) -> str:
    if isinstance(arguments, dict):
        q = arguments.get("query")
        if q is not None:
            return one_line(q, 300)
    return ""
