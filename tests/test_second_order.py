"""Second derivatives by nested sweeps: the worked example, properties on random graphs,
tensors, programs with if/for, activity, cost, warnings and errors."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adexplorer.base.errors import AdxError
from adexplorer.core.cost import OpCount
from adexplorer.core.second_order import run_second_order, second_order_cost
from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source
from tests.test_properties import expressions, points
from tests.test_second_order_primitives import gradient_differences, sympy_hessian

WORKED = "ln(x1) + x1*x2 - sin(x2)"


def _graph(source: str):  # type: ignore[no-untyped-def]
    return compile_source(source).graph


# -- the worked example --------------------------------------------------------


def test_worked_example_hessian_is_exact() -> None:
    trace = run_second_order(_graph(WORKED), {"x1": 2.0, "x2": 5.0})
    assert trace.kind == "hessian"
    assert trace.entry_labels == ("x1", "x2")
    assert [s.label for s in trace.sweeps] == ["x1", "x2"]
    h = trace.hessian()
    # ∂²/∂x1² = -1/x1² = -1/4, ∂²/∂x1∂x2 = 1, ∂²/∂x2² = sin(x2): exactly, in floating point
    assert h.tolist() == [[-0.25, 1.0], [1.0, float(np.sin(5.0))]]
    assert not h.flags.writeable
    x1, x2 = sp.symbols("x1 x2")
    f = sp.log(x1) + x1 * x2 - sp.sin(x2)
    exact = sp.hessian(f, (x1, x2)).subs({x1: 2, x2: 5})
    np.testing.assert_allclose(h, np.array(exact.evalf(30), dtype=float), rtol=1e-15)
    gradient = trace.gradient()
    assert float(gradient["x1"]) == 5.5
    assert float(gradient["x2"]) == pytest.approx(2 - np.cos(5.0), rel=1e-15)


def test_worked_example_hvp_is_one_nested_sweep() -> None:
    trace = run_second_order(_graph(WORKED), {"x1": 2.0, "x2": 5.0}, direction={"x1": 1.0})
    assert trace.kind == "hvp"
    assert len(trace.sweeps) == 1
    sweep = trace.sweeps[0]
    assert sweep.label == "u"
    hvp = trace.hvp()
    assert (float(hvp["x1"]), float(hvp["x2"])) == (-0.25, 1.0)
    # the primal tangents along u = e1: v̇ of ln(x1) is 1/x1
    labels = trace.graph.labels()
    tangents = {labels[s.node]: float(s.value) for s in sweep.tangent_steps}
    assert tangents["v1"] == 0.5 and tangents["v2"] == 5.0
    # the nested steps: the last contribution to x1 is 1/x1's, v̄̇ = -v̄·v̇/x1² = -1/4
    last = sweep.steps[-1]
    assert labels[last.node] == "v-1" and float(last.contribution_dot) == -0.25
    with pytest.raises(ValueError, match="hessian"):
        trace.hessian()
    with pytest.raises(ValueError, match="hvp"):
        run_second_order(_graph(WORKED), {"x1": 2.0, "x2": 5.0}).hvp()


def test_the_gradient_is_reverse_modes_bit_for_bit() -> None:
    graph = _graph("x*exp(y) - sin(x*y)/y")
    at = {"x": 0.3, "y": 1.7}
    want = run(graph, at, "reverse").gradient()
    for direction in (None, {"x": 1.0, "y": -2.0}):
        got = run_second_order(graph, at, direction=direction).gradient()
        assert {k: float(v) for k, v in got.items()} == {k: float(v) for k, v in want.items()}


# -- properties on random graphs -----------------------------------------------


def _bindings(graph, point):  # type: ignore[no-untyped-def]
    return {name: point[name] for name in graph.input_names}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    expr=expressions,
    point=points,
    u=st.lists(st.floats(-2, 2, allow_nan=False), min_size=3, max_size=3),
)
def test_hessian_is_symmetric_and_hvp_agrees(expr: str, point: dict, u: list) -> None:
    graph = _graph(expr)
    at = _bindings(graph, point)
    h = run_second_order(graph, at).hessian()
    scale = max(1.0, float(np.max(np.abs(h))))
    np.testing.assert_allclose(h, h.T, rtol=1e-9, atol=1e-11 * scale)
    direction = dict(zip(graph.input_names, u, strict=False))
    hvp = run_second_order(graph, at, direction=direction).hvp()
    vector = np.array([direction[n] for n in graph.input_names])
    want = h @ vector
    got = np.array([float(hvp[n]) for n in graph.input_names])
    np.testing.assert_allclose(
        got, want, rtol=1e-9, atol=1e-11 * scale * (1 + np.abs(vector).sum())
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=expressions, point=points)
def test_hvp_matches_central_differences_of_gradients(expr: str, point: dict) -> None:
    graph = _graph(expr)
    at = _bindings(graph, point)
    direction = {name: (-1.0) ** k * (k + 1) / 2 for k, name in enumerate(graph.input_names)}
    hvp = run_second_order(graph, at, direction=direction).hvp()
    fd = gradient_differences(graph, at, direction)
    for name in at:
        assert float(hvp[name]) == pytest.approx(float(fd[name]), rel=1e-5, abs=1e-5)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=expressions, point=points)
def test_hessian_agrees_with_sympy_on_random_graphs(expr: str, point: dict) -> None:
    graph = _graph(expr)
    at = _bindings(graph, point)
    np.testing.assert_allclose(
        run_second_order(graph, at).hessian(), sympy_hessian(graph, at), rtol=1e-8, atol=1e-10
    )


# -- tensors ---------------------------------------------------------------------

TENSOR_PROGRAMS = [
    "W: mat[2,3]\nx: vec[3]\nb: vec[2]\nreturn sum(tanh(W @ x + b)^2)",
    "A: mat[2,3]\nB: mat[3,2]\nreturn sum(sin(A @ B))",
    "u: vec[3]\nv: vec[3]\nreturn dot(sin(u), v*u) + mean(u*v)",
    "M: mat[2,3]\nr: vec[3]\ns: real\nreturn sum(exp(M*r/3) * s) + sum(r @ transpose(M))*s",
    "v: vec[3]\nA: mat[3,3]\nreturn v @ A @ v + sum(A*A)/2",
]


@pytest.mark.parametrize("source", TENSOR_PROGRAMS)
def test_tensor_programs_match_sympy_and_differences(source: str) -> None:
    graph = _graph(source)
    rng = np.random.default_rng(7)
    at = {graph.nodes[i].name: rng.uniform(-1, 1, graph.nodes[i].shape) for i in graph.inputs}
    trace = run_second_order(graph, at)
    h = trace.hessian()
    n = sum(np.size(v) for v in at.values())
    assert h.shape == (n, n) and len(trace.sweeps) == n
    np.testing.assert_allclose(h, sympy_hessian(graph, at), rtol=1e-9, atol=1e-10)
    direction = {k: rng.normal(size=np.shape(v)) for k, v in at.items()}
    hvp = run_second_order(graph, at, direction=direction).hvp()
    flat_u = np.concatenate([np.ravel(direction[name]) for name in graph.input_names])
    flat_hvp = np.concatenate([np.ravel(hvp[name]) for name in graph.input_names])
    np.testing.assert_allclose(flat_hvp, h @ flat_u, rtol=1e-9, atol=1e-10)
    np.testing.assert_array_equal(
        run_second_order(graph, at, direction=direction).column(0), flat_hvp
    )
    np.testing.assert_array_equal(trace.column(1), h[:, 1])
    fd = gradient_differences(graph, at, direction)
    for name in at:
        np.testing.assert_allclose(hvp[name], fd[name], rtol=1e-5, atol=1e-6)
        assert hvp[name].shape == np.shape(at[name])


def test_entry_labels_name_tensor_entries_in_unit_seed_order() -> None:
    graph = _graph("W: mat[2,2]\nx: real\nreturn sum(W*W)*x")
    trace = run_second_order(graph, {"W": np.ones((2, 2)), "x": 2.0})
    assert trace.entry_labels == ("W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]", "x")
    assert [s.label for s in trace.sweeps] == list(trace.entry_labels)
    # H: 2x on the W diagonal, 2W against x, 0 at x
    want = np.zeros((5, 5))
    want[:4, :4] = 4 * np.eye(4)
    want[:4, 4] = want[4, :4] = 2.0
    np.testing.assert_array_equal(trace.hessian(), want)


# -- programs with if and for ---------------------------------------------------------

BRANCHES = """\
x: real
y: real
if x > 0:
    z = x^3*y
