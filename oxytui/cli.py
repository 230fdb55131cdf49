"""The ``oxytui`` command.

Imports are lazy on purpose: ``oxytui --version`` and ``--help`` must not import Textual, aiohttp or even
pydantic, so scripts and shell completions stay fast. Every bad input (argparse's own errors included)
ends as one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any, NoReturn

EXIT_USAGE = 2
SUBCOMMANDS = ("sim", "replay", "watch", "export")


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
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


def _main_parser() -> _Parser:
    p = _Parser(
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


def _sim_parser() -> _Parser:
    p = _Parser(prog="oxytui sim", description="Run a standalone simulated OxyGent cluster.")
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


def _replay_parser() -> _Parser:
    p = _Parser(prog="oxytui replay", description="Replay a recording in the dashboard (or print it).")
    p.add_argument("file", metavar="FILE", help="a recording (.jsonl or .jsonl.gz) from --record")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--speed", type=float, default=None, help="time scale (2 = twice as fast, 0 = no waits)")
    g.add_argument("--step", action="store_true", help="one event per keypress (Enter in --no-ui)")
    p.add_argument("--no-ui", action="store_true", help="print events instead of opening the dashboard")
    p.add_argument("--json", action="store_true", help="with --no-ui: one JSON object per line")
    _add_config(p)
    p.add_argument("--theme", help="theme name (built-in or from the user themes dir)")
    return p


def _watch_parser() -> _Parser:
    p = _Parser(
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


def _export_parser() -> _Parser:
    p = _Parser(
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


def _run_app(args: argparse.Namespace) -> int:
    from oxytui.config import load_settings

    if args.record and "://" in args.record:  # `--record http://node`: the URL is a node, not a file
        args.urls.append(args.record)
        args.record = ""

    settings = load_settings(args)
    if settings.record is not None:
        _check_writable(settings.record)
    try:
        from oxytui.tui.app import run_app
        from oxytui.tui.preflight import check_dashboard_settings
    except ImportError as exc:
        print(f"oxytui: the dashboard is not available: {exc}", file=sys.stderr)
        return 1
    settings = check_dashboard_settings(settings, args.theme)
    _need_terminal("oxytui", "use `oxytui watch` for headless checks")
    return int(run_app(settings) or 0)


def stdout_is_terminal() -> bool:
    """Whether the dashboard can draw: a full-screen UI written into a pipe or file is garbage (and it
    kept running at 60% CPU when nobody could see or quit it)."""
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _need_terminal(prog: str, hint: str) -> None:
    if not stdout_is_terminal():
        raise UsageError(f"{prog}: the dashboard needs a terminal, but stdout is not one ({hint})")


def _check_writable(path: Any, what: str = "oxytui: --record") -> None:
    """Fail before the work starts rather than lose the recording or export the user asked for."""
    import os

    from oxytui.config.paths import make_private_dir

    try:
        make_private_dir(path.parent)
    except OSError as exc:
        raise UsageError(f"{what}: cannot create {path.parent}: {exc.strerror or exc}") from None
    if (
        path.is_dir()
        or not os.access(path.parent, os.W_OK)
        or (path.exists() and not os.access(path, os.W_OK))
    ):
        raise UsageError(f"{what}: cannot write {path}")


def _readable_file(prog: str, name: str) -> Any:
    """The input recording as a Path; missing, unreadable or not a regular file (FIFO, device) is a usage
    error (exit 2) in every command, with the same words (``ops.record.recording_problem``)."""
    from pathlib import Path

    from oxytui.ops.record import recording_problem

    path = Path(name).expanduser()
    problem = recording_problem(path)
    if problem is not None:
        raise UsageError(f"{prog}: {problem}")
    return path


def _run_sim(args: argparse.Namespace) -> int:
    if args.nodes < 1 or not 0 <= args.port <= 65535:
        raise UsageError("oxytui sim: --nodes must be >= 1 and --port in 0..65535")
    try:
        from oxytui.sim.cli import run
    except ImportError as exc:
        print(f"oxytui sim: the simulator is not available: {exc}", file=sys.stderr)
        return 1
    return int(run(args.nodes, args.port, args.host, args.seed) or 0)


def _run_replay(args: argparse.Namespace) -> int:
    import asyncio

    path = _readable_file("oxytui replay", args.file)
    if args.speed is not None and args.speed < 0:
        raise UsageError("oxytui replay: --speed must be >= 0")
    if not args.no_ui:
        try:
            from oxytui.tui.app import run_replay
        except ImportError:
            print(
                "oxytui replay: the dashboard replay is not available; printing instead (--no-ui)",
                file=sys.stderr,
            )
        else:
            from oxytui.config import load_settings
            from oxytui.tui.preflight import check_dashboard_settings

            settings = check_dashboard_settings(load_settings(args), args.theme, replay=True)
            _need_terminal("oxytui replay", "use --no-ui to print the events")
            speed = 1.0 if args.speed is None else args.speed
            return int(run_replay(settings, path, speed, args.step) or 0)
    from oxytui.ops.replay import print_replay

    speed = 0.0 if args.speed is None else args.speed
    return asyncio.run(print_replay(path, speed=speed, step=args.step, as_json=args.json))


def _run_watch(args: argparse.Namespace) -> int:
    from oxytui.config import load_settings, parse_duration

    try:
        every = None if args.every is None else parse_duration(args.every)
        timeout = parse_duration(args.timeout)
    except ValueError as exc:
        raise UsageError(f"oxytui watch: {exc}") from None
    if args.fail_below is not None and not 0.0 <= args.fail_below <= 1.0:
        raise UsageError("oxytui watch: --fail-below must be between 0 and 1")
    if args.count is not None and args.count < 1:
        raise UsageError("oxytui watch: --count must be >= 1")
    if args.metrics_port is not None and not 0 <= args.metrics_port <= 65535:
        raise UsageError("oxytui watch: --metrics-port must be in 0..65535")
    if args.otlp_content and args.otlp is None:
        raise UsageError("oxytui watch: --otlp-content needs --otlp")
    if args.otlp is not None:
        _check_otlp(args.otlp)
    settings = load_settings(args)
    if not settings.nodes:
        raise UsageError("oxytui watch: no nodes (give URLs, --config FILE or OXYTUI_NODES)")
    from oxytui.ops.watch import WatchOptions, run_watch

    opts = WatchOptions(
        probe=args.probe,
        every=every,
        count=args.count,
        json=args.json,
        fail_below=args.fail_below,
        timeout=timeout,
        metrics_port=args.metrics_port,
        metrics_host=args.metrics_host,
        history=args.history,
        otlp=args.otlp,
        otlp_content=args.otlp_content,
        traffic=args.traffic or args.otlp is not None,  # the runs --otlp exports come from the records
        traffic_every=settings.traffic_every,
    )
    return run_watch(settings, opts)


def _check_otlp(endpoint: str) -> None:
    """Fail early, in one line, when the otel extra is missing or the endpoint is not a URL."""
    import importlib.util

    if importlib.util.find_spec("opentelemetry") is None or any(
        importlib.util.find_spec(m) is None
        for m in ("opentelemetry.sdk", "opentelemetry.exporter.otlp.proto.http")
    ):
        raise UsageError("oxytui watch: --otlp needs the otel extra: pip install 'oxytui[otel]'")
    from oxytui.ops.telemetry_export import resolve_endpoint

    try:
        resolve_endpoint(endpoint or None)
    except ValueError as exc:
        raise UsageError(f"oxytui watch: {exc}") from None


def _run_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    if args.run is not None and args.format not in (None, "run"):
        raise UsageError(
            f"oxytui export: --run exports one run; it cannot be combined with --format {args.format}"
        )
    fmt = args.format or ("run" if args.run is not None else "json")
    path = _readable_file("oxytui export", args.file)
    if args.output:
        _check_writable(Path(args.output).expanduser(), "oxytui export: -o")
    from oxytui.ops.export import export_recording

    return export_recording(path, fmt, run=args.run, output=args.output)


_COMMANDS: dict[str, tuple[Callable[[], _Parser], Callable[[argparse.Namespace], int]]] = {
    "sim": (_sim_parser, _run_sim),
    "replay": (_replay_parser, _run_replay),
    "watch": (_watch_parser, _run_watch),
    "export": (_export_parser, _run_export),
}


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (the console script passes it to ``sys.exit``)."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        return _dispatch(args)
    except UsageError as exc:
        _fail(str(exc))
    except SystemExit as exc:  # --help / --version
        return exc.code if isinstance(exc.code, int) else 0
    except BrokenPipeError:  # `oxytui replay --no-ui | head -1`: the reader is gone, which is fine
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        print("oxytui: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        from oxytui.config import ConfigError

        if not isinstance(exc, ConfigError):
            raise
        _fail(f"oxytui: config error: {exc}" if exc.file else f"oxytui: {exc}")
    return EXIT_USAGE


def _fail(message: str) -> None:
    print(" ".join(message.split()), file=sys.stderr)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not raise a second time."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (tests' capture): nothing to flush
        pass


def parsers() -> dict[str, argparse.ArgumentParser]:
    """Every parser by command name ("" = the dashboard); for help and strictness checks."""
    return {"": _main_parser(), **{name: make() for name, (make, _) in _COMMANDS.items()}}


def _suggest(word: str) -> None:
    """``oxytui replya x`` is a typo of a subcommand, not a node URL: say so instead of 'invalid URL'."""
    import difflib

    if word.startswith("-") or "://" in word or word in _COMMANDS:
        return
    close = difflib.get_close_matches(word, SUBCOMMANDS, n=1, cutoff=0.6)
    if close:
        raise UsageError(f"oxytui: unknown command {word!r} (did you mean {close[0]!r}?)")


def _dispatch(args: list[str]) -> int:
    if args:
        _suggest(args[0])
    if args and args[0] in _COMMANDS:
        make, run = _COMMANDS[args[0]]
        ns: Any = make().parse_args(args[1:])
        if args[0] != "sim":  # the simulator keeps nothing of ours
            _tighten_app_dirs()
        return run(ns)
    ns = _main_parser().parse_args(args)
    _tighten_app_dirs()
    return _run_app(ns)


def _tighten_app_dirs() -> None:
    """Our data/config dirs 0700 and the files we keep there 0600 (older versions left them 0755/0644)."""
    from oxytui.config.paths import tighten_app_dirs

    tighten_app_dirs()


if __name__ == "__main__":
    sys.exit(main())
