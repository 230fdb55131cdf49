"""What SSEOxyGent POSTs, and which received events it forwards: OxyGent 1.1.3 semantics.

Kept apart from the agent so both are testable without a network and overridable in subclasses.
"""

from __future__ import annotations

from typing import Any, Literal

from .schemas import OxyRequest

__all__ = ["STRATEGIES", "CallStackStrategy", "build_payload", "resolve_strategy"]

CallStackStrategy = Literal["full", "partial", "none"]
STRATEGIES: tuple[str, ...] = ("full", "partial", "none")
# a set, not a frozenset: pydantic's ``IncEx`` type (model_dump's ``exclude``) names ``set[str]``
_EXCLUDE: set[str] = {"mas", "parallel_id", "latest_node_ids"}


def resolve_strategy(strategy: str | None, is_share_call_stack: bool) -> str:
    """``None`` means OxyGent's default: ``partial`` when sharing the call stack, else ``none``."""
    if strategy is None:
        return "partial" if is_share_call_stack else "none"
    if strategy not in STRATEGIES:
        raise ValueError(f"call_stack_strategy must be one of {STRATEGIES}, got {strategy!r}")
    return strategy


def build_payload(request: OxyRequest, strategy: str, agent: str | None = None) -> dict[str, Any]:
    """``model_dump`` minus runtime fields, arguments flattened, ``caller_category`` forced to user.

    * ``full``: both stacks as they are;
    * ``partial``: both stacks minus their last entry (this agent itself); with ``agent`` given, only
      when the stack ends with it, so a request built by hand (``OxyRequest(arguments=…)``, stack
      ``["user"]``) keeps its ``user`` root;
    * ``none``: no stacks at all and ``caller="user"``: the remote sees a plain user request.
    ``shared_data._headers`` (the caller's incoming HTTP headers) is never sent in the body.
    """
    payload = request.model_dump(exclude=_EXCLUDE)
    payload.update(payload["arguments"])
    payload["caller_category"] = "user"
    if strategy == "partial" and (agent is None or payload["call_stack"][-1:] == [agent]):
        payload["call_stack"] = payload["call_stack"][:-1]
        payload["node_id_stack"] = payload["node_id_stack"][:-1]
    elif strategy == "none":
        payload.pop("call_stack", None)
        payload.pop("node_id_stack", None)
        payload["caller"] = "user"
    del payload["arguments"]
    shared = payload.get("shared_data")
    if isinstance(shared, dict) and "_headers" in shared:
        del shared["_headers"]
    return payload
