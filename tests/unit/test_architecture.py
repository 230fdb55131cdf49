"""The house picture, checked from the source: one-way layers, no import cycles, no private-name imports.

Only module-level imports count (imports inside functions are deliberate lazy loads, and ``TYPE_CHECKING``
blocks never run). Run as ``python -m pytest tests/unit/test_architecture.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "oxytui"

# Which top-level oxytui packages each layer may import at module level (itself always allowed).
ALLOWED: dict[str, set[str]] = {
    "common": set(),  # stdlib-only helpers every layer shares
    "client": {"common"},
    "runs": {"common"},
    "sim": {"client", "common"},
    "ops": {"client", "runs", "config", "common"},
    "config": {"common"},
    "tui": {"client", "runs", "ops", "config", "sim", "common"},
}
NO_TEXTUAL = {"common", "client", "runs", "sim", "ops", "config"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _top_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is imported (module body, incl. try/if blocks, not TYPE_CHECKING)."""
    found: list[ast.Import | ast.ImportFrom] = []
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        stmt = todo.pop()
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            found.append(stmt)
        elif isinstance(stmt, ast.If) and not _is_type_checking(stmt):
            todo.extend(stmt.body + stmt.orelse)
        elif isinstance(stmt, ast.Try):
            todo.extend(stmt.body + stmt.orelse + stmt.finalbody)
            for handler in stmt.handlers:
                todo.extend(handler.body)
    return found


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


class _Module:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = _module_name(path)
        self.is_package = path.name == "__init__.py"
        self.imports: list[tuple[str, list[str], int]] = []  # (target module, imported names, line)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _top_level_imports(tree):
            if isinstance(node, ast.Import):
                self.imports.extend((alias.name, [], node.lineno) for alias in node.names)
            else:
                target = _resolve(self.name, self.is_package, node)
                self.imports.append((target, [a.name for a in node.names], node.lineno))


MODULES = {m.name: m for m in (_Module(p) for p in sorted(ROOT.rglob("*.py")))}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "oxytui" else None


def test_layers_import_one_way() -> None:
    bad = []
    for mod in MODULES.values():
        layer = _layer(mod.name)
        if layer not in ALLOWED:
            continue
        for target, _names, line in mod.imports:
            other = _layer(target)
            if other and other != layer and other in ALLOWED and other not in ALLOWED[layer]:
                bad.append(f"{mod.path.relative_to(ROOT.parent)}:{line}: {layer} imports {target}")
            if layer in NO_TEXTUAL and target.split(".")[0] in {"textual", "rich"}:
                bad.append(f"{mod.path.relative_to(ROOT.parent)}:{line}: {layer} imports {target}")
    assert not bad, "\n".join(bad)


def test_no_private_names_imported_across_modules() -> None:
    bad = []
    for mod in MODULES.values():
        for target, names, line in mod.imports:
            if not target.startswith("oxytui"):
                continue
            # A package's private *modules* are its own business; private names inside modules are not.
            private = [
                n
                for n in names
                if n.startswith("_") and not n.startswith("__") and f"{target}.{n}" not in MODULES
            ]
            if private:
                bad.append(f"{mod.path.relative_to(ROOT.parent)}:{line}: {', '.join(private)} from {target}")
    assert not bad, "\n".join(bad)


def _cycles() -> list[list[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for mod in MODULES.values():
        for target, names, _line in mod.imports:
            # ``from pkg import submodule`` depends on the submodule, not only on the package.
            candidates = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES] or [target]
            for cand in candidates:
                if cand in MODULES and cand != mod.name:
                    graph[mod.name].add(cand)
    # A package's __init__ importing its own submodules is how packages re-export: not a cycle edge back.
    found: list[list[str]] = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = 0
    for start in graph:  # iterative Tarjan: strongly connected components of size > 1 are cycles
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, todo = work[-1]
            if todo:
                nxt = todo.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph[nxt])))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def test_no_import_cycles_between_modules() -> None:
    cycles = [c for c in _cycles() if not all(MODULES[m].is_package for m in c)]
    assert not cycles, "\n".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize(
    "source",
    [
        "from oxytui.client.agent import _secret\n",
        "from ._http import _helper\n",
    ],
)
def test_private_import_detector_sees_them(source: str, tmp_path: Path) -> None:
    """The checker itself must catch what it is for (guards against a check that cannot fail)."""
    path = ROOT / "client" / "agent.py"
    tree = ast.parse(source)
    node = _top_level_imports(tree)[0]
    assert isinstance(node, ast.ImportFrom)
    target = _resolve(_module_name(path), False, node)
    assert target.startswith("oxytui.client")
    assert any(a.name.startswith("_") for a in node.names)


# namedtuple's public API is spelled with a leading underscore
_PUBLIC_UNDERSCORE = {"_replace", "_asdict", "_fields", "_make", "_field_defaults"}


def _on_self(node: ast.Attribute) -> bool:
    return isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")


def _private_attribute_uses(tree: ast.Module) -> list[tuple[str, int]]:
    """``obj._name`` (read, written or called) where ``_name`` is defined nowhere in this module, so it
    belongs to another module's object. ``self``/``cls`` are exempt: a subclass may use what its base
    defines."""
    defined: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Attribute) and _on_self(node) and not isinstance(node.ctx, ast.Load):
            defined.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.add(node.id)  # module globals and class-body fields (``_x: int = 0``)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or _on_self(node):
            continue
        attr = node.attr
        if not attr.startswith("_") or attr.startswith("__") or attr in _PUBLIC_UNDERSCORE:
            continue
        if attr not in defined:
            found.append((attr, node.lineno))
    return found


def test_no_private_attributes_used_across_modules() -> None:
    bad = []
    for mod in MODULES.values():
        tree = ast.parse(mod.path.read_text(encoding="utf-8"))
        bad += [
            f"{mod.path.relative_to(ROOT.parent)}:{line}: .{attr}"
            for attr, line in _private_attribute_uses(tree)
        ]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("def f(node):\n    return node._handlers\n", ["_handlers"]),
        ("async def f(agent):\n    await agent._open('GET')\n", ["_open"]),
        ("class A:\n    def f(self, other):\n        self._x = 1\n        return other._x\n", []),
        ("def f(parts):\n    return parts._replace(netloc='')\n", []),
        ("def f(widget):\n    widget._cache = 1\n", ["_cache"]),
    ],
)
def test_private_attribute_detector_sees_them(source: str, found: list[str]) -> None:
    assert [attr for attr, _line in _private_attribute_uses(ast.parse(source))] == found
