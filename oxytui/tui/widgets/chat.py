"""Chat pane: a prompt with history, a target (focused node / all nodes / balanced), and one answer card
per run of the last request, side by side, streaming while live."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Static

from oxytui.runs import Run, shorten_middle
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

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
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

    def __init__(self, run: Run, namer: Callable[[str], str] = str) -> None:
        super().__init__()
        self.run = run
        self.namer = namer
        self._body: Text | None = None

    class Picked(Message):
        """The card was clicked: show this run's call tree."""

        def __init__(self, run: Run) -> None:
            super().__init__()
            self.run = run

    def on_click(self) -> None:
        self.post_message(self.Picked(self.run))

    def sync(self, now: float, frame: int) -> None:
        run = self.run
        self.set_class(run.live, "-live")
        self.set_class(run.state.value == "failed", "-failed")
        self.border_title = literal(self.namer(run.node), limit=40)
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
        elif run.live:
            body.append(spinner(frame) + " ", theme_style(self.app, "$warning"))
            body.append_text(live_preview(run))
        else:
            body.append("no answer", "dim")
        body.append("\n")
        body.append_text(run_line(run))  # last: a small card shows the answer first
        if body != self._body:  # only when the text really changed; the card's size is fixed: no reflow
            self._body = body
            self.update(body, layout=False)


def run_line(run: Run) -> Text:
    """The run's trace id, how to open its call tree, and its conversation (dim, one line)."""
    t = Text("trace ", "dim", end="")
    t.append_text(literal(run.trace_id, "bold", limit=40))
    if run.conversation:
        t.append(f" · conversation {short_id(run.conversation)} turn {run.turn}", "dim")
    t.append(" · t/click: call tree", "dim")
    return t


def short_id(value: str) -> str:
    """The first characters of an id: enough to tell conversations apart on screen."""
    return value[:8] + ("…" if len(value) > 8 else "")


def live_preview(run: Run) -> Text:
    """What a running answer shows: the latest ``think``, else streamed text that is not the planner's
    JSON, else which agents are working."""
    if run.think:
        return literal(run.think, "italic", limit=1500, multiline=True)
    streamed = run.streamed[-1500:]
    head = run.streamed.lstrip()[:10]
    if streamed and not head.startswith(("```", "{", "[")):
        return literal(streamed, "italic", limit=1500, multiline=True)
    busy = sorted(run.running_agents())
    if busy:
        return literal("working: " + ", ".join(busy), "dim", limit=300)
    return Text("waiting for the first event…" if not run.events else "working…", "dim")


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
        self.namer: Callable[[str], str] = str
        """Node key -> display name (the store's, set by the screen)."""

    def compose(self) -> ComposeResult:
        yield Horizontal(id="chat-cards")
        with Horizontal(id="chat-bar"):
            yield Label(id="chat-target")
            yield ChatInput(
                id="chat-input",
                disabled=self.read_only,
                placeholder="read-only: prompts are disabled"
                if self.read_only
                else "c: type a prompt · Enter sends · Esc leaves · ↑↓ history · ctrl+o target"
                " · ctrl+n new conversation",
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
            if len(runs) > MAX_CARDS:
                widgets: list[Static] = [AnswerTable(runs, self.namer)]
            else:
                widgets = [AnswerCard(r, self.namer) for r in runs]
            box.mount_all(widgets)
            for w in widgets:
                w.call_after_refresh(w.sync, now, frame)  # type: ignore[attr-defined]
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

    def __init__(self, runs: list[Run], namer: Callable[[str], str] = str) -> None:
        super().__init__()
        self.runs = runs
        self.namer = namer
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
            name = literal(shorten_middle(self.namer(run.node), 16), "bold", limit=17)
            body.append_text(name)
            body.append(" " * max(1, 17 - name.cell_len))
            body.append(f"{fmt_secs(run.duration(now)):>6}  ", theme_style(self.app, "$primary"))
            text = run.answer or run.error or run.think or "…"
            body.append_text(literal(text, theme_style(self.app, "$error") if run.error else "", limit=300))
        if body != self._body:
            self._body = body
            self.update(body, layout=False)


__all__ = ["TARGETS", "AnswerCard", "ChatInput", "ChatPane"]
