"""The primal sweep: evaluate a graph at given input values, one step per node."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from adexplorer.base.shapes import Array
from adexplorer.core.engines.steps import PrimalStep
from adexplorer.core.ir import Graph
from adexplorer.core.primitives import PRIMITIVES


def as_value(x: object) -> Array:
    """Values are float64 arrays; 0-d ones are kept as numpy scalars (faster ufuncs)."""
    arr = np.asarray(x, dtype=np.float64)
    return arr[()] if arr.ndim == 0 else arr


def evaluate(graph: Graph, input_values: Sequence[Array]) -> Iterator[PrimalStep]:
    """Yield a :class:`PrimalStep` per input and per operation, in graph order.

    ``input_values`` are given in the order of ``graph.inputs``.  Constants are
    part of the operations that use them and get no step of their own.
    """
    values: list[Array | None] = [None] * len(graph.nodes)
    for index, value in zip(graph.inputs, input_values, strict=True):
        values[index] = as_value(value)
    for node in graph.nodes:
        op = node.op
        if op == "input":
            value = values[node.index]
        elif op == "const":
            values[node.index] = as_value(node.value)
            continue
        else:
            value = PRIMITIVES[op].evaluate(*[values[a] for a in node.args])
            values[node.index] = value
        assert value is not None
        yield PrimalStep(node.index, value)
