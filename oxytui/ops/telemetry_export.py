"""The OTLP/HTTP pipeline: finished runs in, batches to a collector out, never blocking, never growing.

Why a gate in front of the SDK's ``BatchSpanProcessor``: the SDK drops the oldest span silently (a log
line) when its queue is full. We keep the number of spans handed over but not yet taken by the exporter
below the queue size, so the SDK never drops, and drop (and count) at the gate instead: a slow or dead
collector costs at most ``max_queue`` spans of memory plus one batch in flight, and the app's thread
only ever appends to a deque. Exporting runs on the SDK's worker thread.

Each run is exported once per process (trace ids remembered in a bounded LRU); after a restart a run may
be exported again, with the same ids, so backends deduplicate.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit, urlunsplit

from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from oxytui.client.records import NodeRecord
from oxytui.redact import scrub_text

from .metrics import Family
from .telemetry import NodeInfo, run_spans

if TYPE_CHECKING:
    from oxytui.runs.clock import NodeClock
    from oxytui.runs.fleetrun import FleetRun

DEFAULT_ENDPOINT = "http://localhost:4318/v1/traces"
CONTENT_LIMIT = 4000
"""Characters of each input/output exported with ``--otlp-content``."""
REMEMBERED_RUNS = 50_000


def resolve_endpoint(endpoint: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The traces URL: ``endpoint`` (a bare ``http://host:4318`` gets ``/v1/traces``), else the standard
    ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_ENDPOINT`` (+ ``/v1/traces``)."""
    env = os.environ if env is None else env
    if endpoint:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"invalid OTLP endpoint {endpoint!r}: expected http(s)://host[:port][/path]")
        return endpoint if parts.path not in ("", "/") else endpoint.rstrip("/") + "/v1/traces"
    if env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        return env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
    if env.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return env["OTEL_EXPORTER_OTLP_ENDPOINT"].rstrip("/") + "/v1/traces"
    return DEFAULT_ENDPOINT


def shown_endpoint(url: str) -> str:
    """The endpoint without user info or query (which may carry credentials), for messages."""
    try:
        p = urlsplit(url)
        host = p.hostname or ""
        host = f"[{host}]" if ":" in host else host
        return urlunsplit((p.scheme, host if p.port is None else f"{host}:{p.port}", p.path, "", ""))
    except ValueError:
        return "(invalid endpoint)"


def service_resource(env: Mapping[str, str] | None = None) -> Resource:
    """``service.name`` = ``OTEL_SERVICE_NAME`` or ``oxytui`` (``OTEL_RESOURCE_ATTRIBUTES`` honoured)."""
    env = os.environ if env is None else env
    from oxytui import __version__

    return Resource.create(
        {"service.name": env.get("OTEL_SERVICE_NAME") or "oxytui", "service.version": __version__}
    )


@dataclass(frozen=True, slots=True)
class OtlpStats:
    runs: int
    """Runs turned into spans."""
    spans: int
    """Spans offered to the pipeline."""
    exported: int
    failed: int
    """Spans in batches the collector did not accept (after the exporter's own retries)."""
    dropped: int
    """Spans dropped because the queue was full (collector slow or down)."""
    pending: int

    def summary(self) -> str:
        return (
            f"{self.runs} runs, {self.exported} spans exported, {self.pending} queued, "
            f"{self.failed} failed, {self.dropped} dropped"
        )


class _CountingExporter(SpanExporter):
    """Counts what the worker thread takes from the queue and how each batch went."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner
        self.taken = 0
        self.exported = 0
        self.failed = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.taken += len(spans)
        try:
            result = self.inner.export(spans)
        except Exception:  # an exporter bug must not kill the worker thread
            result = SpanExportResult.FAILURE
        if result == SpanExportResult.SUCCESS:
            self.exported += len(spans)
        else:
            self.failed += len(spans)
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


class _ErrorNote(logging.Handler):
    """Keeps the OTel SDK's last warning (one short line) instead of letting it reach the terminal."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__(logging.WARNING)
        self.last = ""
        self._secrets = [s for s in secrets if len(s) >= 4]

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage().splitlines()[0] if record.getMessage() else ""
        except Exception:
            text = record.msg if isinstance(record.msg, str) else "export error"
        text = scrub_text(text, self._secrets)  # remembered node tokens too, one mask everywhere
        self.last = "".join(ch if ch.isprintable() else " " for ch in text)[:200]


def otlp_headers(env: Mapping[str, str]) -> dict[str, str]:
    """Headers for the collector from ``OTEL_EXPORTER_OTLP_TRACES_HEADERS`` or ``OTEL_EXPORTER_OTLP_HEADERS``
    (``k=v,k2=v2``, values URL-encoded). They go to the collector only: never into spans or messages."""
    raw = env.get("OTEL_EXPORTER_OTLP_TRACES_HEADERS") or env.get("OTEL_EXPORTER_OTLP_HEADERS") or ""
    out: dict[str, str] = {}
    for part in raw.split(","):
        name, eq, value = part.partition("=")
        if eq and name.strip():
            out[unquote(name).strip().lower()] = unquote(value).strip()
    return out


