"""The timeline package's modules import downwards only: no import circle within it."""

import ast
from pathlib import Path

import tracker.web.timeline

PACKAGE = "tracker.web.timeline"
FOLDER = Path(tracker.web.timeline.__file__).parent


def imports_within(source: str, modules: set[str], *, package: str = PACKAGE) -> set[str]:
    """The package's modules that this source imports (also under `if TYPE_CHECKING`)."""
    found: set[str] = set()

    def note(name: str) -> None:
        if name == package:
            found.add("__init__")
        elif name.startswith(package + "."):
            head = name.removeprefix(package + ".").split(".")[0]
            found.add(head if head in modules else "__init__")

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                note(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from .x import y
                base = f"{package}.{base}" if base else package
            if base != package:
                note(base)
                continue
            # "from tracker.web.timeline import marks" names a module; anything else is
            # taken from the package's __init__.
            for alias in node.names:
                found.add(alias.name if alias.name in modules else "__init__")
    return found


def import_graph(folder: Path) -> dict[str, set[str]]:
    """Each module of the package and the package modules it imports."""
    modules = {p.stem for p in folder.glob("*.py")}
    return {
        name: imports_within((folder / f"{name}.py").read_text(), modules) - {name}
        for name in sorted(modules)
    }


def find_circle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle as [a, b, ..., a], or [] when there is none."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(name: str) -> list[str]:
        state[name] = "open"
        path.append(name)
        for other in sorted(graph.get(name, ())):
            if state.get(other) == "open":
                return path[path.index(other) :] + [other]
            if other not in state and (circle := visit(other)):
                return circle
        state[name] = "done"
        path.pop()
        return []

    for name in sorted(graph):
        if name not in state and (circle := visit(name)):
            return circle
    return []


def test_the_timeline_package_has_no_import_circle():
    graph = import_graph(FOLDER)
    assert {"values", "render", "marks", "panels", "legend", "patient"} <= graph.keys()
    assert find_circle(graph) == [], "an import circle in tracker/web/timeline/"
    # The shared types sit at the bottom: values imports nothing of the package.
    assert graph["values"] == set()
    # Only the package's __init__ may import from the package itself.
    assert [name for name, imported in graph.items() if "__init__" in imported] == []


def test_the_check_finds_a_circle_even_behind_type_checking(tmp_path):
    (tmp_path / "a.py").write_text("from tracker.web.timeline.b import B\n")
    (tmp_path / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from tracker.web.timeline.c import C\n"
    )
    (tmp_path / "c.py").write_text("from tracker.web.timeline import a\n")
    assert find_circle(import_graph(tmp_path)) == ["a", "b", "c", "a"]
    (tmp_path / "c.py").write_text("from tracker.web.timeline import Something\n")
    graph = import_graph(tmp_path)
    assert graph["c"] == {"__init__"}
    (tmp_path / "__init__.py").write_text("from tracker.web.timeline.a import Something\n")
    assert find_circle(import_graph(tmp_path)) == ["__init__", "a", "b", "c", "__init__"]
    (tmp_path / "b.py").write_text("from .c import C\n")
    assert find_circle(import_graph(tmp_path)) == ["__init__", "a", "b", "c", "__init__"]
