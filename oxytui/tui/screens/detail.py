"""Event detail: the whole JSON of one log row in a scrollable, read-only text view, copy and save.

A value is shown whole up to :data:`SHOW_MAX` characters (a 200,000-character answer scrolls to its end);
beyond that the view shows the beginning and offers ``s``: the whole value goes to a file under the data
dir (mode 0600: it may hold whatever the node sent). Text is cleaned of control characters and never
parsed as markup (a ``TextArea`` shows characters, not Rich markup).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, TextArea

from oxytui.runs import LogRow, clean
from oxytui.tui.text import fmt_clock, literal

SHOW_MAX = 4_000_000
"""Characters the detail view holds; a larger value is shown up to here and can be saved whole."""


def detail_json(value: Any) -> str:
    """Indented JSON of ``value`` (anything not JSON becomes its ``str``), cleaned of control characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, indent=2, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return clean(text)


def save_private(text: str, name: str, directory: Path | None = None) -> Path:
    """Write ``text`` to a new file readable by the user only (0600) under ``<data dir>/exports``."""
    if directory is None:
        from oxytui.config import data_dir

        directory = data_dir() / "exports"
    directory.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80] or "event"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        path = directory / f"{safe}-{stamp}{'' if n == 1 else f'-{n}'}.json"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        return path
    raise OSError(f"no free file name for {safe} in {directory}")


class EventDetailScreen(ModalScreen[None]):
    """Full JSON of one log row: scroll through all of it, ``y`` copies it, ``s`` saves it to a file."""

    BINDINGS = [
        Binding("escape,q", "dismiss", "Close"),
        Binding("y", "copy", "Copy JSON", id="detail_copy"),
        Binding("s", "save", "Save to file", id="detail_save"),
        Binding("ctrl+end", "edge(1)", "End", show=False),
        Binding("ctrl+home", "edge(0)", "Top", show=False),
    ]

    def __init__(self, row: LogRow, utc: bool = False, node_name: str = "") -> None:
        super().__init__()
        self.row = row
        self.utc = utc
        self.node_name = node_name or row.node
        self.full = detail_json(row.detail())
        self.cut = len(self.full) > SHOW_MAX
        self.saved: Path | None = None

    def compose(self) -> ComposeResult:
        row = self.row
        with Vertical(id="detail-box", classes="dialog"):
            head = Text(no_wrap=True, overflow="ellipsis")
            head.append_text(literal(row.type, "bold", limit=20))
            head.append(f"  {fmt_clock(row.wall, self.utc)}  node ")
            head.append_text(literal(self.node_name, "bold", limit=40))
            head.append("  trace ")
            head.append_text(literal(row.trace_id, limit=40))
            if row.count > 1:
                head.append(f"  ({row.count} events coalesced)")
            yield Label(head, id="detail-head")
            shown = self.full[:SHOW_MAX]
            if self.cut:
                shown += f"\n… {len(self.full) - SHOW_MAX:,} more characters: press s to save the whole value"
            area = TextArea(shown, id="detail-json", read_only=True, soft_wrap=True, show_line_numbers=False)
            area.cursor_blink = False
            yield area
            yield Label(self._hint(), id="detail-hint")

    def _hint(self) -> Text:
        size = f"{len(self.full):,} characters"
        more = " — too long to show whole: s saves it" if self.cut else ""
        saved = f" · saved to {self.saved}" if self.saved else ""
        keys = "escape: close · ↑↓ PgUp PgDn ctrl+home/end: scroll · y: copy · s: save"
        return Text(f"{keys} · {size}{more}{saved}", "dim")

    def on_mount(self) -> None:
        self.query_one("#detail-box").border_title = "Event detail"
        self.query_one("#detail-json", TextArea).focus()

    def action_edge(self, end: int) -> None:
        """ctrl+end / ctrl+home: the last / first line of the value."""
        area = self.query_one("#detail-json", TextArea)
        area.move_cursor(area.document.end if end else (0, 0))
        area.scroll_end(animate=False) if end else area.scroll_home(animate=False)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.full)
        self.notify(f"event JSON copied ({len(self.full):,} characters)")

    def action_save(self) -> None:
        try:
            self.saved = save_private(self.full, f"event-{self.row.trace_id}-{self.row.seq}")
        except OSError as exc:
            self.notify(f"save failed: {exc}", severity="error")
            return
        self.query_one("#detail-hint", Label).update(self._hint())
        self.notify(f"saved to {self.saved}")
