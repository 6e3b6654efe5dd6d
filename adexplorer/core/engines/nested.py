"""The nested adjoint sweep (forward-over-reverse): an adjoint sweep on dual numbers.

Every adjoint v̄ carries a tangent v̄̇: how v̄ changes when the inputs move along a
direction u.  The primal tangents v̇ along u come first, from a tangent sweep
(:mod:`.forward`); then this sweep walks the operations in reverse, as
:mod:`.reverse` does, and for each contribution ``ū += v̄·∂v/∂u`` also forms its
tangent by the product rule::

    u̇̄ += v̄̇·∂v/∂u + v̄·(∂²v/∂u∂w)·ẇ     (summed over the arguments w of v)

The first term is the primitive's VJP rule applied to v̄̇; the second is its
``vjp_dot`` (the VJP's change when the primals move, v̄ held), which the primitive
table derives from each entry's second-order information.  Seeded with ȳ = 1 on a
scalar output, the inputs' v̄ are the gradient and their v̄̇ are H·u: one nested
sweep gives a Hessian-vector product, and n of them (unit directions) the
Hessian.

Activity works as in :mod:`.reverse`: with ``active``, contributions to inactive
nodes are skipped (the rows of H·u for the inputs nobody asked for are never
formed), while the tangents of every node still enter the second-order terms.
Records are frozen as the other engines freeze theirs (:mod:`.steps`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from adexplorer.base.shapes import Array
from adexplorer.core.engines.evaluate import as_value
from adexplorer.core.engines.reverse import reverse_plan
from adexplorer.core.engines.steps import frozen, frozen_result
from adexplorer.core.ir import Graph


class NestedAdjointStep(NamedTuple):
    """``node``'s adjoint grew by ``contribution`` to ``total`` (as :class:`.AdjointStep`),
    and its tangent by ``contribution_dot`` to ``total_dot`` (v̄̇).

    ``source`` is None for a seed step (ȳ and its tangent ȳ̇ set on an output)."""

    node: int
    source: int | None
    slot: int
    contribution: Array
    total: Array
    contribution_dot: Array
    total_dot: Array


def _zeros_like(shape: tuple[int, ...]) -> Array:
    return frozen(as_value(np.zeros(shape)))


def _nonzero(value: Array | None) -> bool:
    return value is not None and bool(np.any(value))


def nested_reverse(
    graph: Graph,
    primals: Sequence[Array],
    tangents: Sequence[Array | None],
    seed: Mapping[int, Array],
    seed_dot: Mapping[int, Array] | None = None,
    active: Sequence[bool] | None = None,
) -> Iterator[NestedAdjointStep]:
    """Yield the seed steps, then one :class:`NestedAdjointStep` per contribution.

    ``primals`` and ``tangents`` hold every node's value and its tangent along the
    direction (a tangent sweep's; None for constants).  ``seed`` maps output nodes to
    ȳ, ``seed_dot`` to ȳ̇ (default 0: the cotangent does not move with the inputs).
    """
    nodes = graph.nodes
    adjoints: list[Array | None] = [None] * len(nodes)
    dots: list[Array | None] = [None] * len(nodes)
    seed_dot = seed_dot or {}
    for index, value in seed.items():
        v = frozen(as_value(value))
        d = (
            frozen(as_value(np.broadcast_to(seed_dot[index], nodes[index].shape)))
            if index in seed_dot
            else _zeros_like(nodes[index].shape)
        )
        previous, previous_dot = adjoints[index], dots[index]
        adjoints[index] = v if previous is None else frozen(previous + v)
        dots[index] = d if previous_dot is None else frozen(previous_dot + d)
        yield NestedAdjointStep(index, None, 0, v, adjoints[index], d, dots[index])
    for index, args, slots in reverse_plan(graph, active):
        ct = adjoints[index]
        if ct is None:
            continue  # the seeded outputs do not depend on this node
        ct_dot = dots[index]
        operands = tuple(primals[a] for a in args)
        arg_tangents = tuple(tangents[a] for a in args)
        out = primals[index]
        out_tangent = tangents[index]
        rule = graph.rule(nodes[index].op)
        for slot, a, vjp in slots:
            contribution = frozen_result(vjp(operands, out, ct), operands)
            # the product rule: v̄̇·∂v/∂u (ct_dot through the VJP) + v̄·d(∂v/∂u) (vjp_dot)
            change: Array | None = None
            if _nonzero(ct_dot):
                assert ct_dot is not None
                change = vjp(operands, out, ct_dot)
            moved = rule.vjp_dot[slot](operands, out, ct, arg_tangents, out_tangent)
            if moved is not None:
                change = moved if change is None else change + moved
            if change is None:
                change = _zeros_like(nodes[a].shape)
            elif np.shape(change) != nodes[a].shape:
                change = as_value(np.broadcast_to(change, nodes[a].shape))
            contribution_dot = frozen_result(change, (*operands, ct, ct_dot))
            previous, previous_dot = adjoints[a], dots[a]
            total = contribution if previous is None else frozen(previous + contribution)
            dot = contribution_dot
            total_dot = dot if previous_dot is None else frozen(previous_dot + dot)
            adjoints[a], dots[a] = total, total_dot
            yield NestedAdjointStep(a, index, slot, contribution, total, dot, total_dot)
