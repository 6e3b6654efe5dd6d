"""Queries on products with general vectors: J·u, ȳᵀJ and the vector forward mode.

The lesson on JVPs and VJPs asks for an entry of J·u (one forward sweep seeded
with the step's direction u), an entry of ȳᵀJ (one reverse sweep seeded with the
step's cotangent ȳ, reverse mode's ``seed:``), a part of a node's tangent in the
vector forward mode (every unit direction at once), and what the cost model says
one vector sweep costs beside n scalar ones.  Every number is the engine's; the
slips a wrong answer is checked against (a VJP taken as a JVP, an output's weight
left out) are computed by the engine too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from adexplorer.base.errors import AdxError
from adexplorer.base.shapes import Array
from adexplorer.core.trace import Trace, VectorTangentSweep, run
from adexplorer.lessons import grading
from adexplorer.lessons import kind_queries as kq

if TYPE_CHECKING:
    from adexplorer.lessons.answers import Setup

#: What ``vector-cost`` reports: one vector sweep, or the n scalar sweeps it replaces.
COST_FIGURES = ("vector", "scalar")


# ------------------------------------------------------------------ J·u


def jvp_entries(setup: Setup) -> list[float]:
    """J·u for the step's direction u: every output entry's tangent, in order."""
    if not setup.seed:
        raise AdxError("lesson", "this program has no inputs, so there is no direction u")
    trace = run(setup.graph, setup.values, "forward", setup.seed)
    return [float(v) for t in trace.output_tangents() for v in np.ravel(t)]


def jvp(setup: Setup, args: tuple[str, ...]) -> float:
    """One entry of J·u: OUTPUT by name (f2, y[1]) or position (1, 2, …)."""
    outputs = kq.output_entries(setup.graph)
    entry = kq.row_entry(setup.graph, args[0])
    return jvp_entries(setup)[outputs.index(entry)]


def jvp_vector(setup: Setup, args: tuple[str, ...]) -> str:
    return kq.numbers_text(jvp_entries(setup))


def jvp_part_slips(setup: Setup) -> list[grading.VectorSlip]:
    """J·u with only one input's part of u (the others' parts left out)."""
    found: list[grading.VectorSlip] = []
    flat = _flat_seed(setup)
    if np.count_nonzero(flat) < 2:
        return found
    names = [entry.name for entry in kq.input_entries(setup.graph)]
    for k, weight in enumerate(flat):
        if weight == 0:
            continue
        part = np.zeros_like(flat)
        part[k] = weight
        trace = run(setup.graph, setup.values, "forward", _flat_to_inputs(setup, part))
        values = tuple(float(v) for t in trace.output_tangents() for v in np.ravel(t))
        found.append(
            grading.VectorSlip(
                values,
                "one-direction",
                f"that uses only the {names[k]} part of u ({weight:g}): J·u adds every "
                "input's column of J, each times its part of u",
            )
        )
    return found


# ------------------------------------------------------------------ ȳᵀJ


def cotangent_needed(setup: Setup) -> dict[str, Array]:
    """The step's cotangent ȳ, or a clear error when the step gives none."""
    if setup.explore.mode != "reverse" or not setup.cotangent:
        raise AdxError(
            "lesson",
            "ȳᵀJ needs a cotangent: a step in mode: reverse whose seed: weights the outputs "
            f"({', '.join(setup.graph.output_names)}), e.g. seed: "
            + ", ".join(f"{name}=1" for name in setup.graph.output_names),
        )
    return dict(setup.cotangent)


def _vjp_with(setup: Setup, cotangent: dict[str, Array]) -> list[float]:
    """ȳᵀJ for the cotangent ``cotangent``, one entry per input entry (one adjoint sweep)."""
    trace = run(setup.graph, setup.values, "reverse", seed=cotangent)
    products = trace.vjp()
    found: list[float] = []
    for name in setup.graph.input_names:
        found.extend(float(v) for v in np.ravel(products[name]))
    return found


def vjp_entries(setup: Setup) -> list[float]:
    """ȳᵀJ for the step's cotangent, one entry per input entry, in declaration order."""
    return _vjp_with(setup, cotangent_needed(setup))


def vjp(setup: Setup, args: tuple[str, ...]) -> float:
    """One entry of ȳᵀJ: NAME an input (x1) or an entry of one (W[0,1])."""
    entries = kq.input_entries(setup.graph)
    entry = kq.column_entry(setup.graph, args[0])
    return vjp_entries(setup)[entries.index(entry)]


def vjp_vector(setup: Setup, args: tuple[str, ...]) -> str:
    return kq.numbers_text(vjp_entries(setup))


