"""The argparse parsers of every ``oxytui`` command: what the command line accepts. What each command then
does with it lives in ``oxytui.cli``; kept apart so both stay short.

Stdlib only, like ``oxytui.cli``: building these parsers must stay cheap for ``--version`` and ``--help``.
"""

from __future__ import annotations

import argparse
from typing import Any, NoReturn


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit code 2."""


class StrictParser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage + exiting, so errors stay one line. Prefixes of
    long flags are refused (``--them`` is not ``--theme``): a typo must not silently mean something else."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(**kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _version() -> str:
    from oxytui import __version__

    return f"oxytui {__version__}"


def _add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config",
        metavar="FILE",
        help="TOML config file (default: the user config dir's oxytui/config.toml if present)",
    )


def main_parser() -> StrictParser:
    p = StrictParser(
        prog="oxytui",
        description="Terminal dashboard for OxyGent nodes. Subcommands: sim, replay, watch, export "
        "(oxytui SUBCOMMAND --help).",
        epilog="With no nodes from URLs, config or OXYTUI_NODES, the dashboard runs the embedded "
        "simulated cluster (DEMO).",
    )
    p.add_argument("urls", nargs="*", metavar="URL", help="node base URLs, e.g. http://host:8080")
    _add_config(p)
    p.add_argument("--theme", help="theme name (built-in or from the user themes dir)")
    p.add_argument("--read-only", action="store_true", default=None, help="never send prompts")
    p.add_argument("--demo", action="store_true", default=None, help="use the embedded simulated cluster")
    p.add_argument("--seed", type=int, help="seed of the simulated cluster (default 42)")
    p.add_argument("--log-cap", type=int, help="rows kept in the live event log")
    p.add_argument(
        "--balancing",
        choices=["round_robin", "random", "lowest_latency"],
        help="how the chat's 'balanced' target picks a node (default round_robin)",
    )
    p.add_argument(
        "--record",
        nargs="?",
        const="",
        metavar="FILE",
        help="record every received SSE event to FILE (.jsonl or .jsonl.gz); without FILE a new "
        "file under the user data dir",
    )
    _add_traffic(p)
    p.add_argument(
        "--no-traffic",
        action="store_true",
        default=None,
        help="show only the runs this dashboard starts (no /history_with_ratings polling)",
    )
    p.add_argument("--version", action="version", version=_version(), help="print the version and exit")
    return p


def _add_traffic(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--traffic-every",
        metavar="DURATION",
        help="poll each node's run records this often while busy (default 2s; backs off to 10s idle)",
    )


def sim_parser() -> StrictParser:
    p = StrictParser(prog="oxytui sim", description="Run a standalone simulated OxyGent cluster.")
    p.add_argument("--nodes", type=int, default=3, metavar="N", help="how many nodes (default 3)")
    p.add_argument(
        "--port",
        type=int,
        default=18080,
        metavar="PORT",
        help="port of the first node; the next ones follow (0 = free ports; default 18080)",
    )
    p.add_argument(
        "--host", default="127.0.0.1", metavar="HOST", help="address to listen on (default 127.0.0.1)"
    )
    p.add_argument(
        "--seed", type=int, default=42, metavar="N", help="seed of the simulated answers (default 42)"
    )
    return p


def replay_parser() -> StrictParser:
    p = StrictParser(prog="oxytui replay", description="Replay a recording in the dashboard (or print it).")
    p.add_argument("file", metavar="FILE", help="a recording (.jsonl or .jsonl.gz) from --record")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--speed", type=float, default=None, help="time scale (2 = twice as fast, 0 = no waits)")
    g.add_argument("--step", action="store_true", help="one event per keypress (Enter in --no-ui)")
    p.add_argument("--no-ui", action="store_true", help="print events instead of opening the dashboard")
    p.add_argument("--json", action="store_true", help="with --no-ui: one JSON object per line")
    _add_config(p)
    p.add_argument("--theme", help="theme name (built-in or from the user themes dir)")
    return p


def watch_parser() -> StrictParser:
    p = StrictParser(
        prog="oxytui watch",
        description="Headless probes: /check_alive and optional prompts per "
        "node, one line per result and state change; for cron, CI and Prometheus.",
    )
    p.add_argument("urls", nargs="*", metavar="URL", help="node base URLs (or nodes from --config)")
    _add_config(p)
    p.add_argument(
        "--probe",
        metavar="QUERY",
        help="prompt to run on every node each round "
        "(default: each node's probe_query from the config, else only /check_alive)",
    )
    p.add_argument(
        "--every",
        metavar="DURATION",
        help="interval: 30s, 2m, 1h (default: each node's probe_every from the config, else 30s)",
    )
    p.add_argument(
        "--count", type=int, default=None, metavar="N", help="stop after N rounds (default: forever)"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument(
        "--fail-below",
        type=float,
        default=None,
        metavar="RATE",
        help="exit 1 when a node's success rate (0..1; runs with a failed call count as failed) ends "
        "below RATE, or a node is down",
    )
    p.add_argument("--timeout", default="60s", metavar="DURATION", help="per-probe timeout (default 60s)")
    p.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        metavar="N",
        help="serve Prometheus /metrics on this port (0 = any free port)",
    )
    p.add_argument(
        "--metrics-host", default="127.0.0.1", metavar="HOST", help="address of /metrics (default 127.0.0.1)"
    )
    p.add_argument("--history", action="store_true", help="also keep results in the history database")
    p.add_argument(
        "--otlp",
        nargs="?",
        const="",
        default=None,
        metavar="ENDPOINT",
        help="export every finished run as an OpenTelemetry trace over OTLP/HTTP (implies --traffic; "
        "default endpoint: OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, else http://localhost:4318); "
        "needs oxytui[otel]",
    )
    p.add_argument(
        "--otlp-content", action="store_true", help="with --otlp: include inputs and outputs (truncated)"
    )
    p.add_argument(
        "--traffic",
        action="store_true",
        help="also print every run anyone starts on the nodes, once, when it finishes (from the "
        "nodes' own run records; counts toward --fail-below and /metrics)",
    )
    _add_traffic(p)
    return p


def export_parser() -> StrictParser:
    p = StrictParser(
        prog="oxytui export",
        description="Export stats (JSON, CSV, Prometheus text) or one run "
        "(events + call tree, JSON) computed from a recording.",
    )
    p.add_argument("file", metavar="RECORDING", help="a recording (.jsonl or .jsonl.gz) from --record")
    p.add_argument(
        "--format",
        choices=["json", "csv", "prom", "run"],
        default=None,
        help="stats as json (default), csv or prom (Prometheus text), or one run (events + call tree)",
    )
    p.add_argument(
        "--run", metavar="TRACE_ID", help="the run to export (implies --format run; default: the last run)"
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    return p
