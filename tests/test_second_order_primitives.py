"""Table-driven second-order tests over every primitive (a new entry is tested automatically).

* every primitive's Hessian by nested sweeps against sympy at random points, alone
  (summed to a scalar) and under a nonlinear function (sin), every argument shape
  the first-order tests use (broadcasting, matrices, vectors);
* each second partial's displayed text against sympy's second derivative;
* (helpers for test_second_order.py) a graph's Hessian by sympy from the primitives'
  mathematical definitions, and H·u by central differences of gradients;
* the table refuses a primitive without second-order information.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pytest
import sympy as sp

from adexplorer.base.shapes import Array, Shape
from adexplorer.core.ir import Graph, Node
from adexplorer.core.primitives import PRIMITIVES, SecondOrder, _check_second
from adexplorer.core.second_order import run_second_order
from adexplorer.core.trace import run
from tests.helpers import ARG_NAMES, all_cases, sample
from tests.test_primitives import SYMPY_DEFINITIONS, _to_sympy

# -- independent second derivatives (also used by test_second_order.py) ------------

_ARGS = sp.symbols("a b c", real=True)


def _elementwise(name: str, *args: sp.Expr) -> sp.Expr:
    definition = SYMPY_DEFINITIONS[name]
    return definition.subs(dict(zip(_ARGS, args, strict=False)), simultaneous=True)


def symbolic_output(graph: Graph) -> tuple[sp.Expr, list[sp.Symbol]]:
    """The graph's (scalar) output as a sympy expression of one symbol per input entry,
    and those symbols in the order of the flattened inputs (``unit_seeds``' order).

    Built node by node from the primitives' mathematical definitions (sympy's, not
    the table's rules), so its Hessian is an independent reference."""
    values: list[np.ndarray] = []
    symbols: list[sp.Symbol] = []
    for node in graph.nodes:
        if node.is_input:
            n = int(np.prod(node.shape, dtype=int))
            entry = [sp.Symbol(f"{node.name}_{k}", real=True) for k in range(n)]
            symbols.extend(entry)
            values.append(np.array(entry, dtype=object).reshape(node.shape))
            continue
        if node.is_const:
            const = np.asarray(node.value, dtype=np.float64)
            # whole numbers exactly: sympy's x**2.0 has a second derivative 2.0*x**0.0, NaN at 0
            values.append(np.vectorize(_constant, otypes=[object])(const))
            continue
        args = [values[a] for a in node.args]
        values.append(_apply(node.op, args))
    out = values[graph.outputs[0]]
    assert out.shape == (), "a scalar output"
    return out[()], symbols


def _constant(value: float) -> sp.Expr:
    return sp.Integer(int(value)) if float(value).is_integer() else sp.Float(value)


def _apply(op: str, args: list[np.ndarray]) -> np.ndarray:
    if op == "matmul":
        return np.asarray(np.matmul(args[0], args[1]), dtype=object)
    if op == "dot":
        return np.asarray(np.dot(args[0], args[1]), dtype=object)
    if op == "sum":
        return np.asarray(np.sum(args[0]), dtype=object)
    if op == "mean":
        return np.asarray(np.sum(args[0]) / args[0].size, dtype=object)
    if op == "transpose":
        return np.transpose(args[0])
    broadcast = np.broadcast_arrays(*args)
    out = np.empty(broadcast[0].shape, dtype=object)
    for index in np.ndindex(out.shape):
        out[index] = _elementwise(op, *(arr[index] for arr in broadcast))
    return out


def sympy_hessian(graph: Graph, inputs: Mapping[str, Array]) -> np.ndarray:
    """H of the graph's output at ``inputs``, by sympy."""
    expr, symbols = symbolic_output(graph)
    point: dict[sp.Symbol, float] = {}
    position = 0
    for i in graph.inputs:
        node = graph.nodes[i]
        flat = np.ravel(np.asarray(inputs[node.name or ""], dtype=np.float64))
        for value in flat:
            point[symbols[position]] = float(value)
            position += 1
    n = len(symbols)
    result = np.zeros((n, n))
    gradient = [sp.diff(expr, s) for s in symbols]
    for r in range(n):
        for c in range(r, n):
            entry = sp.diff(gradient[r], symbols[c]).subs(point)
            result[r, c] = result[c, r] = float(sp.N(entry, 30))
    return result


def gradient_differences(
    graph: Graph, inputs: Mapping[str, Array], direction: Mapping[str, Array], h: float = 1e-5
) -> dict[str, np.ndarray]:
    """H·u by central differences of reverse-mode gradients: (∇f(x+hu) − ∇f(x−hu)) / 2h."""

    def gradient(sign: float) -> dict[str, Array]:
        moved = {
            name: np.asarray(value, dtype=np.float64)
            + sign * h * np.asarray(direction.get(name, 0.0), dtype=np.float64)
            for name, value in inputs.items()
        }
        return run(graph, moved, "reverse").gradient()

    plus, minus = gradient(1.0), gradient(-1.0)
    return {name: (plus[name] - minus[name]) / (2 * h) for name in plus}


CASES = all_cases()
IDS = [f"{name}-{'x'.join(str(s) for s in shapes)}" for name, shapes in CASES]


def _scalar_graph(name: str, shapes: tuple[Shape, ...], outer: str | None) -> Graph:
    """Inputs a (b, c), the primitive, then ``outer`` (e.g. sin) if given, then sum if
    the result is not a scalar: a function with one scalar output."""
    prim = PRIMITIVES[name]
    nodes = [Node(i, "input", (), s, None, ARG_NAMES[i]) for i, s in enumerate(shapes)]
    shape = tuple(prim.shape_rule(*shapes))
    nodes.append(Node(len(nodes), name, tuple(range(prim.arity)), shape))
    if outer is not None:
        nodes.append(Node(len(nodes), outer, (len(nodes) - 1,), shape))
    if shape != ():
        nodes.append(Node(len(nodes), "sum", (len(nodes) - 1,), ()))
    return Graph(
        nodes=tuple(nodes),
        inputs=tuple(range(prim.arity)),
        outputs=(len(nodes) - 1,),
        output_names=("f",),
    )


def _point(name: str, shapes: tuple[Shape, ...], seed: int) -> dict[str, np.ndarray]:
    prim = PRIMITIVES[name]
    rng = np.random.default_rng(seed)
    return {ARG_NAMES[i]: sample(prim, i, s, rng) for i, s in enumerate(shapes)}


@pytest.mark.parametrize("outer", [None, "sin"])
@pytest.mark.parametrize(("name", "shapes"), CASES, ids=IDS)
def test_hessian_matches_sympy(name: str, shapes: tuple, outer: str | None) -> None:
    graph = _scalar_graph(name, shapes, outer)
    for seed in (0, 1):
        inputs = _point(name, shapes, seed)
        trace = run_second_order(graph, inputs)
        got = trace.hessian()
        want = sympy_hessian(graph, inputs)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10, err_msg=f"{name} {shapes}")


