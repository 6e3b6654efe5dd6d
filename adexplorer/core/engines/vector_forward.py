"""A vector tangent sweep (vector forward mode): all n seed directions in one sweep.

Each node's tangent is an array of shape ``(n,) + node.shape``: row k is the
tangent along direction k.  This is the dual number with n infinitesimal parts,
``v = a + b₁ε₁ + … + bₙεₙ``.  The sweep visits every node once and applies its
JVP rule to all n rows there:

* an elementwise primitive (sin, +, *, where, …) has JVP ``∂y/∂a · ȧ``: the
  partial is computed once and multiplies the whole (n, …) block by numpy
  broadcasting (the argument's rows are given leading axes of length 1 so a scalar
  spread over a vector broadcasts per row, not across rows);
* the others (matmul, dot, sum, mean, transpose) do not broadcast over a leading
  axis the way their rule is written, so the rule is applied row by row, still at
  this one visit.

The arithmetic per entry is the scalar sweep's (:mod:`.forward`), in the same
order, so row k is bit for bit the tangent a scalar sweep seeded with direction k
gives: a term whose argument tangent is zero in a direction is exactly zero there
(as the scalar sweep skips it), and an infinite partial times a zero tangent is 0.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from adexplorer.base.numbers import all_finite
from adexplorer.base.shapes import Array, broadcast
from adexplorer.core.engines.steps import TangentStep, frozen
from adexplorer.core.ir import Graph
from adexplorer.core.primitives import Primitive


def batched(prim: Primitive) -> bool:
    """Whether ``prim``'s JVP rules broadcast over a leading axis of directions."""
    return prim.partials is not None and (prim.arity == 1 or prim.shape_rule is broadcast)


def _rows_moved(tangent: Array) -> np.ndarray:
    """For each direction: does this tangent move (is any entry nonzero)?"""
    return np.asarray(np.any(tangent.reshape(tangent.shape[0], -1) != 0, axis=1))


def _term(prim: Primitive, slot: int, args: tuple[Array, ...], out: Array, t: Array) -> Array:
    """Argument ``slot``'s JVP term for every direction: shape (n,) + (a shape that
    broadcasts to the output's)."""
    n = t.shape[0]
    if batched(prim):
        out_ndim = np.ndim(out)
        arg_shape = t.shape[1:]
        # (n, 1, …, 1, arg shape): each row broadcasts against the output by itself
        aligned = t.reshape((n,) + (1,) * (out_ndim - len(arg_shape)) + arg_shape)
        term = np.asarray(prim.jvp[slot](args, out, aligned), dtype=np.float64)
        if term.size == aligned.size and not all_finite(term):
            # the scalar sweep's _zero_times: an infinite partial times a zero tangent is 0
            term = np.where(aligned == 0, 0.0, term)
        return term
    rows = [np.asarray(prim.jvp[slot](args, out, t[k]), dtype=np.float64) for k in range(n)]
    return np.array(rows) if rows else np.zeros((0, *np.shape(out)))


def vector_forward(
    graph: Graph, primals: Sequence[Array], seed: dict[int, Array], n: int
) -> Iterator[TangentStep]:
    """Yield one :class:`TangentStep` per input and operation; each ``value`` has shape
    ``(n,) + node.shape``.

    ``seed`` maps input nodes to their (n,) + shape block of directions; inputs not in
    it are not moved by any direction (zeros).
    """
    nodes = graph.nodes
    tangents: list[Array | None] = [None] * len(nodes)
    for node in nodes:
        op = node.op
        if op == "const":
            continue
        if op == "input":
            block = seed.get(node.index)
            value = np.zeros((n, *node.shape)) if block is None else np.asarray(block, np.float64)
            value = frozen(value) if block is None else value
        else:
            prim = graph.rule(op)
            args = tuple(primals[a] for a in node.args)
            out = primals[node.index]
            total: np.ndarray | None = None
            for slot, a in enumerate(node.args):
                t = tangents[a]
                if t is None:
                    continue
                moved = _rows_moved(t)
                if not moved.any():
                    continue  # no direction moves this argument: its term is exactly 0
                term = _term(prim, slot, args, out, t)
                if not moved.all():
                    # the scalar sweep skips a zero tangent's term: 0 exactly, never 0·inf
                    term = np.where(moved.reshape((n,) + (1,) * (term.ndim - 1)), term, 0.0)
                total = term if total is None else total + term
            full = (n, *node.shape)
            if total is None:
                value = np.zeros(full)
            elif total.shape != full:
                value = np.array(np.broadcast_to(total, full))
            else:
                value = total
            value = frozen(value)
        tangents[node.index] = value
        yield TangentStep(node.index, value)
