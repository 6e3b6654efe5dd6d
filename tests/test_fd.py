"""Finite differences behave as theory says; complex step is exact to a few ulps."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import sympy as sp

from adexplorer.base.errors import AdxError
from adexplorer.compare.fd_study import EPS, mixed_second_study, parse_steps, study
from adexplorer.core.engines import finite_diff
from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source
from tests.conftest import worked_examples


def graph_of(expr: str):  # type: ignore[no-untyped-def]
    return compile_source(expr).graph


def test_central_error_shrinks_a_hundredfold_per_decade_in_the_truncation_regime() -> None:
    result = study(graph_of("sin(x)"), {"x": 1.0}, "x", (1e-1, 1e-2, 1e-3), ("central",))
    errors = [r.abs_error for r in result.rows]
    assert all(r.regime == "truncation" for r in result.rows)
    for big, small in itertools.pairwise(errors):
        assert 80 < big / small < 120


def test_forward_error_shrinks_tenfold_per_decade_in_the_truncation_regime() -> None:
    result = study(graph_of("exp(x)"), {"x": 0.5}, "x", (1e-2, 1e-3, 1e-4), ("forward",))
    errors = [r.abs_error for r in result.rows]
    for big, small in itertools.pairwise(errors):
        assert 9 < big / small < 11


def test_the_v_shape_and_its_bottom_near_the_rules_of_thumb() -> None:
    result = study(graph_of("sin(x)"), {"x": 1.0}, "x")
    forward = result.rows_for("forward")
    assert forward[0].regime == "truncation" and forward[-1].regime == "round-off"
    best_forward = result.best["forward"][0]
    best_central = result.best["central"][0]
    assert 1e-9 <= best_forward <= 1e-7  # √ε ≈ 1.5e-8
    assert 1e-7 <= best_central <= 1e-4  # ∛ε ≈ 6e-6
    assert result.model_optimum["forward"] == pytest.approx(
        2 * math.sqrt(EPS * abs(math.sin(1)) / abs(math.sin(1))), rel=1e-3
    )
    assert result.best["complex"][1] <= 2 * EPS


@pytest.mark.parametrize("case", worked_examples(), ids=lambda c: c["id"])
def test_complex_step_matches_ad_to_a_few_ulps(case: dict) -> None:
    graph = compile_source(case["expr"]).graph
    inputs = {k: np.asarray(float(v)) for k, v in case["at"].items()}
    grad = run(graph, inputs, "reverse").gradient()
    for name in inputs:
        estimate = float(
            finite_diff.directional(graph, inputs, {name: np.asarray(1.0)}, 1e-30, "complex")
        )
        exact = float(grad[name])
        ulp = np.spacing(max(abs(exact), 1e-300))
        assert abs(estimate - exact) <= 8 * ulp + 1e-300, (name, estimate, exact)


def test_complex_step_is_refused_through_non_analytic_primitives() -> None:
    for expr in ("abs(x) + x^2", "relu(x) * 2", "sin(sign(x) + x)"):
        result = study(graph_of(expr), {"x": 0.3}, "x", (1e-3,))
        assert "complex" in result.not_applicable
        assert "not analytic" in result.not_applicable["complex"]
        assert not result.rows_for("complex")
        assert result.rows_for("central")


def test_evaluations_per_gradient() -> None:
    assert [finite_diff.evaluations_per_gradient(5, s) for s in finite_diff.SCHEMES] == [
        6,
        6,
        10,
        5,
    ]


def test_mixed_second_partial_of_the_texts_example() -> None:
    """x²y³ has ∂²/∂x∂y = 6xy² (from 002 in the texts)."""
    graph = graph_of("x^2*y^3")
    mixed = mixed_second_study(graph, {"x": 1.5, "y": 2.0}, "x", "y", (1e-2, 1e-3, 1e-4))
    assert mixed.exact == pytest.approx(6 * 1.5 * 4, rel=1e-14)
    assert all(err < 1e-3 for _, _, err in mixed.rows)


def test_mixed_second_exact_value_agrees_with_sympy() -> None:
    graph = graph_of("exp(x)*sin(x*y) + log(1 + y^2)")
    mixed = mixed_second_study(graph, {"x": 0.3, "y": -0.7}, "x", "y", (1e-3,))
    x, y = sp.symbols("x y")
    f = sp.exp(x) * sp.sin(x * y) + sp.log(1 + y**2)
    expected = float(sp.diff(f, x, y).subs({x: 0.3, y: -0.7}))
    assert mixed.exact == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1e-1:1e-4", (1e-1, 1e-2, 1e-3, 1e-4)),
        ("1e-2,1e-5", (1e-2, 1e-5)),
        ("1:1e-2:3", (1.0, 0.1, 0.01)),
    ],
)
def test_parse_steps(text: str, expected: tuple) -> None:
    assert parse_steps(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text", ["0:1e-3", "-1e-2:1e-4", "1e-2,0", "abc", "1:2:3:4", "1e-1:1e-300", ""]
)
def test_bad_steps_are_user_errors(text: str) -> None:
    with pytest.raises(AdxError):
        parse_steps(text)


def test_unknown_wrt_is_a_user_error() -> None:
    with pytest.raises(AdxError, match="not an input"):
        study(graph_of("x^2"), {"x": 1.0}, "y")
