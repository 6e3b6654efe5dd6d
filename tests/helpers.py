"""Test helpers: tiny graphs around one primitive, and sample points in its domain."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from adexplorer.base.shapes import Shape
from adexplorer.core.ir import Graph, Node
from adexplorer.core.primitives import PRIMITIVES, Primitive

#: Where each primitive is smooth and defined: (low, high) for |x| or x.
DOMAINS: dict[str, tuple[float, float]] = {
    "log": (0.3, 3.0),
    "sqrt": (0.3, 3.0),
    "asin": (-0.9, 0.9),
    "acos": (-0.9, 0.9),
    "log1p": (-0.6, 3.0),
    "tan": (-1.2, 1.2),
}
#: Primitives with a kink or jump at 0: sample away from it (sign chosen at random).
AWAY_FROM_ZERO = {"abs", "relu", "sign", "step"}

#: Argument shapes to test each primitive with.
SHAPES: dict[str, list[tuple[Shape, ...]]] = {
    "matmul": [((2, 3), (3, 2)), ((2, 3), (3,)), ((3,), (3, 2)), ((3,), (3,))],
    "dot": [((4,), (4,))],
    "sum": [((3,),), ((2, 3),)],
    "mean": [((3,),), ((2, 3),)],
    "transpose": [((2, 3),), ((3,),)],
}
BINARY_SHAPES: list[tuple[Shape, ...]] = [((), ()), ((3,), ()), ((2, 3), (3,)), ((2, 3), (2, 3))]
UNARY_SHAPES: list[tuple[Shape, ...]] = [((),), ((2, 2),)]


TERNARY_SHAPES: list[tuple[Shape, ...]] = [((), (), ()), ((2, 3), (2, 3), ()), ((3,), (2, 3), (3,))]
#: Argument names of the one-operation graphs, by slot.
ARG_NAMES = ("a", "b", "c")
#: Arguments a primitive only reads as true/false (nonzero or 0): sampled as 0 or 1,
#: and never moved by a finite difference, since any move would flip 0 to true.
CONDITION_SLOTS: dict[str, int] = {"where": 0}


def shapes_for(prim: Primitive) -> list[tuple[Shape, ...]]:
    if prim.name in SHAPES:
        return SHAPES[prim.name]
    return {1: UNARY_SHAPES, 2: BINARY_SHAPES, 3: TERNARY_SHAPES}[prim.arity]


def sample(prim: Primitive, slot: int, shape: Shape, rng: np.random.Generator) -> np.ndarray:
    name = prim.name
    if CONDITION_SLOTS.get(name) == slot:
        return rng.choice([0.0, 1.0], shape)
    if name == "pow":
        return rng.uniform(0.5, 2.0, shape) if slot == 0 else rng.uniform(-2.0, 2.0, shape)
    if name == "div" and slot == 1:
        return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)
    if name in AWAY_FROM_ZERO:
        return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 2.0, shape)
    low, high = DOMAINS.get(name, (-2.0, 2.0))
    return rng.uniform(low, high, shape)


def single_op_graph(prim: Primitive, shapes: Sequence[Shape]) -> Graph:
    """Inputs a (and b, c), one node applying ``prim``, that node as the output."""
    names = list(ARG_NAMES[: prim.arity])
    nodes = [
        Node(i, "input", (), s, None, n) for i, (n, s) in enumerate(zip(names, shapes, strict=True))
    ]
    out_shape = prim.shape_rule(*shapes)
    nodes.append(Node(len(nodes), prim.name, tuple(range(prim.arity)), tuple(out_shape)))
    return Graph(
        nodes=tuple(nodes),
        inputs=tuple(range(prim.arity)),
        outputs=(prim.arity,),
        output_names=("y",),
    )


def all_cases() -> list[tuple[str, tuple[Shape, ...]]]:
    return [(name, shapes) for name, prim in PRIMITIVES.items() for shapes in shapes_for(prim)]