def test_every_primitive_has_second_order_information() -> None:
    for prim in PRIMITIVES.values():
        assert prim.second is not None, prim.name
        assert len(prim.vjp_dot) == prim.arity, prim.name


def test_the_table_refuses_a_primitive_without_second_order_information() -> None:
    sin = PRIMITIVES["sin"]
    with pytest.raises(RuntimeError, match="no second-order rule"):
        _check_second(dataclasses.replace(sin, second=None))
    assert sin.second is not None
    partial = SecondOrder(
        "elementwise", partials=((None, None),), texts=((None,),), cost=sin.second.cost
    )
    with pytest.raises(RuntimeError, match="second partial"):
        _check_second(dataclasses.replace(sin, second=partial))


# -- the displayed second partials, checked by sympy ---------------------------

_a, _b, _c = sp.symbols("a b c", real=True)
ELEMENTWISE = [
    name for name, p in PRIMITIVES.items() if p.second and p.second.kind == "elementwise"
]
TEXT_CASES = [(name, None) for name in ELEMENTWISE] + [("pow", c) for c in (3.0, 2.0, 1.0, 0.5)]


@pytest.mark.parametrize(("name", "constant_exponent"), TEXT_CASES)
def test_second_partial_texts_agree_with_sympy(name: str, constant_exponent: float | None) -> None:
    prim = PRIMITIVES[name]
    definition = SYMPY_DEFINITIONS[name]
    consts: list[float | None] = [None] * prim.arity
    names = list(ARG_NAMES[: prim.arity])
    if constant_exponent is not None:
        consts[1] = constant_exponent
        definition = definition.subs(_b, constant_exponent)
        names = ["a", repr(constant_exponent)]
    symbols = [_a, _b, _c]
    points = [(0.7, 1.3), (1.9, -0.4), (-0.6, 0.8)]
    for i in range(prim.arity):
        for j in range(prim.arity):
            if consts[i] is not None or consts[j] is not None:
                continue
            shown = prim.second_text(i, j, names, "y", consts)
            expected = sp.diff(definition, symbols[i], symbols[j])
            for a_val, b_val in points:
                if name in ("log", "sqrt", "pow") and a_val <= 0:
                    a_val = -a_val
                subs = {_a: a_val, _b: b_val, _c: 0.3}
                want = complex(sp.N(expected.subs(subs).doit()))
                if shown is None:  # identically 0
                    assert want == 0, (name, i, j)
                    continue
                got = complex(_to_sympy(shown, definition).subs(subs).evalf())
                assert got == pytest.approx(want, rel=1e-12, abs=1e-12), (name, i, j, shown)
