"""The dashboard's OTLP export: switched on and off at run time, fed with the fleet's finished runs,
summarised in one short status-bar marker.

Why a separate module: the dashboard imports this always, so it must not import OpenTelemetry (the
``otel`` extra is optional); the exporter module is imported only when export is switched on. Turning
it off shuts the exporter down on a worker thread, so the UI never waits for a collector.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["OtlpSwitch", "otel_available"]


def otel_available() -> str:
    """ "" when the ``otel`` extra is installed, else the one-line reason it is not."""
    for mod in ("opentelemetry.sdk", "opentelemetry.exporter.otlp.proto.http"):
        try:
            if importlib.util.find_spec(mod) is None:
                raise ModuleNotFoundError(mod)
        except (ModuleNotFoundError, ValueError):
            return "OTLP export needs the otel extra: pip install 'oxytui[otel]'"
    return ""


class OtlpSwitch:
    """OTLP export for a long-lived UI. ``config`` is an ``OtlpConfig`` (enabled, endpoint, content);
    ``urls()`` gives node name -> base URL, ``clock(node)`` a ``NodeClock`` (or None)."""

    def __init__(
        self,
        config: Any,
        urls: Callable[[], Mapping[str, str]],
        clock: Callable[[str], Any] | None = None,
    ) -> None:
        self.config = config
        self._urls = urls
        self._clock = clock
        self.exporter: Any = None
        self._closing: set[asyncio.Task[None]] = set()

    @property
    def on(self) -> bool:
        return self.exporter is not None

    def start(self) -> str:
        """Switch on; returns what to tell the user (why not, when it cannot)."""
        if self.exporter is not None:
            return f"exporting traces to {self.exporter.shown_endpoint}"
        why = otel_available()
        if why:
            return why
        from .telemetry_export import OtlpExporter

        try:
            self.exporter = OtlpExporter(self.config.endpoint, content=bool(self.config.content))
        except ValueError as exc:
            return f"OTLP export: {exc}"
        return f"exporting traces to {self.exporter.shown_endpoint}"

    def stop(self) -> str:
        """Switch off: what is queued is flushed (briefly) on a worker thread; never waits here."""
        exp, self.exporter = self.exporter, None
        if exp is None:
            return "OTLP export is off"
        try:
            task = asyncio.get_running_loop().create_task(asyncio.to_thread(exp.shutdown, 5.0))
        except RuntimeError:  # no loop (tests, teardown): shut down in place
            exp.shutdown(5.0)
        else:
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        return f"OTLP export off ({exp.stats.summary()})"

    def toggle(self) -> str:
        return self.stop() if self.on else self.start()

    def on_events(self, events: Iterable[Any]) -> None:
        """Fleet events: each finished run (``run_end``, not given up) goes out as one trace."""
        if self.exporter is None:
            return
        for ev in events:
            if getattr(ev, "kind", "") == "run_end" and str(ev.run.state) != "unknown":
                self.exporter.export_fleet_run(ev.run, self._urls(), self._clock)

    def marker(self) -> str:
        """Status-bar text: "" when off; ``OTLP`` with problems (dropped/failed spans) when there are."""
        exp = self.exporter
        if exp is None:
            return ""
        s = exp.stats
        problems = [f"{n:,} {what}" for n, what in ((s.dropped, "dropped"), (s.failed, "failed")) if n]
        return "OTLP" + (f" ({', '.join(problems)})" if problems else f" {s.exported:,}")

    async def aclose(self) -> None:
        self.stop()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
