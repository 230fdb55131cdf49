"""Organization pane: the focused node's agent/tool tree from ``/get_organization``."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from oxytui.tui.text import literal, plain, theme_style

_ICON = {"agent": "◆", "tool": "▪", "flow": "≋"}


class OrgTree(Tree[dict[str, Any]]):
    """Remote subtrees are marked "⇄"; agents running in a live run on this node are highlighted."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("organization", id=id)
        self.show_root = False
        self.guide_depth = 2
        self._org: dict[str, Any] | None = None
        self._running_agents: frozenset[str] = frozenset()
        self._node_name = ""

    def invalidate(self) -> None:
        """Force the next ``show`` to rebuild (theme change: colours are baked into labels)."""
        self._node_name = "\0"

    def show(self, node_name: str, org: dict[str, Any] | None, running: set[str]) -> None:
        running_f = frozenset(running)
        if org is self._org and running_f == self._running_agents and node_name == self._node_name:
            return
        self._org, self._running_agents, self._node_name = org, running_f, node_name
        self.clear()
        if not node_name:
            self.root.add_leaf(Text("select a node", "dim"))
        elif org is None:
            self.root.add_leaf(Text("no organization yet", "dim"))
        else:
            self._add(self.root, org)
        self.root.expand_all()

    def _add(self, parent: TreeNode[dict[str, Any]], item: dict[str, Any], depth: int = 0) -> None:
        if depth > 30:
            return
        name = item.get("name")
        kind = item.get("type")
        kind = kind if isinstance(kind, str) else ""
        label = Text(no_wrap=True, end="")
        label.append(_ICON.get(kind, "·") + " ", theme_style(self.app, "$accent"))
        running = isinstance(name, str) and name in self._running_agents
        label.append_text(
            literal(name, "bold reverse" if running else ("bold" if kind == "agent" else ""), limit=40)
        )
        if kind:
            label.append(f" {plain(kind, 20)}", "dim")
        if item.get("is_remote"):
            label.append(" ⇄ remote", theme_style(self.app, "$secondary"))
        if running:
            label.append(" ▶", theme_style(self.app, "bold $warning"))
        children = item.get("children")
        if isinstance(children, list) and children:
            node = parent.add(label, data=item, expand=True)
            kids = sorted((c for c in children if isinstance(c, dict)), key=lambda c: str(c.get("name")))
            for child in kids:
                self._add(node, child, depth + 1)
        else:
            parent.add_leaf(label, data=item)
