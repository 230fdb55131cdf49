"""OxyGent 1.1.3 request/response schemas (same field names, so payloads are wire-identical).

``OxyRequest`` keeps OxyGent's fields and defaults; what it drops is the MAS runtime (there is none on
the client side): ``send_message`` goes to a private per-request handler instead of a Redis queue.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, TypeAdapter, ValidationError

from oxytui.common.state import OxyState

from .errors import RemoteProtocolError

__all__ = [
    "MessageHandler",
    "OrgNode",
    "OxyRequest",
    "OxyResponse",
    "OxyState",
    "generate_uuid",
    "mark_remote",
    "parse_organization",
]

# shortuuid's default alphabet (what OxyGent's generate_uuid uses): no 0/1/I/O/l look-alikes.
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

MessageHandler = Callable[[Any, "str | None", "str | None", "int | None"], Awaitable[None]]
"""``async fn(message, event, id, retry)``: where a request's forwarded events go."""


def generate_uuid(length: int = 16) -> str:
    """A random id in OxyGent's format (16 chars for trace/node ids, 22 for request ids)."""
    choice = secrets.choice
    return "".join(choice(_ALPHABET) for _ in range(length))


class OxyRequest(BaseModel):
    """The invocation envelope, field for field as OxyGent 1.1.3 defines it."""

    model_config = ConfigDict(arbitrary_types_allowed=True, validate_assignment=False)

    request_id: str = Field(default_factory=lambda: generate_uuid(22))
    group_id: str = Field(default_factory=generate_uuid)
    from_trace_id: str | None = ""
    current_trace_id: str | None = Field(default_factory=generate_uuid)
    reference_trace_id: str | None = ""
    restart_node_id: str | None = ""
    restart_node_output: str | None = ""
    restart_node_order: str | None = ""
    original_payload: str | None = ""
    input_md5: str | None = ""
    root_trace_ids: list[str] = Field(default_factory=list)
    mas: Any | None = Field(None, repr=False)

    caller: str | None = "user"
    callee: str | None = ""
    call_stack: list[str] = Field(default_factory=lambda: ["user"])
    node_id_stack: list[str] = Field(default_factory=lambda: [""])
    father_node_id: str | None = ""
    pre_node_ids: list[str] | str | None = Field(default_factory=list)
    latest_node_ids: list[str] | str | None = Field(default_factory=list)
    caller_category: str | None = "user"
    callee_category: str | None = ""

    node_id: str | None = ""
    copied_node_id: str | None = ""

    is_save_history: bool = True
    is_send_message: bool = True
    is_async_storage: bool = True

    parallel_id: str | None = ""
    parallel_dict: dict[str, Any] | None = Field(default_factory=dict)

    arguments: dict[str, Any] = Field(default_factory=dict)
    shared_data: dict[str, Any] = Field(default_factory=dict)
    group_data: dict[str, Any] = Field(default_factory=dict)

    create_time: str | None = None
    update_time: str | None = None

    _message_handler: MessageHandler | None = PrivateAttr(default=None)

    @property
    def session_name(self) -> str:
        return f"{self.caller}__{self.callee}"

    @property
    def message_handler(self) -> MessageHandler | None:
        """Where ``send_message`` delivers (None: nowhere); the client calls it directly per event."""
        return self._message_handler

    def set_message_handler(self, handler: MessageHandler | None) -> None:
        """Route ``send_message`` to ``handler`` (the local "frontend" of this request)."""
        self._message_handler = handler

    async def send_message(
        self, message: Any = None, event: str | None = None, id: str | None = None, retry: int | None = None
    ) -> None:
        """Deliver one message to the handler, as OxyGent's MAS queue would; a no-op without one."""
        handler = self._message_handler
        if handler is not None and self.is_send_message:
            await handler(message, event, id, retry)

    def clone_with(self, **kwargs: Any) -> OxyRequest:
        """A deep copy with fields overridden; the message handler is shared."""
        new = self.model_copy(deep=True, update=kwargs)
        new._message_handler = self._message_handler
        return new

    def get_query(self) -> str:
        return str(self.arguments.get("query", ""))

    def set_query(self, query: str) -> None:
        self.arguments["query"] = query

    def get_arguments(self, key: str | None = None, default: Any = None) -> Any:
        return self.arguments if key is None else self.arguments.get(key, default)

    def set_arguments(self, key: str, value: Any) -> None:
        self.arguments[key] = value

    def has_shared_data(self, key: str) -> bool:
        return key in self.shared_data

    def get_shared_data(self, key: str | None = None, default: Any = None) -> Any:
        return self.shared_data if key is None else self.shared_data.get(key, default)

    def set_shared_data(self, key: str, value: Any) -> None:
        self.shared_data[key] = value

    def get_group_data(self, key: str | None = None, default: Any = None) -> Any:
        return self.group_data if key is None else self.group_data.get(key, default)

    def set_group_data(self, key: str, value: Any) -> None:
        self.group_data[key] = value


class OxyResponse(BaseModel):
    """Result of an execution: ``output`` is the answer, or the error message when not COMPLETED."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    state: OxyState
    output: Any = None
    extra: dict[str, Any] = Field(default_factory=dict)
    oxy_request: OxyRequest | None = None


class OrgNode(BaseModel):
    """One node of ``/get_organization``'s tree (``type`` is agent | tool | flow)."""

    model_config = ConfigDict(extra="allow")

    name: str = ""
    type: str = ""
    path: list[str] = Field(default_factory=list)
    children: list[OrgNode] = Field(default_factory=list)
    is_remote: bool = False

    def walk(self) -> list[OrgNode]:
        """This node and all descendants, depth first."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


_ORG_LIST: TypeAdapter[list[OrgNode]] = TypeAdapter(list[OrgNode])


def parse_organization(envelope: Any, node: str = "remote") -> dict[str, Any] | list[Any]:
    """``data.organization`` of a ``/get_organization`` body, as given (OxyGent stores it as is): the
    root object, or a list of nodes; a clear error for anything else."""
    if not isinstance(envelope, dict):
        raise RemoteProtocolError(
            node, f"/get_organization: expected a JSON object, got {type(envelope).__name__}"
        )
    code = envelope.get("code", 200)
    if code != 200:
        msg = str(envelope.get("message", ""))[:200]
        raise RemoteProtocolError(node, f"/get_organization: code {code}: {msg}")
    data = envelope.get("data")
    org = data.get("organization") if isinstance(data, dict) else None
    if not isinstance(org, dict | list):
        raise RemoteProtocolError(
            node, "/get_organization: no data.organization object or list in the response"
        )
    try:  # shape check: names/types/paths/children of the right JSON types
        if isinstance(org, dict):
            OrgNode.model_validate(org)
        else:
            _ORG_LIST.validate_python(org)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RemoteProtocolError(
            node, f"/get_organization: bad organization tree at {where}: {first['msg']}"
        ) from None
    return org


def mark_remote(children: Any) -> list[dict[str, Any]]:
    """Deep copy of an org ``children`` list with ``is_remote=True`` on every node (as OxyGent does)."""
    if not isinstance(children, list):
        return []
    out = copy.deepcopy(children)
    stack = list(out)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            node["is_remote"] = True
            kids = node.get("children")
            if isinstance(kids, list):
                stack.extend(kids)
    return out
