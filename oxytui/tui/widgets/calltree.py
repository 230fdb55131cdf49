"""Call-stack tree of one run: nested tool_call/observation pairs across remote hops, updated live."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from oxytui.runs import Call, Run
from oxytui.tui.text import fmt_secs, literal, spinner, theme_style


class CallTree(Tree[Call]):
    """New calls are added in place (expand/collapse state survives updates); labels refresh on sync."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("no run selected", id=id)
        self.run: Run | None = None
        self._calls_by_id: dict[str, TreeNode[Call]] = {}
        self.guide_depth = 2

    def show_run(self, run: Run | None, now: float, frame: int) -> None:
        if run is not self.run:
            self.run = run
            self._calls_by_id.clear()
            self.clear()
        self.sync(now, frame)

    def sync(self, now: float, frame: int) -> None:
        run = self.run
        if run is None:
            self.root.set_label(Text("no run selected — pick an event in the log", "dim"))
            return
        self.root.set_label(self._root_label(run, now, frame))
        for call in run.walk():
            tn = self._calls_by_id.get(call.node_id)
            label = self._label(call, now, frame)
            if tn is None:
                parent = self._calls_by_id.get(call.parent.node_id) if call.parent else None
                if parent is not None and not parent.allow_expand:
                    parent.allow_expand = True
                tn = (parent or self.root).add(label, data=call, expand=True,
                                               allow_expand=call.category in ("agent", "flow", ""))
                self._calls_by_id[call.node_id] = tn
            elif call.status == "running" or tn.label != label:
                tn.set_label(label)
        self.root.expand()

    def _root_label(self, run: Run, now: float, frame: int) -> Text:
        t = Text(no_wrap=True, end="")
        t.append_text(literal(run.node, "bold", limit=20))
        t.append(" · ")
        t.append_text(literal(run.query or run.trace_id, limit=40))
        t.append(" · ")
        state_style = {"running": "$warning", "completed": "$success", "failed": "$error",
                       "canceled": "$warning"}
        icon = spinner(frame) + " " if run.live else ""
        t.append(f"{icon}{run.state.value} {fmt_secs(max(0.0, run.duration(now)))}",
                 theme_style(self.app, "bold " + state_style[run.state.value]))
        return t

    def _label(self, call: Call, now: float, frame: int) -> Text:
        t = Text(no_wrap=True, end="")
        if call.status == "running":
            t.append(spinner(frame) + " ", theme_style(self.app, "$warning"))
        elif call.status == "error":
            t.append("✗ ", theme_style(self.app, "bold $error"))
        else:
            t.append("✓ ", theme_style(self.app, "$success"))
        t.append_text(literal(call.callee, "bold", limit=30))
        t.append(f" {call.category}", "dim")
        t.append(f" {fmt_secs(max(0.0, call.duration(now)))}",
                 theme_style(self.app, "$primary"))
        if call.output_preview:
            style = theme_style(self.app, "$error") if call.status == "error" else "dim"
            t.append(" → ", "dim")
            t.append_text(literal(call.output_preview, style, limit=80))
        elif call.query:
            t.append(" ← ", "dim")
            t.append_text(literal(call.query, "italic", limit=60))
        return t
