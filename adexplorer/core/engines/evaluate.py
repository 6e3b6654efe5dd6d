"""The primal sweep: evaluate a graph at given input values, one step per node."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np

from adexplorer.base.shapes import Array
from adexplorer.core.engines.steps import PrimalStep
from adexplorer.core.ir import Graph
from adexplorer.core.primitives import PRIMITIVES

#: One entry per input and operation, in graph order: (node, evaluate or None for an
#: input, argument nodes).
Plan = tuple[tuple[int, Callable[..., Array] | None, tuple[int, ...]], ...]


def as_value(x: object) -> Array:
    """Values are float64 arrays; 0-d ones are kept as numpy scalars (faster ufuncs)."""
    arr = np.asarray(x, dtype=np.float64)
    return arr[()] if arr.ndim == 0 else arr


def primal_plan(graph: Graph) -> tuple[Plan, tuple[Array | None, ...]]:
    """What the primal sweep does, worked out once per graph (kept in :attr:`Graph.memo`):
    the steps in order, and every node's starting value (the constants' own)."""
    cached = graph.memo.get("primal_plan")
    if cached is None:
        plan = tuple(
            (node.index, None if node.is_input else PRIMITIVES[node.op].evaluate, node.args)
            for node in graph.nodes
            if not node.is_const
        )
        start = tuple(as_value(node.value) if node.is_const else None for node in graph.nodes)
        cached = graph.memo["primal_plan"] = (plan, start)
    return cached


def evaluate(graph: Graph, input_values: Sequence[Array]) -> Iterator[PrimalStep]:
    """Yield a :class:`PrimalStep` per input and per operation, in graph order.

    ``input_values`` are given in the order of ``graph.inputs``.  Constants are
    part of the operations that use them and get no step of their own.  Every
    operation's value is read-only (see :mod:`.steps`); the inputs are held as given.
    """
    plan, start = primal_plan(graph)
    values = list(start)
    for index, value in zip(graph.inputs, input_values, strict=True):
        values[index] = as_value(value)
    for index, evaluate_op, args in plan:
        if evaluate_op is None:  # an input
            value = values[index]
        else:
            operands = [values[a] for a in args]
            value = evaluate_op(*operands)
            if type(value) is np.ndarray and not any(value is x for x in operands):
                value.setflags(write=False)  # frozen(); never an argument's own array
            values[index] = value
        yield PrimalStep(index, value)