def _url_secrets(url: str) -> list[str]:
    """Parts of the endpoint that may carry credentials (user info, query), kept out of messages."""
    try:
        p = urlsplit(url)
        return [v for v in (p.password, p.username, p.query) if v]
    except ValueError:
        return []


class OtlpExporter(SpanProcessor):
    """Runs -> spans -> bounded batches -> OTLP/HTTP. ``export_run`` is cheap and never blocks."""

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        content: bool = False,
        exporter: SpanExporter | None = None,
        max_queue: int = 2048,
        batch_size: int = 512,
        delay_ms: int = 2000,
        timeout: float = 10.0,
        env: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if env is None else env
        self.endpoint = resolve_endpoint(endpoint, env)
        self.content_limit = CONTENT_LIMIT if content else 0
        self.resource = service_resource(env)
        self.max_queue = max_queue
        self.note = _ErrorNote([*otlp_headers(env).values(), *_url_secrets(self.endpoint)])
        otel_log = logging.getLogger("opentelemetry")
        otel_log.addHandler(self.note)
        otel_log.propagate = False  # a dead collector must not print into a TUI or a watch log
        if exporter is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter(endpoint=self.endpoint, timeout=timeout, headers=otlp_headers(env))
        self._counting = _CountingExporter(exporter)
        self._bsp = BatchSpanProcessor(
            self._counting,
            max_queue_size=max_queue,
            schedule_delay_millis=delay_ms,
            max_export_batch_size=min(batch_size, max_queue),
        )
        self._lock = threading.Lock()
        self._offered = 0
        self._accepted = 0
        self._dropped = 0
        self._runs = 0
        self._done: OrderedDict[str, None] = OrderedDict()
        self._closed = False

    # --- SpanProcessor (so it can also sit behind a TracerProvider) -------------------------------------

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        with self._lock:
            self._offered += 1
            if self._closed or self._accepted - self._counting.taken >= self.max_queue:
                self._dropped += 1
                return
            self._accepted += 1
        self._bsp.on_end(span)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Flush what is queued for at most ``timeout`` seconds, then stop (blocking: call off the loop)."""
        with self._lock:
            self._closed = True
        done = threading.Event()

        def stop() -> None:
            self._bsp.shutdown()  # type: ignore[no-untyped-call]
            done.set()

        threading.Thread(target=stop, name="oxytui-otlp-shutdown", daemon=True).start()
        done.wait(timeout)
        logging.getLogger("opentelemetry").removeHandler(self.note)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._bsp.force_flush(timeout_millis)

    # --- runs --------------------------------------------------------------------------------------------

    def export_run(
        self, records: Iterable[NodeRecord], nodes: Mapping[str, NodeInfo], *, group_id: str = ""
    ) -> bool:
        """Offer one finished run (all its nodes' records); False if this run was already exported."""
        recs = list(records)
        if not recs:
            return False
        trace = recs[0].trace_id
        with self._lock:
            if trace in self._done:
                self._done.move_to_end(trace)
                return False
            self._done[trace] = None
            if len(self._done) > REMEMBERED_RUNS:
                self._done.popitem(last=False)
            self._runs += 1
        for span in run_spans(
            recs, nodes, self.resource, group_id=group_id, content_limit=self.content_limit
        ):
            self.on_end(span)
        return True

    def export_fleet_run(
        self, run: FleetRun, urls: Mapping[str, str], clock: Callable[[str], NodeClock] | None = None
    ) -> bool:
        """Offer a finished ``oxytui.runs`` distributed run; ``urls`` maps node name -> base URL and
        ``clock`` (e.g. ``Fleet.clock``) gives each node's offsets."""
        nodes: dict[str, NodeInfo] = {}
        for node in run.records:
            c = clock(node) if clock is not None else None
            nodes[node] = NodeInfo.from_clock(
                urls.get(node, ""), c.zone if c else None, c.skew if c else None
            )
        group = next((r.group_id for r in run.all_records() if r.group_id), "")
        return self.export_run(run.all_records(), nodes, group_id=group)

    @property
    def stats(self) -> OtlpStats:
        c = self._counting
        return OtlpStats(
            runs=self._runs,
            spans=self._offered,
            exported=c.exported,
            failed=c.failed,
            dropped=self._dropped,
            pending=max(0, self._accepted - c.taken),
        )

    @property
    def shown_endpoint(self) -> str:
        return shown_endpoint(self.endpoint)

    @property
    def last_error(self) -> str:
        return self.note.last

    def __repr__(self) -> str:
        return f"OtlpExporter({shown_endpoint(self.endpoint)!r}, {self.stats.summary()})"


def otlp_families(stats: OtlpStats) -> list[Family]:
    """The exporter's counters for ``/metrics`` (so drops and failures alert like anything else)."""
    return [
        Family("oxytui_otlp_spans_exported_total", "counter", "Spans the collector accepted.").add(
            stats.exported
        ),
        Family("oxytui_otlp_spans_failed_total", "counter", "Spans in batches the collector refused.").add(
            stats.failed
        ),
        Family("oxytui_otlp_spans_dropped_total", "counter", "Spans dropped: export queue full.").add(
            stats.dropped
        ),
        Family("oxytui_otlp_queue_spans", "gauge", "Spans waiting for export.").add(stats.pending),
    ]
