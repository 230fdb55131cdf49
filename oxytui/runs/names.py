"""Node display names: one name per node, used by every pane and export.

A node configured with a name keeps it. A node given as a bare URL is keyed by ``host:port`` (stable: runs,
recordings and history use the key) but is *shown* as what it is — its MAS root agent from
``/get_organization`` (``math_agent``) — with the shortest suffix that tells equal names apart
(``math_agent:18081``, else ``math_agent@10.0.0.6``, else both). Long names are cut in the middle so the
distinguishing end (``-02``, ``:18081``) always stays visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .sanitize import one_line

ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class NameSource:
    """What a display name is made from: the node key, its URL, and the root agent for bare URLs."""

    key: str
    url: str = ""
    root: str = ""
    """MAS root agent name (only for nodes given as a bare URL; empty: not known yet or configured)."""


def _host_port(url: str) -> tuple[str, str]:
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return url, ""
    return parts.hostname or "", str(port)


def display_names(sources: list[NameSource]) -> dict[str, str]:
    """Key -> unique display name. Configured names win; root-agent names get a suffix only when needed."""
    base = {s.key: one_line(s.root, 80) if s.root else s.key for s in sources}
    taken: dict[str, list[NameSource]] = {}
    for s in sources:
        taken.setdefault(base[s.key], []).append(s)
    out: dict[str, str] = {}
    for name, group in taken.items():
        auto = [s for s in group if s.root]
        if len(group) == 1 or not auto:
            for s in group:
                out[s.key] = name
            continue
        fixed = [s for s in group if not s.root]
        for s in fixed:
            out[s.key] = name
        hosts = [_host_port(s.url) for s in auto]
        port_count: dict[str, int] = {}
        host_count: dict[str, int] = {}
        for host, port in hosts:
            port_count[port] = port_count.get(port, 0) + 1
            host_count[host] = host_count.get(host, 0) + 1
        for s, (host, port) in zip(auto, hosts, strict=True):
            if port_count[port] == 1:  # the shortest suffix that is unique for this node
                suffix = f":{port}"
            elif host_count[host] == 1:
                suffix = f"@{host}"
            else:
                suffix = f"@{host}:{port}"
            out[s.key] = name + suffix
    # a suffixed name may still equal another node's name: fall back to the unique key
    seen: dict[str, str] = {}
    for key, name in list(out.items()):
        if name in seen and seen[name] != key:
            out[key] = key if key not in seen else f"{name}#{key}"
        seen.setdefault(out[key], key)
    return out


def shorten_middle(name: str, width: int) -> str:
    """``name`` in at most ``width`` cells, cut in the middle; the end (``-02``, ``:18081``) is kept whole
    when it fits, because that is the part that tells nodes apart."""
    if width <= 0:
        return ""
    if len(name) <= width:
        return name
    if width == 1:
        return ELLIPSIS
    keep = width - 1
    tail = (keep + 1) // 2
    for sep in ("@", "#", ":"):  # a suffix added by display_names: keep it entirely if there is room
        at = name.rfind(sep)
        if at > 0 and len(name) - at <= keep - 2:
            tail = max(tail, len(name) - at)
            break
    head = keep - tail
    return name[:head] + ELLIPSIS + name[len(name) - tail :]
