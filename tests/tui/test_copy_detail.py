"""Issue 13 point 7: copy (trace id, event JSON, call input/output) and a detail view that holds the
whole value (bounded, then saved to a private file)."""

from __future__ import annotations

import json
import stat

from textual.widgets import TextArea

from oxytui.client.events import AnswerEvent
from oxytui.tui.screens import detail
from oxytui.tui.screens.detail import EventDetailScreen
from tests.support.screenshots import fixed_app
from tests.tui.test_live import SIZE, until


def _walk(node):  # type: ignore[no-untyped-def]
    yield node
    for child in node.children:
        yield from _walk(child)


async def test_copy_trace_event_and_call() -> None:
    app = fixed_app(live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = app.main.log_view
        await pilot.press("l", "up")
        await pilot.pause()
        row = view.selected_row()
        assert row is not None
        await pilot.press("y")
        assert app.clipboard == row.trace_id
        await pilot.press("Y")
        copied = json.loads(app.clipboard)
        assert copied["trace_id"] == row.trace_id and copied["type"] == row.type and "data" in copied
        idx = next(i for i, r in enumerate(view.rows) if r.type == "observation" and r.callee == "add")
        view.move_to(idx)
        await pilot.press("t")  # the call tree, full screen, focused
        tree = app.main.calls
        await until(pilot, lambda: tree.has_focus and tree.run is not None)
        add = next(n for n in _walk(tree.root) if n.data is not None and n.data.callee == "add")
        tree.move_cursor(add)
        await pilot.press("y")
        call = json.loads(app.clipboard)
        assert (call["callee"] == "add" and call["output"] == 5) or str(call["output"]) == "5"
        assert call["input"] is not None


async def test_detail_scrolls_to_the_end_of_a_huge_answer_and_saves_privately(
    monkeypatch, _private_data_dir
) -> None:  # type: ignore[no-untyped-def]
    app = fixed_app(live=False)
    huge = "".join(f"{i:07d} " for i in range(25_000)) + "THE-END"  # 200,007 characters
    async with app.run_test(size=SIZE) as pilot:
        t = app.store.last_mono
        app.store.start_run("math", "TRhuge", "big", t, t)
        app.store.add_event(
            AnswerEvent(
                node="math", trace_id="TRhuge", mono=t + 1, wall=t + 1, content=huge, raw={"content": huge}
            )
        )
        await pilot.pause()
        view = app.main.log_view
        await pilot.press("l")
        view.move_to(
            next(i for i, r in enumerate(view.rows) if r.trace_id == "TRhuge" and r.type == "answer")
        )
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, EventDetailScreen))
        area = app.screen.query_one("#detail-json", TextArea)
        assert "THE-END" in area.text  # the whole value, not cut at 200,000
        await pilot.press("y")
        assert app.clipboard.endswith("}") and "THE-END" in app.clipboard
        await pilot.press("ctrl+end")
        await until(pilot, lambda: area.scroll_offset.y > 0 and area.scroll_offset.y == area.max_scroll_y)
        await pilot.press("escape")
        # beyond the bound: the beginning is shown and s saves the whole value (0600)
        monkeypatch.setattr(detail, "SHOW_MAX", 50_000)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, EventDetailScreen))
        screen = app.screen
        assert screen.cut and "THE-END" not in screen.query_one("#detail-json", TextArea).text
        await pilot.press("s")
        await until(pilot, lambda: screen.saved is not None)
        assert screen.saved is not None and _private_data_dir in screen.saved.parents
        assert stat.S_IMODE(screen.saved.stat().st_mode) == 0o600
        assert json.loads(screen.saved.read_text())["data"]["content"] == huge
