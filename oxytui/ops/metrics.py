"""Prometheus text exposition (format 0.0.4): metric families, a histogram, and the renderer.

Hand-rolled rather than a client library: we only ever render a snapshot, and this keeps the dependency
list short. Follows https://prometheus.io/docs/instrumenting/exposition_formats/ — ``# HELP`` and
``# TYPE`` once per family, label values escaped, histogram ``_bucket{le=...}`` cumulative and ending in
``+Inf``, then ``_sum`` and ``_count``.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DEFAULT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
KINDS = ("counter", "gauge", "histogram", "summary", "untyped")
_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")

Labels = Mapping[str, str]


def format_value(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(float(v))


def escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    for k in labels:
        if not _LABEL.match(k) or k.startswith("__"):
            raise ValueError(f"invalid label name {k!r}")
    return "{" + ",".join(f'{k}="{escape_label(str(v))}"' for k, v in labels.items()) + "}"


@dataclass
class Histogram:
    """Cumulative-on-render histogram of observations (seconds)."""

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
    """One metric family; ``add`` samples, ``add_histogram`` for histogram families."""

    name: str
    kind: str
    help: str
    samples: list[tuple[str, dict[str, str], float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"invalid metric name {self.name!r}")
        if self.kind not in KINDS:
            raise ValueError(f"invalid metric type {self.kind!r}")

    def add(self, value: float, labels: Labels | None = None, suffix: str = "") -> Family:
        self.samples.append((suffix, dict(labels or {}), float(value)))
        return self

    def add_histogram(self, hist: Histogram, labels: Labels | None = None) -> Family:
        base = dict(labels or {})
        running = 0
        for bound, n in zip(hist.buckets, hist.counts, strict=True):
            running += n
            self.add(running, {**base, "le": format_value(bound)}, "_bucket")
        self.add(hist.count, {**base, "le": "+Inf"}, "_bucket")
        self.add(hist.sum, base, "_sum")
        self.add(hist.count, base, "_count")
        return self


def render(families: Iterable[Family]) -> str:
    """Text exposition of ``families`` (families without samples are still declared)."""
    out: list[str] = []
    for fam in families:
        out.append(f"# HELP {fam.name} {escape_help(fam.help)}")
        out.append(f"# TYPE {fam.name} {fam.kind}")
        for suffix, labels, value in fam.samples:
            out.append(f"{fam.name}{suffix}{_labels(labels)} {format_value(value)}")
    return "\n".join(out) + "\n"
