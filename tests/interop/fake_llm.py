"""Scripted OpenAI-compatible chat-completions server for real OxyGent nodes.

Runs inside the interop venv (only aiohttp needed). It answers OxyGent's ReAct prompts
deterministically from the user query, and always streams (``stream: true``) with small
deltas so HttpLLM's streaming path (``stream``/``stream_end`` events) runs for real.

Script, keyed on the model name (one per node role) and the ReAct round (number of
assistant messages after the user query):

* ``fake-math``: ``add A B`` -> tool ``add``; ``boom`` -> tool ``boom`` (raises);
  ``big N`` -> tool ``big_output(n=N)``; ``slow S`` -> tool ``slow(seconds=S)``;
  anything else -> direct answer ``echo: <query>``. Round 2 answers with the tool output
  (truncated to 200 chars so a big output is not echoed back).
* ``fake-master``: ``remote <q>`` -> sub-agent ``math_agent`` with query ``<q>``; else echo.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from aiohttp import web

DELTA_CHARS = 12


def _query_and_round(messages: list[dict[str, Any]]) -> tuple[str, int, str]:
    """Return (user query, react round, last message text)."""
    first_user = next((i for i, m in enumerate(messages) if m.get("role") == "user"), None)
    if first_user is None:
        return "", 0, ""
    query = _text(messages[first_user].get("content"))
    rounds = sum(1 for m in messages[first_user + 1 :] if m.get("role") == "assistant")
    return query, rounds, _text(messages[-1].get("content"))


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # multimodal list form
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content)


def _tool_call(think: str, tool: str, arguments: dict[str, Any]) -> str:
    body = json.dumps({"think": think, "tool_name": tool, "arguments": arguments}, indent=4)
    return f"```json\n{body}\n```"


def _observation_text(last: str) -> str:
    text = last.strip()
    return text if len(text) <= 200 else text[:200] + "..."


def script_reply(model: str, messages: list[dict[str, Any]]) -> str:
    """The deterministic reply text for one chat-completions request."""
    query, rounds, last = _query_and_round(messages)
    words = query.split()
    head = words[0].lower() if words else ""
    if rounds >= 1:
        return f"Final answer (via {_last_tool(messages)}): {_observation_text(last)}"
    if model == "fake-master":
        if head == "remote" and len(words) > 1:
            return _tool_call("Delegate to math_agent.", "math_agent", {"query": " ".join(words[1:])})
        return f"echo: {query}"
    if head == "add" and len(words) == 3:
        return _tool_call("I should call add.", "add", {"a": int(words[1]), "b": int(words[2])})
    if head == "boom":
        return _tool_call("Call boom, it will fail.", "boom", {})
    if head == "big" and len(words) == 2:
        return _tool_call("Produce a big output.", "big_output", {"n": int(words[1])})
    if head == "slow" and len(words) == 2:
        return _tool_call("Wait a bit.", "slow", {"seconds": float(words[1])})
    return f"echo: {query}"


def _last_tool(messages: list[dict[str, Any]]) -> str:
    for m in reversed(messages):
        if m.get("role") == "assistant":
            found = re.search(r'"tool_name":\s*"([^"]+)"', _text(m.get("content")))
            if found:
                return found.group(1)
    return "nothing"


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(body).encode() + b"\n\n"


async def chat_completions(request: web.Request) -> web.StreamResponse:
    payload = await request.json()
    model = str(payload.get("model", ""))
    reply = script_reply(model, payload.get("messages", []))
    if not payload.get("stream"):
        return web.json_response(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await resp.prepare(request)
    await resp.write(_chunk(model, {"role": "assistant", "content": ""}))
    for start in range(0, len(reply), DELTA_CHARS):
        await resp.write(_chunk(model, {"content": reply[start : start + DELTA_CHARS]}))
        await asyncio.sleep(0)
    await resp.write(_chunk(model, {}, "stop"))
    usage = {"prompt_tokens": 10, "completion_tokens": len(reply), "total_tokens": 10 + len(reply)}
    tail = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "choices": [], "usage": usage}
    await resp.write(b"data: " + json.dumps(tail).encode() + b"\n\n")
    await resp.write(b"data: [DONE]\n\n")
    await resp.write_eof()
    return resp


async def start_fake_llm(host: str = "127.0.0.1", port: int = 0) -> tuple[web.AppRunner, int]:
    """Start the server in the running loop; return (runner, bound port)."""
    app = web.Application(client_max_size=64 * 2**20)
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_post("/chat/completions", chat_completions)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
    return runner, sockets[0].getsockname()[1]
