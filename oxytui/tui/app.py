"""The oxytui Textual app: wires the RunStore, the transport controller and the main screen together.

Kept thin: panes live in ``widgets/``, dialogs in ``screens/``, palette commands in ``commands.py``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import BindingType
from textual.css.query import NoMatches
from textual.notifications import SeverityLevel
from textual.widgets import Input

from oxytui.config import Settings
from oxytui.runs import ALL, Fleet, Run, RunStore
from oxytui.runs.timeline import TimelineEntry, parse_view
from oxytui.tui.commands import OxyCommands
from oxytui.tui.copy_actions import CopyActions
from oxytui.tui.gctuning import GCTuning
from oxytui.tui.keys import APP_BINDINGS
from oxytui.tui.node_actions import NodeListActions
from oxytui.tui.runsdata import RunsData
from oxytui.tui.screens.dialogs import ConfirmScreen, EventDetailScreen, HelpScreen, TogglesScreen
from oxytui.tui.screens.main import MainScreen
from oxytui.tui.text import notice, pane_title, plain
from oxytui.tui.themes import builtin_themes, user_themes
from oxytui.tui.widgets.chat import TARGETS, ChatInput
from oxytui.tui.widgets.eventlog import ALL_TYPES, EventLogView

TICK = 0.1
"""Seconds between redraws: bursts of events are coalesced into one refresh per tick."""
TIMELINE_EVERY = 1.0
"""Seconds between ``/view`` fetches while the timeline pane shows a live run."""
TERMINAL_CHECK_EVERY = 0.5
"""Seconds between checks that the terminal is still there (see ``OxyApp._check_terminal``)."""


def _tty_fds() -> list[int]:
    """The process's stdin/stdout descriptors that are terminals now."""
    fds = []
    for stream in (sys.__stdin__, sys.__stdout__):
        try:
            fd = stream.fileno() if stream is not None else -1
        except (OSError, ValueError):
            continue
        if fd >= 0 and os.isatty(fd):
            fds.append(fd)
    return fds


MAIN_ACTIONS = frozenset(
    {"focus_chat", "filter", "pause_log", "next_node", "call_tree", "timeline", "log_toggles", "chat_target"}
    | {"focus_log", "restore", "stats_scope"}
)
"""Actions that act on the main screen's panes."""


