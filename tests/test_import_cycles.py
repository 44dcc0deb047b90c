"""No import cycle among Sender's modules, counting imports inside functions and under
`if TYPE_CHECKING:` too (a function-local import only hides a cycle; a type-only import is
still a tie back: the lower module describes what it needs with a Protocol instead)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["libs/sender_common/src", *(f"services/{r}/src" for r in ("origin", "edge", "metrics"))]
SOURCES.append("cli/src")


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for src in SOURCES:
        for path in (ROOT / src).rglob("*.py"):
            parts = path.relative_to(ROOT / src).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


class _Imports(ast.NodeVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Import(self, node: ast.Import) -> None:
        self.names.update(alias.name for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module:
            self.names.add(node.module)
            self.names.update(f"{node.module}.{alias.name}" for alias in node.names)


def import_graph() -> dict[str, set[str]]:
    """Module -> the Sender modules it imports (a package's own parents left out)."""
    known = modules()
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        visitor = _Imports()
        visitor.visit(ast.parse(path.read_text()))
        targets = set()
        for target in visitor.names:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(f"{target}."):
                targets.add(target)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_finder_sees_a_cycle_hidden_in_a_function() -> None:
    graph = {"a.lifespan": {"a.routes"}, "a.routes": {"a.deps"}, "a.deps": {"a.lifespan"}}
    assert cycles(graph) == [["a.deps", "a.lifespan", "a.routes"]]
    visitor = _Imports()
    visitor.visit(ast.parse("def install():\n    from a.routes import router\n"))
    assert "a.routes" in visitor.names
    typing_only = "if TYPE_CHECKING:\n    from a.cycle import Cycle\n"
    visitor.visit(ast.parse(typing_only))
    assert "a.cycle" in visitor.names


def test_no_import_cycles() -> None:
    graph = import_graph()
    assert "sender_metrics.lifespan" in graph  # the sources were found
    assert cycles(graph) == []
