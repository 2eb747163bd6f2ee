"""The workspace's import graph: no cycles, and each package imports only what its audience has.

Read from the source (``ast``), so the rule holds for imports inside functions too
(a lazy import is still a dependency). Imports under ``if TYPE_CHECKING:`` are left
out: they never run.

Audiences: purelms-runtime runs inside every backend image, so it may import only
the standard library, pydantic and purelms-shared, and, inside functions only, google-auth
(its ``cloud`` extra: OIDC ID tokens for callbacks on the managed path; a local run never
imports it); the harness (a developer's machine) may add the runtime, rich, yaml and jinja2
(it renders the template's manifest) but never the sweep package; backends
import the runtime, never the harness.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    [
        *(p for p in (REPO / "packages").glob("*/src/*") if (p / "__init__.py").is_file()),
        *(p for p in (REPO / "backends").glob("*/backend/src/*") if (p / "__init__.py").is_file()),
    ]
)
STDLIB = set(sys.stdlib_module_names) | {"__future__"}

#: Top-level imports allowed per package, beyond the standard library and itself.
ALLOWED = {
    "purelms_shared": {"pydantic", "pydantic_core"},
    "modelops_contracts": set(),
    "purelms_runtime": {"pydantic", "pydantic_core", "purelms_shared"},
    "purelms_harness": {
        "cryptography",
        "google",
        "pydantic",
        "pydantic_core",
        "annotated_types",
        "purelms_shared",
        "purelms_runtime",
        "rich",
        "yaml",
        "jinja2",
    },
}
#: Imports a package may make only inside a function (an optional extra, imported lazily).
LAZY_ONLY = {"purelms_runtime": {"google"}}
FORBIDDEN_IN_BACKENDS = {"purelms_harness", "purelms_sweep", "rich", "yaml", "dask", "pyarrow"}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Absolute names of every module ``module`` imports (relative imports resolved)."""
    base = module.split(".") if is_package else module.split(".")[:-1]
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - node.level + 1]
                target = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                target = node.module or ""
            yield target
            for alias in node.names:
                yield f"{target}.{alias.name}"
        stack.extend(ast.iter_child_nodes(node))


def _graph() -> dict[str, set[str]]:
    modules: dict[str, Path] = {}
    for package in SOURCES:
        for path in package.rglob("*.py"):
            parts = path.relative_to(package.parent).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets = set(_imports(tree, name, path.name == "__init__.py"))
        graph[name] = {t for t in targets if t in modules and t != name}
        graph[name] |= {t for t in targets if t not in modules and t.split(".")[0] not in STDLIB}
    return graph


GRAPH = _graph()


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle among workspace modules, or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in graph:
                continue
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_graph_covers_every_workspace_package() -> None:
    tops = {name.split(".")[0] for name in GRAPH}
    assert {"purelms_shared", "purelms_runtime", "purelms_harness", "purelms_sweep"} <= tops
    assert "purelms_echo" in tops


def test_no_import_cycles() -> None:
    cycle = _cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_package_imports_only_what_its_audience_has(package: str) -> None:
    foreign = {
        (module, target)
        for module, targets in GRAPH.items()
        if module.split(".")[0] == package
        for target in targets
        if target.split(".")[0] not in {package, *ALLOWED[package], *LAZY_ONLY.get(package, ())}
    }
    assert not foreign, f"{package} imports outside its audience: {sorted(foreign)}"


def test_backends_import_neither_the_harness_nor_developer_libraries() -> None:
    backends = {p.name for p in SOURCES if p.parts[-4] != "packages"}
    found = {
        (module, target)
        for module, targets in GRAPH.items()
        if module.split(".")[0] in backends
        for target in targets
        if target.split(".")[0] in FORBIDDEN_IN_BACKENDS
    }
    assert not found, f"backends import developer-only packages: {sorted(found)}"


def _module_level_imports(tree: ast.Module) -> set[str]:
    """Top-level names imported outside any function body."""
    found: set[str] = set()
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
        stack.extend(ast.iter_child_nodes(node))
    return found


@pytest.mark.parametrize("package", sorted(LAZY_ONLY))
def test_optional_extras_are_imported_only_inside_functions(package: str) -> None:
    (source,) = [p for p in SOURCES if p.name == package]
    eager = {
        (path.name, name)
        for path in source.rglob("*.py")
        for name in _module_level_imports(ast.parse(path.read_text(encoding="utf-8")))
        if name in LAZY_ONLY[package]
    }
    assert not eager, f"{package} imports an optional extra at module level: {sorted(eager)}"
    lazy = {
        target.split(".")[0]
        for module, targets in GRAPH.items()
        if module.split(".")[0] == package
        for target in targets
    }
    assert LAZY_ONLY[package] <= lazy, "the allow-list names an import that no longer exists"
