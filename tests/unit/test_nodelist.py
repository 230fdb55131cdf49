"""Node display names and the node list model (sort, filter, group, pinned problem nodes)."""

from __future__ import annotations

from oxytui.runs import ALL, NameSource, RunStore, display_names, shorten_middle
from oxytui.runs.nodelist import ListView, group_stats, node_rows


def test_bare_urls_take_root_agent_name_with_shortest_unique_suffix() -> None:
    names = display_names(
        [
            NameSource("127.0.0.1:18081", "http://127.0.0.1:18081", "math_agent"),
            NameSource("127.0.0.1:18082", "http://127.0.0.1:18082", "math_agent"),
            NameSource("10.0.0.1:18082", "http://10.0.0.1:18082", "math_agent"),
            NameSource("127.0.0.1:18090", "http://127.0.0.1:18090", "master_agent"),
            NameSource("127.0.0.1:18099", "http://127.0.0.1:18099", ""),  # no org yet
        ]
    )
    assert names == {
        "127.0.0.1:18081": "math_agent:18081",  # its port alone is unique
        "127.0.0.1:18082": "math_agent@127.0.0.1:18082",  # port and host both shared
        "10.0.0.1:18082": "math_agent@10.0.0.1",  # its host is unique
        "127.0.0.1:18090": "master_agent",  # unique: no suffix
        "127.0.0.1:18099": "127.0.0.1:18099",
    }


def test_configured_name_wins_over_a_root_agent_name() -> None:
    names = display_names(
        [NameSource("math_agent", "http://a:1"), NameSource("b:2", "http://b:2", "math_agent")]
    )
    assert names == {"math_agent": "math_agent", "b:2": "math_agent:2"}
    assert len(set(names.values())) == 2


def test_shorten_middle_keeps_the_distinguishing_end() -> None:
    a = shorten_middle("eu-prod-math-worker-01", 14)
    b = shorten_middle("eu-prod-math-worker-02", 14)
    assert len(a) == 14 and a != b and a.endswith("-01") and a.startswith("eu-pro")
    assert shorten_middle("math_agent:18081", 12).endswith(":18081")
    assert shorten_middle("short", 14) == "short"
    assert shorten_middle("abcdef", 1) == "…"


def _fleet() -> RunStore:
    store = RunStore()
    for i in range(6):
        store.add_node(f"n{i}", f"http://h:{i}", ["eu"] if i % 2 else ["us", "prod"])
        store.set_alive(f"n{i}", i != 4, 1.0)
    for ok in (True, False, False, False):  # n3 degraded: rolling success 25%
        store.start_run("n3", f"t{ok}{store.version}", "q", 1.0, 1.0)
        store.runs[next(reversed(store.runs))].answer = "x" if ok else ""
        store.finish_run("n3", next(reversed(store.runs))[1], 2.0 + ok, 2.0)
    for _ in range(3):
        store.start_run("n1", f"r{store.version}", "q", 1.0, 1.0)
        store.runs[next(reversed(store.runs))].answer = "fine"
        store.finish_run("n1", next(reversed(store.runs))[1], 9.0, 9.0)
    return store


def test_default_sort_puts_down_and_degraded_first_and_pins_them() -> None:
    store = _fleet()
    rows, pinned = node_rows(store, ListView())
    assert [r.key for r in rows[:3]] == [ALL, "n4", "n3"]  # down, then degraded
    assert pinned == 3
    assert [r.key for r in rows[3:]] == ["n0", "n1", "n2", "n5"]


def test_problem_nodes_stay_on_top_under_every_sort() -> None:
    store = _fleet()
    for how in ("name", "success", "p95", "runs"):
        rows, pinned = node_rows(store, ListView(sort=how))
        assert {r.key for r in rows[1:pinned]} == {"n3", "n4"}, how
    rows, _ = node_rows(store, ListView(sort="runs"))
    assert rows[3].key == "n1"  # most runs first among the rest
    rows, _ = node_rows(store, ListView(sort="p95"))
    assert rows[3].key == "n1"  # slowest first


def test_filter_by_text_and_tag() -> None:
    store = _fleet()
    rows, _ = node_rows(store, ListView(text="tag:eu"))
    assert {r.key for r in rows if r.kind == "node"} == {"n1", "n3", "n5"}
    rows, _ = node_rows(store, ListView(text="h:2"))
    assert [r.key for r in rows] == [ALL, "n2"]
    rows, _ = node_rows(store, ListView(tag="prod"))
    assert {r.key for r in rows if r.kind == "node"} == {"n0", "n2", "n4"}


def test_group_by_tag_with_aggregate_rows() -> None:
    store = _fleet()
    rows, _ = node_rows(store, ListView(group=True))
    groups = [r for r in rows if r.kind == "group"]
    assert [g.key for g in groups] == ["eu", "prod", "us"]
    eu = groups[0]
    assert set(eu.members) == {"n1", "n3", "n5"}
    up, total, ok, p95, live = group_stats(store, eu.members)
    assert (up, total, live) == (3, 3, 0)
    assert ok is not None and abs(ok - 4 / 7) < 1e-9  # n1: 3 of 3, n3: 1 of 4
    assert p95 is not None
    assert len({r.row_key for r in rows}) == len(rows)  # a node in two groups keeps unique row keys
