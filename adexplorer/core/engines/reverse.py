"""An adjoint sweep (reverse mode): pull one output cotangent back to every input.

Walks the operations in reverse graph order.  For each node whose adjoint v̄
is known, and each of its non-constant arguments u, it *adds*
``v̄ · ∂v/∂u`` (the primitive's VJP rule) to ū.  Adjoints are accumulated,
never assigned, so a value used twice (``x*x``, or x1 in ln(x1) + x1*x2)
receives two contributions and their sum is its adjoint.  One sweep gives
ȳᵀ·J; the full Jacobian of f: Rⁿ → Rᵐ needs m sweeps.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from adexplorer.base.shapes import Array
from adexplorer.core.engines.evaluate import as_value
from adexplorer.core.engines.steps import AdjointStep
from adexplorer.core.ir import Graph


def reverse(
    graph: Graph, primals: Sequence[Array], seed: Mapping[int, Array]
) -> Iterator[AdjointStep]:
    """Yield the seed steps, then one :class:`AdjointStep` per contribution.

    ``seed`` maps output node indices to their cotangent ȳ.  Nodes that the
    seeded outputs do not depend on are never visited (their adjoint is 0).
    """
    nodes = graph.nodes
    adjoints: list[Array | None] = [None] * len(nodes)
    for index, value in seed.items():
        v = as_value(value)
        adjoints[index] = v if adjoints[index] is None else adjoints[index] + v
        yield AdjointStep(index, None, 0, v, adjoints[index])
    for index in range(len(nodes) - 1, -1, -1):
        ct = adjoints[index]
        node = nodes[index]
        if ct is None or node.op in ("input", "const"):
            continue
        prim = graph.rule(node.op)
        args = tuple(primals[a] for a in node.args)
        out = primals[index]
        for slot, a in enumerate(node.args):
            if nodes[a].op == "const":
                continue
            contribution = prim.vjp[slot](args, out, ct)
            previous = adjoints[a]
            total = contribution if previous is None else previous + contribution
            adjoints[a] = total
            yield AdjointStep(a, index, slot, contribution, total)
