"""An adjoint sweep (reverse mode): pull one output cotangent back to every input.

Walks the operations in reverse graph order.  For each node whose adjoint v̄
is known, and each of its non-constant arguments u, it *adds*
``v̄ · ∂v/∂u`` (the primitive's VJP rule) to ū.  Adjoints are accumulated,
never assigned, so a value used twice (``x*x``, or x1 in ln(x1) + x1*x2)
receives two contributions and their sum is its adjoint.  One sweep gives
ȳᵀ·J; the full Jacobian of f: Rⁿ → Rᵐ needs m sweeps.

*Activity*: given the nodes that depend on the inputs one differentiates with
respect to (:func:`active_nodes`), the sweep skips every contribution to a node
outside that set.  Such a contribution could only ever flow to inputs nobody
asked for (for a network's data X, the 64×1000 X̄ = z̄·W1ᵀ), and every adjoint it
does form is the sum of the same contributions in the same order, so the
adjoints of the active nodes are bit for bit those of the full sweep.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence

import numpy as np

from adexplorer.base.shapes import Array
from adexplorer.core.engines.evaluate import as_value
from adexplorer.core.engines.steps import AdjointStep, frozen
from adexplorer.core.ir import Graph
from adexplorer.core.primitives import VjpRule


def active_nodes(graph: Graph, inputs: Collection[int]) -> tuple[bool, ...]:
    """For each node: does its value depend on one of the input nodes ``inputs``?

    Constants and the other inputs are inactive; an operation is active if one of
    its arguments is.  Kept in :attr:`Graph.memo` per set of inputs.
    """
    key = ("active", frozenset(inputs))
    cached = graph.memo.get(key)
    if cached is None:
        active = [False] * len(graph.nodes)
        for i in inputs:
            active[i] = True
        for node in graph.nodes:
            if node.is_op and any(active[a] for a in node.args):
                active[node.index] = True
        cached = graph.memo[key] = tuple(active)
    return cached


#: The operations a sweep visits, last first: (node, argument nodes, the slots it pulls
#: back to as (slot, argument node, VJP rule)).
ReversePlan = tuple[tuple[int, tuple[int, ...], tuple[tuple[int, int, VjpRule], ...]], ...]


def reverse_plan(graph: Graph, active: Sequence[bool] | None = None) -> ReversePlan:
    """The operations in reverse order with the argument slots that receive adjoints
    (not constants; with ``active``, active nodes only): once per graph and activity."""
    key = ("reverse_plan", None if active is None else tuple(active))
    cached = graph.memo.get(key)
    if cached is None:
        nodes = graph.nodes
        plan = []
        for index in range(len(nodes) - 1, -1, -1):
            node = nodes[index]
            if not node.is_op:
                continue
            rule = graph.rule(node.op)
            slots = tuple(
                (slot, a, rule.vjp[slot])
                for slot, a in enumerate(node.args)
                if not nodes[a].is_const and (active is None or active[a])
            )
            if slots:
                plan.append((index, node.args, slots))
        cached = graph.memo[key] = tuple(plan)
    return cached


def reverse(
    graph: Graph,
    primals: Sequence[Array],
    seed: Mapping[int, Array],
    active: Sequence[bool] | None = None,
) -> Iterator[AdjointStep]:
    """Yield the seed steps, then one :class:`AdjointStep` per contribution.

    ``seed`` maps output node indices to their cotangent ȳ.  Nodes that the
    seeded outputs do not depend on are never visited (their adjoint is 0).
    With ``active`` (one flag per node, from :func:`active_nodes`), only active
    nodes receive contributions: the others get no step and no adjoint.
    """
    adjoints: list[Array | None] = [None] * len(graph.nodes)
    for index, value in seed.items():
        v = frozen(as_value(value))
        adjoints[index] = v if adjoints[index] is None else frozen(adjoints[index] + v)
        yield AdjointStep(index, None, 0, v, adjoints[index])
    for index, args, slots in reverse_plan(graph, active):
        ct = adjoints[index]
        if ct is None:
            continue  # the seeded outputs do not depend on this node
        operands = tuple(primals[a] for a in args)
        out = primals[index]
        for slot, a, vjp in slots:
            contribution = vjp(operands, out, ct)
            if type(contribution) is np.ndarray and not any(contribution is x for x in operands):
                contribution.setflags(write=False)  # frozen(); never an operand itself
            previous = adjoints[a]
            total = contribution if previous is None else frozen(previous + contribution)
            adjoints[a] = total
            yield AdjointStep(a, index, slot, contribution, total)
