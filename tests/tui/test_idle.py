"""Issue 13 point 13: an idle dashboard repaints nothing (no redraw without change)."""

from __future__ import annotations

from textual.widget import Widget

from tests.tui.test_fleet import _big_fleet


async def test_idle_ticks_repaint_nothing(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app = _big_fleet(60)
    for run in app.store.live_runs():  # idle: nothing running
        app.store.finish_run(run.node, run.trace_id, app.store.last_mono, 0.0)
    repaints: list[str] = []
    original = Widget.refresh

    def counting(self: Widget, *args: object, **kw: object) -> Widget:
        repaints.append(type(self).__name__)
        return original(self, *args, **kw)  # type: ignore[arg-type]

    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        for _ in range(3):
            app.main.flush(app.clock(), app.frame())
        monkeypatch.setattr(Widget, "refresh", counting)
        for _ in range(50):  # five seconds of ticks, nothing changed
            app.main.flush(app.clock(), app.frame())
        monkeypatch.setattr(Widget, "refresh", original)
        assert repaints == []
        app.store.set_alive("fleet-node-03", False, app.store.last_mono + 1, "refused")  # a real change
        monkeypatch.setattr(Widget, "refresh", counting)
        app.main.flush(app.clock(), app.frame(), force=True)
        monkeypatch.setattr(Widget, "refresh", original)
        assert repaints  # the change is drawn
