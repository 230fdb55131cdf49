"""A small, strict parser of the Prometheus text format, used to validate what we render (and its tests).

Rules checked (https://prometheus.io/docs/instrumenting/exposition_formats/): HELP and TYPE once per
family, TYPE before samples, sample names = family name + a suffix allowed for the type, label syntax and
escapes, float values incl. +Inf/NaN; histograms: buckets sorted, cumulative, ending in ``le="+Inf"``
which equals ``_count``, and a ``_sum``.
"""

from __future__ import annotations

import math
import re

import pytest

from oxytui.ops.metrics import Family, Histogram, render

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)')
_SUFFIXES = {
    "counter": ("",),
    "gauge": ("",),
    "untyped": ("",),
    "summary": ("", "_sum", "_count"),
    "histogram": ("_bucket", "_sum", "_count"),
}


def _unescape(v: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "\\": "\\", '"': '"'}[m.group(1)], v)


def _value(text: str) -> float:
    return {"+Inf": math.inf, "-Inf": -math.inf, "NaN": math.nan}.get(text) or float(text)


def parse_prometheus(text: str) -> dict[str, dict]:
    """family -> {"type", "help", "samples": [(name, labels, value)]}; asserts on any format violation."""
    assert text.endswith("\n")
    fams: dict[str, dict] = {}
    current = None
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            assert name not in fams, f"HELP twice for {name}"
            fams[name] = {"help": help_text, "type": None, "samples": []}
            current = name
        elif line.startswith("# TYPE "):
            name, kind = line[7:].split(" ")
            assert name == current and fams[name]["type"] is None and kind in _SUFFIXES
            fams[name]["type"] = kind
        elif line.startswith("#"):
            continue
        else:
            m = _SAMPLE.match(line)
            assert m, f"bad sample line {line!r}"
            name, body, value = m.group(1), m.group(3) or "", m.group(4)
            assert current is not None
            fam = fams[current]
            assert any(name == current + s for s in _SUFFIXES[fam["type"]]), (name, current)
            labels: dict[str, str] = {}
            pos = 0
            while pos < len(body):
                lm = _LABEL.match(body, pos)
                assert lm, f"bad labels {body!r}"
                assert lm.group(1) not in labels
                labels[lm.group(1)] = _unescape(lm.group(2))
                pos = lm.end()
            fam["samples"].append((name, labels, _value(value)))
    for name, fam in fams.items():
        if fam["type"] == "histogram":
            _check_histogram(name, fam["samples"])
    return fams


def _check_histogram(name: str, samples: list) -> None:
    series: dict[tuple, dict] = {}
    for sname, labels, value in samples:
        base = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        s = series.setdefault(base, {"buckets": [], "sum": None, "count": None})
        if sname.endswith("_bucket"):
            s["buckets"].append((_value(labels["le"]), value))
        elif sname.endswith("_sum"):
            s["sum"] = value
        else:
            s["count"] = value
    for s in series.values():
        bounds = [b for b, _ in s["buckets"]]
        counts = [c for _, c in s["buckets"]]
        assert bounds == sorted(bounds) and bounds[-1] == math.inf, f"{name}: buckets must end in +Inf"
        assert counts == sorted(counts), f"{name}: buckets must be cumulative"
        assert s["sum"] is not None and s["count"] == counts[-1], f"{name}: _count must equal +Inf bucket"


def test_parser_accepts_a_spec_example() -> None:
    text = (
        "# HELP http_requests_total The total number of HTTP requests.\n"
        "# TYPE http_requests_total counter\n"
        'http_requests_total{method="post",code="200"} 1027\n'
        'http_requests_total{method="post",code="400"} 3\n'
        "# HELP rpc_duration_seconds A histogram.\n"
        "# TYPE rpc_duration_seconds histogram\n"
        'rpc_duration_seconds_bucket{le="0.05"} 24054\n'
        'rpc_duration_seconds_bucket{le="0.1"} 33444\n'
        'rpc_duration_seconds_bucket{le="+Inf"} 144320\n'
        "rpc_duration_seconds_sum 53423\n"
        "rpc_duration_seconds_count 144320\n"
    )
    fams = parse_prometheus(text)
    second = fams["http_requests_total"]["samples"][1]
    assert second == ("http_requests_total", {"method": "post", "code": "400"}, 3)
    assert fams["rpc_duration_seconds"]["type"] == "histogram"


def test_parser_rejects_broken_histograms() -> None:
    fam = Family("x_seconds", "histogram", "h")
    fam.add(3, {"le": "1"}, "_bucket").add(2, {"le": "+Inf"}, "_bucket")
    fam.add(1, {}, "_sum").add(2, {}, "_count")
    with pytest.raises(AssertionError):
        parse_prometheus(render([fam]))
    with pytest.raises(AssertionError):
        parse_prometheus("x 1\n")  # no HELP/TYPE
    with pytest.raises(AssertionError):
        parse_prometheus("# HELP x h\n# TYPE x counter\nx_bucket 1\n")  # suffix not allowed


def test_rendered_histogram_parses() -> None:
    h = Histogram.of([0.01, 0.2, 7.0])
    fams = parse_prometheus(render([Family("lat_seconds", "histogram", "l").add_histogram(h, {"node": "a"})]))
    samples = fams["lat_seconds"]["samples"]
    assert samples[-1] == ("lat_seconds_count", {"node": "a"}, 3)
