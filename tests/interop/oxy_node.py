"""A real OxyGent 1.1.3 node for the interop suite (run with the interop venv's python).

``--role math``: ReActAgent ``math_agent`` with tools add, boom (raises), big_output, slow.
``--role master``: ReActAgent ``master_agent`` whose sub-agent is OxyGent's own SSEOxyGent
``math_agent`` pointing at ``--remote`` (a real math node or our simulator).

Each node runs the scripted fake LLM (``fake_llm.py``) in its own loop on an ephemeral port,
so OxyGent's HttpLLM streaming path runs. The node prints ``PORT <n>`` on its first stdout
line; the caller then polls ``/check_alive``. The working directory should be a scratch dir
(OxyGent writes ``cache_dir/`` and logs there).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys

from pydantic import Field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fake_llm import start_fake_llm
from oxygent import MAS, Config, oxy


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _math_tools() -> oxy.FunctionHub:
    hub = oxy.FunctionHub(name="math_tools")

    @hub.tool(description="Add two integers a and b.")
    def add(a: int = Field(description="first"), b: int = Field(description="second")) -> int:
        return a + b

    @hub.tool(description="A tool that always fails.")
    def boom() -> str:
        raise RuntimeError("boom tool failed on purpose (the query asked for boom)")

    @hub.tool(description="Return a string of n bytes.")
    def big_output(n: int = Field(description="size in bytes")) -> str:
        pattern = "0123456789abcdef"
        return (pattern * (n // len(pattern) + 1))[:n]

    @hub.tool(description="Sleep for some seconds.")
    async def slow(seconds: float = Field(description="seconds")) -> str:
        await asyncio.sleep(seconds)
        return f"slept {seconds}"

    return hub


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=["math", "master"], required=True)
    parser.add_argument("--remote", default="")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    Config.set_server_auto_open_webpage(False)
    Config.set_server_log_level("WARNING")
    Config.set_log_level_terminal("WARNING")
    Config.set_message_is_show_in_terminal(False)
    Config.set_oxy_retries(1)  # one attempt: a raising tool fails once (0 would skip execution)

    _runner, llm_port = await start_fake_llm(args.host)
    llm = oxy.HttpLLM(
        name="default_llm",
        api_key="sk-fake-interop",
        base_url=f"http://{args.host}:{llm_port}/v1",
        model_name=f"fake-{args.role}",
        llm_params={"temperature": 0},
        semaphore=64,
        timeout=60,
    )
    if args.role == "math":
        space: list = [
            llm,
            _math_tools(),
            oxy.ReActAgent(
                name="math_agent",
                desc="Does arithmetic and test chores.",
                is_master=True,
                tools=["math_tools"],
                llm_model="default_llm",
                semaphore=64,
            ),
        ]
    else:
        space = [
            llm,
            oxy.SSEOxyGent(name="math_agent", desc="Remote math agent.", server_url=args.remote),
            oxy.ReActAgent(
                name="master_agent",
                desc="Delegates to math_agent.",
                is_master=True,
                sub_agents=["math_agent"],
                llm_model="default_llm",
                semaphore=64,
            ),
        ]
    port = args.port or _free_port(args.host)
    print(f"PORT {port}", flush=True)
    async with MAS(name=f"interop_{args.role}", oxy_space=space) as mas:
        await mas.start_web_service(host=args.host, port=port)


if __name__ == "__main__":
    asyncio.run(main())
