"""Dashboard replay of a recording (``oxytui replay FILE``): the same model and panes as live, fed by
:class:`oxytui.ops.replay.Replayer` with the original timing scaled; chat is disabled."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any, ClassVar

from textual.binding import BindingType
from textual.events import Mount

from oxytui.config import Settings
from oxytui.runs import RunStore
from oxytui.tui.app import OxyApp
from oxytui.tui.keys import REPLAY_BINDINGS


class ReplayController:
    """Stands where the live controller stands: ``start``/``aclose`` plus replay controls for the keys."""

    demo = False

    def __init__(self, store: RunStore, path: Path, speed: float = 1.0, step: bool = False) -> None:
        self.store = store
        self.path = path
        self.speed = speed
        self.step_mode = step
        self.replayer: Any = None
        self.damage: Any = None
        self.finished = False
        self.tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None
        self.notify: Any = lambda msg, severity="information": None

    async def start(self) -> None:
        from oxytui.ops.replay import Replayer, load

        records, self.damage = await asyncio.to_thread(load, self.path)
        for rec in records:
            if rec.node and rec.node not in self.store.nodes:
                self.store.add_node(rec.node, "(recording)")
                self.store.set_alive(rec.node, True, 0.0)
        self.replayer = Replayer(records, speed=self.speed, step=self.step_mode)
        self._task = asyncio.get_running_loop().create_task(self._feed())

    async def _feed(self) -> None:
        from oxytui.ops.replay import ReplayReset, apply

        async for item in self.replayer.items():
            if isinstance(item, ReplayReset):
                self.store.reset()
                for name in self.store.nodes:
                    self.store.set_alive(name, True, 0.0)
                continue
            apply(self.store, item)
        self.finished = True
        if self.damage is not None:
            self.notify(f"replay stopped at the damage: {self.damage}", "error")
        else:
            self.notify("replay finished", "information")

    def status_text(self) -> str:
        rp = self.replayer
        if rp is None:
            return "loading…"
        state = "paused" if rp.paused else ("step" if rp.step_mode else "playing")
        if self.finished:
            state = "done"
        speed = "max" if rp.speed == 0 else f"×{rp.speed:g}"
        return f"{rp.offset:.1f}/{rp.duration:.1f}s {speed} {state}"

    def live_user(self) -> int:
        """Nothing here runs on a node: quitting a replay never asks (see ``OxyApp.user_live``)."""
        return 0

    def toggle(self) -> None:
        if self.replayer is not None:
            (self.replayer.resume if self.replayer.paused else self.replayer.pause)()

    def step(self) -> None:
        if self.replayer is not None:
            self.replayer.step(1)

    def jump(self, delta: float) -> None:
        if self.replayer is not None:
            self.replayer.jump(max(0.0, min(self.replayer.duration, self.replayer.offset + delta)))

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class ReplayApp(OxyApp):
    """The dashboard over a recording: marked REPLAY (not DEMO), quits without asking, no chat keys."""

    BINDINGS: ClassVar[list[BindingType]] = [*REPLAY_BINDINGS]
    NO_ACTIONS = frozenset({"focus_chat", "chat_target"})
    """Chat bindings: disabled and hidden from the footer (nothing can be sent to a recording)."""

    async def on_mount(self, event: Mount | None = None) -> None:
        if event is not None:  # optional only so the override matches OxyApp.on_mount() for mypy
            event.prevent_default()  # run OxyApp's mount here, once, then relabel its screen
        await super().on_mount()
        if self.main is not None:
            self.main.marker = "REPLAY"
            self.main.flush(self.clock(), self.frame(), force=True)  # the first frame already says so

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action not in self.NO_ACTIONS and super().check_action(action, parameters)

    def _replay(self) -> ReplayController:
        assert isinstance(self.controller, ReplayController)
        return self.controller

    def action_replay_toggle(self) -> None:
        self._replay().toggle()

    def action_replay_step(self) -> None:
        self._replay().step()

    def action_replay_jump(self, delta: float) -> None:
        self._replay().jump(delta)


def make_replay_app(
    settings: Settings, path: Path | str, speed: float = 1.0, step: bool = False
) -> ReplayApp:
    settings = settings.model_copy(update={"read_only": True, "demo": False, "record": None})
    store = RunStore(log_cap=settings.log_cap)
    ctl = ReplayController(store, Path(path), speed, step)
    app = ReplayApp(settings, store=store, controller=ctl, clock=lambda: store.last_mono)
    ctl.notify = lambda msg, severity="information": app.notify(msg, severity=severity, timeout=8)
    return app


def run_replay(settings: Settings, path: Path | str, speed: float = 1.0, step: bool = False) -> int:
    """Entry point for ``oxytui replay FILE``: 0 after a clean replay, 1 when the recording was damaged."""
    app = make_replay_app(settings, path, speed, step)
    ctl = app.controller
    app.run()
    return 1 if isinstance(ctl, ReplayController) and ctl.damage is not None else 0
