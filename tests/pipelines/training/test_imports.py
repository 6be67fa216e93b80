"""No import circle runs through the training modules, counting imports inside functions too.

The graph is read from the source with ``ast`` (every ``import`` and ``from ... import``
anywhere in a module, so a function-level import that dodges a circle at run time still
counts) over store, pipelines and xqg_tui.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("store", "pipelines", "xqg_tui")


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(node: ast.AST, module: str, is_package: bool, known: set[str]) -> Iterable[str]:
    """The modules of ours that one import statement names (``from p import m``: ``p.m``)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            parent = module.split(".")[: len(module.split(".")) - node.level + is_package]
            base = ".".join([*parent, *([node.module] if node.module else [])])
        for alias in node.names:
            yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base


def import_graph(root: Path, packages: Iterable[str]) -> dict[str, set[str]]:
    """Module -> the modules of ours it imports, at module level or inside functions."""
    files = [path for package in packages for path in (root / package).rglob("*.py")]
    paths = {module_name(root, path): path for path in files}
    known = set(paths)
    return {
        module: {
            target
            for node in ast.walk(ast.parse(path.read_text("utf-8")))
            for target in imported(node, module, path.name == "__init__.py", known)
            if target in known and target != module
        }
        for module, path in paths.items()
    }


def circle_through(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """A shortest import path from ``start`` back to itself, if there is one."""
    paths = {target: [start, target] for target in graph[start]}
    queue = list(paths)
    while queue:
        module = queue.pop(0)
        if module == start:
            return paths[module]
        for target in graph[module]:
            if target not in paths:
                paths[target] = [*paths[module], target]
                queue.append(target)
    return None


def circles(graph: dict[str, set[str]], prefix: str) -> list[list[str]]:
    found = (circle_through(graph, m) for m in sorted(graph) if m.startswith(prefix))
    return [circle for circle in found if circle is not None]


def test_no_import_circle_runs_through_training() -> None:
    graph = import_graph(ROOT, PACKAGES)
    assert "pipelines.training.trainer" in graph["pipelines.training.loop"]
    assert circles(graph, "pipelines.training") == []


def test_a_function_level_import_closing_a_circle_is_found(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.b import g\n\ndef f():\n    return g()\n")
    (package / "b.py").write_text("def g():\n    from pkg import a\n\n    return a\n")
    (package / "c.py").write_text("from . import a\n")
    graph = import_graph(tmp_path, ["pkg"])
    assert graph == {"pkg": set(), "pkg.a": {"pkg.b"}, "pkg.b": {"pkg.a"}, "pkg.c": {"pkg.a"}}
    assert circles(graph, "pkg") == [["pkg.a", "pkg.b", "pkg.a"], ["pkg.b", "pkg.a", "pkg.b"]]
