"""A tangent sweep (forward mode): push one seed direction from the inputs to the outputs.

For every node, in graph order, its tangent is the sum over its arguments of
the primitive's JVP rule applied to that argument's tangent:
``v̇ = Σᵢ ∂v/∂uᵢ · u̇ᵢ``.  One sweep gives J·u̇ for the seed u̇; the full
Jacobian of f: Rⁿ → Rᵐ needs n sweeps, one per unit seed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from adexplorer.base.numbers import all_finite
from adexplorer.base.shapes import Array
from adexplorer.core.engines.evaluate import as_value
from adexplorer.core.engines.steps import TangentStep, frozen, frozen_result
from adexplorer.core.ir import Graph


def _zero_times(term: Array, tangent: Array) -> Array:
    """Where the tangent is exactly zero, the term is exactly zero.

    An infinite partial times a zero tangent is NaN in floating point (sqrt at 0
    with x unseeded), but a direction that does not move an input cannot move
    the output: PyTorch and JAX treat such tangents as zeros, and so does adx,
    so forward mode agrees with reverse mode at domain edges.
    """
    if np.shape(term) == np.shape(tangent) and not all_finite(term):
        return np.where(tangent == 0, 0.0, term)
    return term


def forward(
    graph: Graph, primals: Sequence[Array], seed: Mapping[int, Array]
) -> Iterator[TangentStep]:
    """Yield a :class:`TangentStep` per input (its seed) and per operation.

    ``primals`` holds every node's value (from the primal sweep); ``seed`` maps
    input node indices to their tangent (missing inputs are seeded with 0).
    """
    nodes = graph.nodes
    tangents: list[Array | None] = [None] * len(nodes)
    for node in nodes:
        op = node.op
        if op == "const":
            continue  # a constant's tangent is 0: it contributes nothing
        if op == "input":
            # a seed is the caller's array, held as given; an unseeded input's zeros are ours
            value = (
                as_value(seed[node.index])
                if node.index in seed
                else frozen(as_value(np.zeros(node.shape)))
            )
        else:
            prim = graph.rule(op)
            args = tuple(primals[a] for a in node.args)
            out = primals[node.index]
            total: Array | None = None
            for slot, a in enumerate(node.args):
                t = tangents[a]
                if t is None or not np.any(t):
                    continue  # a zero tangent contributes exactly zero (see _zero_times)
                term = _zero_times(prim.jvp[slot](args, out, t), t)
                total = term if total is None else total + term
            if total is None:
                total = np.zeros(node.shape)
            value = (
                as_value(np.broadcast_to(total, node.shape))
                if np.shape(total) != node.shape
                else total
            )
            frozen_result(value, (*args, *(tangents[a] for a in node.args)))
        tangents[node.index] = value
        yield TangentStep(node.index, value)
