"""Property tests (hypothesis) over random well-typed expressions and random junk."""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations

from adexplorer.base.errors import AdxError
from adexplorer.core.engines import finite_diff
from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source, parse_at
from adexplorer.lang.printer import format_program

# Templates that stay smooth and finite for any real argument, so that every
# random composition can be differentiated anywhere in the sampled box.
UNARY = [
    "sin({})",
    "cos({})",
    "tanh({})",
    "atan({})",
    "sigmoid({})",
    "softplus({})",
    "exp(tanh({}))",
    "log(1 + ({})^2)",
    "sqrt(1 + ({})^2)",
    "-({})",
    "({})^2",
    "({})^3",
    "log1p(sigmoid({}))",
    "sinh(tanh({}))",
    "cosh(tanh({}))",
    "expm1(tanh({}))",
    "asin(tanh({})/2)",
    "acos(tanh({})/2)",
    "tan(tanh({}))",
    "pow(1 + sigmoid({}), 1.5)",
]
BINARY = [
    "({}) + ({})",
    "({}) - ({})",
    "({}) * ({})",
    "({}) / (1 + ({})^2)",
    "pow(1 + sigmoid({}), sin({}))",
]

leaves = st.sampled_from(["x", "y", "z", "x", "y", "0.5", "2", "pi"])


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    unary = st.tuples(st.sampled_from(UNARY), children).map(lambda t: t[0].format(t[1]))
    binary = st.tuples(st.sampled_from(BINARY), children, children).map(
        lambda t: t[0].format(t[1], t[2])
    )
    return unary | binary


_VARIABLE = re.compile(r"\b[xyz]\b")  # a whole word: the x in exp() does not count
expressions = st.recursive(leaves, _extend, max_leaves=8).filter(
    lambda e: bool(_VARIABLE.search(e))
)
points = st.fixed_dictionaries(
    {v: st.floats(-1.5, 1.5, allow_nan=False, allow_infinity=False) for v in "xyz"}
)

SYMPY_LOCALS = {
    "sigmoid": lambda u: 1 / (1 + sp.exp(-u)),
    "softplus": lambda u: sp.log(1 + sp.exp(u)),
    "log1p": lambda u: sp.log(1 + u),
    "expm1": lambda u: sp.exp(u) - 1,
    "pi": sp.pi,
}


def _bindings(graph, point):  # type: ignore[no-untyped-def]
    return {name: point[name] for name in graph.input_names}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=expressions, point=points)
def test_forward_reverse_and_central_differences_agree(expr: str, point: dict) -> None:
    graph = compile_source(expr).graph
    at = _bindings(graph, point)
    rev = run(graph, at, "reverse").gradient()
    fwd = run(graph, at, "forward").gradient()
    fd = finite_diff.gradient(graph, {k: np.asarray(v) for k, v in at.items()}, 1e-6, "central")
    for name in at:
        assert float(fwd[name]) == pytest.approx(float(rev[name]), rel=1e-9, abs=1e-11)
        assert float(rev[name]) == pytest.approx(float(fd[name]), rel=1e-5, abs=1e-6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=expressions, point=points)
def test_reverse_mode_agrees_with_sympy(expr: str, point: dict) -> None:
    graph = compile_source(expr).graph
    at = _bindings(graph, point)
    grad = run(graph, at, "reverse").gradient()
    symbols = {v: sp.Symbol(v, real=True) for v in "xyz"}
    f = parse_expr(
        expr,
        local_dict={**symbols, **SYMPY_LOCALS},
        transformations=(*standard_transformations, convert_xor),
    )
    subs = {symbols[k]: v for k, v in at.items()}
    for name in at:
        expected = float(sp.N(sp.diff(f, symbols[name]).subs(subs), 30))
        assert float(grad[name]) == pytest.approx(expected, rel=1e-9, abs=1e-11)


def _structure(graph):  # type: ignore[no-untyped-def]
    return [
        (n.op, n.args, n.shape, None if n.value is None else n.value.tolist()) for n in graph.nodes
    ]


@settings(max_examples=150, deadline=None)
@given(expr=expressions)
def test_pretty_printer_output_parses_back_to_the_same_graph(expr: str) -> None:
    graph = compile_source(expr).graph
    printed = format_program(graph)
    again = compile_source(printed).graph
    assert _structure(again) == _structure(graph)
    assert again.input_names == graph.input_names
    assert format_program(again) == printed  # a fixed point


def test_pretty_printer_round_trips_tensor_programs() -> None:
    source = "W: mat[2,3] = 0.5\nv: vec[3]\nb: vec[2] = [1, -2]\nreturn sum(relu(W @ v + b)) / 2"
    graph = compile_source(source).graph
    again = compile_source(format_program(graph)).graph
    assert _structure(again) == _structure(graph)
    assert {k: v.tolist() for k, v in again.defaults.items()} == {
        k: v.tolist() for k, v in graph.defaults.items()
    }


ALPHABET = "xyz12.e+-*/^()[],;:=# \nsinloga@T_"


@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet=ALPHABET, max_size=30) | st.text(max_size=20))
def test_junk_never_raises_anything_but_adx_error(text: str) -> None:
    try:
        lowered = compile_source(text)
    except AdxError as error:
        assert error.kind in ("parse", "name", "type")
        error.render()  # rendering must not fail either
        return
    try:
        run(lowered.graph, {}, "reverse")
    except AdxError as error:
        assert error.kind == "input"


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet="xv=12.,[]-+e pi/", max_size=20))
def test_junk_at_values_never_raise_anything_but_adx_error(text: str) -> None:
    try:
        parse_at(text)
    except AdxError as error:
        error.render()
