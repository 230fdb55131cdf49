"""Issue 13 point 1: node identity and the node list, in real Pilot sessions."""

from __future__ import annotations

from oxytui.config import NodeConfig, Settings, node_name_from_url
from oxytui.runs import ALL
from oxytui.sim import NodeKnobs, SimCluster
from oxytui.tui.app import OxyApp
from oxytui.tui.screens.dialogs import PromptScreen
from oxytui.tui.widgets.chat import AnswerCard
from tests.support.screen import screen_text
from tests.support.screenshots import fixed_app
from tests.tui.test_live import press_to, until


async def test_bare_urls_are_named_after_their_root_agent_everywhere() -> None:
    knobs = NodeKnobs(latency_ms=5, token_ms=1)
    async with (
        SimCluster(nodes=1, seed=1, burst_ms=0, knobs=knobs) as one,
        SimCluster(nodes=1, seed=2, burst_ms=0, knobs=knobs) as two,
    ):
        urls = [one.urls["master_agent"], two.urls["master_agent"]]
        nodes = [NodeConfig(name=node_name_from_url(u), url=u) for u in urls]
        app = OxyApp(Settings(nodes=nodes, seed=7))
        async with app.run_test(size=(160, 45)) as pilot:
            keys = [n.name for n in nodes]
            named = lambda: all((i := app.store.nodes.get(k)) is not None and i.org is not None for k in keys)  # noqa: E731
            await until(pilot, named)
            ports = [u.rsplit(":", 1)[1] for u in urls]
            want = {k: f"master_agent:{p}" for k, p in zip(keys, ports, strict=True)}
            assert {k: app.store.display(k) for k in keys} == want
            await press_to(pilot, keys[1])
            await pilot.press("c", *"add 2 3", "enter")
            await until(pilot, lambda: bool(app.main.chat_runs) and not app.main.chat_runs[0].live, limit=30)
            assert app.main.chat_runs[0].node == keys[1]
            card = app.main.query_one(AnswerCard)
            await until(pilot, lambda: card.border_title == want[keys[1]], limit=30)
            await pilot.press("escape")
            await until(pilot, lambda: app.main.log_view.rows != [])
            lines = screen_text(app).splitlines()
            log = "\n".join(line[57:] for line in lines[2:15])
            chat = "\n".join(lines[-13:])
            assert want[keys[1]] in log and want[keys[1]] in chat
            nodes_pane = "\n".join(line[:57] for line in lines[:15])
            for name in want.values():
                assert name.split(":")[1] in nodes_pane  # shortened in the middle: the port is kept
            for key in keys:  # never the raw host:port key where a name belongs
                assert f"you→{key}" not in log and f"{key}→you" not in log and key not in chat


def _big_fleet(n: int = 60) -> OxyApp:
    app = fixed_app(live=False)
    for i in range(n):
        key = f"fleet-node-{i:02d}"
        app.store.add_node(key, f"http://10.0.{i}.1:8080", ["eu" if i % 3 else "us"])
        app.store.set_alive(key, i not in (41, 57), 100.0, "" if i not in (41, 57) else "refused")
    return app


async def test_sixty_nodes_scroll_and_problem_nodes_stay_visible() -> None:
    for size in [(100, 30), (160, 45)]:
        app = _big_fleet()
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            table = app.main.nodes
            table.focus()
            assert table.fixed_rows == 5  # all nodes, dead and degraded math (fixture), fleet-node-41, -57
            await pilot.press("ctrl+end")  # the last node: the list scrolls under the fixed rows
            await pilot.pause()
            assert table.key_at_cursor() == table.key_list()[-1] == "master"  # name order after the status
            width = 57 if size[0] >= 130 else 40
            text = "\n".join(line[:width] for line in screen_text(app).splitlines())  # the Nodes pane
            for name in ("∑  all ", "fleet-node-41", "fleet-node-57", "fleet-node-59", "master"):
                assert name in text, (size, name)
            assert "fleet-node-10" not in text  # scrolled away


async def test_sort_filter_and_group_keys() -> None:
    app = _big_fleet(12)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        table = app.main.nodes
        assert table.view.sort == "status"
        await pilot.press("s")
        assert table.view.sort == "name"
        assert "sort: name" in str(table.border_subtitle)
        await pilot.press("F")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"tag:us", "enter")
        await until(pilot, lambda: app.screen is app.main)
        keys = table.key_list()
        assert keys[0] == ALL and set(keys[1:]) >= {"fleet-node-00", "fleet-node-03"}
        assert not any(k in keys for k in ("fleet-node-01", "fleet-node-02"))
        assert "filter: tag:us" in str(table.border_subtitle)
        await pilot.press("F")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("ctrl+u", "enter")  # empty: clears
        await until(pilot, lambda: app.screen is app.main and table.view.text == "")
        await pilot.press("g")
        await pilot.pause()
        text = screen_text(app)
        assert "▾ eu" in text and "▾ us" in text and "8/8 up" in text and "4/4 up" in text
