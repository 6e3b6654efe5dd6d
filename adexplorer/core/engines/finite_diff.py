"""Finite differences: derivative estimates from function values alone.

This is the one finite-difference implementation in adx: ``adx fd`` uses it to
show truncation and round-off error, and the test suite uses it to check every
AD rule.  Schemes, for a direction u and step h:

* forward   (f(x + h·u) − f(x)) / h               error O(h),  n+1 evaluations per gradient
* backward  (f(x) − f(x − h·u)) / h               error O(h),  n+1 evaluations
* central   (f(x + h·u) − f(x − h·u)) / (2h)      error O(h²), 2n evaluations
* complex   Im f(x + i·h·u) / h                    no subtraction, so no cancellation;
  exact to rounding for analytic functions, n evaluations

and the four-point formula for a mixed second partial ∂²f/∂x∂y.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from adexplorer.base.shapes import Array
from adexplorer.core.ir import Graph
from adexplorer.core.primitives import PRIMITIVES

SCHEMES = ("forward", "backward", "central", "complex")
Function = Callable[[Mapping[str, Array]], Array]


def evaluate_outputs(
    graph: Graph, inputs: Mapping[str, Array], dtype: type = np.float64
) -> list[Array]:
    """The graph's outputs at ``inputs``, without step records (FD calls this many times).

    A program with ``if``/``for`` is taped afresh at ``inputs``, so a difference
    across a branch boundary sees the jump, as the function does.
    """
    graph = graph.retaped(inputs)
    values: list[Array | None] = [None] * len(graph.nodes)
    for node in graph.nodes:
        if node.op == "input":
            values[node.index] = np.asarray(inputs[node.name or ""], dtype=dtype)
        elif node.op == "const":
            values[node.index] = np.asarray(node.value, dtype=dtype)
        else:
            prim = PRIMITIVES[node.op]
            fn = prim.evaluate
            if dtype is not np.float64 and prim.complex_evaluate is not None:
                fn = prim.complex_evaluate
            values[node.index] = fn(*[values[a] for a in node.args])
    return [np.asarray(values[o]) for o in graph.outputs]


def complex_step_obstacles(graph: Graph) -> list[int]:
    """Operations on the inputs' path whose primitive is not analytic (abs, relu, …).

    Complex-step differentiation needs f to be analytic: for those primitives a
    complex argument does not continue the real function (abs returns the
    modulus, whose imaginary part is 0), so Im f(x + ih)/h loses the derivative.
    """
    depends = [node.is_input for node in graph.nodes]
    obstacles = []
    for node in graph.nodes:
        if node.is_op:
            depends[node.index] = any(depends[a] for a in node.args)
            if depends[node.index] and not node.primitive.analytic:
                obstacles.append(node.index)
    return obstacles


def function_of(graph: Graph, output: int = 0) -> Function:
    def f(inputs: Mapping[str, Array]) -> Array:
        with np.errstate(all="ignore"):
            return evaluate_outputs(graph, inputs)[output]

    return f


def _shifted(
    inputs: Mapping[str, Array], direction: Mapping[str, Array], step: complex
) -> dict[str, Array]:
    shifted = {}
    for name, value in inputs.items():
        if name in direction:
            shifted[name] = np.asarray(value) + step * np.asarray(direction[name])
        else:
            shifted[name] = np.asarray(value)
    return shifted


def directional(
    graph: Graph,
    inputs: Mapping[str, Array],
    direction: Mapping[str, Array],
    h: float,
    scheme: str = "central",
    output: int = 0,
) -> Array:
    """Estimate J·u for the direction ``u`` (input name → array) with step ``h``."""
    if scheme == "complex":
        with np.errstate(all="ignore"):
            complex_inputs = {k: np.asarray(v, dtype=np.complex128) for k, v in inputs.items()}
            value = evaluate_outputs(
                graph, _shifted(complex_inputs, direction, 1j * h), dtype=np.complex128
            )[output]
        return np.asarray(np.imag(value) / h, dtype=np.float64)
    f = function_of(graph, output)
    if scheme == "forward":
        return (f(_shifted(inputs, direction, h)) - f(inputs)) / h
    if scheme == "backward":
        return (f(inputs) - f(_shifted(inputs, direction, -h))) / h
    if scheme == "central":
        return (f(_shifted(inputs, direction, h)) - f(_shifted(inputs, direction, -h))) / (2 * h)
    raise ValueError(f"unknown scheme {scheme!r}; use one of {', '.join(SCHEMES)}")


def gradient(
    graph: Graph, inputs: Mapping[str, Array], h: float, scheme: str = "central"
) -> dict[str, Array]:
    """The full gradient of a scalar output, one directional estimate per input entry."""
    result: dict[str, Array] = {}
    for name, value in inputs.items():
        value = np.asarray(value, dtype=np.float64)
        grad = np.zeros(value.shape)
        for flat in range(value.size):
            unit = np.zeros(value.size)
            unit[flat] = 1.0
            grad.reshape(-1)[flat] = directional(
                graph, inputs, {name: unit.reshape(value.shape)}, h, scheme
            )
        result[name] = grad
    return result


def evaluations_per_gradient(n_inputs: int, scheme: str) -> int:
    """Function evaluations a full gradient of f: Rⁿ → R needs by each scheme."""
    return {
        "forward": n_inputs + 1,
        "backward": n_inputs + 1,
        "central": 2 * n_inputs,
        "complex": n_inputs,
    }[scheme]


def mixed_second(
    graph: Graph, inputs: Mapping[str, Array], x: str, y: str, h: float, k: float | None = None
) -> float:
    """∂²f/∂x∂y ≈ [f(x+h, y+k) − f(x+h, y−k) − f(x−h, y+k) + f(x−h, y−k)] / 4hk."""
    k = h if k is None else k
    f = function_of(graph)

    def at(dx: float, dy: float) -> float:
        shifted = dict(inputs)
        shifted[x] = np.asarray(inputs[x]) + dx
        shifted[y] = np.asarray(shifted[y]) + dy
        return float(f(shifted))

    return (at(h, k) - at(h, -k) - at(-h, k) + at(-h, -k)) / (4 * h * k)
