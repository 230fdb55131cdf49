"""The dashboard controller's memory: the JSON Lines recording and the SQLite run history.

A mixin of :class:`oxytui.tui.service.Controller` (kept apart so that module stays about transport):
taps the wire into the recording, marks run starts and finishes there, restores recent runs from the
history at start and writes each finished run back. Neither is a reason for the live session to fail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oxytui.config import Settings
from oxytui.runs import Run, RunStore
from oxytui.tui.control import Notify

if TYPE_CHECKING:
    from oxytui.ops.record import Recorder

__all__ = ["PersistControl"]


class PersistControl:
    """Needs from the controller: ``store``, ``settings``, ``notify``, ``recorder``, ``history`` and
    ``restored``."""

    store: RunStore
    settings: Settings
    notify: Notify
    recorder: Recorder | None
    history: Any
    restored: set[str]

    # --- recording ------------------------------------------------------------------------------------

    def _tap(self, node: str, trace_id: str, item: Any, wall: float) -> None:
        rec = self.recorder
        if rec is not None:
            rec.wire_tap(node, trace_id, item, wall)

    def _mark(self, kind: str, node: str, trace_id: str, **fields: Any) -> None:
        rec = self.recorder
        if rec is not None and not rec.closed:
            try:
                rec.mark(kind, node, trace_id, **fields)
            except (OSError, ValueError) as exc:  # a full disk must not break the live session
                rec.error = str(exc)

    def toggle_recording(self) -> str:
        """Palette: start recording to a new file under the data dir, or stop; returns a message."""
        if self.recorder is not None:
            rec, self.recorder = self.recorder, None
            rec.close()
            return f"recording stopped: {rec.events:,} events in {rec.path}"
        from oxytui.ops.record import Recorder

        secrets = [n.token.get_secret_value() for n in self.settings.nodes if n.token is not None]
        self.recorder = Recorder(None, secrets=secrets)
        return f"recording to {self.recorder.path}"

    # --- history --------------------------------------------------------------------------------------

    def _load_history(self) -> None:
        """Recent runs of these nodes from the SQLite history, so a restart shows where things stood."""
        from oxytui.ops.history import History

        try:
            self.history = History(on_notice=lambda msg: self.notify(msg, "warning"))
        except Exception as exc:  # history is a convenience: never a reason not to start
            self.notify(f"history unavailable: {exc}", "warning")
            return
        for summary in reversed(self.history.recent(limit=500)):
            if summary.node in self.store.nodes and summary.state != "running":
                self.store.restore_run(
                    summary.node,
                    summary.trace_id,
                    query=summary.query,
                    state=summary.state,
                    duration=summary.duration,
                    answer=summary.answer,
                    error=summary.error,
                    wall=summary.started,
                    events=summary.events,
                    source="traffic" if summary.source == "traffic" else "",
                )
                self.restored.add(summary.trace_id)

    def _remember(self, run: Run) -> None:
        """A finished run of ours into the history (probes kept apart from chats)."""
        if self.history is not None:
            from oxytui.ops.history import RunSummary

            self.history.add(RunSummary.from_run(run, source="probe" if run.group == "probe" else "chat"))
