"""Modal dialogs: confirmation, one-line prompt, help, log toggles (event detail: ``detail.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from oxytui.tui.keys import HELP_EXTRA
from oxytui.tui.screens.detail import EventDetailScreen
from oxytui.tui.text import fmt_secs, literal

__all__ = [
    "ConfirmScreen",
    "EventDetailScreen",
    "HelpScreen",
    "PromptScreen",
    "TimelineScreen",
    "TogglesScreen",
]


class TimelineScreen(ModalScreen[None]):
    """Gantt chart of a trace from the node's ``/view`` records (server-side create/update times)."""

    BINDINGS = [Binding("escape,q,v", "dismiss", "Close")]

    def __init__(self, title: str, entries: list[Any], note: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.entries = entries
        self.note = note

    def compose(self) -> ComposeResult:
        from oxytui.tui.widgets.timeline import span_of, timeline_text

        body = timeline_text(self.app, self.entries, self.note)
        with Vertical(id="timeline-box", classes="dialog"):
            yield Label(literal(f"{self.title_text}  ·  span {fmt_secs(span_of(self.entries))}", limit=160))
            with VerticalScroll():
                yield Static(body)
            yield Label(Text("escape: close · times are the node's own create/update times", "dim"))

    def on_mount(self) -> None:
        self.query_one("#timeline-box").border_title = "Server timeline (/view)"


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="dialog"):
            yield Label(literal(self.question, limit=300, multiline=True))
            with Horizontal(id="confirm-buttons"):
                yield Button("Yes (y)", id="yes", variant="error")
                yield Button("No (n)", id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class PromptScreen(ModalScreen[str | None]):
    """Ask for one line of text (add node: ``name url``, attach trace id, ...)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, placeholder: str = "", value: str = "", *, empty_ok: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder
        self.value = value
        self.empty_ok = empty_ok
        """Enter on an empty line answers ``""`` (clear), not ``None`` (cancel)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box", classes="dialog"):
            yield Label(Text(self.title_text))
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        self.dismiss(text if text or self.empty_ok else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TogglesScreen(ModalScreen[tuple[set[str], set[str]] | None]):
    """Per-event-type and per-node visibility of the log; returns (hidden types, hidden nodes)."""

    BINDINGS = [Binding("escape", "done", "Apply")]

    def __init__(
        self,
        types: list[str],
        hidden_types: set[str],
        nodes: list[str],
        hidden_nodes: set[str],
        names: Callable[[str], str] = str,
    ) -> None:
        super().__init__()
        self.names = names
        self.types, self.hidden_types = types, hidden_types
        self.nodes, self.hidden_nodes = nodes, hidden_nodes

    def compose(self) -> ComposeResult:
        with Vertical(id="toggles-box", classes="dialog"):
            yield Label("Show event types (space toggles, escape applies)")
            yield SelectionList[str](
                *[
                    Selection(_mark(t not in self.hidden_types, t), t, t not in self.hidden_types)
                    for t in self.types
                ],
                id="toggle-types",
            )
            yield Label("Show nodes")
            yield SelectionList[str](
                *[
                    Selection(_mark(n not in self.hidden_nodes, self.names(n)), n, n not in self.hidden_nodes)
                    for n in self.nodes
                ],
                id="toggle-nodes",
            )

    def on_selection_list_selection_toggled(self, event: SelectionList.SelectionToggled[str]) -> None:
        """Keep the ``[x]``/``[ ]`` text in step: on/off must read without colour."""
        box = event.selection_list
        option = box.get_option_at_index(event.selection_index)
        label = option.value if box.id == "toggle-types" else self.names(option.value)
        box.replace_option_prompt_at_index(event.selection_index, _mark(option.value in box.selected, label))

    def action_done(self) -> None:
        shown_t = set(self.query_one("#toggle-types", SelectionList).selected)
        shown_n = set(self.query_one("#toggle-nodes", SelectionList).selected)
        hidden_t = {t for t in self.types if t not in shown_t}
        self.dismiss((hidden_t, {n for n in self.nodes if n not in shown_n}))


def _mark(on: bool, label: str) -> Text:
    """``[x] label`` / ``[ ] label`` as literal text (never markup: a node may be called ``[b]``)."""
    t = Text("[x] " if on else "[ ] ", "bold" if on else "dim", end="")
    t.append_text(literal(label, limit=40))
    return t


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, header_style="bold", padding=(0, 1))
        table.add_column("key", no_wrap=True, min_width=12)
        table.add_column("does", ratio=1)
        table.add_column(Text("binding id ([keys])"), style="dim", no_wrap=True)
        for key, desc, bid in self.rows:
            table.add_row(literal(key, "bold", limit=40), Text(desc), Text(bid))  # keys: from the config
        for key, desc in HELP_EXTRA:
            table.add_row(Text(key, "bold"), Text(desc), Text(""))
        with Vertical(id="help-box", classes="dialog"):
            with VerticalScroll():
                yield Static(table)
                yield Static(
                    Text.assemble(
                        ("\nPanes  ", "bold"),
                        "Nodes (status from /check_alive and run outcomes)"
                        " · Organization (⇄ remote, ▶ running)"
                        " · Event log (stream deltas coalesced per LLM call)"
                        " · Call tree (✓ done ✗ error ◌ running) · "
                        "Stats (ok = rolling success, tot = total)"
                        " · Chat (focused / all nodes / balanced).\n",
                        ("Remote text is always shown literally.", "dim"),
                    )
                )
            yield Label(Text("escape: close", "dim"))

    def on_mount(self) -> None:
        self.query_one("#help-box").border_title = "Help — oxytui keys"
