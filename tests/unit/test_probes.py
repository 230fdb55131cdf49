"""Issue 13 point 13: probes jittered and backed off for down nodes; unchanged probe results change
nothing in the model (so nothing redraws)."""

from __future__ import annotations

from oxytui.runs import RunStore
from oxytui.tui.probes import JITTER, ProbeSchedule


def test_first_probes_are_spread_and_intervals_jittered() -> None:
    s = ProbeSchedule(5.0, seed=1)
    for i in range(60):
        s.add(f"n{i}", 0.0)
    firsts = sorted(s.due.values())
    assert firsts[0] >= 1.0 and firsts[-1] <= 5.0 and len(set(firsts)) == 60
    assert firsts[-1] - firsts[0] > 3.0  # spread over the interval, not one burst
    s.take_due(10.0)
    for i in range(60):
        s.result(f"n{i}", True, 10.0)
    nexts = [t - 10.0 for t in s.due.values()]
    assert all(5.0 * (1 - JITTER) <= d <= 5.0 * (1 + JITTER) for d in nexts)
    assert max(nexts) - min(nexts) > 0.5  # not in lock-step


def test_down_nodes_back_off_and_recover() -> None:
    s = ProbeSchedule(5.0, max_down=60.0, seed=2)
    s.add("dead", 0.0)
    now, gaps = 0.0, []
    for _ in range(8):
        assert s.take_due(s.due["dead"]) == ["dead"]
        now = s.due["dead"] if s.due["dead"] != float("inf") else now
        s.result("dead", False, now)
        gaps.append(s.due["dead"] - now)
    assert gaps[0] < 6.5 and gaps[2] > 15 and max(gaps) <= 60 * (1 + JITTER)
    assert gaps == sorted(gaps) or max(gaps) > 45  # grows, then stays capped
    s.result("dead", True, now)
    assert s.due["dead"] - now <= 5.0 * (1 + JITTER)  # back to the base interval
    assert s.take_due(now) == [] and s.next_wake(now) > 0


def test_unchanged_probe_result_does_not_bump_the_version() -> None:
    store = RunStore()
    store.add_node("a", "http://a:1")
    store.set_alive("a", True, 1.0)
    v = store.version
    for t in range(2, 50):
        store.set_alive("a", True, float(t))
    assert store.version == v and store.last_mono == 49.0
    store.set_alive("a", False, 50.0, "refused")
    assert store.version > v
