"""Prometheus exposition on ``prometheus_client``: live fleet metrics and rendered snapshots.

Why the library: it owns the exposition formats (text 0.0.4 and OpenMetrics, chosen by the scraper's
``Accept`` header), their escaping and HELP/TYPE rules, so what we serve is what Prometheus parses.

Two shapes of use:

* :class:`FleetMetrics` — live counters/histograms in a **private** ``CollectorRegistry`` (never the
  process-global one, so embedding code and tests cannot collide), fed as runs and calls finish; label
  values are sanitised and their cardinality capped (overflow goes to ``other``), because callee and
  model names come from remote nodes and would otherwise grow the series set without bound.
* :class:`Family` / :class:`Histogram` / :func:`render` — a snapshot of numbers we already hold (stats
  export, the watcher's per-node counters) rendered through the same library.
"""

from __future__ import annotations

import threading
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client import Histogram as _PromHistogram
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, choose_encoder, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from oxytui.runs.fleetrun import FleetRun

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
DEFAULT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
CALL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
KINDS = ("counter", "gauge", "histogram", "summary", "untyped")
CALL_TYPES = ("agent", "llm", "tool", "flow")
SOURCES = ("mine", "traffic", "probe", "demo")
OTHER = "other"
MAX_LABEL = 120
"""Characters kept of one label value (names from remote nodes can be anything)."""

Labels = Mapping[str, str]


def clean_label(value: object, limit: int = MAX_LABEL) -> str:
    """A label value safe to expose: no control/format/surrogate characters but newline (which the format
    escapes; a lone surrogate would make the UTF-8 encoding of the whole page fail), at most ``limit``
    characters."""
    text = str(value)
    if not text.replace("\n", " ").isprintable():
        text = "".join(
            "\ufffd" if c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") else c
            for c in text
        )
    return text if len(text) <= limit else text[: limit - 1] + "…"


