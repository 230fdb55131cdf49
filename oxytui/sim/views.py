"""The read-only endpoints of a simulated node: organization, agents and the run records (``/view``,
``/node``, ``/history_with_ratings``). Handlers take the node and read only its public state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .httputil import json_response, web_response
from .records import history_page

if TYPE_CHECKING:
    from .server import SimNode

__all__ = ["get_agents", "get_organization", "history", "node", "root", "view"]


async def root(_: web.Request) -> web.Response:
    """OxyGent redirects ``/`` to its bundled web UI (which a simulator does not have)."""
    raise web.HTTPTemporaryRedirect("./web/index.html")


def _missing(name: str) -> web.Response:
    """FastAPI's 422 for a missing query parameter (captured: ``view_missing_param``)."""
    detail = {"type": "missing", "loc": ["query", name], "msg": "Field required", "input": None}
    return json_response({"detail": [detail]}, status=422)


def _unprocessable(name: str, query: Mapping[str, str]) -> web.Response:
    """FastAPI's 422 for a query parameter that is not an integer (captured: ``history_bad_page``)."""
    msg = "Input should be a valid integer, unable to parse string as an integer"
    detail = {"type": "int_parsing", "loc": ["query", name], "msg": msg, "input": query.get(name)}
    return json_response({"detail": [detail]}, status=422)


def _records_off(sim: SimNode) -> web.Response | None:
    """The ``run_records`` knob: ``missing`` routes (404) or a ``broken`` store (``{"code": 500}``)."""
    if sim.knobs.run_records == "missing":
        return json_response({"detail": "Not Found"}, status=404)
    if sim.knobs.run_records == "broken":
        return web_response(None, 500, "Elasticsearch is unavailable")
    return None


async def get_organization(sim: SimNode, _: web.Request) -> web.Response:
    ids: dict[str, int] = {}

    def add_path(node: dict[str, Any], path: list[str]) -> dict[str, Any]:
        here = [*path, str(node.get("name", ""))]
        if node.get("type") in ("agent", "flow"):
            ids.setdefault(str(node.get("name", "")), len(ids))
        new = dict(node)
        new["path"] = here
        if isinstance(node.get("children"), list):
            new["children"] = [add_path(c, here) for c in node["children"] if isinstance(c, dict)]
        return new

    org = add_path(sim.org, [])
    return web_response({"id_dict": ids, "organization": org})


async def get_agents(sim: SimNode, _: web.Request) -> web.Response:
    agents = [{"name": sim.name, "desc": "", "type": "agent", "path": [sim.name]}]
    agents += [{"name": n, "desc": "", "type": "agent", "path": [sim.name, n]} for n in sim.remotes.children]
    return web_response({"agents": agents})


async def view(sim: SimNode, request: web.Request) -> web.Response:
    if (off := _records_off(sim)) is not None:
        return off
    if "item_id" not in request.query:
        return _missing("item_id")
    return web_response(sim.records.view(request.query["item_id"]))


async def node(sim: SimNode, request: web.Request) -> web.Response:
    if (off := _records_off(sim)) is not None:
        return off
    if "item_id" not in request.query:
        return _missing("item_id")
    rec = sim.records.node(request.query["item_id"])
    return web_response(rec) if rec is not None else web_response(None, 400, "illegal node_id")


async def history(sim: SimNode, request: web.Request) -> web.Response:
    if (off := _records_off(sim)) is not None:
        return off
    q = request.query
    try:
        page, size = int(q.get("page", "1")), int(q.get("page_size", "20"))
    except ValueError:
        return _unprocessable("page" if not q.get("page", "1").lstrip("-").isdigit() else "page_size", q)
    docs = list(sim.records.docs.values())
    return web_response(history_page(docs, page, size, q.get("search_term", "")))
