"""Export formats: JSON, CSV, Prometheus text (parsed back and checked against the format rules), runs."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from oxytui.client.sse import SSEDecoder, SSEMessage
from oxytui.ops.export import (
    COLUMNS,
    export_recording,
    run_from_store,
    stats_to_csv,
    stats_to_json,
    stats_to_prometheus,
)
from oxytui.ops.metrics import Family, Histogram, render
from oxytui.ops.record import Recorder
from oxytui.runs import RunState, RunStore
from oxytui.runs.stats import NodeStats
from tests.unit.test_ops_prom import parse_prometheus

CAPTURES = Path(__file__).parents[1] / "fixtures" / "captures"

# --- inputs ---------------------------------------------------------------------------------------------


def client_stats() -> dict[str, dict]:
    return {
        "math": {
            "total_requests": 10,
            "successful_requests": 8,
            "failed_requests": 2,
            "cancelled_requests": 0,
            "average_response_time": 1.5,
            "p50_response_time": 1.2,
            "p95_response_time": 3.0,
            "p99_response_time": 3.4,
            "p50_time_to_first_event": 0.05,
            "events_received": 400,
            "rolling_success_rate": 0.8,
            "last_error": None,
        },
        'we"ird\\node\nx': {"total_requests": 0, "rolling_success_rate": None},
    }


def node_stats() -> dict[str, NodeStats]:
    s = NodeStats("master")
    for i, ok in enumerate([True, True, False, True]):
        s.on_start()
        s.on_event(float(i))
        s.on_first_event(0.01)
        s.on_finish(ok, 0.2 * (i + 1))
    return {"master": s}


def test_json_and_csv_have_same_rows() -> None:
    stats = client_stats() | node_stats()
    data = json.loads(stats_to_json(stats))["nodes"]
    assert [r["node"] for r in data] == ["math", 'we"ird\\node\nx', "master"]
    assert data[0]["success_rate"] == 0.8 and data[0]["latency_p95_seconds"] == 3.0
    assert data[1]["success_rate"] is None
    assert data[2]["runs"] == 4 and data[2]["failed"] == 1 and data[2]["success_rate"] == 0.75
    table = list(csv.DictReader(io.StringIO(stats_to_csv(stats))))
    assert tuple(table[0].keys()) == COLUMNS
    assert [r["node"] for r in table] == [r["node"] for r in data]
    assert table[0]["runs"] == "10" and table[1]["success_rate"] == ""


def test_prometheus_parses_back_and_follows_the_format() -> None:
    text = stats_to_prometheus(client_stats() | node_stats())
    fams = parse_prometheus(text)
    assert fams["oxytui_runs_total"]["type"] == "counter"
    runs = {s[1]["node"]: s[2] for s in fams["oxytui_runs_total"]["samples"]}
    assert runs == {"math": 10, 'we"ird\\node\nx': 0, "master": 4}  # label escaping round-trips
    q = {(s[1]["node"], s[1].get("quantile")): s[2] for s in fams["oxytui_latency_seconds"]["samples"]}
    assert q[("math", "0.95")] == 3.0 and q[("math", None)] in (15.0, 10.0)
    hist = fams["oxytui_run_latency_seconds"]
    assert hist["type"] == "histogram"
    count = [s[2] for s in hist["samples"] if s[0].endswith("_count")]
    total = [s[2] for s in hist["samples"] if s[0].endswith("_sum")]
    assert count == [4] and total[0] == pytest.approx(0.2 + 0.4 + 0.6 + 0.8)
    le = {s[1]["le"]: s[2] for s in hist["samples"] if s[0].endswith("_bucket")}
    assert le["0.25"] == 1 and le["0.5"] == 2 and le["1.0"] == 4 and le["+Inf"] == 4


def test_metric_helpers() -> None:
    h = Histogram.of([0.01, 0.05, 0.3, 1000.0], buckets=(0.05, 1.0))
    assert h.counts == [2, 1] and h.count == 4
    text = render([Family("a_total", "counter", "multi\nline \\ help").add(1.5, {"x": "y"})])
    assert "# HELP a_total multi\\nline \\\\ help" in text and 'a_total{x="y"} 1.5' in text
    with pytest.raises(ValueError):
        Family("bad-name", "counter", "")
    with pytest.raises(ValueError):
        render([Family("ok", "counter", "").add(1, {"bad-label": "x"})])


def _recording(tmp_path: Path) -> Path:
    path = tmp_path / "r.jsonl"
    with Recorder(path, secrets=["TOKEN-XYZ"]) as rec:
        for trace, cap, state in (("T1", "math_add.sse", "completed"), ("T2", "math_boom.sse", None)):
            rec.mark("start", "math", trace, 1.0, query=f"q {trace} TOKEN-XYZ")
            dec = SSEDecoder()
            for i, item in enumerate(dec.feed((CAPTURES / cap).read_bytes()) + dec.flush()):
                rec.wire_tap("math", trace, item, 2.0 + i / 100)
            if state:
                rec.mark("finish", "math", trace, 9.0, state=state)
    return path


@pytest.mark.parametrize("fmt", ["json", "csv", "prom", "run"])
def test_export_recording_cli_function(tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = _recording(tmp_path)
    out = tmp_path / f"out.{fmt}"
    assert export_recording(path, fmt, output=str(out)) == 0
    text = out.read_text()
    assert "TOKEN-XYZ" not in text
    if fmt == "prom":
        fams = parse_prometheus(text)
        assert {s[1]["node"]: s[2] for s in fams["oxytui_runs_total"]["samples"]} == {"math": 2}
    elif fmt == "json":
        assert json.loads(text)["nodes"][0]["runs"] == 2
    elif fmt == "run":
        run = json.loads(text)
        assert run["trace_id"] == "T2" and run["calls"] and run["events"]
        assert run["calls"][0]["children"] and "status" in run["calls"][0]
    assert export_recording(path, "run", run="nope") == 1
    assert "no run" in capsys.readouterr().err


def test_run_from_store() -> None:
    store = RunStore()
    store.start_run("n", "T", "add 2 3", 0.0, 100.0)
    dec = SSEDecoder()
    from oxytui.client.events import event_from_message

    for i, item in enumerate(dec.feed((CAPTURES / "math_add.sse").read_bytes()) + dec.flush()):
        if isinstance(item, SSEMessage):
            store.add_event(event_from_message(item, node="n", trace_id="T", mono=i / 10, wall=100 + i / 10))
    store.finish_run("n", "T", 5.0, 105.0, RunState.COMPLETED)  # no-op: event: close finished it
    d = run_from_store(store, "n", "T")
    assert d["state"] == "completed" and d["answer"] and 0 < d["duration"] < 5.0
    assert any(e["type"] == "tool_call" for e in d["events"])
    json.dumps(d, default=str)
    with pytest.raises(KeyError):
        run_from_store(store, "n", "nope")


@pytest.mark.parametrize(
    ("what", "fmt", "ext"),
    [("stats", "json", "json"), ("stats", "csv", "csv"), ("stats", "prom", "prom"), ("run", "json", "json")],
)
def test_write_export_for_the_palette(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, what: str, fmt: str, ext: str
) -> None:
    from oxytui.ops.export import write_export

    monkeypatch.setenv("OXYTUI_DATA_DIR", str(tmp_path / "data"))
    store = RunStore()
    store.start_run("n", "T", "q", 0.0, 1.0)
    store.finish_run("n", "T", 1.0, 2.0, RunState.COMPLETED)
    first = write_export(store, what, fmt, run_key=("n", "T"))
    second = write_export(store, what, fmt, run_key=("n", "T"))
    assert first.parent == tmp_path / "data" / "exports" and first.suffix == f".{ext}" and first != second
    text = first.read_text()
    if fmt == "prom":
        samples = parse_prometheus(text)["oxytui_runs_total"]["samples"]
        assert samples == [("oxytui_runs_total", {"node": "n"}, 1)]
    elif what == "run":
        assert json.loads(text)["trace_id"] == "T"
    with pytest.raises(KeyError):
        write_export(store, "run", run_key=None)
