"""One run's stitched call tree (every node's part of it, failed calls highlighted) and a call's detail.

The detail fetches the call's full input and output with ``/node`` only when asked (Enter on a call): a
tree costs no request per call. Everything remote is shown literally and capped.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Label, Static, Tree

from oxytui.runs.sanitize import clean, pretty_json
from oxytui.tui.runsdata import DETAIL_CAP, CallDetail, RunsData
from oxytui.tui.runsview import CallItem, RunRow
from oxytui.tui.screens.main import TopBar
from oxytui.tui.screens.runs import copy_trace
from oxytui.tui.text import RUN_STYLE, fmt_clock, fmt_secs, literal, pane_title, theme_style
from oxytui.tui.widgets.runs_table import STATE_ICON, fmt_tokens, styled

REFRESH_EVERY = 0.5
MAX_CALLS = 2_000
"""Calls drawn in one tree (a trace may hold 100,000 records): the rest are counted, not drawn."""


class RunTreeScreen(Screen[None]):
    runs_family = True
    main_actions_off = True

    DEFAULT_CSS = """
    RunTreeScreen #runtree-pane { height: 1fr; border: round $border; border-title-color: $primary;
        border-title-style: bold; background: $surface; }
    RunTreeScreen #runtree { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="runtree_back"),
        Binding("y", "copy_trace", "Copy trace id", id="runtree_copy"),
    ]

    def __init__(self, data: RunsData, row: RunRow, *, utc: bool = False) -> None:
        super().__init__()
        self.data = data
        self.row = row
        self.utc = utc
        self.items: list[CallItem] = []
        self.calls_tree: Tree[CallItem] = Tree("", id="runtree")
        self.calls_tree.auto_expand = False
        self.calls_tree.guide_depth = 3
        self._signature: Any = None

    def compose(self) -> ComposeResult:
        yield TopBar(id="runtree-bar")
        with Vertical(id="runtree-pane"):
            yield self.calls_tree
        yield Footer()

    def on_mount(self) -> None:
        self.calls_tree.focus()
        self.refresh_tree()
        self.set_interval(REFRESH_EVERY, self.refresh_tree)

    def refresh_tree(self) -> None:
        row = self.data.find(self.row) or self.row
        items = self.data.tree(row)
        signature = [
            (i.node_id, i.node, i.hop_from, i.state, i.duration, i.tokens) for r in items for i in r.walk()
        ]
        if row != self.row or self._signature is None:
            self.row = row
            self._header(row)
            self.calls_tree.root.set_label(self._root_label())
        if signature == self._signature:
            return
        self._signature = signature
        self.items = items
        self._header(row)
        self._rebuild(items)

    def _header(self, row: RunRow) -> None:
        bar = Text(no_wrap=True, end="")
        bar.append(" Run ", "bold reverse")
        bar.append(" ")
        bar.append_text(literal(row.trace_id, "bold", limit=48))
        bar.append(" ")
        bar.append("  enter: a call's input and output (/node) · y: copy trace id · esc: back", "dim")
        self.query_one("#runtree-bar", TopBar).set_text(bar)
        pane = self.query_one("#runtree-pane")
        pane.border_title = pane_title("Call tree", ", ".join(row.nodes) or "?")  # node names: literal
        failed = sum(1 for r in self.items for i in r.walk() if i.failed)
        sub = f"{row.source} · {row.state} · {fmt_secs(row.duration)} · tokens {fmt_tokens(row.tokens)}"
        sub += f" · {row.hops} hop{'s' if row.hops != 1 else ''}"
        sub += f" · {failed} failed call{'s' if failed != 1 else ''}"
        pane.border_subtitle = literal(sub, limit=120)

    def _rebuild(self, items: list[CallItem]) -> None:
        """Labels and structure from scratch (cheap: the tree changes at most twice a second)."""
        tree = self.calls_tree
        cursor_id = getattr(tree.cursor_node.data, "node_id", None) if tree.cursor_node else None
        collapsed = {
            n.data.node_id for n in _nodes(tree.root) if isinstance(n.data, CallItem) and not n.is_expanded
        }
        tree.clear()
        root = tree.root
        root.set_label(self._root_label())
        root.expand()
        if not items:
            root.add_leaf(Text("no calls recorded (yet)", "dim"))
        focus = None
        stack = [(root, i) for i in reversed(items)]
        shown = 0
        while stack and shown < MAX_CALLS:
            parent, item = stack.pop()
            node = parent.add(
                self._label(item),
                data=item,
                expand=item.node_id not in collapsed,  # what the user folded stays folded
                allow_expand=bool(item.children),
            )
            shown += 1
            if item.node_id == cursor_id:
                focus = node
            stack.extend((node, c) for c in reversed(item.children))
        if stack:
            more = sum(1 for r in items for _ in r.walk()) - shown
            root.add_leaf(Text(f"… {more:,} more calls not shown (first {MAX_CALLS:,} in tree order)", "dim"))
        if focus is not None:
            tree.call_after_refresh(tree.move_cursor, focus)  # lines of new nodes exist after a refresh

    def _root_label(self) -> Text:
        row = self.row
        t = Text(no_wrap=True, end="")
        if row.start is not None:
            t.append(fmt_clock(row.start, self.utc) + " ", "dim")
        t.append_text(literal(row.query or row.trace_id, "bold", limit=80))
        t.append(" · ")
        t.append(row.state, theme_style(self.app, "bold " + RUN_STYLE.get(row.state, "")))
        return t

    def _label(self, item: CallItem) -> Text:
        failed = item.failed
        t = Text(no_wrap=True, end="")
        icon_style = {"running": "$warning", "completed": "$success", "failed": "bold $error"}.get(
            item.state, ""
        )
        t.append(STATE_ICON.get(item.state, "?") + " ", theme_style(self.app, icon_style))
        t.append_text(
            styled(item.callee, theme_style(self.app, "bold $error") if failed else "bold", limit=40)
        )
        t.append(f" {item.category}", "dim")
        t.append(" @", "dim")
        t.append_text(styled(item.node, theme_style(self.app, "$accent"), limit=24))
        if item.hop_from:
            t.append(" ⇄ from ", "dim")
            t.append_text(literal(item.hop_from, "dim", limit=24))
            if item.overhead is not None:
                t.append(f" (+{fmt_secs(item.overhead)} hop)", "dim")
        state = item.state if item.duration is None else f"{item.state} {fmt_secs(item.duration)}"
        t.append(f"  {state}", theme_style(self.app, RUN_STYLE.get(item.state, "")))
        if item.tokens is not None:
            t.append(f"  {fmt_tokens(item.tokens)} tok", "dim")
        preview = item.output_preview or item.input_preview
        if preview:
            t.append(" → " if item.output_preview else " ← ", "dim")
            t.append_text(styled(preview, theme_style(self.app, "$error") if failed else "dim", limit=70))
        if failed:
            t.append("  FAILED", theme_style(self.app, "bold reverse $error"))
        return t

    def action_copy_trace(self) -> None:
        copy_trace(self.app, self.row.trace_id)

    def on_tree_node_selected(self, event: Tree.NodeSelected[CallItem]) -> None:
        item = event.node.data
        if item is not None:
            self.app.push_screen(CallDetailScreen(self.data, self.row, item))


