"""Command palette provider: nodes, themes, panes, log, export, demo driver."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformdirs import user_data_dir
from textual.command import DiscoveryHit, Hit, Hits, Provider

from oxytui.runs import ALL

if TYPE_CHECKING:
    from oxytui.tui.app import OxyApp

PANES = {"nodes": "Nodes", "log-pane": "Live events", "org": "Organization", "calls": "Call tree",
         "stats": "Stats", "chat": "Chat"}


class OxyCommands(Provider):
    def _commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        app: OxyApp = self.app  # type: ignore[assignment]
        cmds: list[tuple[str, Callable[[], Any], str]] = [
            ("Add node…", partial(add_node, app), "add an OxyGent node by name and URL"),
            ("Clear log", partial(clear_log, app), "drop every row of the live event log"),
            ("Refresh organizations", partial(refresh_orgs, app), "fetch /get_organization again"),
            ("Export stats (JSON)", partial(export, app, "stats"), "write current stats to the data dir"),
            ("Export selected run (JSON)", partial(export, app, "run"), "events and call tree of the run"),
            ("Toggle demo driver", partial(toggle_demo, app), "start/stop the automatic demo prompts"),
            ("Pause / resume log", app.action_pause_log, "freeze the event log; new rows are counted"),
            ("Show help", app.action_help, "keys and binding ids"),
        ]
        for name in list(app.store.nodes):
            cmds.append((f"Remove node {name}", partial(remove_node, app, name), "stop watching this node"))
        for theme in sorted(app.available_themes):
            if theme.startswith("oxytui") or theme in getattr(app, "user_theme_names", ()):
                cmds.append((f"Theme: {theme}", partial(set_theme, app, theme), "switch the colour theme"))
        for wid, title in PANES.items():
            cmds.append((f"Toggle pane: {title}", partial(toggle_pane, app, wid), "show or hide this pane"))
        return cmds

    async def discover(self) -> Hits:
        for name, cb, help_text in self._commands():
            yield DiscoveryHit(name, cb, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, cb, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), cb, help=help_text)


def add_node(app: OxyApp) -> None:
    from oxytui.config import NodeConfig
    from oxytui.tui.screens.dialogs import PromptScreen

    def done(value: str | None) -> None:
        if not value:
            return
        parts = value.split()
        if len(parts) != 2 or not parts[1].startswith(("http://", "https://")):
            app.notify("expected: NAME http://host:port", severity="error")
            return
        ctl = app.controller
        if ctl is None or not hasattr(ctl, "add_node"):
            app.store.add_node(parts[0], parts[1])
            return
        try:
            ctl.add_node(NodeConfig(name=parts[0], url=parts[1]))
        except Exception as exc:
            app.notify(str(exc), severity="error")

    app.push_screen(PromptScreen("Add node: NAME URL", "math http://127.0.0.1:8081"), done)


def remove_node(app: OxyApp, name: str) -> None:
    ctl = app.controller
    if ctl is not None and hasattr(ctl, "remove_node"):
        ctl.remove_node(name)
    else:
        app.store.remove_node(name)


def clear_log(app: OxyApp) -> None:
    app.store.clear_log()
    if app.main is not None:
        app.main.log_view.clear()


async def refresh_orgs(app: OxyApp) -> None:
    ctl = app.controller
    if ctl is not None and hasattr(ctl, "refresh_orgs"):
        await ctl.refresh_orgs()
        app.notify("organizations refreshed")


def set_theme(app: OxyApp, name: str) -> None:
    app.theme = name


def toggle_pane(app: OxyApp, wid: str) -> None:
    if app.main is not None:
        pane = app.main.query_one(f"#{wid}")
        pane.display = not pane.display


def toggle_demo(app: OxyApp) -> None:
    ctl = app.controller
    if ctl is not None and hasattr(ctl, "demo_driver"):
        ctl.demo_driver = not ctl.demo_driver
        app.notify(f"demo driver {'on' if ctl.demo_driver else 'off'}")


def export_dir() -> Path:
    return Path(user_data_dir("oxytui")) / "exports"


def stats_dict(app: OxyApp) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, st in app.store.stats.items():
        p50, p95, p99 = st.latency_percentiles()
        out["all" if key == ALL else key] = {
            "runs": st.runs, "completed": st.completed, "failed": st.failed, "canceled": st.canceled,
            "success_total": st.success_total, "success_rolling": st.success_rolling,
            "latency_avg": st.latency_avg, "p50": p50, "p95": p95, "p99": p99, "ttfe_avg": st.ttfe_avg,
            "events": st.events}
    return out


def run_dict(app: OxyApp) -> dict[str, Any] | None:
    run = app.main.current_run() if app.main else None
    if run is None:
        return None
    rows = [r.detail() for r in app.store.log.rows if (r.node, r.trace_id) == run.key]
    calls = [{"node_id": c.node_id, "callee": c.callee, "caller": c.caller, "category": c.category,
              "call_stack": list(c.call_stack), "status": c.status.value, "start": c.start, "end": c.end,
              "parent": c.parent.node_id if c.parent else None, "output": c.output} for c in run.walk()]
    return {"node": run.node, "trace_id": run.trace_id, "query": run.query, "state": run.state.value,
            "answer": run.answer, "error": run.error, "events": rows, "calls": calls}


def export(app: OxyApp, what: str) -> None:
    data = stats_dict(app) if what == "stats" else run_dict(app)
    if data is None:
        app.notify("no run selected", severity="warning")
        return
    directory = export_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"oxytui-{what}-{time.strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    except OSError as exc:
        app.notify(f"export failed: {exc}", severity="error")
        return
    app.notify(f"exported to {path}")
