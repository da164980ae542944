"""The shape of the house: modules, import arrows, import loops, the largest files.

    python -m bench.house [FOLDER]     (default: this checkout's assistant/)

An arrow is one module importing another of ritual's (at the top or inside a
function: a lazy import is still a dependency). A loop is a set of modules that
reach each other through arrows (a strongly connected component of two or more).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def modules(package: Path) -> dict[str, Path]:
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _targets(path: Path, found: dict[str, Path]) -> set[str]:
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            submodules = [f"{node.module}.{a.name}" for a in node.names]
            targets.update(m for m in submodules if m in found)
            if any(m not in found for m in submodules):
                targets.add(node.module)
    return targets


def arrows(found: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in found}
    for name, path in found.items():
        for target in _targets(path, found):
            if target in found and target != name:
                graph[name].add(target)
    return graph


def loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of two or more modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def main(argv: list[str]) -> int:
    package = Path(argv[1]) if len(argv) > 1 else ROOT / "assistant"
    found = modules(package)
    graph = arrows(found)
    cycles = loops(graph)
    sizes = sorted(
        ((sum(1 for _ in p.open(encoding="utf-8")), n) for n, p in found.items()), reverse=True
    )
    top = sum(1 for n in found if n.count(".") == 1)
    print(f"modules: {len(found)} ({top} at the top of the package)")
    print(f"import arrows: {sum(len(t) for t in graph.values())}")
    print(f"import loops: {len(cycles)}")
    for cycle in cycles:
        print("  " + " <-> ".join(cycle))
    print("largest files:")
    for lines, name in sizes[:8]:
        print(f"  {lines:5d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
