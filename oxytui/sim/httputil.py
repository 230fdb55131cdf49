"""HTTP details that make an aiohttp app look like OxyGent's FastAPI/uvicorn one on the wire."""

from __future__ import annotations

import json
from email.utils import formatdate
from typing import Any

from aiohttp import web

__all__ = [
    "BadBody",
    "bad_body_response",
    "base_headers",
    "cors_on_prepare",
    "error_500",
    "json_response",
    "preflight",
    "read_payload",
    "web_response",
]

_NO_VARY = web.ResponseKey("sim_no_vary", bool)


def base_headers(content_type: str) -> dict[str, str]:
    """``date`` and ``server`` first, as uvicorn orders them."""
    return {"date": formatdate(usegmt=True), "server": "uvicorn", "content-type": content_type}


class BadBody(Exception):
    """The request body (or ``?payload=``) is not a JSON object; OxyGent answers these with HTTP 500."""


def json_response(obj: Any, status: int = 200) -> web.Response:
    """Compact JSON like FastAPI's JSONResponse (``separators=(",", ":")``, ``ensure_ascii=False``)."""
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    return web.Response(body=body, status=status, headers=base_headers("application/json"))


def web_response(
    data: dict[str, Any] | None = None, code: int = 200, message: str = "SUCCESS"
) -> web.Response:
    """OxyGent's ``WebResponse`` envelope ``{"code","message","data"}`` (always HTTP 200, like OxyGent)."""
    return json_response({"code": code, "message": message, "data": data or {}})


def error_500() -> web.Response:
    """Starlette's unhandled-exception answer: 500, text/plain, ``Internal Server Error``, no ``vary``."""
    resp = web.Response(
        body=b"Internal Server Error",
        status=500,
        headers=base_headers("text/plain; charset=utf-8"),
    )
    resp[_NO_VARY] = True
    return resp


def bad_body_response(exc: Exception, strict: bool) -> web.Response:
    """500 as OxyGent does, or with ``strict`` a 400 carrying a JSON error that says what was wrong."""
    if strict:
        return json_response({"code": 400, "message": f"bad request: {exc}", "data": {}}, status=400)
    return error_500()


async def read_payload(request: web.Request) -> dict[str, Any]:
    """The payload object: ``POST`` JSON body (any content type) or ``GET ?payload=`` (absent = ``{}``)."""
    try:
        if request.method == "GET":
            raw = request.query.get("payload")
            payload: Any = {} if raw is None else json.loads(raw)
        else:
            payload = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadBody(f"body is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise BadBody(f"payload must be a JSON object, not {type(payload).__name__}")
    return payload


async def cors_on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    """What Starlette's CORSMiddleware (allow_origins=*, credentials) adds; 500s come without it."""
    if response.get(_NO_VARY):
        return
    origin = request.headers.get("Origin")
    if origin:
        response.headers["access-control-allow-origin"] = origin
        response.headers["access-control-allow-credentials"] = "true"
    response.headers["vary"] = "Origin"


async def preflight(request: web.Request) -> web.Response:
    """CORS preflight: 200 with the allowed methods and headers echoed."""
    resp = web.Response(
        body=b"OK", headers={"server": "uvicorn", "content-type": "text/plain; charset=utf-8"}
    )
    resp.headers["access-control-allow-methods"] = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
    resp.headers["access-control-max-age"] = "600"
    wanted = request.headers.get("Access-Control-Request-Headers")
    if wanted:
        resp.headers["access-control-allow-headers"] = wanted
    return resp
