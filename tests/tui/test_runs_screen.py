"""Pilot tests of the runs screen (key ``r``) on the fixed feed: open/close, sorting, filtering, the call
tree, a call's detail, copying the trace id, and hostile text shown literally."""

from __future__ import annotations

from oxytui.tui.runsview import RunRow
from oxytui.tui.screens.dialogs import HelpScreen
from oxytui.tui.screens.runs import RunsScreen
from oxytui.tui.screens.runtree import CallDetailScreen, RunTreeScreen
from oxytui.tui.widgets.runs_table import RunsTable
from tests.support.screen_cells import assert_literal_screen, screen_rows
from tests.support.screenshots import fixed_app

SIZE = (160, 45)


def _shown(app) -> list[RunRow]:  # type: ignore[no-untyped-def]
    return list(app.screen.query_one(RunsTable).rows_shown)


async def _open(pilot) -> RunsScreen:  # type: ignore[no-untyped-def]
    await pilot.press("r")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, RunsScreen)
    return screen


async def test_r_opens_and_closes_the_runs_screen_and_help_lists_it() -> None:
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot)
        rows = _shown(app)
        assert {r.trace_id for r in rows} == {r.trace_id for r in app.store.runs.values()}
        assert [r.start for r in rows] == sorted((r.start for r in rows), reverse=True)  # newest first
        await pilot.press("r")
        await pilot.pause()
        assert app.screen is app.main
        await pilot.press("r", "escape")
        await pilot.pause()
        assert app.screen is app.main
        await pilot.press("r", "enter")  # r from a call tree: straight back, no second runs screen
        await pilot.pause()
        assert isinstance(app.screen, RunTreeScreen)
        await pilot.press("r")
        await pilot.pause()
        assert app.screen is app.main and len(app.screen_stack) == 2  # default screen + main
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert ("r", "Runs", "runs") in app.screen.rows


async def test_sort_by_key_and_by_clicking_a_header() -> None:
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await pilot.press("s")  # start -> node(s), ascending
        await pilot.pause()
        assert screen.table.sort_column == "nodes" and not screen.table.descending
        nodes = [r.nodes for r in _shown(app)]
        assert nodes == sorted(nodes) and len(set(nodes)) > 1
        await pilot.press("S")
        await pilot.pause()
        assert [r.nodes for r in _shown(app)] == sorted(nodes, reverse=True)
        # a click on the "duration" header sorts by it (longest first), a second click flips
        table = screen.table
        x = table.header_x("duration") + 1
        await pilot.click(RunsTable, offset=(x, 0))
        await pilot.pause()
        durations = [r.duration for r in _shown(app)]
        assert table.sort_column == "duration" and durations == sorted(durations, reverse=True)  # type: ignore[type-var]
        await pilot.click(RunsTable, offset=(x, 0))
        await pilot.pause()
        assert [r.duration for r in _shown(app)] == sorted(durations)  # type: ignore[type-var]


async def test_filters_by_state_text_node_and_source() -> None:
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        total = len(_shown(app))
        await pilot.press("x")  # running
        await pilot.pause()
        assert [r.trace_id for r in _shown(app)] == ["TRslow0000000005"]
        await pilot.press("x", "x")  # completed, then failed
        await pilot.pause()
        # the boom run answered, but a call inside it failed: failed by the health rule
        assert [r.trace_id for r in _shown(app)] == ["TRfandead0000000", "TRboom0000000002"]
        await pilot.press("x")  # every state again
        await pilot.press("n")  # first node: master
        await pilot.pause()
        assert _shown(app) and all("master" in r.nodes for r in _shown(app))
        assert "node=master" in str(screen.query_one("#runs-pane").border_subtitle)
        await pilot.press("n", "n", "n")  # math, dead, all
        await pilot.press("o")  # source: mine (everything in the fixed feed)
        await pilot.pause()
        assert len(_shown(app)) == total
        await pilot.press("o")  # traffic: none in this feed
        await pilot.pause()
        assert _shown(app) == []
        await pilot.press("o", "o", "o")  # probe, demo, all
        await pilot.press("slash", *"boom")
        await pilot.pause()
        assert [r.trace_id for r in _shown(app)] == ["TRboom0000000002"]
        await pilot.press("escape")
        await pilot.pause()
        assert len(_shown(app)) == total and isinstance(app.screen, RunsScreen)
        await pilot.press("escape")
        assert app.screen is app.main


async def test_enter_opens_the_call_tree_and_a_call_detail() -> None:
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await pilot.press("slash", *"TRboom", "enter")
        await pilot.pause()
        assert screen.table.has_focus and [r.trace_id for r in _shown(app)] == ["TRboom0000000002"]
        await pilot.press("enter")
        await pilot.pause()
        tree_screen = app.screen
        assert isinstance(tree_screen, RunTreeScreen) and tree_screen.row.trace_id == "TRboom0000000002"
        tree = tree_screen.calls_tree
        agent = tree.root.children[0]
        boom = agent.children[0]
        assert agent.data is not None and agent.data.callee == "math_agent"
        assert boom.data is not None and boom.data.callee == "boom" and boom.data.failed
        assert "FAILED" in str(boom.label) and "FAILED" not in str(agent.label)
        tree.move_cursor(boom)
        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, CallDetailScreen)
        await pilot.pause()
        body = str(detail.query_one("#call-body").render())
        assert "boom tool failed on purpose" in body
        assert "no live node" in detail.note  # the frozen app has no node to ask: says so
        await pilot.press("escape")
        assert app.screen is tree_screen
        await pilot.press("escape")
        assert app.screen is screen


