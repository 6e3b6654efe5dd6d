"""``adx fd --second X,Y``: second differences against the AD Hessian entry.

The reference is forward-over-reverse AD, checked here against sympy; the two curves
(the four- or three-point formula on values of f, central differences of AD
gradients) are checked against their formulas computed independently, and the best
steps the output states against the rows it measured.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner

from adexplorer import schemas
from adexplorer.cli.main import cli
from adexplorer.compare.fd_study import EPS, SECOND_RULE_OF_THUMB, mixed_second_study
from adexplorer.lang.lower import compile_source

ROOT = Path(__file__).resolve().parent.parent
STEPS = tuple(10.0**-k for k in range(1, 13))


def graph_of(source: str):  # type: ignore[no-untyped-def]
    return compile_source(source).graph


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


CASES = [
    ("exp(x)*y^2", {"x": 0.5, "y": 2.0}, "x", "y"),
    ("exp(x)*y^2", {"x": 0.5, "y": 2.0}, "x", "x"),
    ("exp(x)*y^2", {"x": 0.5, "y": 2.0}, "y", "y"),
    ("ln(x1) + x1*x2 - sin(x2)", {"x1": 2.0, "x2": 5.0}, "x2", "x2"),
    ("ln(x1) + x1*x2 - sin(x2)", {"x1": 2.0, "x2": 5.0}, "x2", "x1"),
    ("sin(x*y)/(1 + y^2) + tanh(x)", {"x": 0.3, "y": -0.7}, "y", "x"),
]


def _sympy_entry(source: str, point: dict[str, float], x: str, y: str) -> float:
    names = {name: sp.Symbol(name) for name in point}
    expr = sp.sympify(source.replace("^", "**").replace("ln(", "log("), locals=names)
    return float(sp.diff(expr, names[x], names[y]).subs({names[k]: v for k, v in point.items()}))


@pytest.mark.parametrize(("source", "point", "x", "y"), CASES)
def test_the_reference_is_the_hessian_entry(
    source: str, point: dict[str, float], x: str, y: str
) -> None:
    mixed = mixed_second_study(graph_of(source), point, x, y, (1e-3,))
    expected = _sympy_entry(source, point, x, y)
    assert mixed.exact == pytest.approx(expected, rel=1e-13, abs=1e-14)
    assert mixed.symbolic == pytest.approx(expected, rel=1e-13, abs=1e-14)
    assert mixed.pure == (x == y)


@pytest.mark.parametrize(("source", "point", "x", "y"), CASES)
def test_both_curves_follow_their_formulas(
    source: str, point: dict[str, float], x: str, y: str
) -> None:
    """Each estimate recomputed here from plain numpy evaluations of f and from
    gradients by central differences of AD's own first derivatives."""
    from adexplorer.core.engines.finite_diff import function_of
    from adexplorer.core.trace import run as run_trace

    graph = graph_of(source)
    h = 1e-3
    mixed = mixed_second_study(graph, point, x, y, (h,))
    f = function_of(graph)

    def at(**shift: float) -> float:
        return float(f({k: np.float64(v + shift.get(k, 0.0)) for k, v in point.items()}))

    if x == y:
        expected = (at(**{x: h}) - 2 * at() + at(**{x: -h})) / (h * h)
    else:
        expected = (
            at(**{x: h, y: h}) - at(**{x: h, y: -h}) - at(**{x: -h, y: h}) + at(**{x: -h, y: -h})
        ) / (4 * h * h)
    assert mixed.rows[0][1] == pytest.approx(expected, rel=1e-12)
    slopes = [
        float(run_trace(graph, {**point, y: point[y] + s}, "reverse").gradient()[x])
        for s in (h, -h)
    ]
    assert mixed.gradient_rows[0][1] == pytest.approx((slopes[0] - slopes[1]) / (2 * h), rel=1e-12)
    # both are second-order accurate: at h = 1e-3 within about 1e-5 of the AD entry
    assert mixed.rows[0][2] < 1e-4 * max(1.0, abs(mixed.exact))
    assert mixed.gradient_rows[0][2] < 1e-4 * max(1.0, abs(mixed.exact))


def test_best_steps_sit_where_the_theory_says() -> None:
    mixed = mixed_second_study(graph_of("exp(x)*sin(y)"), {"x": 0.5, "y": 2.0}, "y", "y", STEPS)
    points = mixed.best("points")
    gradients = mixed.best("gradients")
    assert points is not None and gradients is not None
    # the V bottoms: four-point near ε^(1/4) ≈ 1.2e-4, gradients near ε^(1/3) ≈ 6e-6
    assert 1e-5 <= points[0] <= 1e-3
    assert 1e-7 <= gradients[0] <= 1e-4
    # differences of exact gradients divide by h, not h²: a smaller least error
    assert gradients[1] < points[1]
    assert points[1] == min(r[2] for r in mixed.rows)
    assert SECOND_RULE_OF_THUMB["points"] == pytest.approx(EPS**0.25)
    assert SECOND_RULE_OF_THUMB["gradients"] == pytest.approx(EPS ** (1 / 3))


def test_a_curve_without_truncation_is_explained() -> None:
    """exp(x)*y^2: ∂f/∂x = exp(x)·y² is quadratic in y, so its central difference in y
    has no truncation error and the largest h is best: the output says why."""
    code, out, err = run("fd", "exp(x)*y^2", "--at", "x=0.5,y=2", "--second", "x,y")
    assert code == 0, err
    text = " ".join(out.split())
    assert "gradients best at h = 1e-01" in text
    assert "Gradients: best far above the rule of thumb" in text


