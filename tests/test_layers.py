"""The house rules: no import circle, and no arrow from a lower layer to a higher one.

The layers, lowest first (docs/architecture.md): rules < formats < store < services <
interop, mail, jobs, demo < web, cli. A module may import its own layer's modules and the
layers below; the imports are read from the source, so a test run sees every module,
imported or not.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "tracker"

# Higher numbers may import lower ones. Top-level modules of the package are listed too.
LAYERS = {
    "rules": 0,
    "__init__": 0,
    "settings": 0,
    "formats": 1,
    "store": 2,
    "services": 3,
    "schemas": 3,  # input and output shapes, shared by services and the web
    "interop": 4,
    "mail": 4,
    "jobs": 4,
    "demo": 4,
    "web": 5,
    "cli": 5,
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(name: str, path: Path, *, top_only: bool = False) -> set[str]:
    """The project modules a module imports (`top_only`: those imported as it loads)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = tree.body if top_only else list(ast.walk(tree))
    seen = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            seen.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            seen.add(module)
            # `from tracker.rules import weights` may name a submodule.
            seen.update(f"{module}.{alias.name}" for alias in node.names)
    return {m for m in seen if m == "tracker" or m.startswith("tracker.")}


def _layer(module: str) -> tuple[str, int]:
    part = module.split(".")[1] if "." in module else "__init__"
    if part not in LAYERS:
        raise AssertionError(f"{module}: its package {part!r} has no layer in LAYERS")
    return part, LAYERS[part]


MODULES = _modules()
GRAPH = {name: {m for m in _imports(name, path) if m in MODULES} for name, path in MODULES.items()}


def test_every_package_has_a_layer():
    for name in MODULES:
        _layer(name)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_imports_a_higher_layer(name):
    part, level = _layer(name)
    upward = sorted(m for m in GRAPH[name] if _layer(m)[1] > level)
    assert not upward, f"{name} ({part}, layer {level}) imports higher layers: {upward}"


def test_there_is_no_import_circle():
    # Only imports made when a module loads count: those at its top level. An import inside
    # a function (a deliberate late import) cannot make a loading circle.
    top = {
        name: {m for m in _imports(name, path, top_only=True) if m in MODULES and m != name}
        for name, path in MODULES.items()
    }
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(top[node]):
            if nxt.startswith(node + "."):
                continue  # a package importing its own modules in __init__ is no circle
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt) :] + [nxt]
                raise AssertionError("import circle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(top):
        if name not in state:
            visit(name)


def test_the_checker_sees_an_upward_import(tmp_path):
    # The check itself can fail: a rules module importing a service is caught.
    bad = tmp_path / "tracker" / "rules" / "bad.py"
    bad.parent.mkdir(parents=True)
    bad.write_text("from tracker.services.evaluation import refresh_state\n")
    found = _imports("tracker.rules.bad", bad)
    assert "tracker.services.evaluation" in found
    assert _layer("tracker.services.evaluation")[1] > _layer("tracker.rules.bad")[1]
