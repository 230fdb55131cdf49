"""The runs model stays light, and there is one percentile with one rule for empty input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import oxytui.client.stats
import oxytui.runs
from oxytui.common.stats import percentile
from oxytui.runs import NodeStats

HEAVY = ("aiohttp", "pydantic", "pydantic_core", "msgspec", "textual")


def test_importing_runs_loads_nothing_heavy() -> None:
    code = (
        "import json, sys; import oxytui.runs; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert "oxytui" in loaded
    assert loaded.isdisjoint(HEAVY), f"oxytui.runs pulled in {sorted(loaded & set(HEAVY))}"


def test_one_percentile_shared_by_client_and_runs() -> None:
    assert oxytui.client.stats.percentile is percentile
    assert oxytui.runs.percentile is percentile


@pytest.mark.parametrize(
    ("values", "q", "want"),
    [([], 50, None), ([], 99, None), ([3.0], 0, 3.0), ([1.0, 2.0, 3.0, 4.0], 50, 2.0),
     ([1.0, 2.0, 3.0, 4.0], 75, 3.0), ([1.0, 2.0, 3.0, 4.0], 100, 4.0), ([1.0, 2.0], 150, 2.0)],
)  # fmt: skip
def test_percentile_nearest_rank_none_when_empty(values: list[float], q: float, want: float | None) -> None:
    assert percentile(values, q) == want


def test_node_stats_show_zero_until_a_run_finishes() -> None:
    st = NodeStats("n")
    assert st.latency_percentiles() == (0.0, 0.0, 0.0) and st.latency_pct(95) == 0.0
    st.on_finish(True, 2.5)
    assert st.latency_percentiles() == (2.5, 2.5, 2.5)
