"""Second-order mode's frames: the nested sweeps of a Hessian or an H·u, step by step.

Each nested sweep (``core.second_order``) is shown as the explorer shows the
first-order modes, one frame a step:

* ``nested_forward``: node i's value and its tangent v̇ᵢ along the sweep's
  direction (the primal with tangents);
* ``nested_seed``: the output's v̄ = 1 with v̄̇ = 0;
* ``nested_adjoint``: one contribution to an argument's adjoint and to its tangent
  (v̄ += …, v̄̇ += …), in reverse order.

A full Hessian runs one such sweep per input entry (``Frame.sweep`` numbers them);
sweep k gives column k of H, which :func:`hessian_known` fills in entry by entry
as the sweep reaches each input for the last time.  H·u is one sweep, filled in
the same way.  Everything is read from the trace; nothing is computed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from adexplorer.base.shapes import Array
from adexplorer.core.engines import PrimalStep
from adexplorer.core.formulas import Formula
from adexplorer.core.nested_formulas import NestedFormulaRenderer
from adexplorer.core.second_order import NestedSweep, SecondOrderTrace
from adexplorer.explorer.frames import Frame

NESTED_KINDS = ("nested_forward", "nested_seed", "nested_adjoint")


@dataclass(frozen=True)
class NestedState:
    """What is known of one node at a point of a nested sweep (None: not yet)."""

    value: Array | None = None
    tangent: Array | None = None  # v̇ along this sweep's direction
    adjoint: Array | None = None  # v̄, as far as the sweep has got
    adjoint_dot: Array | None = None  # v̄̇, as far as the sweep has got


def build_frames(second: SecondOrderTrace) -> list[Frame]:
    """The frames of every nested sweep, one after the other (see the module docstring)."""
    graph = second.graph

    def in_edges(i: int) -> tuple[tuple[int, int], ...]:
        return tuple((a, i) for a in graph.nodes[i].args if not graph.nodes[a].is_const)

    result: list[Frame] = []
    for k, sweep in enumerate(second.sweeps):
        for j, step in enumerate(sweep.tangent_steps):
            result.append(Frame("nested_forward", step.node, in_edges(step.node), j, k))
        for j, adjoint in enumerate(sweep.steps):
            if adjoint.source is None:
                result.append(Frame("nested_seed", adjoint.node, (), j, k))
            else:
                edge = ((adjoint.node, adjoint.source),)
                result.append(Frame("nested_adjoint", adjoint.node, edge, j, k))
    return result


def sweep_of(second: SecondOrderTrace, frame: Frame) -> NestedSweep:
    return second.sweeps[frame.sweep]


def node_state(second: SecondOrderTrace, run_so_far: Sequence[Frame]) -> list[NestedState]:
    """Each node's value (once any sweep computed it), and its v̇, v̄ and v̄̇ in the
    sweep under way (the current frame's)."""
    graph = second.graph
    values: list[Array | None] = [n.value if n.is_const else None for n in graph.nodes]
    tangents: list[Array | None] = [None] * len(graph.nodes)
    adjoints: list[Array | None] = [None] * len(graph.nodes)
    dots: list[Array | None] = [None] * len(graph.nodes)
    current = run_so_far[-1].sweep if run_so_far else 0
    for frame in run_so_far:
        sweep = second.sweeps[frame.sweep]
        if frame.kind == "nested_forward":
            values[frame.node] = second.values[frame.node]
            if frame.sweep == current:
                tangents[frame.node] = sweep.tangent_steps[frame.step].value
        elif frame.sweep == current:
            step = sweep.steps[frame.step]
            adjoints[frame.node], dots[frame.node] = step.total, step.total_dot
    return [NestedState(*parts) for parts in zip(values, tangents, adjoints, dots, strict=True)]


def running_totals(
    second: SecondOrderTrace, frame: Frame
) -> tuple[tuple[Array, Array, Array], tuple[Array, Array, Array]] | None:
    """For a nested adjoint frame: (before, contribution, total) of v̄ and of v̄̇."""
    if frame.kind != "nested_adjoint":
        return None
    steps = second.sweeps[frame.sweep].steps
    step = steps[frame.step]
    earlier = [s for s in steps[: frame.step] if s.node == step.node]
    before = earlier[-1].total if earlier else np.zeros_like(step.total)
    before_dot = earlier[-1].total_dot if earlier else np.zeros_like(step.total_dot)
    return (
        (before, step.contribution, step.total),
        (before_dot, step.contribution_dot, step.total_dot),
    )


def fan_in(second: SecondOrderTrace, frame: Frame) -> tuple[int, int]:
    """For a nested adjoint frame: contribution k of n to its node, as (k, n)."""
    if frame.kind != "nested_adjoint":
        return (0, 0)
    steps = second.sweeps[frame.sweep].steps
    same = [k for k, s in enumerate(steps) if s.node == frame.node and s.source is not None]
    return (same.index(frame.step) + 1, len(same))


def entry_nodes(second: SecondOrderTrace) -> list[int]:
    """For each flattened differentiated entry (``entry_labels``), its input node."""
    graph = second.graph
    owners: list[int] = []
    for i in second.differentiated:
        owners.extend([i] * int(np.prod(graph.nodes[i].shape, dtype=int)))
    return owners


def _final_positions(frames: Sequence[Frame]) -> dict[tuple[int, int], int]:
    """(sweep, node) → the position (frames run) after which that node's v̄ and v̄̇
    are final in that sweep: its last adjoint step, or the sweep's end if it has none."""
    final: dict[tuple[int, int], int] = {}
    ends: dict[int, int] = {}
    for position, frame in enumerate(frames, start=1):
        ends[frame.sweep] = position
        if frame.kind in ("nested_seed", "nested_adjoint"):
            final[(frame.sweep, frame.node)] = position
    return {**{(k, -1): end for k, end in ends.items()}, **final}


def hessian_known(
    second: SecondOrderTrace, frames: Sequence[Frame], position: int
) -> list[list[float | None]]:
    """The columns of the product so far: column k is sweep k's H·eₖ (or H·u for one
    sweep), each entry a number once the sweep has reached its input for the last
    time (an input the sweep never reaches is 0 when the sweep ends), else None."""
    final = _final_positions(frames)
    owners = entry_nodes(second)
    columns: list[list[float | None]] = []
    for k in range(len(second.sweeps)):
        column: list[float | None] = []
        flat = second.column(k)  # sweep k's v̄̇ over the entries (0 where never reached)
        for entry, node in enumerate(owners):
            done = final.get((k, node), final.get((k, -1), 0))
            column.append(float(flat[entry]) if position >= done else None)
        columns.append(column)
    return columns


def frame_formulas(
    second: SecondOrderTrace, frame: Frame, numbering: str, digits: int
) -> list[Formula]:
    """A nested frame's two formulas: the value's and the tangent's (v and v̇), or the
    adjoint's first-order rule and its second-order rule (v̄ and v̄̇), numbers substituted
    (the text is ``core.nested_formulas``', as the CLI and JSON show it)."""
    sweep = second.sweeps[frame.sweep]
    render = NestedFormulaRenderer(second, numbering=numbering, digits=digits)
    if frame.kind == "nested_forward":
        tangent = sweep.tangent_steps[frame.step]
        return [render.primal(_primal_step(second, tangent.node)), render.tangent(tangent, sweep)]
    step = sweep.steps[frame.step]
    return [render.adjoint(step, sweep), render.adjoint_dot(step, sweep)]


def _primal_step(second: SecondOrderTrace, node: int) -> PrimalStep:
    for step in second.primal_steps:
        if step.node == node:
            return step
    raise KeyError(node)


def frame_values(second: SecondOrderTrace, frame: Frame) -> list[Array]:
    """The number each of :func:`frame_formulas` ends in."""
    sweep = second.sweeps[frame.sweep]
    if frame.kind == "nested_forward":
        return [second.values[frame.node], sweep.tangent_steps[frame.step].value]
    step = sweep.steps[frame.step]
    return [step.contribution, step.contribution_dot]
