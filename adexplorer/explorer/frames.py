"""Frames: the steps the explorer animates, built from a trace.

* A **forward** trace (the explorer's forward and dual modes) gives one frame per
  node in graph order; frame i computes node i's value and tangent together.  In
  vector forward mode the tangent is the vector sweep's: all n directions at once.
* A trace without a sweep (an output with no entries has no adjoint to seed)
  gives the primal frames only.
* A **reverse** trace gives one frame per node for the forward (taping) sweep,
  then the seed frame v̄out = 1, then one frame per adjoint contribution, in
  reverse order.

Everything here reads the trace's first sweep; nothing is computed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from adexplorer.base.shapes import Array
from adexplorer.core.formulas import Formula, FormulaRenderer
from adexplorer.core.trace import TangentSweep, Trace, VectorTangentSweep


@dataclass(frozen=True)
class Frame:
    kind: str  # "forward" (value and tangent), "primal", "seed", "adjoint"
    node: int  # the node this frame computes (or whose adjoint grows)
    edges: tuple[tuple[int, int], ...]  # (argument, user) edges carrying the value/derivative
    step: int  # index of the step record in its sweep
    sweep: int = 0  # which sweep (second-order mode runs one nested sweep per direction)


def forward_sweep(trace: Trace) -> TangentSweep | VectorTangentSweep | None:
    """The tangent sweep a forward trace is shown by: its first scalar sweep, or the
    vector sweep (every tangent holds all n directions); None for a reverse trace."""
    if trace.mode != "forward":
        return None
    if trace.tangent_sweeps:
        return trace.tangent_sweeps[0]
    return trace.vector_sweep


def build_frames(trace: Trace) -> list[Frame]:
    """The frames of a forward or a reverse trace (see the module docstring)."""
    graph = trace.graph

    def in_edges(i: int) -> tuple[tuple[int, int], ...]:
        return tuple((a, i) for a in graph.nodes[i].args if not graph.nodes[a].is_const)

    sweep = forward_sweep(trace)
    if sweep is not None:
        return [Frame("forward", s.node, in_edges(s.node), k) for k, s in enumerate(sweep.steps)]
    frames = [
        Frame("primal", s.node, in_edges(s.node), k) for k, s in enumerate(trace.primal_steps)
    ]
    if not trace.adjoint_sweeps:  # no sweep (an output with no entries): values only
        return frames
    for k, step in enumerate(trace.adjoint_sweeps[0].steps):
        if step.source is None:
            frames.append(Frame("seed", step.node, (), k))
        else:
            frames.append(Frame("adjoint", step.node, ((step.node, step.source),), k))
    return frames


def node_state(
    trace: Trace, run_so_far: Sequence[Frame]
) -> list[tuple[Array | None, Array | None]]:
    """For each node: (value if computed yet, tangent or running adjoint if computed yet)."""
    state: list[list[Array | None]] = [[None, None] for _ in trace.graph.nodes]
    for node in trace.graph.nodes:
        if node.is_const:
            state[node.index][0] = node.value
    for frame in run_so_far:
        if frame.kind == "forward":
            sweep = forward_sweep(trace)
            assert sweep is not None
            state[frame.node][0] = trace.values[frame.node]
            state[frame.node][1] = sweep.steps[frame.step].value
        elif frame.kind == "primal":
            state[frame.node][0] = trace.values[frame.node]
        else:
            state[frame.node][1] = trace.adjoint_sweeps[0].steps[frame.step].total
    return [(a, b) for a, b in state]


def frame_formulas(trace: Trace, frame: Frame, render: FormulaRenderer) -> list[Formula]:
    """The formulas a frame shows (a forward frame shows the value's and the tangent's)."""
    if frame.kind == "forward":
        sweep = forward_sweep(trace)
        assert sweep is not None
        return [
            render.primal(trace.primal_steps[frame.step]),
            render.tangent(sweep.steps[frame.step], sweep.tangents),
        ]
    if frame.kind == "primal":
        return [render.primal(trace.primal_steps[frame.step])]
    adjoints = trace.adjoint_sweeps[0]
    return [render.adjoint(adjoints.steps[frame.step], adjoints.adjoints)]


def frame_values(trace: Trace, frame: Frame) -> list[Array]:
    """The number each of :func:`frame_formulas` ends in (a value, tangent or contribution)."""
    if frame.kind == "forward":
        sweep = forward_sweep(trace)
        assert sweep is not None
        return [trace.values[frame.node], sweep.steps[frame.step].value]
    if frame.kind == "primal":
        return [trace.values[frame.node]]
    return [trace.adjoint_sweeps[0].steps[frame.step].contribution]


def fan_in(trace: Trace, frame: Frame) -> tuple[int, int]:
    """For an adjoint frame: it is contribution k of n to its node, as (k, n); else (0, 0)."""
    if frame.kind != "adjoint":
        return (0, 0)
    steps = trace.adjoint_sweeps[0].steps
    same = [k for k, s in enumerate(steps) if s.node == frame.node and s.source is not None]
    return (same.index(frame.step) + 1, len(same))


def running_total(trace: Trace, frame: Frame) -> tuple[Array, Array, Array] | None:
    """For an adjoint or seed frame: the node's adjoint before it, the contribution, and
    the running total after it (``v̄0 = 0 + 2 = 2``); None for other frames."""
    if frame.kind not in ("adjoint", "seed"):
        return None
    steps = trace.adjoint_sweeps[0].steps
    step = steps[frame.step]
    earlier = [s for s in steps[: frame.step] if s.node == step.node]
    before: Array = earlier[-1].total if earlier else np.zeros_like(step.total)
    return before, step.contribution, step.total