class LabelCap:
    """First ``limit`` distinct values pass (sanitised); later new ones become :data:`OTHER`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: set[str] = set()
        self.overflowed = 0
        """Observations folded into ``other`` because the cap was reached."""
        self._lock = threading.Lock()

    def __call__(self, value: object) -> str:
        text = clean_label(value)
        if text in self._seen:
            return text
        with self._lock:
            if len(self._seen) < self.limit:
                self._seen.add(text)
                return text
            self.overflowed += 1
            return OTHER


# --- snapshots ------------------------------------------------------------------------------------------


@dataclass
class Histogram:
    """Per-bucket counts of observations (seconds), cumulated when rendered."""

    buckets: tuple[float, ...] = DEFAULT_BUCKETS
    counts: list[int] = field(default_factory=list)
    sum: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        self.buckets = tuple(sorted(self.buckets))
        if not self.counts:
            self.counts = [0] * len(self.buckets)

    def observe(self, value: float) -> None:
        i = bisect_left(self.buckets, value)
        if i < len(self.counts):
            self.counts[i] += 1
        self.sum += value
        self.count += 1

    @classmethod
    def of(cls, values: Iterable[float], buckets: tuple[float, ...] = DEFAULT_BUCKETS) -> Histogram:
        h = cls(buckets)
        for v in values:
            h.observe(v)
        return h


@dataclass
class Family:
    """One metric family of a snapshot; ``add`` samples, ``add_histogram`` for histogram families.

    Counter names end in ``_total`` (the exposition formats require it of counter samples)."""

    name: str
    kind: str
    help: str
    samples: list[tuple[str, dict[str, str], float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"invalid metric type {self.kind!r}")
        if not self.name.replace("_", "a").replace(":", "a").isalnum() or self.name[0].isdigit():
            raise ValueError(f"invalid metric name {self.name!r}")
        if self.kind == "counter" and not self.name.endswith("_total"):
            raise ValueError(f"counter {self.name!r} must end in _total")

    def add(self, value: float, labels: Labels | None = None, suffix: str = "") -> Family:
        clean = {}
        for k, v in (labels or {}).items():
            if not k.replace("_", "a").isalnum() or k[0].isdigit() or k.startswith("__"):
                raise ValueError(f"invalid label name {k!r}")
            clean[k] = clean_label(v)
        self.samples.append((suffix, clean, float(value)))
        return self

    def add_histogram(self, hist: Histogram, labels: Labels | None = None) -> Family:
        base = dict(labels or {})
        running = 0
        for bound, n in zip(hist.buckets, hist.counts, strict=True):
            running += n
            self.add(running, {**base, "le": repr(float(bound))}, "_bucket")  # as the library writes le
        self.add(hist.count, {**base, "le": "+Inf"}, "_bucket")
        self.add(hist.sum, base, "_sum")
        self.add(hist.count, base, "_count")
        return self

    def metric(self) -> Metric:
        """The family as a ``prometheus_client`` metric (counters are named without ``_total`` there)."""
        kind = "unknown" if self.kind == "untyped" else self.kind
        name = self.name[: -len("_total")] if kind == "counter" else self.name
        m = Metric(name, self.help, kind)
        for suffix, labels, value in self.samples:
            m.add_sample(self.name + suffix, labels, value)
        return m


class SnapshotCollector(Collector):
    """Collects whatever ``source()`` returns at scrape time."""

    def __init__(self, source: Callable[[], Iterable[Family]]) -> None:
        self._source = source

    def collect(self) -> Iterator[Metric]:
        for fam in self._source():
            yield fam.metric()

    def describe(self) -> list[Metric]:
        """Nothing up front: the source is only read at scrape time (it may not be ready yet)."""
        return []


def render(families: Iterable[Family]) -> str:
    """Prometheus text format (0.0.4) of ``families`` (families without samples are still declared)."""
    fams = list(families)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(lambda: fams))
    return generate_latest(registry).decode("utf-8")


# --- live fleet metrics ------------------------------------------------------------------------------------


class FleetMetrics:
    """Run/call/token metrics of every node, in a private registry; served by :meth:`exposition`."""

    def __init__(self, max_callees: int = 200, max_models: int = 50, max_nodes: int = 1000) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        self.callee = LabelCap(max_callees)
        self.model = LabelCap(max_models)
        self.node = LabelCap(max_nodes)
        self.run_duration = _PromHistogram(
            "oxytui_run_duration_seconds",
            "Duration of finished runs (from the node's own records for traffic runs).",
            ["node", "source"],
            registry=reg,
            buckets=DEFAULT_BUCKETS,
        )
        self.call_duration = _PromHistogram(
            "oxytui_call_duration_seconds",
            "Duration of finished calls (agents, tools, LLMs) as recorded by the node that ran them.",
            ["node", "callee", "type"],
            registry=reg,
            buckets=CALL_BUCKETS,
        )
        self.runs = Counter("oxytui_runs", "Finished runs.", ["node", "source"], registry=reg)
        self.runs_failed = Counter(
            "oxytui_runs_failed", "Finished runs that failed.", ["node", "source"], registry=reg
        )
        self.calls = Counter("oxytui_calls", "Finished calls.", ["node", "callee", "type"], registry=reg)
        self.calls_failed = Counter(
            "oxytui_calls_failed", "Finished calls that failed.", ["node", "callee", "type"], registry=reg
        )
        self.tokens = Counter(
            "oxytui_tokens",
            "LLM tokens by direction (input/output).",
            ["node", "model", "direction"],
            registry=reg,
        )
        self.node_up = Gauge(
            "oxytui_node_up", "1 when the node answered its last check.", ["node"], registry=reg
        )

    def add_snapshot(self, source: Callable[[], Iterable[Family]]) -> None:
        """Also expose the families ``source()`` returns at each scrape."""
        self.registry.register(SnapshotCollector(source))

    def set_node_up(self, node: str, up: bool) -> None:
        self.node_up.labels(self.node(node)).set(1 if up else 0)

    def observe_run(self, node: str, source: str, duration: float | None, failed: bool) -> None:
        labels = (self.node(node), source if source in SOURCES else OTHER)
        self.runs.labels(*labels).inc()
        if failed:
            self.runs_failed.labels(*labels).inc()
        if duration is not None and duration >= 0:
            self.run_duration.labels(*labels).observe(duration)

    def observe_call(self, node: str, callee: str, kind: str, duration: float | None, failed: bool) -> None:
        labels = (self.node(node), self.callee(callee), kind if kind in CALL_TYPES else OTHER)
        self.calls.labels(*labels).inc()
        if failed:
            self.calls_failed.labels(*labels).inc()
        if duration is not None and duration >= 0:
            self.call_duration.labels(*labels).observe(duration)

    def add_tokens(self, node: str, model: str, input_tokens: int | None, output_tokens: int | None) -> None:
        n, m = self.node(node), self.model(model or "unknown")
        if input_tokens:
            self.tokens.labels(n, m, "input").inc(input_tokens)
        if output_tokens:
            self.tokens.labels(n, m, "output").inc(output_tokens)

    def observe_fleet_run(self, run: FleetRun, count_run: bool = True) -> None:
        """A finished distributed run: counted on the node it started on (unless ``count_run`` is False:
        already counted elsewhere), each call on the node that did the work (a hop once, its callee
        side), and every LLM call's tokens."""
        if count_run:
            node = run.start_node or (run.nodes[0] if run.nodes else "?")
            self.observe_run(node, str(run.source), run.duration, run.state == "failed")
        for call in run.walk():
            r = call.record
            if r.state is None:
                continue
            self.observe_call(r.node, r.callee, r.node_type, r.duration, call.failed)
            if r.node_type == "llm":
                self.add_tokens(r.node, r.model, r.input_tokens, r.output_tokens)

    def exposition(self, accept: str = "") -> tuple[bytes, str]:
        """The page and its content type for a scraper's ``Accept`` header (OpenMetrics when asked)."""
        encoder, content_type = choose_encoder(accept)
        return encoder(self.registry), content_type

    def text(self) -> str:
        return generate_latest(self.registry).decode("utf-8")
