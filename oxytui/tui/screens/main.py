"""The dashboard screen: six panes over one RunStore, redrawn on a ~10 Hz tick (never per event)."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Input

from oxytui.runs import ALL, Run, RunStore
from oxytui.tui.text import literal, pane_title, plain, spinner, theme_style
from oxytui.tui.widgets.calltree import CallTree
from oxytui.tui.widgets.chat import AnswerCard, ChatPane
from oxytui.tui.widgets.eventlog import EventLogView
from oxytui.tui.widgets.nodes import NodesTable
from oxytui.tui.widgets.org import OrgTree
from oxytui.tui.widgets.stats import StatsPane
from oxytui.tui.widgets.timeline import TimelinePane

NARROW_BELOW = 130
TINY_BELOW = (100, 28)
"""Columns, rows under which the nodes pane stacks over the log and the middle row hides."""
SLOW_EVERY = 0.5
"""Seconds between refreshes of the nodes and stats tables (the log refreshes every tick)."""
STATS_IDLE_EVERY = 5.0
"""Seconds between stats refreshes while nothing changes (time-based figures still move)."""
TREE_EVERY = 0.25
"""Seconds between refreshes of the call tree and organization of a run that keeps changing: each tree
update re-renders every visible line, and a key must not queue behind one."""


def set_border(widget: Widget, which: str, value: str | Text) -> None:
    """Set a border title/subtitle only when it changed: each assignment repaints the widget, and this
    runs ten times a second (an idle screen must not redraw)."""
    key = f"_oxy_border_{which}"
    if getattr(widget, key, None) != value:
        setattr(widget, key, value)
        setattr(widget, f"border_{which}", value)


class TopBar(Widget):
    """One line of status; repaints without a layout pass (Static.update would reflow the screen)."""

    DEFAULT_CSS = "TopBar { height: 1; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Text()

    def set_text(self, text: Text) -> None:
        if text != self._text:
            self._text = text
            self.refresh()

    def render(self) -> Text:
        return self._text


class MainScreen(Screen[None]):
    def __init__(
        self, store: RunStore, *, read_only: bool = False, utc: bool = False, demo: bool = False
    ) -> None:
        super().__init__()
        self.store = store
        self.read_only = read_only
        self.utc = utc
        self.demo = demo
        self.marker = "DEMO" if demo else ""
        """Shown reversed at the left of the top bar: what this screen is not (live nodes): DEMO, REPLAY."""
        self.focus_key = ALL
        self.pinned_run: Run | None = None
        self.chat_runs: list[Run] = []
        self._version = -1
        self._slow_at = 0.0
        self._tables_dirty = True
        """The store changed since the nodes/stats tables were last drawn."""
        self._tree_at = 0.0
        self._tree_run: Run | None = None
        self._trees_dirty = True
        self._group_dirty = True
        self._group_at = 0.0
        self._top_at = 0.0
        # direct references: a maximized pane is not found by query_one on this screen
        self.nodes = NodesTable(store, id="nodes")
        self.log_view = EventLogView(store, utc=utc, id="log")
        self.org = OrgTree(id="org")
        self.calls = CallTree(id="calls")
        self.calls.namer = store.display
        self.stats = StatsPane(store, id="stats")
        self.chat = ChatPane(read_only=read_only, id="chat")
        self.chat.namer = store.display
        self.timeline = TimelinePane(id="timeline")
        self.timeline_on = False
        """The call-tree pane shows the server-side timeline (``v``) instead of the tree."""

    def compose(self) -> ComposeResult:
        yield TopBar(id="topbar")
        with Horizontal(id="row-top"):
            yield self.nodes
            with Vertical(id="log-pane"):
                yield Input(
                    placeholder="filter: text in node, type, caller, callee or summary (esc clears)",
                    id="log-filter",
                )
                yield self.log_view
        with Horizontal(id="row-mid"):
            yield self.org
            yield self.calls
            yield self.timeline
            yield self.stats
        yield self.chat
        yield Footer()

    def on_mount(self) -> None:
        titles = {
            "nodes": "Nodes",
            "log-pane": "Live events",
            "org": "Organization",
            "calls": "Call tree",
            "timeline": "Server timeline (/view) · v: call tree",
            "stats": "Stats",
            "chat": "Chat",
        }
        for wid, title in titles.items():
            self.query_one(f"#{wid}").border_title = title
        self.query_one("#log-filter", Input).display = False
        self.timeline.display = False
        self._apply_width(self.app.size.width, self.app.size.height)
        self.nodes.focus()

    def on_resize(self) -> None:
        self._apply_width(self.size.width, self.size.height)

    def _apply_width(self, width: int, height: int = 45) -> None:
        narrow = width < NARROW_BELOW
        tiny = width < TINY_BELOW[0] or height < TINY_BELOW[1]
        self.set_class(narrow, "-narrow")
        self.set_class(tiny, "-tiny")
        self.nodes.set_compact(narrow and not tiny)  # stacked: the nodes pane has the full width

    # --- refresh --------------------------------------------------------------------------------------

    def flush(self, now: float, frame: int, *, force: bool = False) -> None:
        """Bring every pane up to date with the store (called ~10x a second by the app)."""
        changed = force or self.store.version != self._version
        self._version = self.store.version
        live = bool(self.store.live_runs())
        wall = time.monotonic()
        run = self.current_run()
        trees = force or run is not self._tree_run or wall - self._tree_at >= TREE_EVERY
        self._trees_dirty |= changed or live
        slow = False
        if changed:
            self.log_view.sync()
        self._tables_dirty |= changed
        if self._tables_dirty:  # a change skipped now is caught up within SLOW_EVERY (replay may stop)
            added = len(self.store.nodes) != self.nodes.node_count
            slow = force or added or wall - self._slow_at >= SLOW_EVERY
            if slow:  # tables are costly: ~2 Hz
                self._slow_at, self._tables_dirty = wall, False
                self.nodes.refresh_rows()
                self.stats.focus_key = self.focus_key
                self.stats.sync(now)
                self.chat.set_target(self.chat.target, self.app.chat_focus_label(self.focus_key))  # type: ignore[attr-defined]
        elif wall - self._slow_at >= STATS_IDLE_EVERY:  # idle: rates decay and the 60 s window moves on
            self._slow_at = wall
            self.stats.sync(now)
        if self._trees_dirty and trees:  # a change skipped now is caught up within TREE_EVERY
            self._trees_dirty = False
            self._tree_at, self._tree_run = wall, run
            self._sync_org()
            self.calls.show_run(run, now, frame)
        self._group_dirty = (self._group_dirty or changed) and not self.chat_runs
        if changed or live or self._group_dirty:
            chat = self.chat
            group_due = slow or not chat.runs or wall - self._group_at >= SLOW_EVERY
            if not self.chat_runs and self._group_dirty and group_due:
                self._group_dirty, self._group_at = False, wall  # a new group remounts cards: ~2 Hz at most
                chat.show_runs(self.latest_group(), now, frame)
            else:
                chat.sync(now, frame)
        if changed or live or wall - self._top_at >= SLOW_EVERY:
            # also twice a second: the recorder, OTLP and replay parts come from the controller, not the
            # store (TopBar repaints only when its text really changed)
            self._top_at = wall
            self._sync_topbar(now, frame)
        self.sync_titles()

    def current_run(self) -> Run | None:
        if self.pinned_run is not None and self.pinned_run.key in self.store.runs:
            return self.pinned_run
        for run in reversed(self.store.runs.values()):
            if self.focus_key in (ALL, run.node) and (run.events or not run.live):
                return run
        return None

    def latest_group(self) -> list[Run]:
        """Runs of the most recent request (a fan-out shows all its nodes): the chat's default view."""
        last = None
        for run in reversed(self.store.runs.values()):
            if self.focus_key in (ALL, run.node) and run.group != "probe" and run.source != "traffic":
                last = run
                break
        if last is None:
            return []
        if not last.group:
            return [last]
        return [r for r in self.store.runs.values() if r.group == last.group]

    def _sync_org(self) -> None:
        key = self.focus_key
        if key == ALL:
            key = next(iter(self.store.nodes), "")
        info = self.store.nodes.get(key)
        running: set[str] = set()
        for run in self.store.live_runs():
            if run.node == key:
                running |= run.running_agents()
        self.org.show(key, info.org if info else None, running)
        self.org.border_subtitle = literal(self.store.display(key), limit=40) if key else ""

    def _sync_topbar(self, now: float, frame: int) -> None:
        up, probed, total = self.store.count_up()
        live = self.store.live_runs()
        t = Text(no_wrap=True, end="")
        t.append(" oxytui ", "bold reverse")
        if self.marker:
            t.append(f" {self.marker} ", theme_style(self.app, "bold reverse $warning"))
        t.append("  ")
        if probed < total:
            t.append(f"{spinner(frame)} connecting {probed}/{total} · ", theme_style(self.app, "$warning"))
        t.append(f"{up}/{total} nodes up", theme_style(self.app, "$success" if up == total else "$warning"))
        if live:
            t.append(
                f"  ·  {spinner(frame)} {len(live)} live run{'s' if len(live) > 1 else ''}",
                theme_style(self.app, "$warning"),
            )
        log = self.store.log
        t.append(f"  ·  log {len(log.rows):,} rows", "dim")
        if log.dropped:
            t.append(f" ({log.dropped:,} dropped)", "dim")
        if self.read_only:
            t.append("  ·  READ-ONLY", theme_style(self.app, "bold $error"))
        rec = getattr(self.app.controller, "recorder", None)  # type: ignore[attr-defined]
        if rec is not None:
            t.append("  ·  ")
            if rec.error:
                t.append(f"REC FAILED: {plain(rec.error, 60)}", theme_style(self.app, "bold $error"))
            else:
                t.append(f"● REC {rec.events:,}", theme_style(self.app, "bold $error"))
        otlp = getattr(self.app.controller, "otlp", None)  # type: ignore[attr-defined]
        marker = otlp.marker() if otlp is not None else ""
        if marker:
            bad = "(" in marker
            t.append("  ·  ")
            t.append(marker, theme_style(self.app, "bold $error" if bad else "$success"))
        status = getattr(self.app.controller, "status_text", None)  # type: ignore[attr-defined]
        if status is not None:
            t.append("  ·  ")
            t.append(plain(status(), 80), theme_style(self.app, "bold $accent"))
        self.query_one("#topbar", TopBar).set_text(t)

    def sync_titles(self) -> None:
        view = self.log_view
        sub = Text(end="")
        if view.paused:
            sub.append(f"⏸ paused · +{view.pending:,} new ", theme_style(self.app, "bold $warning"))
        elif view.follow:
            sub.append("following ", "dim")
        elif newer := view.newer():
            sub.append(f"↓ {newer:,} newer · End follows ", theme_style(self.app, "bold $accent"))
        if view.filter_text:
            sub.append("filter: ", "dim")
            sub.append_text(literal(view.filter_text, limit=30))
        if view.hidden_types or view.hidden_nodes:
            sub.append(f" · {len(view.hidden_types) + len(view.hidden_nodes)} hidden", "dim")
        pane = self.query_one("#log-pane")
        set_border(pane, "subtitle", sub)
        set_border(pane, "title", pane_title("Live events", self.store.display(self.focus_key)))
        set_border(self.nodes, "subtitle", self.nodes.describe())
        status = self.calls.status_line(self.app.clock(), self.app.frame())  # type: ignore[attr-defined]
        set_border(self.calls, "subtitle", literal(status, limit=80))

    def show_timeline(self, on: bool) -> None:
        """Switch the call-tree pane between the tree and the selected run's server-side timeline."""
        self.timeline_on = on
        self.calls.display = not on
        self.timeline.display = on
        if on:
            self.timeline.key = None  # fetch for the current run on the next tick

    # --- focus ------------------------------------------------------------------------------------------

    def set_focus_node(self, key: str) -> None:
        if key == self.focus_key:
            return
        self.focus_key = key
        self.pinned_run = None
        view = self.log_view
        view.node_filter = None if key == ALL else key
        view.rebuild()
        chat = self.chat
        chat.set_target(chat.target, self.app.chat_focus_label(key))  # type: ignore[attr-defined]
        self.sync_titles()
        self._version = -1  # the other panes follow on the next tick: the key's own frame stays cheap
        self._slow_at = 0.0

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is self.nodes and event.row_key.value is not None:
            self.set_focus_node(self.nodes.key_of(str(event.row_key.value)))

    def on_event_log_view_selected(self, event: EventLogView.Selected) -> None:
        run = self.store.get_run(event.row.node, event.row.trace_id)
        if run is not None:
            self.pinned_run = run
            self.calls.show_run(run, self.app.clock(), self.app.frame())  # type: ignore[attr-defined]

    def on_answer_card_picked(self, event: AnswerCard.Picked) -> None:
        """A click on a chat card: that run's call tree, full screen (it stays the tree's run)."""
        self.pinned_run = event.run
        self.app.action_call_tree()  # type: ignore[attr-defined]

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "log-filter":
            view = self.log_view
            view.filter_text = event.value
            view.rebuild()
            self.sync_titles()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "log-filter":
            self.log_view.focus()