class OxyApp(NodeListActions, CopyActions, App[int]):
    CSS_PATH = "oxytui.tcss"
    TITLE = "oxytui"
    BINDINGS: ClassVar[list[BindingType]] = [*APP_BINDINGS]
    COMMANDS = App.COMMANDS | {OxyCommands}

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        store: RunStore | None = None,
        controller: object | None = None,
        frozen: bool = False,
        clock: Callable[[], float] | None = None,
        user_theme_dir: Path | None = None,
    ) -> None:
        """``frozen``: snapshot mode — no network, the clock is the store's last event time, spinners
        stand still, times shown in UTC. ``controller`` None with ``frozen`` False builds a live one."""
        super().__init__()
        self.settings = settings or Settings()
        self.store = store or RunStore(log_cap=self.settings.log_cap)
        self.frozen = frozen
        self.gc_tuning = GCTuning()
        self._clock = clock or ((lambda: self.store.last_mono) if frozen else time.monotonic)
        self.controller = controller
        self.theme_errors: list[str] = []
        for theme in builtin_themes():
            self.register_theme(theme)
        themes, self.theme_errors = user_themes(user_theme_dir)
        for theme in themes:
            self.register_theme(theme)
        self._wanted_theme = self.settings.theme
        self._ttys: list[int] = []
        self._terminal_lost = False
        self.main: MainScreen | None = None
        self.runs_data: RunsData | None = None
        self.fleet: Fleet | None = None
        """Fleet traffic without a live controller (snapshots); live, the controller's is used."""

    # --- clock ------------------------------------------------------------------------------------------

    def clock(self) -> float:
        return self._clock()

    def frame(self) -> int:
        return 0 if self.frozen else int(time.monotonic() * 5)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification passes here: messages carry node names, file names and exception text, so
        they are shown without markup and cleaned of control/bidi characters (Textual's default parses)."""
        super().notify(
            notice(message), title=plain(title, 80), severity=severity, timeout=timeout, markup=markup
        )

    # --- lifecycle ----------------------------------------------------------------------------------------

    async def on_mount(self) -> None:
        if self.settings.keys:
            self.set_keymap(dict(self.settings.keys))
        if self._wanted_theme in self.available_themes:
            self.theme = self._wanted_theme
        else:
            self.theme = "oxytui-dark"
            self.notify(f"unknown theme {self._wanted_theme!r}; using oxytui-dark", severity="warning")
        for err in self.theme_errors:
            self.notify(err, title="theme file skipped", severity="warning")
        for note in self.settings.notes:
            self.notify(note, title="configuration", severity="warning")
        demo = self.settings.demo or not self.settings.nodes
        if self.controller is None and not self.frozen:
            from oxytui.tui.service import Controller

            self.controller = Controller(self.store, self.settings)
        self.main = MainScreen(self.store, read_only=self.settings.read_only, utc=self.frozen, demo=demo)
        await self.push_screen(self.main)
        self.main.flush(self.clock(), self.frame(), force=True)
        if self.controller is not None and hasattr(self.controller, "start"):
            # after the first frame: 60 nodes' set-up and history must not delay what the user sees first
            self.call_after_refresh(
                lambda: self.run_worker(self._start_controller(), exclusive=True, group="controller")
            )
        self.set_interval(TICK, self._tick)
        self._ttys = [] if self.is_headless else _tty_fds()
        if self._ttys:
            self.set_interval(TERMINAL_CHECK_EVERY, self._check_terminal)
        if not self.frozen:
            self.gc_tuning.apply()  # rarer collector passes over the store; undone in on_unmount

    def _check_terminal(self) -> None:
        """Leave (controller closed, recording flushed) once the terminal is gone. SIGHUP may never come
        (``nohup``, wrappers, some SSH drops), and Textual's input thread then spins on EOF for ever; a
        hung-up terminal fails ``isatty`` (its ioctl returns EIO), so that is what is checked."""
        if self._terminal_lost or all(os.isatty(fd) for fd in self._ttys):
            return
        self._terminal_lost = True
        self.run_worker(self._close_and_exit(), group="quit")

    async def _start_controller(self) -> None:
        if hasattr(self.controller, "notify"):
            self.controller.notify = lambda msg, severity="information": self.notify(
                msg, severity=severity, timeout=8
            )
        try:
            await self.controller.start()  # type: ignore[union-attr]
        except Exception as exc:  # e.g. ports in use for the demo cluster: say so, keep the UI
            self.notify(f"could not start: {exc}", severity="error", timeout=10)

    def _tick(self) -> None:
        if self.main is not None and self.screen_stack and self.main in self.screen_stack:
            try:
                self.main.flush(self.clock(), self.frame())
                if self.main.timeline_on and not self.frozen:
                    self._refresh_timeline()
            except NoMatches:  # a pane mid-remount (maximize/minimize): next tick catches up
                pass

    def user_live(self) -> int:
        """Live runs the user started (chat, fan-out, attach); demo-driver and probe runs do not count:
        they are cancelled silently on quit. Without a live controller every live run counts."""
        ctl = self.controller
        if ctl is not None and hasattr(ctl, "live_user"):
            return int(ctl.live_user())
        return len(self.store.live_runs())

    async def action_quit_app(self) -> None:
        live = self.user_live()
        if live:

            def done(yes: bool | None) -> None:
                if yes:
                    self.run_worker(self._close_and_exit(), group="quit")

            self.push_screen(
                ConfirmScreen(
                    f"{live} run{'s are' if live > 1 else ' is'} still live. Quit and cancel "
                    f"{'them' if live > 1 else 'it'} on the node{'s' if live > 1 else ''}?"
                ),
                done,
            )
            return
        await self._close_and_exit()

    async def on_unmount(self) -> None:
        """However the app ends (quit, ctrl+c, test harness), close the transport and the demo cluster."""
        ctl, self.controller = self.controller, None
        if ctl is not None and hasattr(ctl, "aclose"):
            await ctl.aclose()
        self.gc_tuning.restore()  # the process may go on (tests, embedding): the host's thresholds back

    async def action_quit(self) -> None:
        """Textual's own quit (ctrl+q) asks too when runs are live."""
        await self.action_quit_app()

    async def _close_and_exit(self) -> None:
        ctl, self.controller = self.controller, None
        if ctl is not None and hasattr(ctl, "aclose"):
            await ctl.aclose()
        self.exit(0)

    # --- actions ------------------------------------------------------------------------------------------

    def _main(self) -> MainScreen:
        assert self.main is not None
        return self.main

    def action_focus_chat(self) -> None:
        self._main().query_one(ChatInput).focus()

    def action_focus_log(self) -> None:
        self._main().log_view.focus()

    def action_filter(self) -> None:
        box = self._main().query_one("#log-filter", Input)
        box.display = True
        box.focus()

    def action_restore(self) -> None:
        main = self._main()
        if self.screen is not main:
            return
        box = main.query_one("#log-filter", Input)
        view = main.log_view
        if box.has_focus or box.display or view.filter_text:  # typed, submitted or hidden: always clears
            focused = box.has_focus
            box.value = ""
            box.display = False
            if view.filter_text:
                view.filter_text = ""
                view.rebuild()  # keeps the selected event in view, else keeps following
            if focused:
                view.focus()
            main.sync_titles()
        elif main.maximized is not None:
            main.minimize()

    def action_pause_log(self) -> None:
        view = self._main().log_view
        view.set_paused(not view.paused)
        self._main().sync_titles()

    def action_next_node(self, step: int) -> None:
        table = self._main().nodes
        if table.row_count:
            table.move_cursor(row=(table.cursor_row + step) % table.row_count, animate=False)

    def action_call_tree(self) -> None:
        main = self._main()
        view = main.log_view
        row = view.selected_row() if view.has_focus else None  # elsewhere: the run you sent or picked
        if row is not None and (run := self.store.get_run(row.node, row.trace_id)) is not None:
            main.pinned_run = run
        if main.timeline_on:  # full screen is the tree's view: switch the pane back first
            main.show_timeline(False)
        tree = main.calls
        tree.show_run(main.current_run(), self.clock(), self.frame())
        if main.maximized is tree:
            main.minimize()
        else:
            tree.focus()
            main.maximize(tree, container=False)

    def action_timeline(self) -> None:
        """``v``: the call-tree pane switches between the tree and the selected run's server timeline."""
        main = self._main()
        main.show_timeline(not main.timeline_on)
        if main.timeline_on:
            self._refresh_timeline(force=True)

    def _refresh_timeline(self, force: bool = False) -> None:
        """Fetch again when the selected run changed, or every second while it is live."""
        main = self._main()
        run = main.current_run()
        pane = main.timeline
        key = run.key if run is not None else None
        stale = run is not None and run.live and time.monotonic() - pane.fetched_at >= TIMELINE_EVERY
        if force or key != pane.key or stale:
            pane.key, pane.fetched_at = key, time.monotonic()
            self.run_worker(self._load_timeline(), group="timeline", exclusive=True)

    async def _load_timeline(self) -> None:
        main = self._main()
        run = main.current_run()
        if run is None:
            main.timeline.show(None, [], "no run selected — pick an event in the log", time.monotonic())
            return
        entries, note = await self.fetch_timeline(run)
        name = self.store.display(run.node)
        main.timeline.border_title = pane_title("Server timeline (/view)", name, "v: call tree")
        main.timeline.show(run.key, entries, note, time.monotonic())

    async def fetch_timeline(self, run: Run) -> tuple[list[TimelineEntry], str]:
        """The run's ``/view`` records as timeline entries, or none and a note saying why."""
        ctl = self.controller
        if ctl is None or not hasattr(ctl, "fetch_view"):
            return [], "no live node to ask for /view (snapshot or replay)"
        try:
            data = await ctl.fetch_view(run.node, run.trace_id)
        except Exception as exc:  # not JSON, node down, HTTP 500: say so
            return [], f"{run.node}: /view failed: {exc}"
        if data is None:
            return [], f"no /view on this node ({run.node} does not offer it)"
        entries = parse_view(data)
        return entries, "" if entries else f"empty: {run.node} has no /view records for this trace (yet)"

    async def action_timeline_popup(self) -> None:
        """Palette: the same timeline full screen, in a pop-up."""
        run = self._main().current_run()
        if run is None:
            self.notify("no run selected", severity="warning")
            return
        from oxytui.tui.screens.dialogs import TimelineScreen

        entries, note = await self.fetch_timeline(run)
        self.push_screen(TimelineScreen(f"{self.store.display(run.node)} · {run.trace_id}", entries, note))

    def action_help(self) -> None:
        rows = []
        keymap = self._keymap if hasattr(self, "_keymap") else {}
        for b in APP_BINDINGS:
            key = keymap.get(b.id or "", b.key) if b.id else b.key
            rows.append(
                (
                    str(key).replace("question_mark", "?").replace("slash", "/"),
                    b.description or (b.action.replace("_", " ")),
                    b.id or "",
                )
            )
        self.push_screen(HelpScreen(rows))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The main screen's keys are off (and out of the footer) on full screens of their own (runs)."""
        if action in MAIN_ACTIONS and getattr(self.screen, "main_actions_off", False):
            return False
        return True

    def action_runs(self) -> None:
        """``r``: every run from every source (see :mod:`oxytui.tui.screens.runs`); again: back."""
        from oxytui.tui.screens.runs import toggle_runs

        if self.runs_data is None:
            self.runs_data = RunsData(self)
        toggle_runs(self, self.runs_data, utc=self.frozen)

    def action_stats_scope(self) -> None:
        """``e``: the Stats pane counts everyone's runs (traffic included) or only this dashboard's."""
        main = self._main()
        main.stats.everyone = not main.stats.everyone
        main.stats.border_title = "Stats · " + ("everyone's runs" if main.stats.everyone else "my runs")
        main.flush(self.clock(), self.frame(), force=True)

    def action_log_toggles(self) -> None:
        view = self._main().log_view

        def done(result: tuple[set[str], set[str]] | None) -> None:
            if result is not None:
                view.hidden_types, view.hidden_nodes = result
                view.rebuild()

        self.push_screen(
            TogglesScreen(
                list(ALL_TYPES),
                view.hidden_types,
                list(self.store.nodes),
                view.hidden_nodes,
                names=self.store.display,
            ),
            done,
        )

    def action_chat_target(self) -> None:
        chat = self._main().chat
        nxt = TARGETS[(TARGETS.index(chat.target) + 1) % len(TARGETS)]
        key = self._main().focus_key
        chat.set_target(nxt, self.chat_focus_label(key))

    # --- events -------------------------------------------------------------------------------------------

    def on_event_log_view_opened(self, event: EventLogView.Opened) -> None:
        self.push_screen(
            EventDetailScreen(event.row, utc=self.frozen, node_name=self.store.display(event.row.node))
        )

    def on_chat_input_leave(self, _: ChatInput.Leave) -> None:
        self._main().log_view.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "chat-input":
            return
        text = event.value.strip()
        if not text:
            return
        chat_input = event.input
        assert isinstance(chat_input, ChatInput)
        chat_input.remember(text)
        chat_input.value = ""
        self.send_prompt(text)

    def chat_focus_label(self, key: str) -> str:
        """The node "focused node" really sends to: the selected one, or with "all nodes" selected the
        controller's default (first live node), shown in the chat hint line."""
        if key != ALL:
            return self.store.display(key)
        ctl = self.controller
        node = ctl.default_node() if ctl is not None and hasattr(ctl, "default_node") else None
        return f"{self.store.display(node)} (first live node)" if node else ""

    def send_prompt(self, text: str) -> None:
        main = self._main()
        chat = main.chat
        ctl = self.controller
        if ctl is None or not hasattr(ctl, "send"):
            self.notify("no transport (snapshot mode)", severity="warning")
            return
        focused = None if main.focus_key == ALL else main.focus_key
        try:
            keys = ctl.send(text, chat.target, focused)
        except Exception as exc:
            self.notify(str(exc), severity="error")
            return
        runs = [r for k in keys if (r := self.store.get_run(*k)) is not None]
        main.pinned_run = runs[0] if runs else None  # the tree follows your run until you pick another
        main.chat_runs = runs
        chat.show_runs(runs, self.clock(), self.frame())

    def watch_theme(self, _theme: str) -> None:
        if self.main is not None and self.main.is_mounted:
            self.main.log_view.rebuild()
            self.main.org.invalidate()
            self.main.flush(self.clock(), self.frame(), force=True)


def run_replay(settings: Settings, path: Path | str, speed: float = 1.0, step: bool = False) -> int:
    """``oxytui replay FILE`` in the dashboard (chat disabled); see :mod:`oxytui.tui.replay`."""
    from oxytui.tui.replay import run_replay as _run

    return _run(settings, path, speed, step)


def run_app(settings: Settings) -> int:
    """Entry point for the CLI: run the dashboard until the user quits; returns the exit code."""
    result = OxyApp(settings).run()
    return int(result or 0)