def vjp_slips(setup: Setup, args: tuple[str, ...]) -> list[grading.Slip]:
    """What an entry of ȳᵀJ comes out as after the usual slips: J·ȳ (ȳ used as an input
    direction: the transposed product), an output's weight left out, every weight 1."""
    found: list[grading.Slip] = []
    graph = setup.graph
    weights = cotangent_needed(setup)
    inputs, outputs = kq.input_entries(graph), kq.output_entries(graph)
    k = inputs.index(kq.column_entry(graph, args[0]))
    flat = _flat_weights(setup, weights)
    if len(inputs) == len(outputs):  # ȳ laid on the inputs: J·ȳ, a column combination
        tangents = transposed(setup, "vjp-vector") or []
        found.append(
            grading.Slip(
                tangents[k],
                "jvp-for-vjp",
                "that is J·ȳ (ȳ used as a direction over the inputs, one forward sweep), not "
                "ȳᵀJ: the weights go on the outputs, so entry k adds ȳᵢ·∂fᵢ/∂(input k) over "
                "the outputs i (a row combination of J, not a column combination)",
            )
        )
    names = [entry.name for entry in outputs]
    for i, weight in enumerate(flat):
        if weight == 0:
            continue
        fewer = flat.copy()
        fewer[i] = 0.0
        found.append(
            grading.Slip(
                _vjp_with(setup, _weights_from(setup, fewer))[k],
                "weight-left-out",
                f"that leaves out the output {names[i]} (its weight ȳ = {weight:g}): ȳᵀJ adds "
                "every output's row, each times its weight",
            )
        )
        only = np.zeros_like(flat)
        only[i] = weight
        if np.count_nonzero(flat) > 2:  # with two outputs this is the same as the one above
            found.append(
                grading.Slip(
                    _vjp_with(setup, _weights_from(setup, only))[k],
                    "weight-left-out",
                    f"that is the output {names[i]}'s row alone: ȳᵀJ adds every output's row",
                )
            )
    if np.any((flat != 0) & (flat != 1)):
        ones = np.ones_like(flat)
        found.append(
            grading.Slip(
                _vjp_with(setup, _weights_from(setup, ones))[k],
                "weights-ignored",
                "that adds the rows with weight 1 each: multiply each output's row by its weight ȳ",
            )
        )
    return found


def _flat_weights(setup: Setup, weights: dict[str, Array]) -> np.ndarray:
    """The cotangent as one vector over the output entries (outputs left out: 0)."""
    parts = []
    for name, index in zip(setup.graph.output_names, setup.graph.outputs, strict=True):
        shape = setup.graph.nodes[index].shape
        value = weights.get(name, np.zeros(shape))
        parts.append(np.ravel(np.broadcast_to(np.asarray(value, dtype=float), shape)))
    return np.concatenate(parts) if parts else np.zeros(0)


def _weights_from(setup: Setup, flat: np.ndarray) -> dict[str, Array]:
    weights: dict[str, Array] = {}
    start = 0
    for name, index in zip(setup.graph.output_names, setup.graph.outputs, strict=True):
        shape = setup.graph.nodes[index].shape
        count = int(np.prod(shape, dtype=int))
        weights[name] = np.reshape(flat[start : start + count], shape)
        start += count
    return weights


def _flat_to_inputs(setup: Setup, flat: np.ndarray) -> dict[str, Array]:
    direction: dict[str, Array] = {}
    start = 0
    for name in setup.graph.input_names:
        shape = setup.graph.nodes[setup.graph.input_index(name) or 0].shape
        count = int(np.prod(shape, dtype=int))
        direction[name] = np.reshape(flat[start : start + count], shape)
        start += count
    return direction


def _flat_seed(setup: Setup) -> np.ndarray:
    parts = []
    for name in setup.graph.input_names:
        shape = setup.graph.nodes[setup.graph.input_index(name) or 0].shape
        value = setup.seed.get(name, np.zeros(shape))
        parts.append(np.ravel(np.broadcast_to(np.asarray(value, dtype=float), shape)))
    return np.concatenate(parts) if parts else np.zeros(0)


def transposed(setup: Setup, query: str) -> list[float] | None:
    """The transposed product a student may compute instead, when J is square: J·ȳ for
    ``vjp-vector`` (ȳ laid on the inputs), uᵀJ for ``jvp-vector`` (u laid on the outputs)."""
    if len(kq.input_entries(setup.graph)) != len(kq.output_entries(setup.graph)):
        return None
    if query == "vjp-vector":
        flat = _flat_weights(setup, cotangent_needed(setup))
        forward = run(setup.graph, setup.values, "forward", _flat_to_inputs(setup, flat))
        return [float(v) for t in forward.output_tangents() for v in np.ravel(t)]
    return _vjp_with(setup, _weights_from(setup, _flat_seed(setup)))


# ------------------------------------------------------------------ the vector forward mode


def vector_trace(setup: Setup) -> Trace:
    """One forward sweep carrying every unit direction at once."""
    return run(setup.graph, setup.values, "forward", vector=True)


