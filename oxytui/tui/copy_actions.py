"""Copy actions (OSC 52 through Textual's ``copy_to_clipboard``), kept out of ``app.py`` as a mixin.

``y``: in the call tree, the selected call's input and output as JSON; elsewhere the trace id of the
selected event (or of the run the call tree shows). ``Y``: the selected event's full JSON.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oxytui.runs import Call
from oxytui.tui.screens.detail import detail_json

if TYPE_CHECKING:
    from oxytui.tui.screens.main import MainScreen


def call_json(call: Call) -> str:
    """A call's who, input and output: what you paste into a bug report."""
    return detail_json(
        {
            "caller": call.caller,
            "callee": call.callee,
            "category": call.category,
            "node_id": call.node_id,
            "status": call.status.value,
            "input": call.arguments,
            "output": call.output,
        }
    )


class CopyActions:
    """Mixed into :class:`~oxytui.tui.app.OxyApp`; binding ids ``copy_trace`` and ``copy_event``."""

    main: MainScreen | None

    def _say(self, message: str, severity: str = "information") -> None:
        app: Any = self  # the App this is mixed into
        app.notify(message, severity=severity, timeout=3)

    def _copy(self, text: str, what: str) -> None:
        app: Any = self
        app.copy_to_clipboard(text)
        app.notify(f"copied {what}", timeout=3)

    def action_copy_trace(self) -> None:
        main = self.main
        if main is None:
            return
        tree = main.calls
        node = tree.cursor_node if tree.has_focus else None
        if node is not None and isinstance(node.data, Call):
            self._copy(call_json(node.data), f"call {node.data.callee}: input and output")
            return
        row = main.log_view.selected_row()
        run = main.current_run()
        trace = row.trace_id if row is not None else run.trace_id if run is not None else ""
        if not trace:
            self._say("nothing selected to copy", "warning")
            return
        self._copy(trace, f"trace id {trace}")

    def action_copy_event(self) -> None:
        main = self.main
        row = main.log_view.selected_row() if main is not None else None
        if row is None:
            self._say("select an event in the log first (l, ↑↓)", "warning")
            return
        self._copy(detail_json(row.detail()), f"event JSON ({row.type})")
