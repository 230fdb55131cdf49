"""App actions of the node list (sort, filter, group by tag) and of chat conversations, kept out of
``app.py`` as a mixin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oxytui.runs.nodelist import ListView

if TYPE_CHECKING:
    from oxytui.tui.screens.main import MainScreen


class NodeListActions:
    """Mixed into :class:`~oxytui.tui.app.OxyApp`; every action has a binding id in ``keys.py``."""

    main: MainScreen | None

    def _say(self, message: str, severity: str = "information") -> None:
        app: Any = self  # the App this is mixed into
        app.notify(message, severity=severity, timeout=3)

    def _nodes_view(self) -> tuple[MainScreen, ListView] | None:
        main = self.main
        if main is None or self.screen is not main:  # type: ignore[attr-defined]
            return None
        return main, main.nodes.view

    def action_new_conversation(self) -> None:
        """``ctrl+n``: the next prompt to each node starts a new conversation (no ``from_trace_id``)."""
        ctl = getattr(self, "controller", None)
        conversations = getattr(ctl, "conversations", None)
        if conversations is None:
            return
        ended = conversations.reset()
        self._say(f"new conversation ({ended} ended)" if ended else "new conversation")

    def action_node_sort(self) -> None:
        """``s``: status (down and degraded first) → name → success → p95 → runs."""
        got = self._nodes_view()
        if got is not None:
            got[0].nodes.cycle_sort()
            got[0].sync_titles()

    def action_node_group(self) -> None:
        """``g``: group the list by tag, one aggregate row per tag (again: flat list)."""
        got = self._nodes_view()
        if got is not None:
            main, v = got
            main.nodes.set_view(ListView(v.sort, v.reverse, v.text, v.tag, not v.group))
            main.sync_titles()

    def action_node_filter(self) -> None:
        """``F``: show only nodes whose name, URL or tag contains the text (``tag:eu`` for tags only)."""
        got = self._nodes_view()
        if got is None:
            return
        from oxytui.tui.screens.dialogs import PromptScreen

        main, v = got

        def done(value: str | None) -> None:
            if value is None:
                return
            current = main.nodes.view
            main.nodes.set_view(ListView(current.sort, current.reverse, value, current.tag, current.group))
            main.sync_titles()

        self.push_screen(  # type: ignore[attr-defined]
            PromptScreen(
                "Filter nodes: text in name, URL or tag (tag:eu = tag only); empty clears",
                "eu-prod  or  tag:eu",
                v.text,
                empty_ok=True,
            ),
            done,
        )
