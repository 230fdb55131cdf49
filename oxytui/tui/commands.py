"""Command palette provider: nodes, themes, panes, log, export, demo driver."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape

from oxytui.tui.text import plain

if TYPE_CHECKING:
    from oxytui.tui.app import OxyApp

PANES = {
    "nodes": "Nodes",
    "log-pane": "Live events",
    "org": "Organization",
    "calls": "Call tree",
    "stats": "Stats",
    "chat": "Chat",
}


class OxyCommands(Provider):
    def _commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        app = cast("OxyApp", self.app)
        cmds: list[tuple[str, Callable[[], Any], str]] = [
            ("Add node…", partial(add_node, app), "add an OxyGent node by name and URL"),
            ("Clear log", partial(clear_log, app), "drop every row of the live event log"),
            ("Refresh organizations", partial(refresh_orgs, app), "fetch /get_organization again"),
            ("Export stats (JSON)", partial(export, app, "stats", "json"), "write stats to the data dir"),
            ("Export stats (CSV)", partial(export, app, "stats", "csv"), "write stats to the data dir"),
            ("Export stats (Prometheus text)", partial(export, app, "stats", "prom"), "exposition format"),
            ("Export selected run (JSON)", partial(export, app, "run", "json"), "events and call tree"),
            ("Start / stop recording", partial(toggle_recording, app), "every SSE event to JSON Lines"),
            ("OTLP trace export on / off", partial(toggle_otlp, app), "every finished run as an OTel trace"),
            ("Attach to trace…", partial(attach_trace, app), "stream a run started with /async/chat"),
            (
                "Server timeline of selected run",
                app.action_timeline_popup,
                "Gantt from the node's /view records",
            ),
            ("Toggle demo driver", partial(toggle_demo, app), "start/stop the automatic demo prompts"),
            ("Pause / resume log", partial(pause_log, app), "freeze the event log; new rows are counted"),
            ("Show help", app.action_help, "keys and binding ids"),
        ]
        for name in list(app.store.nodes):
            remove = partial(remove_node, app, name)
            cmds.append((f"Remove node {plain(name, 60)}", remove, "stop watching this node"))
        for theme in sorted(app.available_themes):
            if theme.startswith("oxytui") or theme in app.user_theme_names:
                pick = partial(set_theme, app, theme)
                cmds.append((f"Theme: {plain(theme, 60)}", pick, "switch the colour theme"))
        for wid, title in PANES.items():
            cmds.append((f"Toggle pane: {title}", partial(toggle_pane, app, wid), "show or hide this pane"))
        return cmds

    async def discover(self) -> Hits:
        for name, cb, help_text in self._commands():
            yield DiscoveryHit(Content(name), cb, text=name, help=help_text)

    async def search(self, query: str) -> Hits:
        """Command names carry node and theme names (from recordings and files): Textual's highlighter
        parses markup, so it gets the name with markup escaped."""
        matcher = self.matcher(query)
        for name, cb, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(escape(name)), cb, text=name, help=help_text)


def add_node(app: OxyApp) -> None:
    from oxytui.config import NodeConfig, check_url
    from oxytui.tui.screens.dialogs import PromptScreen

    def done(value: str | None) -> None:
        if not value:
            return
        parts = value.split()
        if len(parts) != 2:
            app.notify("expected: NAME http://host:port", severity="error")
            return
        try:  # the same rules as the config file and the command line (no user:password@ in URLs)
            url = check_url(parts[1])
        except ValueError as exc:
            app.notify(str(exc), severity="error")
            return
        ctl = app.transport()
        if ctl is None:
            app.store.add_node(parts[0], url)
            return
        try:
            ctl.add_node(NodeConfig(name=parts[0], url=url))
        except Exception as exc:
            app.notify(str(exc), severity="error")

    app.push_screen(PromptScreen("Add node: NAME URL", "math http://127.0.0.1:8081"), done)


def remove_node(app: OxyApp, name: str) -> None:
    ctl = app.transport()
    if ctl is not None:
        ctl.remove_node(name)
    else:
        app.store.remove_node(name)


def clear_log(app: OxyApp) -> None:
    app.store.clear_log()
    if app.main is not None:
        app.main.log_view.clear()


async def refresh_orgs(app: OxyApp) -> None:
    ctl = app.transport()
    if ctl is not None:
        await ctl.refresh_orgs()
        app.notify("organizations refreshed")


def set_theme(app: OxyApp, name: str) -> None:
    app.theme = name


def pause_log(app: OxyApp) -> None:
    if app.main is not None:
        app.main.action_pause_log()


def toggle_pane(app: OxyApp, wid: str) -> None:
    if app.main is not None:
        pane = app.main.query_one(f"#{wid}")
        pane.display = not pane.display


def toggle_demo(app: OxyApp) -> None:
    ctl = app.transport()
    if ctl is not None:
        ctl.demo_driver = not ctl.demo_driver
        app.notify(f"demo driver {'on' if ctl.demo_driver else 'off'}")


def export(app: OxyApp, what: str, fmt: str) -> None:
    from oxytui.ops.export import write_export

    run = app.main.current_run() if app.main else None
    try:
        path = write_export(app.store, what, fmt, run_key=run.key if run else None)
    except (OSError, KeyError) as exc:
        app.notify(f"export failed: {exc}", severity="error")
        return
    app.notify(f"exported to {path}")


def toggle_recording(app: OxyApp) -> None:
    ctl = app.transport()
    if ctl is None:
        app.notify("recording needs live nodes", severity="warning")
        return
    try:
        app.notify(ctl.toggle_recording())
    except OSError as exc:
        app.notify(f"cannot record: {exc}", severity="error")


def toggle_otlp(app: OxyApp) -> None:
    ctl = app.transport()
    if ctl is None:
        app.notify("OTLP export needs live nodes", severity="warning")
        return
    msg = ctl.toggle_otlp()
    on = ctl.otlp.on
    app.notify(msg, severity="information" if on or "off" in msg else "warning")


def attach_trace(app: OxyApp) -> None:
    from oxytui.tui.screens.dialogs import PromptScreen

    def done(value: str | None) -> None:
        parts = (value or "").split()
        if len(parts) != 2:
            if value:
                app.notify("expected: NODE TRACE_ID", severity="error")
            return
        ctl = app.transport()
        if ctl is None:
            app.notify("no transport", severity="warning")
            return
        try:
            ctl.attach(parts[0], parts[1])
        except Exception as exc:
            app.notify(str(exc), severity="error")
            return
        app.notify("attached: events of this run now come here, not to any other reader", severity="warning")

    app.push_screen(
        PromptScreen(
            "Attach to trace: NODE TRACE_ID — a second reader steals events from the "
            "first (each event reaches one reader)",
            "math_agent 3Fq9…",
        ),
        done,
    )
