"""Fleet traffic in the dashboard on the fixed feed plus fixed traffic (frozen: no network, no clock):
the event log marks traffic rows, Stats toggles between everyone's and my runs, the Nodes pane says which
node keeps no run records, the chat keeps to our runs, and the other user's bearer token reaches no cell."""

from __future__ import annotations

from oxytui.redact import MASK
from oxytui.runs import ALL
from oxytui.tui.screens.dialogs import EventDetailScreen
from oxytui.tui.screens.runs import RunsScreen
from oxytui.tui.screens.runtree import CallDetailScreen, RunTreeScreen
from oxytui.tui.widgets.eventlog import EventLogView
from oxytui.tui.widgets.nodes import NodesTable
from tests.support.fixed_traffic import SECRET
from tests.support.screen_cells import assert_literal_screen, assert_nowhere_on_screen, screen_rows
from tests.support.screenshots import fixed_app

SIZE = (160, 45)


async def test_hostile_query_and_callee_of_a_traffic_run_are_literal_in_the_runs_screen() -> None:
    app = fixed_app(traffic=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        assert_literal_screen(app, SIZE, "[@click=app.quit]click")
        (evil,) = [row for row in screen_rows(app) if "TRtrafficEvil003" in row]
        assert "[@click=app.quit]click me[/]" in evil  # the query, as sent: not parsed as markup
        (callee,) = [row for row in screen_rows(app) if row.startswith("│tool") and "@click" in row]
        assert "[@click=app.quit]click" in callee  # the callee name in the breakdown


async def test_traffic_rows_are_marked_in_the_event_log() -> None:
    app = fixed_app(traffic=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.screen.query_one(EventLogView)
        traffic = [i for i, r in enumerate(view.rows) if r.source == "traffic"]
        ours = [i for i, r in enumerate(view.rows) if r.source != "traffic"]
        assert traffic and ours
        assert all("⇢" in view.format_row(view.rows[i]).plain for i in traffic)
        assert not any("⇢" in view.format_row(view.rows[i]).plain for i in ours)


async def test_stats_toggle_between_everyones_and_my_runs() -> None:
    app = fixed_app(traffic=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        stats = app.main.stats
        everyone = app.store.stats[ALL].runs
        mine = app.store.own_stats[ALL].runs
        assert everyone > mine > 0
        table = str(stats.query_one("#stats-table").render())
        assert f"all {everyone:>6}".replace(" ", "") in table.replace(" ", "")
        await pilot.press("e")
        await pilot.pause()
        assert not stats.everyone and "my runs" in str(stats.border_title)
        table = str(stats.query_one("#stats-table").render())
        assert f"all {mine:>6}".replace(" ", "") in table.replace(" ", "")
        await pilot.press("e")
        await pilot.pause()
        assert stats.everyone and "everyone" in str(stats.border_title)


async def test_nodes_pane_says_which_node_keeps_no_run_records() -> None:
    app = fixed_app(traffic=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        nodes = app.screen.query_one(NodesTable)
        assert "no run records: dead" in str(nodes.border_subtitle)
        assert "⊘" in nodes._name_cell("dead").plain and "⊘" not in nodes._name_cell("math").plain
    app = fixed_app(traffic=False)  # without a traffic watcher there is nothing to say
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "no run records" not in str(app.screen.query_one(NodesTable).border_subtitle or "")


async def test_chat_keeps_to_our_runs() -> None:
    app = fixed_app(traffic=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        newest = next(reversed(app.store.runs.values()))
        assert newest.source == "traffic"  # the newest run is someone else's...
        assert app.main.chat.runs and all(r.source != "traffic" for r in app.main.chat.runs)  # ...not chat's


async def test_the_other_users_bearer_token_is_in_no_cell() -> None:
    app = fixed_app(traffic=True)
    fleet = app.fleet
    assert fleet is not None
    hop = fleet.runs["TRtrafficHop0001"]
    headers = [h for recs in hop.records.values() for r in recs.values() for h in r.headers]
    assert ("authorization", MASK) in headers  # the fixture did send it
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert_nowhere_on_screen(app, SECRET)
        view = app.screen.query_one(EventLogView)
        view.focus()
        for i, row in enumerate(view.rows):  # every traffic row's full detail
            if row.source == "traffic" and row.trace_id == "TRtrafficHop0001":
                view.move_to(i)
                await pilot.press("enter")
                await pilot.pause()
                assert isinstance(app.screen, EventDetailScreen)
                assert_nowhere_on_screen(app, SECRET)
                await pilot.press("escape")
        await pilot.press("r", "slash", *"TRtrafficHop", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        assert_nowhere_on_screen(app, SECRET)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RunTreeScreen)
        tree = app.screen.calls_tree
        calls = [n for n in _walk(tree.root) if n.data is not None]
        assert len(calls) == 5
        for node in calls:  # every call's input and output
            tree.move_cursor(node)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, CallDetailScreen)
            assert_nowhere_on_screen(app, SECRET)
            rows = screen_rows(app)
            assert any("input" in row for row in rows)
            assert any(f"authorization: {MASK}" in row for row in rows)  # shown, but never the value
            await pilot.press("escape")
            await pilot.pause()


def _walk(node):  # type: ignore[no-untyped-def]
    yield node
    for child in node.children:
        yield from _walk(child)
