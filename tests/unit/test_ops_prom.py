"""Prometheus exposition: parsed back with ``prometheus_client``'s parsers (the text one plus the checks it
leaves out, and the strict OpenMetrics one), histogram buckets, escaping of hostile names, label caps.

``parse_prometheus`` is shared with the export and watch tests.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families

from oxytui.ops.metrics import OTHER, Family, FleetMetrics, Histogram, LabelCap, clean_label, render

_SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "unknown": ("",),
    "summary": ("", "_sum", "_count"),
    "histogram": ("_bucket", "_sum", "_count"),
}


def parse_prometheus(text: str) -> dict[str, dict[str, Any]]:
    """family -> {"type", "help", "samples": [(name, labels, value)]}; asserts on any format violation.

    Counters are keyed as declared in the text format (``x_total``). The library parser is lax (it turns
    an undeclared sample into an untyped singleton and does not check histograms), so this adds: every
    family declared once with HELP and TYPE, sample names allowed for the type, histogram buckets sorted,
    cumulative, ending in ``+Inf`` equal to ``_count``, and a ``_sum``."""
    assert text.endswith("\n")
    declared = [ln.split(" ")[2] for ln in text.splitlines() if ln.startswith("# TYPE ")]
    assert len(declared) == len(set(declared)), "TYPE declared twice"
    fams: dict[str, dict[str, Any]] = {}
    for fam in text_string_to_metric_families(text):
        key = fam.name + "_total" if fam.type == "counter" else fam.name
        assert key in declared, f"sample without HELP/TYPE: {fam.samples[:1]}"
        assert key not in fams
        samples = [(s.name, dict(s.labels), s.value) for s in fam.samples]
        for name, _, _ in samples:
            assert any(name == fam.name + sfx for sfx in _SUFFIXES[fam.type]), (name, fam.name)
        fams[key] = {"type": fam.type, "help": fam.documentation, "samples": samples}
        if fam.type == "histogram":
            _check_histogram(key, samples)
    return fams


def _check_histogram(name: str, samples: list[tuple[str, dict[str, str], float]]) -> None:
    series: dict[tuple[tuple[str, str], ...], dict[str, Any]] = {}
    for sname, labels, value in samples:
        base = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        s = series.setdefault(base, {"buckets": [], "sum": None, "count": None})
        if sname.endswith("_bucket"):
            s["buckets"].append((float(labels["le"]), value))
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


HOSTILE = 'we"ird\\name\n} x{le="1"} 9\u202e\ud800\x1b[31m'


def _fleet() -> FleetMetrics:
    m = FleetMetrics(max_callees=4)
    for i, d in enumerate([0.003, 0.02, 0.3, 0.3, 4.0, 500.0]):
        m.observe_call("math", "add", "tool", d, failed=i == 5)
    m.observe_call("math", HOSTILE, "tool", 0.1, failed=True)
    m.observe_call(HOSTILE, "default_llm", "llm", 1.5, failed=False)
    m.observe_call("math", "x", "weird-type", 0.1, failed=False)
    m.observe_call("math", "overflow-1", "tool", 0.1, failed=False)  # 5th distinct callee: "other"
    m.observe_run("math", "traffic", 1.2, failed=True)
    m.observe_run("math", "probe", 0.4, failed=False)
    m.observe_run("math", "bogus", None, failed=False)
    m.add_tokens("math", "qwen", 120, 30)
    m.add_tokens("math", "", 5, None)
    m.set_node_up("math", True)
    m.set_node_up("dead", False)
    return m


def test_fleet_metrics_text_parses_and_buckets_sum_right() -> None:
    m = _fleet()
    fams = parse_prometheus(m.text())
    calls = fams["oxytui_call_duration_seconds"]["samples"]
    add = {s[1]["le"]: s[2] for s in calls if s[0].endswith("_bucket") and s[1]["callee"] == "add"}
    # 0.003 0.02 0.3 0.3 4.0 500.0 against 0.005 .. 120
    assert add["0.005"] == 1 and add["0.025"] == 2 and add["0.5"] == 4 and add["5.0"] == 5
    assert add["120.0"] == 5 and add["+Inf"] == 6
    total = [s[2] for s in calls if s[0].endswith("_sum") and s[1]["callee"] == "add"]
    assert total == [pytest.approx(0.003 + 0.02 + 0.3 + 0.3 + 4.0 + 500.0)]
    failed = {(s[1]["callee"], s[1]["type"]): s[2] for s in fams["oxytui_calls_failed_total"]["samples"]}
    assert failed[("add", "tool")] == 1
    calls_total = {
        (s[1]["node"], s[1]["callee"], s[1]["type"]) for s in fams["oxytui_calls_total"]["samples"]
    }
    assert ("math", OTHER, "tool") in calls_total and ("math", "x", OTHER) in calls_total
    runs = {(s[1]["node"], s[1]["source"]): s[2] for s in fams["oxytui_runs_total"]["samples"]}
    assert runs == {("math", "traffic"): 1, ("math", "probe"): 1, ("math", OTHER): 1}
    assert {s[1]["source"]: s[2] for s in fams["oxytui_runs_failed_total"]["samples"]} == {"traffic": 1}
    tokens = {(s[1]["model"], s[1]["direction"]): s[2] for s in fams["oxytui_tokens_total"]["samples"]}
    assert tokens == {("qwen", "input"): 120, ("qwen", "output"): 30, ("unknown", "input"): 5}
    up = {s[1]["node"]: s[2] for s in fams["oxytui_node_up"]["samples"]}
    assert up == {"math": 1, "dead": 0}


def test_hostile_names_are_escaped_and_parse_back_literally() -> None:
    text = _fleet().text()
    # a label value cannot break out of its quotes or start a line
    assert not any(ln.startswith(("x{", "}", " ")) for ln in text.splitlines())
    fams = parse_prometheus(text)
    callees = {s[1]["callee"] for s in fams["oxytui_calls_total"]["samples"]}
    nodes = {s[1]["node"] for s in fams["oxytui_calls_total"]["samples"]}
    expected = 'we"ird\\name\n} x{le="1"} 9\ufffd\ufffd\ufffd[31m'
    assert expected in callees and expected in nodes  # quotes, backslash, newline kept; controls replaced
    assert clean_label("a" * 500).endswith("…") and len(clean_label("a" * 500)) == 120


def test_openmetrics_page_passes_the_strict_parser() -> None:
    body, ctype = _fleet().exposition("application/openmetrics-text; version=1.0.0")
    assert ctype.startswith("application/openmetrics-text")
    fams = {f.name: f for f in parse_openmetrics(body.decode())}  # raises on any violation
    assert fams["oxytui_call_duration_seconds"].type == "histogram"
    assert fams["oxytui_tokens"].type == "counter"
    body, ctype = _fleet().exposition("")
    assert ctype.startswith("text/plain; version=0.0.4")


def test_label_cap_bounds_the_series_count() -> None:
    m = FleetMetrics(max_callees=50)
    for i in range(5000):
        m.observe_call("n", f"tool-{i}", "tool", 0.01, failed=False)
    fams = parse_prometheus(m.text())
    assert len(fams["oxytui_calls_total"]["samples"]) == 51  # 50 names + "other"
    other = [s[2] for s in fams["oxytui_calls_total"]["samples"] if s[1]["callee"] == OTHER]
    assert other == [4950] and m.callee.overflowed == 4950
    cap = LabelCap(1)
    assert (cap("a"), cap("b"), cap("a")) == ("a", OTHER, "a")


def test_private_registry_does_not_touch_the_global_one() -> None:
    from prometheus_client import REGISTRY

    before = {f.name for f in REGISTRY.collect()}
    FleetMetrics().observe_run("n", "probe", 1.0, failed=False)
    FleetMetrics().observe_run("n", "probe", 1.0, failed=False)  # a second instance: no duplicate error
    assert {f.name for f in REGISTRY.collect()} == before


def test_snapshot_families_validate_names() -> None:
    with pytest.raises(ValueError):
        Family("bad-name", "counter", "")
    with pytest.raises(ValueError):
        Family("runs", "counter", "")  # counters end in _total
    with pytest.raises(ValueError):
        Family("ok_total", "counter", "").add(1, {"bad-label": "x"})
