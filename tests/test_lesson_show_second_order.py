"""``adx lesson show`` for steps in mode hvp/hessian prints the nested trace the explorer
steps through (tangent sweep, nested adjoint sweep, H·u or H), not a first-order trace,
and hides what the step's open exercises ask for as ``?``."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import sympy as sp
from click.testing import CliRunner

from adexplorer.cli.main import cli

PROGRAM = "ln(x1) + x1*x2 - sin(x2)"


def _show(tmp_path: Path, body: str) -> str:
    path = tmp_path / "second.md"
    path.write_text(
        "---\nid: second-show\ntitle: Second order shown\nsummary: s\norder: 90\n---\n\n"
        "Intro.\n\n" + body,
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        cli, ["lesson", "show", str(path)], catch_exceptions=False, env={"COLUMNS": "120"}
    )
    assert result.exit_code == 0, result.output
    return result.output


def _sympy_hessian() -> np.ndarray:
    x1, x2 = sp.symbols("x1 x2")
    f = sp.log(x1) + x1 * x2 - sp.sin(x2)
    return np.array(sp.hessian(f, (x1, x2)).subs({x1: 2, x2: 5}).evalf(), dtype=float)


def test_a_hessian_step_prints_the_nested_sweeps_and_the_hessian(tmp_path: Path) -> None:
    out = _show(
        tmp_path,
        f"## H\n\nThe Hessian.\n\n```adx-explore\nprogram: {PROGRAM}\nat: x1=2, x2=5\n"
        "mode: hessian\n```\n",
    )
    assert "Adjoint sweep 1 of 1" not in out  # not the first-order reverse trace
    assert out.count("Nested adjoint sweep") == 2 and "Tangent sweep 2 of 2" in out
    shown = re.findall(r"│ (x[12]) │\s+([-\d.e]+)\s+│\s+([-\d.e]+)\s+│", out)
    matrix = np.array([[float(a), float(b)] for _, a, b in shown])
    assert [name for name, _, _ in shown] == ["x1", "x2"], out
    np.testing.assert_allclose(matrix, _sympy_hessian(), rtol=1e-5)


def test_an_hvp_step_hides_what_its_exercise_asks(tmp_path: Path) -> None:
    out = _show(
        tmp_path,
        f"## Hu\n\nAlong x2.\n\n```adx-explore\nprogram: {PROGRAM}\nat: x1=2, x2=5\n"
        "mode: hvp\nseed: x2\n```\n\n```adx-exercise\nid: dot\nkind: number\n"
        "question: What is v̄̇0 at the end?\nfrom: adjoint-dot v0\n```\n",
    )
    assert "Tangent sweep along u = (x1: 0, x2: 1)" in out
    assert "Nested adjoint sweep along u = (x1: 0, x2: 1)" in out
    # v̄0 and v̄̇0 (-0.958924 at the end) are hidden, v̄-1's are not
    assert "-0.958924 │" not in out.split("Nested adjoint sweep")[1].split("value  f")[0]
    assert re.search(r"│ v0 .*│\s+\? │", out)
    assert re.search(r"│ v-1 .*│\s+5 │", out)
