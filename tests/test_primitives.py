"""Table-driven tests over every primitive: a new entry in the table is tested automatically.

* the forward engine's JVP against central differences (the project's own FD engine),
* the reverse engine's VJP by the dot-product test ⟨J·t, c⟩ = ⟨t, Jᵀ·c⟩,
* the displayed partial-derivative formulas against sympy,
* the conventions at kinks (PyTorch's).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from adexplorer.core.engines import finite_diff
from adexplorer.core.primitives import PRIMITIVES
from adexplorer.core.trace import run
from tests.helpers import ARG_NAMES, CONDITION_SLOTS, all_cases, sample, single_op_graph

CASES = all_cases()
IDS = [f"{name}-{'x'.join(str(s) for s in shapes)}" for name, shapes in CASES]


def _setup(name: str, shapes: tuple, seed: int = 0):  # type: ignore[no-untyped-def]
    prim = PRIMITIVES[name]
    rng = np.random.default_rng(seed)
    graph = single_op_graph(prim, shapes)
    inputs = {
        n: sample(prim, i, s, rng) for i, (n, s) in enumerate(zip(ARG_NAMES, shapes, strict=False))
    }
    direction = {n: rng.normal(size=np.shape(v)) for n, v in inputs.items()}
    if name in CONDITION_SLOTS:
        condition = ARG_NAMES[CONDITION_SLOTS[name]]
        direction[condition] = np.zeros_like(direction[condition])
    return prim, graph, inputs, direction, rng


@pytest.mark.parametrize(("name", "shapes"), CASES, ids=IDS)
def test_jvp_matches_central_differences(name: str, shapes: tuple) -> None:
    _, graph, inputs, direction, _ = _setup(name, shapes)
    trace = run(graph, inputs, "forward", seed=direction)
    ad = np.asarray(trace.output_tangents()[0])
    fd = finite_diff.directional(graph, inputs, direction, 1e-6, "central")
    np.testing.assert_allclose(ad, fd, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(("name", "shapes"), CASES, ids=IDS)
def test_vjp_passes_the_dot_product_test(name: str, shapes: tuple) -> None:
    _, graph, inputs, direction, rng = _setup(name, shapes, seed=1)
    out_shape = graph.nodes[graph.outputs[0]].shape
    cotangent = rng.normal(size=out_shape)
    forward = run(graph, inputs, "forward", seed=direction)
    j_t = np.asarray(forward.output_tangents()[0])
    reverse = run(graph, inputs, "reverse")
    # Jᵀc from the full Jacobian rows: contract the output axes with c.
    jt_c = {n: np.tensordot(cotangent, reverse.jacobian()[n], axes=len(out_shape)) for n in inputs}
    lhs = float(np.sum(j_t * cotangent))
    rhs = float(sum(np.sum(direction[n] * jt_c[n]) for n in inputs))
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize(("name", "shapes"), CASES, ids=IDS)
def test_forward_and_reverse_give_the_same_jacobian(name: str, shapes: tuple) -> None:
    _, graph, inputs, _, _ = _setup(name, shapes, seed=2)
    fwd = run(graph, inputs, "forward").jacobian()
    rev = run(graph, inputs, "reverse").jacobian()
    for n in inputs:
        np.testing.assert_allclose(fwd[n], rev[n], rtol=1e-12, atol=1e-14)


# -- the partial-derivative formulas shown to students, checked by sympy ------

_a, _b, _c = sp.symbols("a b c", real=True)
SYMPY_DEFINITIONS = {
    "add": _a + _b,
    "sub": _a - _b,
    "mul": _a * _b,
    "div": _a / _b,
    "pow": _a**_b,
    "neg": -_a,
    "sin": sp.sin(_a),
    "cos": sp.cos(_a),
    "tan": sp.tan(_a),
    "asin": sp.asin(_a),
    "acos": sp.acos(_a),
    "atan": sp.atan(_a),
    "sinh": sp.sinh(_a),
    "cosh": sp.cosh(_a),
    "tanh": sp.tanh(_a),
    "exp": sp.exp(_a),
    "log": sp.log(_a),
    "log1p": sp.log(1 + _a),
    "expm1": sp.exp(_a) - 1,
    "sqrt": sp.sqrt(_a),
    "sigmoid": 1 / (1 + sp.exp(-_a)),
    "softplus": sp.log(1 + sp.exp(_a)),
    "abs": sp.Abs(_a),
    "relu": sp.Max(_a, 0),
    "sign": sp.sign(_a),
    "step": sp.Heaviside(_a, 0),
    # comparisons are piecewise constant: their derivative is 0 (the jump is ignored)
    "lt": sp.Heaviside(_b - _a, 0),
    "le": sp.Heaviside(_b - _a, 1),
    "gt": sp.Heaviside(_a - _b, 0),
    "ge": sp.Heaviside(_a - _b, 1),
    "eq": sp.Piecewise((1, sp.Eq(_a, _b)), (0, True)),
    "ne": sp.Piecewise((0, sp.Eq(_a, _b)), (1, True)),
    "logical_and": sp.Piecewise((1, sp.And(sp.Ne(_a, 0), sp.Ne(_b, 0))), (0, True)),
    "logical_or": sp.Piecewise((1, sp.Or(sp.Ne(_a, 0), sp.Ne(_b, 0))), (0, True)),
    "logical_not": sp.Piecewise((1, sp.Eq(_a, 0)), (0, True)),
    "where": sp.Piecewise((_b, sp.Ne(_a, 0)), (_c, True)),
}
SYMPY_FUNCTIONS = {
    "sign": sp.sign,
    "step": lambda x: sp.Heaviside(x, 0),
    "sigmoid": lambda x: 1 / (1 + sp.exp(-x)),
    "log": sp.log,
    "sqrt": sp.sqrt,
    "where": lambda c, a, b: sp.Piecewise((a, sp.Ne(c, 0)), (b, True)),
}


def _to_sympy(text: str, y: sp.Expr) -> sp.Expr:
    from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations

    local = {"a": _a, "b": _b, "c": _c, "y": y, **SYMPY_FUNCTIONS}
    return parse_expr(
        text, local_dict=local, transformations=(*standard_transformations, convert_xor)
    )


ELEMENTWISE = [name for name, p in PRIMITIVES.items() if p.partials is not None]


def test_every_elementwise_primitive_has_a_sympy_definition() -> None:
    assert set(ELEMENTWISE) == set(SYMPY_DEFINITIONS)


PARTIAL_CASES = [(name, None) for name in ELEMENTWISE] + [("pow", c) for c in (3.0, 2.0, 1.0, 0.5)]


@pytest.mark.parametrize(("name", "constant_exponent"), PARTIAL_CASES)
def test_partial_formulas_agree_with_sympy(name: str, constant_exponent: float | None) -> None:
    """The formula shown (e.g. 3*a^2 for a^3) is the derivative sympy computes."""
    prim = PRIMITIVES[name]
    definition = SYMPY_DEFINITIONS[name]
    consts: list[float | None] = [None] * prim.arity
    b_value = sp.Symbol("b", real=True)
    if constant_exponent is not None:
        consts[1] = constant_exponent
        definition = definition.subs(_b, constant_exponent)
    names = (
        list(ARG_NAMES[: prim.arity])
        if constant_exponent is None
        else ["a", repr(constant_exponent)]
    )
    points = [(0.7, 1.3), (1.9, -0.4), (-0.6, 0.8), (0.0, 0.5)]
    for slot in range(prim.arity):
        if consts[slot] is not None:
            continue
        shown = prim.partial_text(slot, names, "y", consts)
        assert shown is not None
        formula = _to_sympy(shown, definition)
        symbol = [_a, b_value, _c][slot]
        expected = sp.diff(definition, symbol)
        for a_val, b_val in points:
            if name not in ("where",) and a_val == 0.0:
                continue  # (0, 0.5) is for where's condition: false picks c
            if name in ("log", "sqrt", "pow") and a_val <= 0:
                a_val = -a_val
            if name in ("asin", "acos") and abs(a_val) >= 1:
                a_val /= 3
            subs = {_a: a_val, b_value: b_val, _c: 0.3}
            got = complex(formula.subs(subs).evalf())
            want = complex(sp.N(expected.subs(subs).doit()))
            assert got == pytest.approx(want, rel=1e-12, abs=1e-12), (name, slot, shown)


# -- conventions at non-differentiable points ----------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [("relu(x)", 0.0), ("abs(x)", 0.0), ("sqrt(x)", np.inf), ("sign(x)", 0.0), ("step(x)", 0.0)],
)
def test_kink_conventions_follow_pytorch(expr: str, expected: float) -> None:
    from adexplorer.lang.lower import compile_source

    graph = compile_source(expr).graph
    for mode in ("forward", "reverse"):
        grad = run(graph, {"x": 0.0}, mode).gradient()["x"]
        assert float(grad) == expected, mode


def test_softplus_is_stable_for_large_arguments() -> None:
    from adexplorer.lang.lower import compile_source

    graph = compile_source("softplus(x)").graph
    for x, value in [(1000.0, 1000.0), (-1000.0, 0.0), (0.0, np.log(2.0))]:
        trace = run(graph, {"x": x}, "reverse")
        assert float(trace.output_value()) == pytest.approx(value, abs=1e-300)
        assert np.isfinite(trace.gradient()["x"])
    assert float(run(graph, {"x": 1.0}, "evaluate").output_value()) == pytest.approx(np.log1p(np.e))