else:
    z = sin(x)*y^2
return z
"""

LOOP = """\
x: real
y: real
p = 0
for i in range(3):
    p = p*x + y*(i + 1)
return p
"""


def test_programs_with_if_are_taped_at_the_point() -> None:
    graph = _graph(BRANCHES)
    right = run_second_order(graph, {"x": 1.5, "y": 2.0}).hessian()
    # x^3·y: [[6xy, 3x²], [3x², 0]]
    np.testing.assert_allclose(right, [[18.0, 6.75], [6.75, 0.0]], rtol=1e-15)
    left = run_second_order(graph, {"x": -0.5, "y": 2.0}).hessian()
    # sin(x)·y²: [[-sin(x)y², 2y cos(x)], [2y cos(x), 2 sin(x)]]
    want = [
        [-np.sin(-0.5) * 4, 4 * np.cos(-0.5)],
        [4 * np.cos(-0.5), 2 * np.sin(-0.5)],
    ]
    np.testing.assert_allclose(left, want, rtol=1e-14)


def test_programs_with_for_are_unrolled() -> None:
    graph = _graph(LOOP)
    # p = y·x² + 2y·x + 3y: ∂²/∂x² = 2y, ∂²/∂x∂y = 2x + 2, ∂²/∂y² = 0
    trace = run_second_order(graph, {"x": 0.5, "y": 3.0})
    np.testing.assert_allclose(trace.hessian(), [[6.0, 3.0], [3.0, 0.0]], rtol=1e-15)
    hvp = run_second_order(graph, {"x": 0.5, "y": 3.0}, direction={"y": 1.0}).hvp()
    assert (float(hvp["x"]), float(hvp["y"])) == (3.0, 0.0)


# -- activity (wrt) ---------------------------------------------------------------------


def test_wrt_gives_the_block_and_forms_only_active_adjoints() -> None:
    graph = _graph("a*b^2 + exp(c)*a + sin(c)")
    at = {"a": 0.4, "b": -1.2, "c": 0.9}
    full = run_second_order(graph, at).hessian()
    block = run_second_order(graph, at, wrt=["a", "c"])
    assert block.entry_labels == ("a", "c") and block.wrt == ("a", "c")
    np.testing.assert_array_equal(block.hessian(), full[np.ix_([0, 2], [0, 2])])
    b_node = graph.input_index("b")
    for sweep in block.sweeps:
        assert all(step.node != b_node for step in sweep.steps)
        assert sweep.adjoints[b_node] is None
    assert set(block.gradient()) == {"a", "c"}
    # a direction may move every input; H·u then holds the wrt rows
    u = {"a": 1.0, "b": 2.0, "c": -1.0}
    rows = run_second_order(graph, at, direction=u, wrt=["a"]).hvp()
    assert set(rows) == {"a"}
    assert float(rows["a"]) == pytest.approx(full[0] @ np.array([1.0, 2.0, -1.0]), rel=1e-15)


# -- cost ---------------------------------------------------------------------------------


def test_cost_counts_the_nested_sweep_and_compares_with_differences() -> None:
    graph = _graph("sin(x)")
    trace = run_second_order(graph, {"x": 1.0}, direction={"x": 1.0})
    cost = trace.cost
    # sin'' per element: evaluate (1 nonlinear op), times ẋ, times v̄ (2 mults), add, 2 moves
    assert cost.second == OpCount(moves=2, adds=1, mults=2, nlops=1)
    assert cost.nested_sweep == cost.tangent + cost.adjoint + cost.adjoint + cost.second
    assert cost.total == cost.primal + cost.nested_sweep
    data = cost.as_json()
    assert data["sweeps"] == 1
    big = second_order_cost(_graph("x: vec[4]\nreturn sum(sin(x))"), 4)
    assert big.n == 4
    assert big.hessian_central == big.gradient.scaled(8)
    assert big.hessian_forward == big.gradient.scaled(5)
    table = big.as_json()["hessian"]
    assert table == {
        "entries": 4,
        "nested_sweeps": 4,
        "central_difference_gradients": 8,
        "forward_difference_gradients": 5,
        "nested_operations": big.hessian_nested.total,
        "central_difference_operations": big.hessian_central.total,
        "forward_difference_operations": big.hessian_forward.total,
    }


def test_bilinear_and_linear_second_order_costs() -> None:
    matmul = second_order_cost(_graph("A: mat[2,3]\nB: mat[3,4]\nreturn sum(A @ B)"), 1)
    # each argument: the adjoint product again with the other's tangent: 2·3·4 mults
    assert matmul.second.mults == 2 * (2 * 4 * 3)
    linear = second_order_cost(_graph("A: mat[2,3]\nreturn sum(transpose(A))*2"), 1)
    assert linear.second == OpCount()


# -- warnings ------------------------------------------------------------------------------


def test_a_kink_says_its_second_derivative_was_taken_as_zero() -> None:
    graph = _graph("relu(x)*x + abs(y)")
    trace = run_second_order(graph, {"x": 0.0, "y": 1.0})
    kinks = [w for w in trace.warnings if "kink" in w]
    assert len(kinks) == 1 and "relu" in kinks[0] and "taken as 0" in kinks[0]
    away = run_second_order(graph, {"x": 0.5, "y": 1.0})
    assert not any("kink" in w for w in away.warnings)


def test_domain_and_non_finite_warnings() -> None:
    trace = run_second_order(_graph("sqrt(x) + y"), {"x": 0.0, "y": 1.0})
    assert any("not finite" in w for w in trace.warnings)
    trace = run_second_order(_graph("log(x)"), {"x": -1.0})
    assert any("log is defined for positive numbers only" in w for w in trace.warnings)


def test_records_are_read_only() -> None:
    graph = _graph("W: mat[2,2]\nreturn sum(sin(W @ W))")
    trace = run_second_order(graph, {"W": np.array([[0.1, 0.2], [0.3, 0.4]])})
    for sweep in trace.sweeps:
        for step in sweep.steps:
            for value in (step.contribution, step.total, step.contribution_dot, step.total_dot):
                if isinstance(value, np.ndarray):
                    assert not value.flags.writeable
    for value in trace.gradient().values():
        assert not value.flags.writeable


# -- errors: AdxErrors with hints, never tracebacks ----------------------------------------


def _error(graph, at, **options) -> AdxError:  # type: ignore[no-untyped-def]
    with pytest.raises(AdxError) as caught:
        run_second_order(graph, at, **options)
    assert caught.value.hint, caught.value.message
    return caught.value


def test_a_non_scalar_output_is_refused() -> None:
    error = _error(_graph("x: vec[2]\nreturn sin(x)"), {"x": [1.0, 2.0]})
    assert error.kind == "usage" and "one scalar output" in error.message
    assert "sum(" in (error.hint or "")
    several = _error(_graph("x: real\nreturn x, x^2"), {"x": 1.0})
    assert "2 outputs" in several.message


def test_unknown_direction_and_wrt_names_are_refused() -> None:
    graph = _graph(WORKED)
    at = {"x1": 2.0, "x2": 5.0}
    error = _error(graph, at, direction={"x3": 1.0})
    assert "x3" in error.message and "x1, x2" in (error.hint or "")
    error = _error(graph, at, wrt=["x"])
    assert "x1, x2" in (error.hint or "")


def test_wrong_shapes_are_refused() -> None:
    graph = _graph("x: vec[3]\nreturn sum(x^2)")
    with pytest.raises(AdxError) as caught:
        run_second_order(graph, {"x": [1.0, 2.0, 3.0]}, direction={"x": [1.0, 2.0]})
    assert caught.value.kind == "input" and "vec[3]" in caught.value.message
    assert "direction" in caught.value.message and "shape vec[3]" in (caught.value.hint or "")
    error = _error(graph, {"x": [1.0, 2.0]})
    assert error.kind == "input"
    _error(graph, {})  # a missing input


def test_edge_cases_without_second_derivatives() -> None:
    constant = run_second_order(_graph("2*3"), {})
    assert constant.hessian().shape == (0, 0) and constant.gradient() == {}
    identity = run_second_order(_graph("x"), {"x": 3.0})
    assert identity.hessian().tolist() == [[0.0]] and float(identity.gradient()["x"]) == 1.0


def test_the_trace_limit_bounds_the_nested_sweeps(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = _graph("x: vec[20]\nreturn sum(sin(x))")
    monkeypatch.setenv("ADX_MAX_TRACE_ENTRIES", "1000")
    error = _error(graph, {"x": np.ones(20)})
    assert "20 nested sweeps" in (error.hint or "") and "direction" in (error.hint or "")
    # one direction (one nested sweep) fits
    run_second_order(graph, {"x": np.ones(20)}, direction={"x": np.ones(20)})
