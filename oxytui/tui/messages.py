"""App-level messages between widgets and screens (widgets never talk to the transport directly)."""

from __future__ import annotations

from textual.message import Message


class FocusNode(Message):
    """Panes should show ``node`` (``"*"``: all nodes)."""

    def __init__(self, node: str) -> None:
        super().__init__()
        self.node = node


class SendPrompt(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
