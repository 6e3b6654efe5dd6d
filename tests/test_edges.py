"""Forward and reverse mode agree at domain edges and kinks; non-finite values are named."""

from __future__ import annotations

import math

import numpy as np
import pytest

from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source
from adexplorer.reports.eval import eval_report

EDGE_CASES = [
    ("sqrt(x) + y", {"x": 0.0, "y": 1.0}),
    ("sqrt(x)*y + y^2", {"x": 0.0, "y": 2.0}),
    ("log(x) + y", {"x": 0.0, "y": 3.0}),
    ("abs(x) + relu(y) + x*y", {"x": 0.0, "y": 0.0}),
    ("asin(x) + y", {"x": 1.0, "y": 0.5}),
    ("x^0.5 + sin(y)", {"x": 0.0, "y": 1.0}),
    ("0*sqrt(x) + y", {"x": 0.0, "y": 1.0}),
]


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b or math.isclose(a, b, rel_tol=1e-12)


@pytest.mark.parametrize(("source", "point"), EDGE_CASES)
def test_forward_equals_reverse_at_the_edge(source: str, point: dict[str, float]) -> None:
    graph = compile_source(source).graph
    values = {k: np.float64(v) for k, v in point.items()}
    reverse = run(graph, values, "reverse").gradient()
    forward = run(graph, values, "forward").gradient()
    for name in point:
        assert _same(float(forward[name]), float(reverse[name])), (name, forward, reverse)


def test_where_zero_meets_infinity_inside_the_graph_the_modes_may_differ() -> None:
    """The documented limit (docs/language.md): sqrt(x*y) at x = 0.

    Forward mode seeds y; the tangent of x*y is x·1 = 0, so sqrt's infinite
    partial never multiplies anything and ∂f/∂y = 0 (the true value).  Reverse
    mode pulls sqrt's infinite adjoint back through x*y and multiplies it by the
    partial x = 0: NaN, as in PyTorch.
    """
    graph = compile_source("sqrt(x*y)").graph
    values = {"x": np.float64(0.0), "y": np.float64(1.0)}
    assert float(run(graph, values, "forward").gradient()["y"]) == 0.0
    assert math.isnan(float(run(graph, values, "reverse").gradient()["y"]))


def test_an_unmoved_input_contributes_exactly_zero() -> None:
    graph = compile_source("sqrt(x) + y").graph
    values = {"x": np.float64(0.0), "y": np.float64(1.0)}
    forward = run(graph, values, "forward", {"y": np.float64(1.0)})
    assert float(forward.output_tangents()[0]) == 1.0


def test_non_finite_entries_are_named_once_with_their_kind() -> None:
    graph = compile_source("sqrt(x) - log(y) + 0*z").graph
    values = {"x": np.float64(0.0), "y": np.float64(0.0), "z": np.float64(1.0)}
    report = eval_report(run(graph, values, "forward"))
    warnings = report["warnings"]
    assert len(warnings) == len(set(warnings))
    assert any("gradient entry for x is +inf" in w for w in warnings)
    assert any("is -inf" in w or "is +inf" in w for w in warnings if "value of" in w)


#: x^y at the edges, with PyTorch's values (torch.pow and its autograd, float64).
POW_TABLE = [
    # x, y, value, d/dx, d/dy
    (0.0, 0.0, 1.0, 0.0, 0.0),
    (0.0, 2.0, 0.0, 0.0, 0.0),
    (0.0, 1.0, 0.0, 1.0, 0.0),
    (0.0, 0.5, 0.0, math.inf, 0.0),
    (0.0, -1.0, math.inf, -math.inf, -math.inf),
    (2.0, 0.0, 1.0, 0.0, math.log(2.0)),
    (-2.0, 3.0, -8.0, 12.0, math.nan),
    (-2.0, 2.0, 4.0, -4.0, math.nan),
    (-8.0, 1 / 3, math.nan, math.nan, math.nan),
]


@pytest.mark.parametrize(("x", "y", "value", "dx", "dy"), POW_TABLE)
@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_pow_follows_pytorch_at_zero_and_negative_bases(
    x: float, y: float, value: float, dx: float, dy: float, mode: str
) -> None:
    graph = compile_source("x^y").graph
    trace = run(graph, {"x": np.float64(x), "y": np.float64(y)}, mode)
    assert _same(float(trace.output_value()), value)
    gradient = trace.gradient()
    assert _same(float(gradient["x"]), dx), gradient
    assert _same(float(gradient["y"]), dy), gradient


def test_a_constant_zero_exponent_has_zero_derivative_at_zero() -> None:
    graph = compile_source("x^0 + y").graph
    values = {"x": np.float64(0.0), "y": np.float64(1.0)}
    for mode in ("forward", "reverse"):
        gradient = run(graph, values, mode).gradient()
        assert float(gradient["x"]) == 0.0 and float(gradient["y"]) == 1.0


# -- forward against reverse on random programs at kinks and domain edges -------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

ROUGH_UNARY = [
    "sqrt({})",
    "abs({})",
    "relu({})",
    "log({})",
    "({})^2",
    "({})^0.5",
    "sign({})",
    "step({})",
    "asin({})",
    "1/({})",
    "sin({})",
    "exp({})",
    "-({})",
]
ROUGH_BINARY = ["({}) + ({})", "({}) * ({})", "({}) - ({})", "pow({}, {})", "({}) / ({})"]
_leaves = st.sampled_from(["x", "y", "x", "y", "0", "1", "2"])


def _grow(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    unary = st.tuples(st.sampled_from(ROUGH_UNARY), children).map(lambda t: t[0].format(t[1]))
    binary = st.tuples(st.sampled_from(ROUGH_BINARY), children, children).map(
        lambda t: t[0].format(t[1], t[2])
    )
    return unary | binary


_rough = st.recursive(_leaves, _grow, max_leaves=6).filter(lambda e: "x" in e or "y" in e)
_edge_points = st.fixed_dictionaries(
    {v: st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.0, -0.5]) for v in "xy"}
)


def _has_zero_times_infinity_inside(graph, values) -> bool:  # type: ignore[no-untyped-def]
    """Some intermediate has an infinite partial while a value it multiplies is 0."""
    trace = run(graph, values, "reverse")
    return any(not np.all(np.isfinite(np.asarray(v))) for v in trace.values) or any(
        step.contribution is not None and not np.all(np.isfinite(step.contribution))
        for sweep in trace.adjoint_sweeps
        for step in sweep.steps
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=_rough, point=_edge_points)
def test_forward_equals_reverse_at_kinks_and_edges(expr: str, point: dict[str, float]) -> None:
    """Equal (NaN for NaN, ±inf for ±inf) except in the one documented case: an
    infinite intermediate derivative meeting a zero partial inside the graph."""
    graph = compile_source(expr).graph
    values = {k: np.float64(v) for k, v in point.items() if k in graph.input_names}
    forward = run(graph, values, "forward").gradient()
    reverse = run(graph, values, "reverse").gradient()
    for name in values:
        f, r = float(forward[name]), float(reverse[name])
        if _same(f, r):
            continue
        assert math.isnan(r) and _has_zero_times_infinity_inside(graph, values), (
            expr,
            point,
            name,
            f,
            r,
        )
