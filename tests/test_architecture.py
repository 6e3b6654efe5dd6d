"""Architecture rules from docs/architecture.md, enforced."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "adexplorer"
#: Modules below the views: they must not import rich or textual.
CORE = [
    "source",
    "errors",
    "shapes",
    "numbers",
    "cost",
    "primitives",
    "ir",
    "parse",
    "lower",
    "engines",
    "trace",
    "formulas",
    "printer",
    "report",
    "resources",
]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("module", CORE)
def test_core_layers_do_not_import_rich_or_textual(module: str) -> None:
    target = PACKAGE / module
    files = sorted(target.rglob("*.py")) if target.is_dir() else [target.with_suffix(".py")]
    assert files
    for path in files:
        assert not (_imports(path) & {"rich", "textual"}), path


def test_importing_the_core_loads_neither_rich_nor_textual() -> None:
    probe = (
        "import sys\n"
        + "".join(f"import adexplorer.{m}\n" for m in CORE)
        + "print(sorted(m for m in ('rich', 'textual') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_module_calls_eval_or_exec() -> None:
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("eval", "exec"), path


def test_wheel_ships_the_grammar_and_lessons(tmp_path: Path) -> None:
    root = PACKAGE.parent
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(tmp_path),
            str(root),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("adexplorer-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "adexplorer/_data/grammars/adx.lark" in names
    assert any(n.startswith("adexplorer/_data/lessons/") for n in names)
    assert not any("__pycache__" in n for n in names)
    # Unpacked (a pure-Python wheel installs by unpacking), adx finds its grammar
    # from any directory, with no source checkout on the path.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = (
        "import adexplorer, sys\n"
        "assert adexplorer.__file__.startswith(sys.argv[1]), adexplorer.__file__\n"
        "from adexplorer.lower import compile_source\n"
        "print(len(compile_source('ln(x1) + x1*x2 - sin(x2)').graph.nodes))\n"
    )
    (elsewhere / "probe.py").write_text(probe)
    env_path = str(site)
    result = subprocess.run(
        [sys.executable, str(elsewhere / "probe.py"), env_path],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        check=False,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "7"
