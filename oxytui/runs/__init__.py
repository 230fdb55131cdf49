"""Pure dashboard model: typed events in, runs / call trees / event log / stats out. No I/O, no Textual."""

from __future__ import annotations

from .callees import CalleeStat, CalleeStats
from .calltree import Call, CallStatus, Run, RunState
from .clock import NodeClock
from .errors import is_error_output
from .eventlog import EventLog, LogRow
from .fleet import Fleet, FleetEvent
from .fleetrun import FleetCall, FleetRun, FleetState, Source
from .names import NameSource, display_names, shorten_middle
from .sanitize import clean, one_line, pretty_json
from .stats import NodeStats, percentile
from .store import ALL, NodeInfo, NodeStatus, RunStore

__all__ = [
    "ALL",
    "Call",
    "CallStatus",
    "CalleeStat",
    "CalleeStats",
    "EventLog",
    "Fleet",
    "FleetCall",
    "FleetEvent",
    "FleetRun",
    "FleetState",
    "LogRow",
    "NameSource",
    "NodeClock",
    "NodeInfo",
    "NodeStats",
    "NodeStatus",
    "Run",
    "RunState",
    "RunStore",
    "Source",
    "clean",
    "display_names",
    "is_error_output",
    "one_line",
    "percentile",
    "pretty_json",
    "shorten_middle",
]
