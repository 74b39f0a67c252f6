"""The import structure: no cycles, and the layers' directions.

Reads the source (nothing is imported), counting every import, at module level or inside a
function (a lazy import that hides a cycle is still a cycle); only ``if TYPE_CHECKING:`` blocks
are left out. See docs/architecture.md for the layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("callcentre", "workflows", "integrations")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str, is_package: bool, known: set[str]) -> set[str]:
    found: set[str] = set()

    def resolve(name: str) -> None:
        # The longest known module that the dotted name starts with.
        parts = name.split(".")
        for i in range(len(parts), 0, -1):
            candidate = ".".join(parts[:i])
            if candidate in known:
                if candidate != module:
                    found.add(candidate)
                return

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    resolve(alias.name)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = module.split(".") if is_package else module.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (child.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in child.names:
                    resolve(f"{base}.{alias.name}")  # a submodule, or a name of ``base``
            visit(child)

    visit(tree)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(ast.parse(path.read_text()), name, path.name == "__init__.py", known)
            for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_no_import_cycles() -> None:
    assert _cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _violations(source_prefix: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(f"{m} -> {t}" for m, targets in import_graph().items() if m.startswith(source_prefix)
                  for t in targets if t.startswith(forbidden))


def test_pure_packages_import_no_app_code() -> None:
    assert _violations("workflows", ("callcentre", "integrations")) == []
    assert _violations("integrations", ("callcentre",)) == []


def test_models_import_no_services_sla_or_storage() -> None:
    assert _violations("callcentre.models", ("callcentre.services", "callcentre.sla", "callcentre.core.storage",
                                             "callcentre.api", "callcentre.web", "callcentre.messaging")) == []


def test_schemas_import_no_views_or_services() -> None:
    assert _violations("callcentre.schemas", ("callcentre.api", "callcentre.web", "callcentre.services")) == []


def test_api_and_web_share_services_not_each_other() -> None:
    assert _violations("callcentre.web", ("callcentre.api",)) == []
    assert _violations("callcentre.api", ("callcentre.web",)) == []


def test_services_import_no_views() -> None:
    assert _violations("callcentre.services", ("callcentre.api", "callcentre.web")) == []
