"""Issue 13 point 6: event-log navigation (cursor bar, Escape clears the filter in every state, clearing
keeps your place, columns that do not cut agent or tool names)."""

from __future__ import annotations

from textual.widgets import Input

from oxytui.tui.widgets.eventlog import EventLogView
from tests.support.screen import screen_text
from tests.support.screenshots import fixed_app
from tests.tui.test_live import SIZE, until


def _cursor_bg(view: EventLogView) -> object:
    strip = view.render_line(view.cursor - view.scroll_offset.y)
    return {seg.style.bgcolor for seg in strip if seg.style is not None and seg.text.strip()}


async def test_cursor_row_is_a_solid_bar_focused_or_not() -> None:
    app = fixed_app(live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = app.main.log_view
        await pilot.press("l", "up", "up")
        await pilot.pause()
        focused = _cursor_bg(view)
        assert len(focused) == 1 and None not in focused  # one background over every cell
        other = view.render_line(view.cursor - 1 - view.scroll_offset.y)
        assert {s.style.bgcolor for s in other if s.style} != focused
        await pilot.press("tab")
        await pilot.pause()
        assert not view.has_focus
        blurred = _cursor_bg(view)
        assert len(blurred) == 1 and None not in blurred


async def test_escape_clears_a_submitted_filter_and_keeps_the_selected_event() -> None:
    app = fixed_app(live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = app.main.log_view
        total = len(view.rows)
        await pilot.press("slash", *"boom", "enter")  # submitted: focus is back in the log
        await until(pilot, lambda: view.has_focus and 0 < len(view.rows) < total)
        await pilot.press("home")
        picked = view.selected_row()
        assert picked is not None and "boom" in f"{picked.summary}{picked.callee}{picked.caller}".lower()
        await pilot.press("escape")
        await pilot.pause()
        assert view.filter_text == "" and len(view.rows) == total
        assert not app.main.query_one("#log-filter", Input).display
        assert view.selected_row() is picked and not view.follow  # same event, still selected
        top = view.scroll_offset.y
        assert top <= view.cursor < top + view.scrollable_content_region.height  # and in view
        newer = total - 1 - view.cursor
        await until(pilot, lambda: f"↓ {newer} newer" in screen_text(app))
        await pilot.press("end")
        await until(pilot, lambda: "following" in screen_text(app))


async def test_escape_clears_while_typing_and_while_paused_and_keeps_following() -> None:
    app = fixed_app(live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = app.main.log_view
        total = len(view.rows)
        await pilot.press("p", "slash", *"answer")
        await until(pilot, lambda: len(view.rows) < total)
        await pilot.press("escape")
        await pilot.pause()
        assert view.filter_text == "" and len(view.rows) == total and view.follow
        assert view.scroll_offset.y == view.max_scroll_y  # still at the newest row
        await pilot.press("slash", *"answer", "enter", "tab")  # filter applied, focus elsewhere
        await until(pilot, lambda: not view.has_focus and view.filter_text == "answer")
        await pilot.press("escape")
        await pilot.pause()
        assert view.filter_text == "" and len(view.rows) == total


async def test_agent_and_tool_names_are_not_cut() -> None:
    for size in [(100, 30), (160, 45)]:
        app = fixed_app(live=False)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            view = app.main.log_view
            longest = max(view.rows, key=lambda r: len(r.caller) + len(r.callee))
            assert len(longest.caller) + len(longest.callee) >= 20
            text = view.format_row(longest).plain
            assert f"{longest.caller}→{longest.callee}" in text, (size, text)
