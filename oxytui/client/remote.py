"""``RemoteAgent``: the part of OxyGent's remote-agent contract that does not depend on the transport.

OxyGent's ``RemoteAgent`` is a pydantic model: a bad ``server_url`` raises ``pydantic.ValidationError``,
``org`` can be given to the constructor, ``get_org()`` returns marked copies, and ``execute()`` puts
the agent on the request's call stack before calling ``_execute()``. This class keeps that contract
(as a plain class, so subclasses may set any attribute) and adds one thing: ``execute()`` never raises
for a failure, it returns ``OxyState.FAILED`` with a message naming the node and the cause.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from . import _transport as tr
from .errors import RemoteConfigError, RemoteError
from .schemas import OxyRequest, OxyResponse, OxyState, mark_remote

__all__ = ["RemoteAgent", "validate_server_url"]

log = logging.getLogger("oxytui.client")


def validate_server_url(owner: str, node: str, server_url: Any, require_https: bool = False) -> str:
    """``server_url`` as a string, or ``pydantic.ValidationError`` on the ``server_url`` field (a
    ``ValueError``, as OxyGent raises); the URL shown in the error has any password removed."""
    try:
        tr.check_url(node, server_url, require_https)
    except RemoteConfigError as exc:
        detail = InitErrorDetails(
            type=PydanticCustomError("server_url", "{cause}", {"cause": exc.cause}),
            loc=("server_url",),
            input=tr.display_url(str(server_url)),
        )
        raise ValidationError.from_exception_data(owner, [detail]) from None
    return str(server_url)


class RemoteAgent:
    """Base of agents that delegate to another OxyGent system; subclasses implement ``_execute``."""

    def __init__(
        self,
        name: str,
        server_url: str,
        desc: str = "",
        org: dict[str, Any] | list[Any] | None = None,
        *,
        require_https: bool = False,
    ) -> None:
        self.name = name
        self.require_https = require_https
        self.server_url = validate_server_url(type(self).__name__, name, server_url, require_https)
        self.desc = desc
        self.org: dict[str, Any] | list[Any] = {} if org is None else org

    def get_org(self) -> list[dict[str, Any]]:
        """Deep copy of the organization's children (or of the list itself, when the node sent a list),
        every node marked ``is_remote=True``; ``self.org`` is left as it was."""
        org = self.org
        return mark_remote(org if isinstance(org, list) else org.get("children"))

    def _scrub(self, text: str) -> str:
        """Remove secrets from text that may reach a log or a UI (none here; see SSEOxyGent)."""
        return text

    def _enter(self, oxy_request: OxyRequest) -> None:
        """Put this agent on the request's call stack, as OxyGent's ``execute`` does, unless it is
        already there (``build_request`` puts it there)."""
        stack = oxy_request.call_stack
        if not stack or stack[-1] != self.name:
            stack.append(self.name)
            oxy_request.node_id_stack.append(oxy_request.node_id or "")

    async def execute(self, oxy_request: OxyRequest) -> OxyResponse:
        """Run ``_execute``; any failure becomes ``OxyState.FAILED`` with "node: cause" as output."""
        self._enter(oxy_request)
        try:
            resp = await self._execute(oxy_request)
        except asyncio.CancelledError:
            raise
        except RemoteError as exc:
            message = self._scrub(str(exc))
        except Exception as exc:  # a subclass's own _execute, a handler, anything: never raise
            message = self._scrub(f"{self.name}: {type(exc).__name__}: {exc}")
        else:
            if resp.oxy_request is None:
                resp.oxy_request = oxy_request
            return resp
        log.info("%s", message)
        return OxyResponse(
            state=OxyState.FAILED,
            output=message,
            extra={"node": self.name, "trace_id": oxy_request.current_trace_id, "error": message},
            oxy_request=oxy_request,
        )

    async def _execute(self, oxy_request: OxyRequest) -> OxyResponse:
        raise NotImplementedError(f"{type(self).__name__} must implement _execute")
