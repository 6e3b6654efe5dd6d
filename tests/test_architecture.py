"""Architecture rules from docs/architecture.md, enforced over every module.

The package is one folder per layer.  ``ALLOWED`` says which layers each layer
may import; a new module is covered the moment it exists, because the tests walk
the folders rather than a list of names.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "adexplorer"

#: layer -> the layers its modules may import (itself always allowed).
ALLOWED: dict[str, frozenset[str]] = {
    "base": frozenset(),
    "core": frozenset({"base"}),
    "lang": frozenset({"base", "core"}),
    "compare": frozenset({"base", "core", "lang"}),
    "reports": frozenset({"base", "core", "lang", "compare"}),
    "render": frozenset({"base", "core", "lang", "compare", "reports"}),
    "exports": frozenset({"base", "core", "lang", "compare", "reports"}),
    "explorer": frozenset({"base", "core", "lang", "compare", "reports", "exports", "codegen"}),
    "lessons": frozenset({"base", "core", "lang", "compare", "codegen"}),
    "codegen": frozenset({"base", "core", "lang"}),
    "schemas": frozenset({"base"}),
    "tui": frozenset(
        {
            "base",
            "core",
            "lang",
            "compare",
            "reports",
            "exports",
            "render",
            "explorer",
            "lessons",
            "codegen",
        }
    ),
    "serve": frozenset({"base"}),
    "cli": frozenset(
        {
            "serve",
            "base",
            "core",
            "lang",
            "compare",
            "reports",
            "exports",
            "render",
            "explorer",
            "lessons",
            "tui",
            "codegen",
            "schemas",
        }
    ),
    # The Python API (adexplorer/api.py): a view beside cli and tui, never Textual.
    "api": frozenset(
        {"base", "core", "lang", "compare", "reports", "render", "exports", "codegen"}
    ),
    # The package's __init__: the version, and the API's names loaded on first use.
    "package": frozenset({"api"}),
}
#: Layers that cli may reach only from inside a function (start-up time: `adx eval`).
LAZY_ONLY_FROM_CLI = {"tui", "render", "serve"}
#: What each layer may reach only from inside a function: `import adexplorer` and a
#: script's `adexplorer.trace(...)` pay for rich only when something is displayed.
LAZY_ONLY = {"cli": LAZY_ONLY_FROM_CLI, "api": {"render", "rich"}, "package": {"api"}}
#: third-party packages -> the layers that may import them.
THIRD_PARTY: dict[str, frozenset[str]] = {
    "rich": frozenset({"render", "tui", "cli", "api"}),
    "textual": frozenset({"tui"}),
    "plotext": frozenset({"render"}),
    "lark": frozenset({"lang"}),
    "click": frozenset({"cli"}),
    "textual_serve": frozenset({"serve"}),
    "aiohttp": frozenset({"serve"}),
    "aiohttp_jinja2": frozenset({"serve"}),
}
#: Files at the top of the package, and the layer whose rules they follow.
TOP_LEVEL = {"__init__": "package", "__main__": "cli", "api": "api"}


@dataclass(frozen=True)
class Import:
    target: str  # dotted module name as written, resolved for relative imports
    line: int
    lazy: bool  # inside a function body (imported when called, not when loaded)


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[Import]:
    tree = ast.parse(path.read_text())
    package = _module_name(path) if path.is_relative_to(PACKAGE) else "adexplorer.probe"
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            # `if TYPE_CHECKING:` is never run: its imports are for the type checker only
            inner = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            inner = inner or _type_checking_only(child)
            if isinstance(child, ast.Import):
                found.extend(Import(a.name, child.lineno, lazy) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                if base == "adexplorer":  # `from adexplorer import x` may name a layer
                    found.extend(
                        Import(f"adexplorer.{a.name}", child.lineno, lazy) for a in child.names
                    )
                else:
                    found.append(Import(base, child.lineno, lazy))
            visit(child, inner)

    visit(tree, False)
    return found


def _type_checking_only(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Name | ast.Attribute)
        and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
    )


def _layer_of_file(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    if len(rel.parts) == 1:
        return TOP_LEVEL[rel.stem]
    return rel.parts[0]


def _layer_of_import(target: str) -> str | None:
    parts = target.split(".")
    if parts[0] != "adexplorer":
        return None
    if len(parts) == 1 or parts[1] == "__version__":
        return "base"  # the package root holds only the version
    return parts[1]


#: Generated code, lark's own (tools/regen_parser.py): its imports are lark's, e.g. the
#: lazy ``import rich.tree`` behind lark's ``Tree.__rich__``, which adx never calls.
GENERATED = {"_parser_standalone.py"}
MODULES = sorted(
    p for p in PACKAGE.rglob("*.py") if "_data" not in p.parts and p.name not in GENERATED
)


def test_every_folder_is_a_known_layer_with_a_docstring() -> None:
    for folder in sorted(p for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"):
        if folder.name == "_data":
            continue
        assert folder.name in ALLOWED, f"{folder.name}/ is not in the allowed-imports table"
        init = folder / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and "May import" in doc, (
            f"{init} must say what lives there and what it may import"
        )


def _violations(path: Path, layer: str) -> list[str]:
    found = []
    for imp in _imports(path):
        target_layer = _layer_of_import(imp.target)
        where = f"{path.name}:{imp.line} imports {imp.target}"
        lazy_only = LAZY_ONLY.get(layer, set())
        if target_layer is None:
            top = imp.target.split(".")[0]
            if top in THIRD_PARTY and layer not in THIRD_PARTY[top]:
                found.append(f"{where}: {layer} may not use {top}")
            elif top in lazy_only and not imp.lazy:
                found.append(f"{where}: {layer} imports {top} only inside a function")
        elif target_layer not in ALLOWED:
            found.append(f"{where}: {target_layer} is not a layer")
        elif target_layer != layer and target_layer not in ALLOWED[layer]:
            found.append(f"{where}: {layer} may not import {target_layer}")
        elif layer == "cli" and target_layer in LAZY_ONLY_FROM_CLI and not imp.lazy:
            found.append(f"{where}: the CLI imports {target_layer} only inside a command")
        elif target_layer in lazy_only and not imp.lazy:
            found.append(f"{where}: {layer} imports {target_layer} only inside a function")
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_layer_table(path: Path) -> None:
    assert _violations(path, _layer_of_file(path)) == []


def test_there_are_no_import_cycles() -> None:
    """Module-level imports between adexplorer modules form no cycle."""
    names = {_module_name(p): p for p in MODULES}
    edges: dict[str, set[str]] = {name: set() for name in names}
    for name, path in names.items():
        for imp in _imports(path):
            if imp.lazy or not imp.target.startswith("adexplorer"):
                continue
            target = imp.target
            while target not in names and "." in target:
                target = target.rpartition(".")[0]  # `from pkg.mod import name`
            if target in names and target != name:
                edges[name].add(target)
    state: dict[str, int] = {}  # 1: on the stack, 2: done

    def cycle_from(start: str) -> list[str] | None:
        stack = [(start, iter(sorted(edges[start])))]
        state[start] = 1
        path = [start]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                return [*path[path.index(child) :], child]
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(sorted(edges[child]))))
                path.append(child)
        return None

    for name in sorted(names):
        if name not in state:
            cycle = cycle_from(name)
            assert cycle is None, " -> ".join(cycle)


def test_the_table_catches_what_it_forbids(tmp_path: Path) -> None:
    """The checker itself can fail: upward imports, lark outside lang, eager TUI in the CLI."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import lark\n"
        "from adexplorer.explorer.session import Session\n"
        "from adexplorer.tui.app import run_explorer\n"
        "def later():\n"
        "    from adexplorer.render.plots import error_plot\n"
    )
    core = _violations(probe, "core")
    assert any("core may not use lark" in v for v in core)
    assert any("core may not import explorer" in v for v in core)
    cli = _violations(probe, "cli")
    assert any("imports adexplorer.tui.app: the CLI imports tui only inside" in v for v in cli)
    assert not any("render" in v for v in cli)
    api = _violations(probe, "api")
    assert any("api may not import tui" in v for v in api)
    assert not any("render" in v for v in api)  # inside a function: allowed
    eager = tmp_path / "eager.py"
    eager.write_text(
        "import textual\nimport rich.table\nfrom adexplorer.render.console import make_console\n"
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import adexplorer.render\n"
    )
    api = _violations(eager, "api")
    assert any("api may not use textual" in v for v in api)
    assert any("api imports rich only inside a function" in v for v in api)
    assert sum("imports render only inside a function" in v for v in api) == 1


def test_importing_the_core_loads_neither_rich_nor_textual() -> None:
    below_views = [
        _module_name(p)
        for p in MODULES
        if _layer_of_file(p)
        in ("base", "core", "lang", "compare", "reports", "explorer", "lessons")
    ]
    probe = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in below_views)
        + "print(sorted(m for m in ('rich', 'textual') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_module_calls_eval_or_exec() -> None:
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("eval", "exec"), path


# The wheel's contents and an install outside the source tree: tests/test_packaging.py.
