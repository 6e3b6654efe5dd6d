"""``adx codegen`` through the real entry point: plain text that imports and is right,
-o and --force, errors that are messages (exit 1) and never tracebacks, and every
example of its --help."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import numpy as np
import pytest

from adexplorer.codegen import GeneratedCode
from tests.codegen_helpers import load_module
from tests.test_cli_eval import COMMAND


def adx(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        check=False,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "80"},
    )


def _module(text: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_module(GeneratedCode(text, "", "", ()), tmp_path)


def test_reverse_code_on_stdout_imports_and_gives_the_gradient(tmp_path: Path) -> None:
    result = adx("codegen", "ln(x1) + x1*x2 - sin(x2)", "--mode", "reverse")
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and "\x1b" not in result.stdout
    value, (g1, g2) = _module(result.stdout, tmp_path).f_vjp(2.0, 5.0)
    assert value == pytest.approx(11.652071455223084, rel=1e-15)
    assert g1 == pytest.approx(5.5) and g2 == pytest.approx(1.7163378145367738)


def test_forward_code_with_shapes_from_at(tmp_path: Path) -> None:
    result = adx("codegen", "sum(W @ v)", "--at", "W=[[1,2],[3,4]]", "--at", "v=[0.5,-1]",
                 "--mode", "forward")  # fmt: skip
    assert result.returncode == 0, result.stderr
    f_jvp = _module(result.stdout, tmp_path).f_jvp
    W, v = np.array([[1.0, 2], [3, 4]]), np.array([0.5, -1])
    value, tangent = f_jvp(W, v, np.zeros((2, 2)), np.array([1.0, 0.0]))
    assert value == pytest.approx(np.sum(W @ v)) and tangent == pytest.approx(4.0)


def test_output_file_is_not_overwritten_without_force(tmp_path: Path) -> None:
    target = tmp_path / "grad.py"
    first = adx("codegen", "x*y", "-o", str(target))
    assert first.returncode == 0 and first.stdout == "" and "wrote f_vjp" in first.stderr
    assert "def f_vjp(x, y, f_bar=1.0):" in target.read_text()
    again = adx("codegen", "x*y + 1", "-o", str(target))
    assert again.returncode == 1 and "exists" in again.stderr and "--force" in again.stderr
    assert "+ 1" not in target.read_text()
    forced = adx("codegen", "x*y", "--mode", "forward", "-o", str(target), "--force")
    assert forced.returncode == 0 and "def f_jvp" in target.read_text()
    directory = adx("codegen", "x*y", "-o", str(tmp_path))
    assert directory.returncode == 1 and "directory" in directory.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x +"], "operand"),
        (["x*y", "--at", "z=1"], "not an input"),
        (["missing.adx"], "no such file"),
        (["sum(v)", "--at", "v=[1,2"], "error"),
        (["x", "--mode", "sideways"], "sideways"),
    ],
)
def test_errors_are_messages(args: list[str], message: str, tmp_path: Path) -> None:
    result = adx("codegen", *args, cwd=tmp_path)
    assert result.returncode in (1, 2), result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_an_expression_starting_with_minus() -> None:
    result = adx("codegen", "-x^2", "--mode", "forward")
    assert result.returncode == 0 and "v2 = -v1" in result.stdout  # -(x^2), not (-x)^2
    assert "def f_jvp(x, x_dot):" in result.stdout


def _help_examples() -> list[str]:
    text = adx("codegen", "--help").stdout
    block = text.split("Examples:", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip().startswith("adx ")]


def test_help_has_examples_and_they_run(tmp_path: Path) -> None:
    examples = _help_examples()
    assert len(examples) >= 4
    (tmp_path / "program.adx").write_text("x1: real = 2\nx2: real = 5\nreturn x1*x2 + sin(x1)\n")
    for example in examples:
        result = adx(*shlex.split(example)[1:], cwd=tmp_path)
        assert result.returncode == 0, (example, result.stderr)
        assert "Traceback" not in result.stderr
    assert "def f_vjp(x1, x2, f_bar=1.0):" in (tmp_path / "f_vjp.py").read_text()


def test_codegen_is_listed_in_adx_help() -> None:
    assert "codegen" in adx("--help").stdout


def test_the_commands_of_docs_codegen_run(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "codegen.md").read_text()
    commands = [
        line.split("  #")[0].strip()
        for block in text.split("```sh")[1:]
        for line in block.split("```")[0].splitlines()
        if line.startswith("adx ")
    ]
    assert len(commands) >= 4
    (tmp_path / "program.adx").write_text("x: real = 2\nreturn x*x\n")
    for command in commands:
        result = adx(*shlex.split(command)[1:], cwd=tmp_path)
        assert result.returncode == 0, (command, result.stderr)
