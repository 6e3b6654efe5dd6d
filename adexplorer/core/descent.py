"""Gradient descent on a scalar function: x ← x − η·∇f, the gradient from one reverse sweep.

Used by the explorer's descent pane and by lessons that ask for the value after
k steps, so both compute the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from adexplorer.base.errors import AdxError
from adexplorer.base.shapes import Array
from adexplorer.core.ir import Graph
from adexplorer.core.trace import run


@dataclass
class DescentStep:
    """The state after ``iteration`` steps: f's value there and the inputs."""

    iteration: int
    value: float
    inputs: dict[str, Array]


def descent_step(
    graph: Graph, values: Mapping[str, Array], eta: float
) -> tuple[float, dict[str, Array]]:
    """One step from ``values``: returns (f at ``values``, the new values)."""
    gradient_trace = run(graph, values, "reverse")
    if not gradient_trace.scalar_output:
        raise AdxError("usage", "gradient descent needs a single scalar output")
    grad = gradient_trace.gradient()
    moved = {k: np.asarray(v) - eta * np.asarray(grad[k]) for k, v in values.items()}
    return float(gradient_trace.output_value()), moved


def evaluate_scalar(graph: Graph, values: Mapping[str, Array]) -> float:
    return float(run(graph, values, "evaluate").output_value())