def _nodes(root: Any) -> list[Any]:
    out, todo = [], [root]
    while todo:
        node = todo.pop()
        out.append(node)
        todo.extend(node.children)
    return out


class CallDetailScreen(ModalScreen[None]):
    """A call's input and output: what streamed at once, then the node's full ``/node`` record."""

    runs_family = True
    main_actions_off = True

    DEFAULT_CSS = """
    CallDetailScreen { align: center middle; }
    CallDetailScreen #call-box { width: 90%; max-width: 140; height: 85%; }
    CallDetailScreen #call-scroll { height: 1fr; }
    """

    BINDINGS = [Binding("escape,q,enter", "dismiss", "Close")]

    def __init__(self, data: RunsData, row: RunRow, item: CallItem) -> None:
        super().__init__()
        self.data = data
        self.row = row
        self.item = item
        self.note = "fetching /node …"
        self.loaded = False

    def compose(self) -> ComposeResult:
        item = self.item
        with Vertical(id="call-box", classes="dialog"):
            head = Text(no_wrap=True, end="")
            head.append_text(literal(item.callee, "bold", limit=40))
            head.append(f"  {item.category} @ ")
            head.append_text(literal(item.node, limit=30))
            head.append(f"  {item.state} {fmt_secs(item.duration)}  call ")
            head.append_text(literal(item.node_id, limit=40))
            yield Label(head, id="call-head")
            yield Label(Text(self.note, "dim"), id="call-note")
            with VerticalScroll(id="call-scroll"):
                yield Static(
                    self._body(CallDetail(item.input, item.output, item.headers, "")), id="call-body"
                )
            yield Label(Text("escape: close · text shown literally, capped", "dim"))

    def on_mount(self) -> None:
        self.query_one("#call-box").border_title = "Call input and output"
        self.run_worker(self._load(), exclusive=True, group="call-detail")

    async def _load(self) -> None:
        detail = await self.data.fetch_call(self.row, self.item)
        self.note, self.loaded = detail.note, True
        self.query_one("#call-note", Label).update(Text(clean(detail.note), "dim"))
        self.query_one("#call-body", Static).update(self._body(detail))

    def _body(self, detail: CallDetail) -> Text:
        body = Text(end="")
        for title, value in (("input", detail.input), ("output", detail.output)):
            body.append(f"{title}\n", theme_style(self.app, "bold $primary"))
            text = value if isinstance(value, str) else pretty_json(value, DETAIL_CAP)
            if isinstance(value, str):
                text = clean(text[:DETAIL_CAP]) + (
                    f"\n… ({len(value) - DETAIL_CAP:,} more characters)" if len(value) > DETAIL_CAP else ""
                )
            body.append(text if value is not None else "—", "" if value is not None else "dim")
            body.append("\n\n")
        if detail.headers:  # who started the run (user agent, host); credentials were redacted at parse time
            body.append("request headers of the run\n", theme_style(self.app, "bold $primary"))
            for name, value in detail.headers[:40]:
                body.append_text(literal(name, "bold", limit=60))
                body.append(": ")
                body.append_text(literal(value, limit=200))
                body.append("\n")
        return body