async def test_copy_trace_id_from_table_and_tree() -> None:
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await pilot.press("y")
        assert app.clipboard == screen.table.selected().trace_id == "TRslow0000000005"  # type: ignore[union-attr]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RunTreeScreen)
        await pilot.press("y")
        assert app.clipboard == app.screen.row.trace_id == "TRfandead0000000"


async def test_hostile_text_in_runs_table_tree_and_detail_is_literal() -> None:
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot)
        await pilot.press("slash", *"hostile", "enter")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RunTreeScreen)
        assert_literal_screen(app, SIZE, "[@click=app.quit]")
        await pilot.press("enter")  # the root: nothing to show
        tree = app.screen.calls_tree
        tree.move_cursor(tree.root.children[0])
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CallDetailScreen)
        assert_literal_screen(app, SIZE, "[@click=app.quit]")


async def test_a_huge_trace_draws_a_bounded_tree_and_says_what_is_left() -> None:
    from oxytui.client.records import parse_view
    from oxytui.runs import Fleet
    from oxytui.tui.screens.runtree import MAX_CALLS

    app = fixed_app()
    fleet = app.fleet = Fleet()
    records = [
        {
            "node_id": f"N{i:06d}",
            "father_node_id": "" if i == 0 else "N000000",
            "node_type": "agent" if i == 0 else "tool",
            "caller": "user" if i == 0 else "math_agent",
            "callee": "math_agent" if i == 0 else f"tool{i}",
            "call_stack": ["user", "math_agent"],
            "create_time": "2026-11-18 11:08:00.000000000",
            "update_time": "2026-11-18 11:08:01.000000000",
            "state": 3,
            "output": "ok",
        }
        for i in range(5_000)
    ]
    body = {"code": 200, "message": "SUCCESS", "data": {"nodes": records, "trace_id": "TRhuge0000000001"}}
    fleet.apply_view("math", parse_view(body, "math", "TRhuge0000000001"), 1_795_000_090.0)
    fleet.finish("TRhuge0000000001", 1_795_000_090.0)
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot)
        await pilot.press("slash", *"TRhuge", "enter", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RunTreeScreen)
        tree = app.screen.calls_tree
        drawn = []
        todo = [tree.root]
        while todo:
            node = todo.pop()
            drawn.append(node)
            todo.extend(node.children)
        calls = [n for n in drawn if n.data is not None]
        assert len(calls) == MAX_CALLS
        assert any(f"{5_000 - MAX_CALLS:,} more calls not shown" in str(n.label) for n in drawn)


async def test_a_folded_call_stays_folded_when_the_tree_is_redrawn() -> None:
    app = fixed_app(traffic=True)
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot)
        await pilot.press("slash", *"TRtrafficHop", "enter", "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunTreeScreen)
        hop = next(n for n in screen.calls_tree.root.children[0].children if n.data.callee == "math_agent")
        screen.calls_tree.move_cursor(hop)
        await pilot.press("space")  # fold the remote hop
        await pilot.pause()
        screen._signature = None  # as when a live run's records change: the tree is rebuilt
        screen.refresh_tree()
        await pilot.pause()
        again = next(n for n in screen.calls_tree.root.children[0].children if n.data.callee == "math_agent")
        assert again is not hop and not again.is_expanded
        assert screen.calls_tree.cursor_node is again  # the cursor stays on it too


async def test_the_call_trees_title_shows_node_names_literally() -> None:
    """Issue 11 review: the tree's border title joined node names as markup ("[b]…[/b]" vanished)."""
    app = fixed_app(traffic=True)
    assert app.fleet is not None
    run = app.fleet.get("TRtrafficEvil003")
    assert run is not None
    run.records["[b]odd[/b][@click=app.quit]n"] = {}  # a node name is config text: shown as written
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot)
        await pilot.press("slash", *"evil003", "enter")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RunTreeScreen)
        assert_literal_screen(app, SIZE, "[b]odd[/b]")


async def test_call_tree_title_shows_node_names_literally() -> None:
    """A node named ``[b]evil[/b]`` reaches the call tree's border title as typed, never as markup."""
    from oxytui.client.records import parse_view
    from oxytui.runs import Fleet

    evil = "[b]evil[/b][@click=app.quit]x[/]"
    app = fixed_app()
    fleet = app.fleet = Fleet()
    rec = {"node_id": "N1", "father_node_id": "", "node_type": "agent", "caller": "user", "callee": "m",
           "create_time": "2026-11-18 11:08:00.0", "update_time": "2026-11-18 11:08:01.0",
           "state": 3}  # fmt: skip
    body = {"code": 200, "data": {"nodes": [rec], "trace_id": "TRevil0000000001"}}
    fleet.apply_view(evil, parse_view(body, evil, "TRevil0000000001"), 1_795_000_090.0)
    fleet.finish("TRevil0000000001", 1_795_000_090.0)
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot)
        await pilot.press("slash", *"TRevil", "enter", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RunTreeScreen)
        assert_literal_screen(app, SIZE, "Call tree · [b]evil[/b]")
        row = next(r for r in screen_rows(app) if "Call tree ·" in r)
        y = app.screen.query_one("#runtree-pane").region.y  # the title sits on the pane's top border
        x = row.index("[b]evil") + 3
        assert app.screen.get_style_at(x, y).bold == app.screen.get_style_at(row.index("Call"), y).bold
