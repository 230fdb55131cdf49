"""The dashboard's base screen with its keys: the actions act on this screen's panes, so they live here
(not on the app guarded by "is the main screen showing?"): on any other screen they simply are not bound.

:class:`~oxytui.tui.screens.main.MainScreen` keeps the panes and their refresh; this adds the bindings.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType
from textual.widgets import Input

from oxytui.tui.keys import MAIN_BINDINGS
from oxytui.tui.screens.dialogs import TogglesScreen
from oxytui.tui.screens.main import MainScreen
from oxytui.tui.widgets.chat import TARGETS, AnswerCard, ChatInput
from oxytui.tui.widgets.eventlog import ALL_TYPES

__all__ = ["DashboardScreen"]


class DashboardScreen(MainScreen):
    """What :meth:`OxyApp.get_default_screen` returns; the replay's screen extends it."""

    BINDINGS: ClassVar[list[BindingType]] = [*MAIN_BINDINGS]

    def action_focus_chat(self) -> None:
        self.query_one(ChatInput).focus()

    def action_focus_log(self) -> None:
        self.log_view.focus()

    def action_filter(self) -> None:
        box = self.query_one("#log-filter", Input)
        box.display = True
        box.focus()

    def action_restore(self) -> None:
        box = self.query_one("#log-filter", Input)
        view = self.log_view
        if box.has_focus or box.display or view.filter_text:  # typed, submitted or hidden: always clears
            focused = box.has_focus
            box.value = ""
            box.display = False
            if view.filter_text:
                view.filter_text = ""
                view.rebuild()  # keeps the selected event in view, else keeps following
            if focused:
                view.focus()
            self.sync_titles()
        elif self.maximized is not None:
            self.minimize()

    def action_pause_log(self) -> None:
        view = self.log_view
        view.set_paused(not view.paused)
        self.sync_titles()

    def action_next_node(self, step: int) -> None:
        table = self.nodes
        if table.row_count:
            table.move_cursor(row=(table.cursor_row + step) % table.row_count, animate=False)

    def action_call_tree(self) -> None:
        view = self.log_view
        row = view.selected_row() if view.has_focus else None  # elsewhere: the run you sent or picked
        if row is not None and (run := self.store.get_run(row.node, row.trace_id)) is not None:
            self.pinned_run = run
        if self.timeline_on:  # full screen is the tree's view: switch the pane back first
            self.show_timeline(False)
        tree = self.calls
        tree.show_run(self.current_run(), self.oxy.clock(), self.oxy.frame())
        if self.maximized is tree:
            self.minimize()
        else:
            tree.focus()
            self.maximize(tree, container=False)

    def action_timeline(self) -> None:
        """``v``: the call-tree pane switches between the tree and the selected run's server timeline."""
        self.show_timeline(not self.timeline_on)
        if self.timeline_on:
            self.oxy.refresh_timeline(force=True)

    def action_stats_scope(self) -> None:
        """``e``: the Stats pane counts everyone's runs (traffic included) or only this dashboard's."""
        stats = self.stats
        stats.everyone = not stats.everyone
        stats.border_title = "Stats · " + ("everyone's runs" if stats.everyone else "my runs")
        self.flush(self.oxy.clock(), self.oxy.frame(), force=True)

    def action_log_toggles(self) -> None:
        view = self.log_view

        def done(result: tuple[set[str], set[str]] | None) -> None:
            if result is not None:
                view.hidden_types, view.hidden_nodes = result
                view.rebuild()

        self.app.push_screen(
            TogglesScreen(
                list(ALL_TYPES),
                view.hidden_types,
                list(self.store.nodes),
                view.hidden_nodes,
                names=self.store.display,
            ),
            done,
        )

    def on_answer_card_picked(self, event: AnswerCard.Picked) -> None:
        """A click on a chat card: that run's call tree, full screen (it stays the tree's run)."""
        self.pinned_run = event.run
        self.action_call_tree()

    def action_chat_target(self) -> None:
        chat = self.chat
        nxt = TARGETS[(TARGETS.index(chat.target) + 1) % len(TARGETS)]
        chat.set_target(nxt, self.oxy.chat_focus_label(self.focus_key))
