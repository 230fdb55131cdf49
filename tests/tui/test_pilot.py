"""Pilot tests of every dashboard interaction on the fixed feed (frozen app: no network, no clock)."""

from __future__ import annotations

from rich.segment import Segment
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot

from oxytui.client.events import ThinkEvent
from oxytui.config import Settings
from oxytui.runs import ALL
from oxytui.tui.screens.dialogs import (
    ConfirmScreen,
    EventDetailScreen,
    HelpScreen,
    PromptScreen,
    TogglesScreen,
)
from oxytui.tui.widgets.calltree import CallTree
from oxytui.tui.widgets.chat import ChatInput, ChatPane
from oxytui.tui.widgets.eventlog import ALL_TYPES, EventLogView
from tests.support.screenshots import fixed_app
from tests.tui.test_live import until

SIZE = (160, 45)


async def run_command(pilot: Pilot[None], query: str, expect: str | None = None) -> None:
    """Type ``query`` into the command palette, wait until a matching command is highlighted, run it."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await until(pilot, lambda: isinstance(app.screen, CommandPalette))
    await pilot.press(*query)
    commands = app.screen.query_one(CommandList)
    want = (expect or query).lower()

    def highlighted() -> bool:
        idx = commands.highlighted
        if idx is None or idx >= commands.option_count:
            return False
        return want in str(commands.get_option_at_index(idx).prompt).lower()

    await until(pilot, highlighted)
    await pilot.press("enter")
    await until(pilot, lambda: not isinstance(app.screen, CommandPalette))


def _add_think(app, n: int) -> None:  # type: ignore[no-untyped-def]
    t = app.store.last_mono
    for i in range(n):
        app.store.add_event(
            ThinkEvent(
                node="math",
                trace_id="TRboom0000000002",
                mono=t + i,
                wall=t + i,
                content=f"late {i}",
                agent="math_agent",
                raw={"type": "think"},
            )
        )


async def test_single_letter_keys_do_not_fire_while_typing() -> None:
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        box = app.screen.query_one(ChatInput)
        assert box.has_focus
        await pilot.press(*"qpnt/f?")
        await pilot.pause()
        assert box.value == "qpnt/f?"
        view = app.screen.query_one(EventLogView)
        assert not view.paused and app.screen is app.main and app.is_running
        assert app.main.focus_key == ALL
        await pilot.press("escape")
        assert not box.has_focus and view.has_focus


async def test_pause_buffers_and_resume_shows() -> None:
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(EventLogView)
        before = len(view.rows)
        await pilot.press("p")
        assert view.paused
        _add_think(app, 5)
        await until(pilot, lambda: view.pending == 5)
        assert len(view.rows) == before
        assert "+5 new" in str(app.screen.query_one("#log-pane").border_subtitle)
        await pilot.press("p")
        assert not view.paused and len(view.rows) == before + 5


async def test_filter_narrows_and_escape_clears() -> None:
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(EventLogView)
        total = len(view.rows)
        await pilot.press("slash")
        await pilot.press(*"boom")
        await pilot.pause()
        assert 0 < len(view.rows) < total
        assert all("boom" in f"{r.summary} {r.callee} {r.caller} {r.trace_id}".lower() for r in view.rows)
        await pilot.press("escape")
        assert len(view.rows) == total and view.filter_text == ""


async def test_node_switching_focuses_panes() -> None:
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(EventLogView)
        await pilot.press("n")
        await pilot.pause()
        assert app.main.focus_key == "dead"  # status sort: down, then degraded (math: a failed call)
        await pilot.press("n")
        await pilot.pause()
        assert app.main.focus_key == "math"
        await pilot.press("n")
        await pilot.pause()
        assert app.main.focus_key == "master"
        assert view.rows and {r.node for r in view.rows} == {"master"}
        await pilot.press("N")
        await pilot.pause()
        assert app.main.focus_key == "math"
        assert str(app.screen.query_one("#org").border_subtitle) == "math"
        await pilot.press("N", "N")
        await pilot.pause()
        assert app.main.focus_key == ALL


async def test_call_tree_and_detail_of_selected_event() -> None:
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(EventLogView)
        view.focus()
        idx = next(i for i, r in enumerate(view.rows) if r.trace_id == "TRremote00000001")
        view.move_to(idx)
        await pilot.press("t")
        await pilot.pause()
        tree = app.screen.query_one(CallTree)
        assert app.screen.maximized is tree and tree.run is not None
        assert tree.run.trace_id == "TRremote00000001"
        labels = [str(n.label) for n in tree.root.children[0].children[1].children]
        assert any("add" in s and "→ 5" in s for s in labels)  # remote hop nested under math_agent
        await pilot.press("escape")
        assert app.screen.maximized is None
        view.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, EventDetailScreen)
        await pilot.press("escape")
        assert app.screen is app.main


async def test_hostile_text_is_literal_and_not_clickable() -> None:
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(EventLogView)
        view.filter_text = "hostile"
        view.rebuild()
        await pilot.pause()
        view.filter_text = ""
        view.rebuild()
        rows = [i for i, r in enumerate(view.rows) if "@click" in r.summary]
        assert rows
        segments: list[Segment] = []
        for i in rows:
            segments += list(view.render_row(i, 0, 200))
        text = "".join(s.text for s in segments)
        assert "[@click=app.quit]" in text and "\x1b" not in text and "\x07" not in text
        assert not any(s.style and s.style.meta for s in segments)
        # the hostile run is the chat's and call tree's subject too: check every cell of the screen
        run = app.store.get_run("math", "TRhostile0000003")
        app.main.pinned_run = run
        app.main.query_one(ChatPane).show_runs([run], app.clock(), 0)
        view.move_to(rows[0])
        await pilot.pause()
        screen_text = app.export_screenshot()
        assert "\x1b" not in screen_text and "@click=app.quit" in screen_text.replace("&#160;", " ")
        width, height = SIZE
        for y in range(height):
            for x in range(width):
                meta = app.screen.get_style_at(x, y).meta
                assert "@click" not in str(meta.get("@click", "")) and "app.quit" not in str(meta)
        await pilot.click(EventLogView, offset=(70, view.cursor - view.scroll_offset.y))
        await pilot.click(ChatPane, offset=(10, 2))
        await pilot.pause()
        assert app.is_running and app.screen is app.main


async def test_quit_asks_when_runs_are_live() -> None:
    app = fixed_app(live=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.screen is app.main and app.is_running
        await pilot.press("q")
        await pilot.press("y")
        await pilot.pause()
    assert app.return_value == 0


async def test_quit_without_live_runs_exits_at_once() -> None:
    app = fixed_app(live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_value == 0 and not app.is_running


async def test_help_screen_lists_binding_ids() -> None:
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        ids = {bid for _k, _d, bid in app.screen.rows}
        assert {"quit", "focus_chat", "filter", "pause_log", "next_node", "call_tree", "help"} <= ids
        await pilot.press("escape")
        assert app.screen is app.main


async def test_palette_clear_log_and_switch_theme() -> None:
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        await run_command(pilot, "clear log")
        await until(pilot, lambda: not app.store.log.rows and not app.screen.query_one(EventLogView).rows)
        await run_command(pilot, "oxytui-high-contrast")
        await until(pilot, lambda: app.theme == "oxytui-high-contrast")


async def test_chat_target_cycles_and_keys_remap() -> None:
    settings = Settings(keys={"pause_log": "space"})
    app = fixed_app()
    app.settings = settings
    async with app.run_test(size=SIZE) as pilot:
        chat = app.screen.query_one(ChatPane)
        assert chat.target == "focused"
        await pilot.press("ctrl+o")
        assert chat.target == "all"
        await pilot.press("ctrl+o", "ctrl+o")
        assert chat.target == "focused"
        view = app.screen.query_one(EventLogView)
        await pilot.press("space")
        assert view.paused
        await pilot.press("p")
        assert view.paused  # p no longer bound to pause


async def test_log_type_toggles() -> None:
    """The toggles dialog hides an event type and a node from the log, and shows them again."""
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(EventLogView)
        first_type = ALL_TYPES[0]
        first_node = next(iter(app.store.nodes))
        assert any(r.type == first_type for r in view.rows)
        assert any(r.node == first_node for r in view.rows)
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, TogglesScreen)
        await pilot.press("space")  # the types list has focus: its first entry off
        await pilot.press("tab", "space")  # the nodes list: its first node off
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, TogglesScreen)
        assert view.hidden_types == {first_type} and view.hidden_nodes == {first_node}
        assert view.rows and not any(r.type == first_type or r.node == first_node for r in view.rows)
        await pilot.press("f")
        await pilot.pause()
        await pilot.press("space", "tab", "space", "escape")  # both back on
        await pilot.pause()
        assert view.hidden_types == set() and view.hidden_nodes == set()
        assert any(r.type == first_type for r in view.rows) and any(r.node == first_node for r in view.rows)


async def test_mouse_selects_node_and_event() -> None:
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        table = app.main.nodes
        # border 0, header 1, all 2, dead 3 (down first), math 4 (degraded: a failed call), master 5
        await pilot.click(type(table), offset=(5, 4))
        await pilot.pause()
        assert app.main.focus_key == "math"
        view = app.main.log_view
        await pilot.click(EventLogView, offset=(30, 0))
        await pilot.pause()
        assert view.cursor == view.scroll_offset.y and app.main.pinned_run is not None
        await pilot.click(EventLogView, offset=(30, 0), times=2)
        await pilot.pause()
        assert isinstance(app.screen, EventDetailScreen)


async def test_palette_add_and_remove_node() -> None:
    app = fixed_app()
    async with app.run_test(size=SIZE) as pilot:
        await run_command(pilot, "add node")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"extra http://127.0.0.1:9", "enter")
        await until(pilot, lambda: "extra" in app.store.nodes and "extra" in app.main.nodes.key_list())
        await run_command(pilot, "remove node extra")
        await until(pilot, lambda: "extra" not in app.store.nodes)


async def test_palette_add_node_refuses_credentials_and_never_shows_them() -> None:
    app = fixed_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for url in ("http://user:hunter2pw@127.0.0.1:9", "ftp://u:hunter2pw@h:x"):
            await run_command(pilot, "add node")
            await until(pilot, lambda: isinstance(app.screen, PromptScreen))
            await pilot.press(*f"spy {url}", "enter")
            await until(pilot, lambda: app.screen is app.main and bool(app._notifications))
        assert "spy" not in app.store.nodes
        messages = [n.message for n in app._notifications]
        assert messages and all("credentials in URLs are not allowed" in m for m in messages)
        assert not any("hunter2pw" in m for m in messages)
        assert "hunter2pw" not in app.export_screenshot()
