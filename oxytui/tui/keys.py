"""The key map: every binding has an id so users can remap it (``[keys]`` in config / ``Settings.keys``)."""

from __future__ import annotations

from textual.binding import Binding

APP_BINDINGS: list[Binding] = [
    Binding("q", "quit_app", "Quit", id="quit"),
    Binding("question_mark", "help", "Help", id="help"),  # second: the footer keeps it at 80 columns
    Binding("c", "focus_chat", "Chat", id="focus_chat"),
    Binding("slash", "filter", "Filter", id="filter"),
    Binding("p", "pause_log", "Pause", id="pause_log"),
    Binding("n", "next_node(1)", "Next node", id="next_node"),
    Binding("N", "next_node(-1)", "Prev node", show=False, id="prev_node"),
    Binding("t", "call_tree", "Call tree", id="call_tree"),
    Binding("v", "timeline", "Tree/timeline", show=False, id="timeline"),
    Binding("f", "log_toggles", "Types/nodes", id="log_toggles"),
    Binding("r", "runs", "Runs", id="runs"),
    Binding("e", "stats_scope", "Stats: mine/everyone's", show=False, id="stats_scope"),
    Binding("ctrl+o", "chat_target", "Target", id="chat_target", priority=True),
    Binding("l", "focus_log", "Log", show=False, id="focus_log"),
    Binding("escape", "restore", "Back", show=False, id="restore"),
    # the node list (issue 13): sort, filter by text or tag, group by tag
    Binding("s", "node_sort", "Sort nodes", show=False, id="node_sort"),
    Binding("F", "node_filter", "Filter nodes", show=False, id="node_filter"),
    Binding("g", "node_group", "Group by tag", show=False, id="node_group"),
    # copy (OSC 52): trace id, or in the call tree the selected call's input/output; the event's JSON
    Binding("y", "copy_trace", "Copy trace id / call", show=False, id="copy_trace"),
    Binding("Y", "copy_event", "Copy event JSON", show=False, id="copy_event"),
    Binding(
        "ctrl+n", "new_conversation", "New conversation", show=False, id="new_conversation", priority=True
    ),
]

REPLAY_BINDINGS: list[Binding] = [
    Binding("space", "replay_toggle", "Play/pause", id="replay_toggle"),
    Binding("full_stop", "replay_step", "Step", id="replay_step"),
    Binding("right_square_bracket", "replay_jump(10)", "+10s", id="replay_forward"),
    Binding("left_square_bracket", "replay_jump(-10)", "-10s", id="replay_back"),
]

OTHER_BINDING_IDS = {"event_detail": "enter", "detail_copy": "y", "detail_save": "s"}
"""Bindings of widgets (not the app) that still have an id: remappable, never clash with app keys."""

RESERVED_KEYS = {"ctrl+p": "the command palette", "ctrl+q": "quit (Textual)", "ctrl+c": "copy/quit (Textual)"}
"""Keys Textual itself binds on the app: a [keys] entry taking one of them would silently lose."""

HELP_EXTRA: list[tuple[str, str]] = [
    ("enter", "event log: show the selected event's full JSON"),
    ("↑ ↓ pgup pgdn home", "event log: move; end: follow the newest events again"),
    ("↑ ↓ (in chat)", "prompt history"),
    ("enter / escape (in chat)", "send the prompt / leave the input"),
    ("tab / shift+tab", "move between panes (mouse clicks work too)"),
    (
        "q (when it asks)",
        "only while a run you started (chat, fan-out, attach) is live; demo-driver and probe runs are "
        "cancelled silently on quit",
    ),
    ("y / s (event detail)", "copy the whole JSON / save it to a private (0600) file under the data dir"),
    ("click a chat card", "its run's call tree; the tree follows the run you sent until you pick another"),
    ("F: tag:eu", "node filter by tag only; text matches name, URL and tags"),
    (
        "r, then x n o / s S y b g",
        "runs screen: filter by state, node, source or text; sort (or click a header), reverse; copy the "
        "trace id; callees pane, per node/totals; enter: call tree, enter on a call: its input and output",
    ),
    ("⇢ (event log)", "a row of someone else's run, seen in the nodes' own records (traffic)"),
    ("ctrl+p", "command palette: add/remove node, theme, panes, clear log, export, demo driver"),
]