def test_a_mixed_difference_without_truncation_is_not_called_a_polynomial() -> None:
    """ln(x1) + x1*x2 - sin(x2) is no polynomial; the four-point formula is exact for it
    because ln(x1) and sin(x2) drop out of the mixed difference: the output says so."""
    code, out, err = run("fd", "ln(x1) + x1*x2 - sin(x2)", "--at", "x1=2,x2=5", "--second", "x1,x2")
    assert code == 0, err
    text = " ".join(out.split())
    assert "Four-point and gradients: best far above the rule of thumb" in text
    assert "f is a low-degree polynomial" not in text
    assert "a term in one variable drops out of a mixed difference" in text


def test_json_has_the_documented_keys_and_the_measured_best() -> None:
    code, out, err = run("fd", "exp(x)*y^2", "--at", "x=0.5,y=2", "--second", "x,y", "--json")
    assert code == 0, err
    second = json.loads(out)["mixed_second"]
    # the schema's fields (docs/json-schema.md's tables are generated from them)
    keys = set(schemas.load("fd")["$defs"]["mixed_second"]["properties"])
    assert keys == set(second), (keys, set(second))
    assert second["kind"] == "mixed"
    assert second["exact"] == pytest.approx(math.exp(0.5) * 4, rel=1e-15)
    assert "forward-over-reverse" in second["exact_source"]
    for block in (second, second["gradient_differences"]):
        finite = [r for r in block["rows"] if r["abs_error"] is not None]
        least = min(finite, key=lambda r: r["abs_error"])
        assert block["best"] == {"h": least["h"], "abs_error": least["abs_error"]}
        for r in finite:
            assert r["abs_error"] == pytest.approx(abs(r["estimate"] - second["exact"]), abs=1e-300)
    assert set(second["gradient_differences"]) == {"formula", "rows", "best", "rule_of_thumb_h"}


def test_human_output_states_the_measured_best_steps() -> None:
    code, out, err = run("fd", "exp(x)*y^2", "--at", "x=0.5,y=2", "--second", "x,y")
    assert code == 0, err
    code, js, _ = run("fd", "exp(x)*y^2", "--at", "x=0.5,y=2", "--second", "x,y", "--json")
    second = json.loads(js)["mixed_second"]
    text = " ".join(out.split())
    assert "AD (forward-over-reverse): 6.59488508280051" in text
    assert "ε^(1/4) ≈ 1.2e-04" in text and "ε^(1/3) ≈ 6.1e-06" in text
    found = re.search(
        r"four-point best at h = (\S+) \(\|error\| (\S+)\); gradients best at h = (\S+) "
        r"\(\|error\| (\S+)\)",
        text,
    )
    assert found, text
    h1, e1, h2, e2 = found.groups()
    best = second["best"]
    best2 = second["gradient_differences"]["best"]
    assert float(h1) == pytest.approx(best["h"], rel=0.01)
    assert float(h2) == pytest.approx(best2["h"], rel=0.01)
    assert float(e1) == pytest.approx(best["abs_error"], rel=1e-2)
    assert float(e2) == pytest.approx(best2["abs_error"], rel=1e-2)


def test_pure_second_partial_uses_the_three_point_formula() -> None:
    code, out, err = run("fd", "exp(x)*y^2", "--at", "x=0.5,y=2", "--second", "y,y", "--json")
    assert code == 0, err
    second = json.loads(out)["mixed_second"]
    assert second["kind"] == "pure"
    assert second["formula"] == "[f(y+h) - 2f(y) + f(y-h)] / h²"
    assert second["exact"] == pytest.approx(2 * math.exp(0.5), rel=1e-15)
    code, out, err = run("fd", "exp(x)*y^2", "--at", "x=0.5,y=2", "--second", "y,y")
    assert code == 0, err
    assert "Second partial ∂²f/∂y²: AD (forward-over-reverse)" in out
    assert "three-point" in out


def test_plot_draws_both_curves() -> None:
    code, out, err = run(
        "fd", "exp(x)*y^2", "--at", "x=0.5,y=2", "--second", "x,y", "--plot", "--scheme", "central"
    )
    assert code == 0, err
    plot = out.split("|error| of ∂²f/∂x∂y against h", 1)[1]
    assert "four-point" in plot and "gradients" in plot


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["exp(x)*y", "--at", "x=1,y=2", "--second", "x,z"], "'z' is not an input"),
        (["sum(v)*y", "--at", "v=[1,2],y=2", "--second", "v,y"], "needs scalar inputs"),
        (["sqrt(x)*y", "--at", "x=0,y=2", "--wrt", "y", "--second", "x,y"], "Hessian entry"),
    ],
)
def test_clear_errors(args: list[str], message: str) -> None:
    code, out, err = run("fd", *args)
    assert code in (1, 2) and message in err, err
    code, out, _ = run("fd", *args, "--json")
    error = json.loads(out)["error"]
    assert message in error["message"] + (error["hint"] or "")


def test_program_with_control_flow_has_no_symbolic_check() -> None:
    program = "x: real\ny: real\nif x > 0:\n    return x^2*y\nreturn -x*y^3\n"
    graph = graph_of(program)
    mixed = mixed_second_study(graph, {"x": 1.5, "y": 2.0}, "x", "y", (1e-3,))
    assert mixed.exact == pytest.approx(2 * 1.5, rel=1e-14)
    assert math.isnan(mixed.symbolic)
