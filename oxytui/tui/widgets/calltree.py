"""Call-stack tree of one run: nested tool_call/observation pairs across remote hops, updated live.

The model caps nesting at ``MAX_DEPTH`` levels (Textual's tree builds its lines recursively, one frame per
level); calls nested deeper carry a "⋯" marker and the root says how many were flattened."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from oxytui.runs import Call, Run
from oxytui.runs.calltree import MAX_DEPTH
from oxytui.tui.text import RUN_STYLE, fmt_secs, literal, plain, spinner, theme_style


class CallTree(Tree[Call]):
    """New calls are added in place (expand/collapse state survives updates); labels refresh on sync."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("no run selected", id=id)
        self.run: Run | None = None
        self._calls_by_id: dict[str, TreeNode[Call]] = {}
        self._labels: dict[str, Text] = {}
        self.guide_depth = 2
        self.namer: Callable[[str], str] = str
        """Node key -> display name (the store's, set by the screen)."""

    def show_run(self, run: Run | None, now: float, frame: int) -> None:
        if run is not self.run:
            self.run = run
            self._calls_by_id.clear()
            self._labels.clear()
            self.clear()
        self.sync(now, frame)

    def sync(self, now: float, frame: int) -> None:
        run = self.run
        if run is None:
            self.root.set_label(Text("no run selected — pick an event in the log", "dim"))
            return
        self._set_label(self.root, "\0root", self._root_label(run, now, frame))
        for call in run.walk():
            tn = self._calls_by_id.get(call.node_id)
            label = self._label(call, now, frame)
            if tn is None:
                parent = self._calls_by_id.get(call.parent.node_id) if call.parent else None
                if parent is not None and not parent.allow_expand:
                    parent.allow_expand = True
                tn = (parent or self.root).add(
                    label, data=call, expand=True, allow_expand=call.category in ("agent", "flow", "")
                )
                self._calls_by_id[call.node_id] = tn
                self._labels[call.node_id] = label
            else:
                self._set_label(tn, call.node_id, label)
        self.root.expand()

    def _set_label(self, node: TreeNode[Call], key: str, label: Text) -> None:
        """Relabel only on a real change: each relabel costs a layout pass of the tree."""
        if self._labels.get(key) != label:
            self._labels[key] = label
            node.set_label(label)

    def status_line(self, now: float, frame: int) -> str:
        """Spinner and elapsed time of a live run, for the pane's border (repaints without layout)."""
        run = self.run
        if run is None:
            return ""
        if run.live:
            return f"{spinner(frame)} {fmt_secs(run.duration(now))} · {run.trace_id}"
        return run.trace_id

    def _root_label(self, run: Run, now: float, frame: int) -> Text:
        t = Text(no_wrap=True, end="")
        t.append_text(literal(self.namer(run.node), "bold", limit=30))
        t.append(" · ")
        t.append_text(literal(run.query or run.trace_id, limit=40))
        t.append(" · ")
        duration = "" if run.live else f" {fmt_secs(run.duration(now))}"
        style = theme_style(self.app, "bold " + RUN_STYLE[run.state.value])
        t.append(f"{run.state.value}{duration}", style)
        if run.clipped:
            t.append(f" · ⋯ {run.clipped:,} calls below level {MAX_DEPTH} shown flattened", "dim")
        return t

    def _label(self, call: Call, now: float, frame: int) -> Text:
        t = Text(no_wrap=True, end="")
        if call.status == "running":
            t.append("◌ ", theme_style(self.app, "$warning"))
        elif call.status == "error":
            t.append("✗ ", theme_style(self.app, "bold $error"))
        else:
            t.append("✓ ", theme_style(self.app, "$success"))
        if call.clipped:
            t.append("⋯ ", theme_style(self.app, "bold $warning"))
        t.append_text(literal(call.callee, "bold", limit=30))
        t.append(f" {plain(call.category, 20)}", "dim")
        if call.end is None:
            t.append(" running", theme_style(self.app, "$warning"))
        else:
            t.append(f" {fmt_secs(call.duration(now))}", theme_style(self.app, "$primary"))
        if call.output_preview:
            style = theme_style(self.app, "$error") if call.status == "error" else "dim"
            t.append(" → ", "dim")
            t.append_text(literal(call.output_preview, style, limit=80))
        elif call.query:
            t.append(" ← ", "dim")
            t.append_text(literal(call.query, "italic", limit=60))
        return t