def vector_sweep(setup: Setup) -> VectorTangentSweep:
    sweep = vector_trace(setup).vector_sweep
    assert sweep is not None  # a vector run has one
    return sweep


def _direction(labels: Sequence[str], word: str) -> int:
    """A direction by its label (``x2``, ``W[0,1]``) or its position 1, 2, …"""
    if word.isascii() and word.isdigit():
        k = int(word)
        if not 1 <= k <= len(labels):
            raise AdxError(
                "lesson",
                f"there is no direction {k}: the vector sweep carries {len(labels)}, "
                f"numbered 1 to {len(labels)} ({', '.join(labels)})",
            )
        return k - 1
    wanted = word.replace(" ", "")
    if wanted in labels:
        return list(labels).index(wanted)
    raise AdxError(
        "lesson",
        f"no direction {word!r} in the vector sweep; its directions are {', '.join(labels)}",
    )


def vector_tangent(setup: Setup, args: tuple[str, ...]) -> float:
    """Part DIRECTION of NODE's tangent in the vector sweep: ∂NODE/∂(that input entry)."""
    from adexplorer.lessons.answers import _label_index, _number

    index = _label_index(setup, args[0])
    sweep = vector_sweep(setup)
    k = _direction(sweep.labels, args[1])
    tangent = sweep.tangents[index]
    if tangent is None:
        return 0.0
    return _number(np.asarray(tangent)[k], f"part {args[1]} of {args[0]}'s tangent")


def vector_cost(setup: Setup, args: tuple[str, ...]) -> float:
    """Operations by the cost model: one vector sweep (the primal once, the tangent work n
    times) or the n scalar forward sweeps that give the same Jacobian (the primal n times)."""
    cost = vector_trace(setup).cost
    assert cost is not None
    figure = cost.vector_sweep_cost() if args[0] == "vector" else cost.scalar_sweeps_cost()
    return float(figure.total)


def vector_slips(setup: Setup, query: str, args: tuple[str, ...]) -> list[grading.Slip]:
    """A part of a vector tangent read from another direction; a cost counted the other way."""
    found: list[grading.Slip] = []
    if query == "vector-tangent":
        from adexplorer.lessons.answers import _label_index

        sweep = vector_sweep(setup)
        k = _direction(sweep.labels, args[1])
        tangent = sweep.tangents[_label_index(setup, args[0])]
        if tangent is not None and np.ndim(tangent) == 1:
            for j, label in enumerate(sweep.labels):
                if j != k:
                    found.append(
                        grading.Slip(
                            float(tangent[j]),
                            "other-direction",
                            f"that is the part for direction {label}, not {sweep.labels[k]}: "
                            "part k of a tangent is its derivative along the k-th unit direction",
                        )
                    )
    elif query == "jvp":
        other = transposed(setup, "jvp-vector")
        k = kq.output_entries(setup.graph).index(kq.row_entry(setup.graph, args[0]))
        if other is not None:
            found.append(
                grading.Slip(
                    other[k],
                    "vjp-for-jvp",
                    "that is uᵀJ (u used as weights on the outputs, one reverse sweep), not J·u: "
                    "entry i of J·u adds ∂fᵢ/∂xⱼ·uⱼ over the inputs j (a row of J times u)",
                )
            )
    elif query == "vector-cost":
        found.extend(_cost_slips(setup, args[0]))
    return found


def _cost_slips(setup: Setup, figure: str) -> list[grading.Slip]:
    """A cost counted the other way, one scalar sweep for n, the tangent work without the
    primal: the cost model's own parts, so the messages talk about sweeps, not calculus."""
    cost = vector_trace(setup).cost
    assert cost is not None
    n = len(vector_sweep(setup).labels)
    primal, tangent = cost.primal.total, cost.tangent.total
    counted_as = "scalar" if figure == "vector" else "vector"
    counted = f"{n} scalar sweeps" if counted_as == "scalar" else "one vector sweep"
    found = [
        grading.Slip(
            vector_cost(setup, (counted_as,)),
            "other-cost",
            f"that is the count for {counted}: the vector sweep computes the primal once, "
            "n scalar sweeps n times",
        ),
        grading.Slip(
            float(n * tangent),
            "tangents-only",
            f"that is the tangent work alone ({n}·{tangent}): "
            + (
                f"the vector sweep computes the primal ({primal}) too, once"
                if figure == "vector"
                else f"each scalar sweep computes the primal ({primal}) too"
            ),
        ),
    ]
    if figure == "scalar":
        found.append(
            grading.Slip(
                float(primal + tangent),
                "one-sweep",
                f"that is one sweep ({primal} + {tangent}); there are {n}, one per direction",
            )
        )
    else:
        found.append(
            grading.Slip(
                float(primal + tangent),
                "one-sweep",
                f"that is one scalar sweep, the primal and one direction's tangents: the "
                f"vector sweep carries the tangents of all {n} directions",
            )
        )
    return found
