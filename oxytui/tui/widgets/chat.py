"""Chat pane: a prompt with history, a target (focused node / all nodes / balanced), and one answer card
per run of the last request, side by side, streaming while live."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Static

from oxytui.runs import Run
from oxytui.tui.text import RUN_ICON, RUN_STYLE, fmt_secs, literal, spinner, theme_style

TARGETS = ("focused", "all", "balanced")


class ChatInput(Input):
    """Input with shell-like history on up/down; Escape hands focus back to the app."""

    BINDINGS = [
        Binding("up", "history(-1)", "Prev prompt", show=False),
        Binding("down", "history(1)", "Next prompt", show=False),
        Binding("escape", "leave", "Leave chat", show=False),
    ]

    class Leave(Message):
        pass

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.history: list[str] = []
        self._pos = 0

    def remember(self, text: str) -> None:
        if text and (not self.history or self.history[-1] != text):
            self.history.append(text)
        self._pos = len(self.history)

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        self._pos = max(0, min(len(self.history), self._pos + step))
        self.value = self.history[self._pos] if self._pos < len(self.history) else ""
        self.cursor_position = len(self.value)

    def action_leave(self) -> None:
        self.post_message(self.Leave())


class AnswerCard(Static):
    DEFAULT_CSS = """
    AnswerCard { width: 1fr; height: 100%; border: round $border-blurred; padding: 0 1; overflow-y: auto; }
    AnswerCard.-failed { border: round $error; }
    AnswerCard.-live { border: round $warning; }
    """

    def __init__(self, run: Run) -> None:
        super().__init__()
        self.run = run
        self._body: Text | None = None

    def sync(self, now: float, frame: int) -> None:
        run = self.run
        self.set_class(run.live, "-live")
        self.set_class(run.state.value == "failed", "-failed")
        self.border_title = literal(run.node, limit=40)
        icon = RUN_ICON[run.state.value] + " " if run.state.value in RUN_ICON else ""
        if run.live:
            icon = spinner(frame) + " "
        self.border_subtitle = f"{icon}{run.state.value} {fmt_secs(run.duration(now))}"
        body = Text(end="")
        body.append("› ", "dim")
        body.append_text(literal(run.query, "dim", limit=200))
        body.append("\n")
        if run.answer:
            body.append_text(literal(run.answer, limit=4000, multiline=True))
        elif run.error:
            body.append_text(literal(run.error, theme_style(self.app, "$error"), limit=1000, multiline=True))
        elif run.streamed:
            body.append_text(literal(run.streamed[-1500:], "italic", limit=1500, multiline=True))
        else:
            body.append("waiting for the first event…", "dim")
        if body != self._body:  # only when the text really changed; the card's size is fixed: no reflow
            self._body = body
            self.update(body, layout=False)


class ChatPane(Vertical):
    DEFAULT_CSS = """
    ChatPane { height: 100%; }
    ChatPane #chat-cards { height: 1fr; }
    ChatPane #chat-bar { height: 1; }
    ChatPane #chat-target { width: auto; padding: 0 1; color: $accent; }
    ChatPane #chat-input { height: 1; border: none; padding: 0 1; background: $boost; }
    ChatPane #chat-input:focus { background: $primary 20%; }
    """

    def __init__(self, *, read_only: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.read_only = read_only
        self.target = "focused"
        self.runs: list[Run] = []
        self._label = ""

    def compose(self) -> ComposeResult:
        yield Horizontal(id="chat-cards")
        with Horizontal(id="chat-bar"):
            yield Label(id="chat-target")
            yield ChatInput(
                id="chat-input",
                disabled=self.read_only,
                placeholder="read-only: prompts are disabled"
                if self.read_only
                else "c: type a prompt · Enter sends · Esc leaves · ↑↓ history · ctrl+o target",
            )

    def on_mount(self) -> None:
        self.set_target(self.target, "")

    def set_target(self, target: str, focused: str) -> None:
        self.target = target
        label = {
            "focused": f"→ {focused or 'focused node'}",
            "all": "→ all nodes (fan-out)",
            "balanced": "→ balanced",
        }[target]
        if label != self._label:  # called on every slow tick: a Label update reflows the bar
            self._label = label
            self.query_one("#chat-target", Label).update(literal(label, limit=60))

    def show_runs(self, runs: list[Run], now: float, frame: int) -> None:
        """Up to ``MAX_CARDS`` runs side by side as cards; a wider fan-out as one line per node."""
        box = self.query_one("#chat-cards", Horizontal)
        if runs != self.runs or not box.children:
            box.remove_children()
            widgets: list[AnswerCard | AnswerTable]
            if len(runs) > MAX_CARDS:
                widgets = [AnswerTable(runs)]
            else:
                widgets = [AnswerCard(r) for r in runs]
            box.mount_all(widgets)
            for w in widgets:
                w.call_after_refresh(w.sync, now, frame)
        self.runs = runs
        self.sync(now, frame)

    def sync(self, now: float, frame: int) -> None:
        for card in self.query(AnswerCard):
            card.sync(now, frame)
        for table in self.query(AnswerTable):
            table.sync(now, frame)


MAX_CARDS = 4


class AnswerTable(Static):
    """A fan-out to many nodes: node, state, latency and a one-line answer per row (one widget, so 20
    streaming nodes cost one repaint per tick, not twenty)."""

    DEFAULT_CSS = "AnswerTable { width: 1fr; height: 100%; overflow-y: auto; padding: 0 1; }"

    def __init__(self, runs: list[Run]) -> None:
        super().__init__()
        self.runs = runs
        self._body: Text | None = None

    def sync(self, now: float, frame: int) -> None:
        body = Text(no_wrap=True, end="")
        for i, run in enumerate(self.runs):
            if i:
                body.append("\n")
            state = run.state.value
            icon = spinner(frame) if run.live else RUN_ICON.get(state, "·")
            style = RUN_STYLE.get(state, "")
            body.append(f"{icon} ", theme_style(self.app, style))
            name = literal(run.node, "bold", limit=16)
            body.append_text(name)
            body.append(" " * max(1, 17 - name.cell_len))
            body.append(f"{fmt_secs(run.duration(now)):>6}  ", theme_style(self.app, "$primary"))
            text = run.answer or run.error or run.streamed[-200:] or "…"
            body.append_text(literal(text, theme_style(self.app, "$error") if run.error else "", limit=300))
        if body != self._body:
            self._body = body
            self.update(body, layout=False)


__all__ = ["TARGETS", "AnswerCard", "ChatInput", "ChatPane"]
