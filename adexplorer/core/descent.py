"""Gradient descent on a scalar function: w ← w − η·∂f/∂w, the gradient from one reverse sweep.

Used by the explorer's descent pane and by lessons that ask for the value after
k steps, so both compute the same numbers.  A descent may move only some of the
inputs (:func:`trained_inputs`): training a network moves its weights while the
data x and the target t stay where they are.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np

from adexplorer.base.errors import AdxError, did_you_mean
from adexplorer.base.shapes import Array
from adexplorer.core.ir import Graph
from adexplorer.core.trace import run


@dataclass
class DescentStep:
    """The state after ``iteration`` steps: f's value there and the inputs."""

    iteration: int
    value: float
    inputs: dict[str, Array]


def trained_inputs(graph: Graph, names: Collection[str]) -> tuple[str, ...]:
    """The inputs a descent moves: ``names`` checked against the program's inputs, in
    the program's order; every input when ``names`` is empty."""
    inputs = graph.input_names
    if not names:
        return inputs
    for name in names:
        if name not in inputs:
            hint = did_you_mean(name, inputs)
            raise AdxError(
                "usage",
                f"cannot train {name!r}: the program has no input of that name",
                hint=(hint + " " if hint else "") + f"the inputs are {', '.join(inputs)}",
            )
    return tuple(name for name in inputs if name in names)


def descent_step(
    graph: Graph,
    values: Mapping[str, Array],
    eta: float,
    trained: Collection[str] = (),
) -> tuple[float, dict[str, Array]]:
    """One step from ``values``: returns (f at ``values``, the new values).

    Only the inputs in ``trained`` move (all of them when it is empty); the
    others keep their values, the very same arrays.
    """
    moving = trained_inputs(graph, trained)
    gradient_trace = run(graph, values, "reverse", wrt=moving)
    if not gradient_trace.scalar_output:
        raise AdxError("usage", "gradient descent needs a single scalar output")
    grad = gradient_trace.gradient()
    moved = {
        k: np.asarray(v) - eta * np.asarray(grad[k]) if k in moving else v
        for k, v in values.items()
    }
    return float(gradient_trace.output_value()), moved


def evaluate_scalar(graph: Graph, values: Mapping[str, Array]) -> float:
    return float(run(graph, values, "evaluate").output_value())
