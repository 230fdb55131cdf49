"""oxytui.client: a fast, sturdy asyncio client for OxyGent 1.1.3 nodes (no Textual in here)."""

from __future__ import annotations

from .agent import EventHandler, SSEOxyGent, WireTap
from .errors import (
    NoHealthyNode,
    RemoteBodyTooLarge,
    RemoteConfigError,
    RemoteConnectionError,
    RemoteError,
    RemoteEventTooLarge,
    RemoteHTTPError,
    RemoteProtocolError,
    RemoteTimeout,
    StreamAborted,
)
from .events import (
    AnswerEvent,
    ErrorEvent,
    KeepAlive,
    ObservationEvent,
    OxyEvent,
    ProgressEvent,
    StreamClosed,
    StreamEndEvent,
    StreamEvent,
    ThinkEvent,
    ToolCallEvent,
    UnknownEvent,
)
from .pool import InitResult, NodePool
from .profiles import PROFILES, Profile, agent_from_profile, get_profile
from .records import HistoryPage, NodeRecord, TraceSummary, TraceView
from .remote import RemoteAgent
from .runlog import NoRunRecords
from .schemas import OrgNode, OxyRequest, OxyResponse, OxyState, parse_organization
from .sse import SSEComment, SSEDecoder, SSEError, SSEEventTooLarge, SSEMessage
from .stats import ConnectionStats

__all__ = [
    "PROFILES",
    "AnswerEvent",
    "ConnectionStats",
    "ErrorEvent",
    "EventHandler",
    "HistoryPage",
    "InitResult",
    "KeepAlive",
    "NoHealthyNode",
    "NoRunRecords",
    "NodePool",
    "NodeRecord",
    "ObservationEvent",
    "OrgNode",
    "OxyEvent",
    "OxyRequest",
    "OxyResponse",
    "OxyState",
    "Profile",
    "ProgressEvent",
    "RemoteAgent",
    "RemoteBodyTooLarge",
    "RemoteConfigError",
    "RemoteConnectionError",
    "RemoteError",
    "RemoteEventTooLarge",
    "RemoteHTTPError",
    "RemoteProtocolError",
    "RemoteTimeout",
    "SSEComment",
    "SSEDecoder",
    "SSEError",
    "SSEEventTooLarge",
    "SSEMessage",
    "SSEOxyGent",
    "StreamAborted",
    "StreamClosed",
    "StreamEndEvent",
    "StreamEvent",
    "ThinkEvent",
    "ToolCallEvent",
    "TraceSummary",
    "TraceView",
    "UnknownEvent",
    "WireTap",
    "agent_from_profile",
    "get_profile",
    "parse_organization",
]
