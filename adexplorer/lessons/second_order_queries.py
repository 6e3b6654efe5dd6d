"""Queries on second derivatives: H·u, Hessian entries, the nested sweep, Newton steps.

The lesson on second derivatives asks for an entry of H·u (one forward-over-reverse
sweep along the step's direction u, its ``seed:``), an entry of the Hessian (one
nested sweep per input entry), a node's v̄̇ in the nested sweep (at its end, or
right after its K-th contribution, or one contribution's v̄̇ term), how many nested
sweeps form H, how many gradients finite differences of gradients need, and where
Newton's method x ← x − H⁻¹∇f is after a few steps.  Every number comes from
``core.second_order``; the slips a wrong answer is checked against (the first-order
adjoint v̄ for its tangent v̄̇, a gradient for a Hessian entry, a gradient-descent
step for a Newton step) are computed by the engines too.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from adexplorer.base import limits
from adexplorer.base.errors import AdxError
from adexplorer.base.numbers import format_scalar
from adexplorer.base.shapes import Array
from adexplorer.core.engines.nested import NestedAdjointStep
from adexplorer.core.second_order import SecondOrderTrace, run_second_order
from adexplorer.core.trace import run
from adexplorer.lessons import grading
from adexplorer.lessons import kind_queries as kq

if TYPE_CHECKING:
    from adexplorer.lessons.answers import Setup

#: Finite differences of gradients that ``fd-gradients`` counts.
FD_SCHEMES = ("forward", "central")
#: The ways of forming H whose operations ``hessian-cost`` gives.
HESSIAN_METHODS = ("nested", *FD_SCHEMES)


def _direction(setup: Setup) -> dict[str, Array]:
    if not setup.seed:
        raise AdxError("lesson", "this program has no inputs, so there is no direction u")
    return dict(setup.seed)


def hvp_trace(setup: Setup) -> SecondOrderTrace:
    """One nested (forward-over-reverse) sweep along the step's direction u."""
    return run_second_order(setup.graph, setup.values, direction=_direction(setup))


def hessian_trace(setup: Setup) -> SecondOrderTrace:
    """One nested sweep per scalar input entry: the whole Hessian."""
    return run_second_order(setup.graph, setup.values)


def _entry_position(setup: Setup, word: str) -> int:
    entries = kq.input_entries(setup.graph)
    return entries.index(kq.column_entry(setup.graph, word))


def hvp_entries(setup: Setup) -> list[float]:
    """H·u, one entry per input entry (in declaration order)."""
    products = hvp_trace(setup).hvp()
    found: list[float] = []
    for name in setup.graph.input_names:
        found.extend(float(v) for v in np.ravel(products[name]))
    return found


def hvp(setup: Setup, args: tuple[str, ...]) -> float:
    """(H·u) for input entry NAME."""
    return hvp_entries(setup)[_entry_position(setup, args[0])]


def hvp_vector(setup: Setup, args: tuple[str, ...]) -> str:
    return kq.numbers_text(hvp_entries(setup))


def hessian(setup: Setup, args: tuple[str, ...]) -> float:
    """H[NAME, NAME]: ∂²f/∂a∂b."""
    matrix = hessian_trace(setup).hessian()
    return float(matrix[_entry_position(setup, args[0]), _entry_position(setup, args[1])])


def hessian_row_entries(setup: Setup, word: str) -> list[float]:
    """Column ``word`` of H, H·e for that unit direction: what one nested sweep seeded with
    it gives (H is symmetric, so this is row ``word`` too)."""
    matrix = hessian_trace(setup).hessian()
    return [float(v) for v in matrix[_entry_position(setup, word)]]


def hessian_row(setup: Setup, args: tuple[str, ...]) -> str:
    return kq.numbers_text(hessian_row_entries(setup, args[0]))


def hvp_vector_slips(setup: Setup) -> list[grading.VectorSlip]:
    """H·u after the usual slips: one column of H (a unit direction for u), one column
    times its weight, u's signs lost, the gradient (first order) for H·u."""
    matrix = hessian_trace(setup).hessian()
    u = _flat_direction(setup)
    labels = [e.name for e in kq.input_entries(setup.graph)]
    found: list[grading.VectorSlip] = []
    if np.count_nonzero(u) > 1:
        for j, weight in enumerate(u):
            if weight == 0:
                continue
            found.append(
                grading.VectorSlip(
                    tuple(float(v) for v in matrix[:, j]),
                    "one-column",
                    f"that is the {labels[j]} column of H alone (H·e for the unit direction "
                    f"{labels[j]}): H·u adds every column, each times its part of u",
                )
            )
            if weight != 1:
                found.append(
                    grading.VectorSlip(
                        tuple(float(v) for v in matrix[:, j] * weight),
                        "one-column",
                        f"that is only the {labels[j]} part of u ({weight:g} times that "
                        "column of H): H·u adds every column, each times its part of u",
                    )
                )
    if np.any(u < 0):
        found.append(
            grading.VectorSlip(
                tuple(float(v) for v in matrix @ np.abs(u)),
                "sign-lost",
                "that is H times u with its minus signs dropped: keep the signs of u's parts",
            )
        )
    gradient = run(setup.graph, setup.values, "reverse").gradient()
    flat = tuple(float(v) for n in setup.graph.input_names for v in np.ravel(gradient[n]))
    found.append(
        grading.VectorSlip(
            flat,
            "first-order",
            "that is the gradient (the v̄ column, first order): H·u is the v̄̇ column",
        )
    )
    return found


# ------------------------------------------------------------------ the nested sweep


def _steps_into(setup: Setup, label: str) -> tuple[int, list[NestedAdjointStep]]:
    """NODE's index and the nested sweep's contributions to its adjoint, in order."""
    from adexplorer.lessons.answers import _label_index

    index = _label_index(setup, label)
    steps = [s for s in hvp_trace(setup).sweeps[0].steps if s.node == index]
    return index, [s for s in steps if s.source is not None]


def _dot(value: Array | None, what: str) -> float:
    from adexplorer.lessons.answers import _number

    return 0.0 if value is None else _number(value, what)


def adjoint_dot(setup: Setup, args: tuple[str, ...]) -> float:
    """NODE's v̄̇ once the nested sweep along u ends."""
    from adexplorer.lessons.answers import _label_index

    index = _label_index(setup, args[0])
    return _dot(hvp_trace(setup).sweeps[0].adjoint_dots[index], f"{args[0]}'s v̄̇")


def _kth(setup: Setup, label: str, k: int) -> NestedAdjointStep:
    _, steps = _steps_into(setup, label)
    if not 1 <= k <= len(steps):
        raise AdxError(
            "lesson",
            f"{label} receives {len(steps)} contribution(s) in the nested sweep, so there is "
            f"no contribution {k}",
        )
    return steps[k - 1]


def adjoint_dot_term(setup: Setup, args: tuple[str, ...]) -> float:
    """The v̄̇ part of the K-th contribution to NODE's adjoint in the nested sweep."""
    step = _kth(setup, args[0], int(args[1]))
    return _dot(step.contribution_dot, f"the v̄̇ of contribution {args[1]} to {args[0]}")


def adjoint_dot_after(setup: Setup, args: tuple[str, ...]) -> float:
    """NODE's running v̄̇ right after its K-th contribution in the nested sweep."""
    step = _kth(setup, args[0], int(args[1]))
    return _dot(step.total_dot, f"{args[0]}'s v̄̇ after contribution {args[1]}")


def nested_sweeps(setup: Setup, args: tuple[str, ...]) -> float:
    """The nested sweeps that form the whole Hessian: one per scalar input entry."""
    return float(hvp_trace(setup).cost.n)


def fd_gradients(setup: Setup, args: tuple[str, ...]) -> float:
    """Gradient evaluations (each a primal and an adjoint sweep) that form H by finite
    differences of gradients: central 2n, forward n + 1."""
    n = hvp_trace(setup).cost.n
    return float(2 * n if args[0] == "central" else n + 1)


def hessian_cost(setup: Setup, args: tuple[str, ...]) -> float:
    """Operations (the cost model, unit weights) that form H: by n nested sweeps after one
    primal (``nested``), or by gradients at shifted points (``central`` 2n, ``forward``
    n + 1, each a primal and an adjoint sweep)."""
    cost = run_second_order(setup.graph, setup.values, direction=_direction(setup)).cost
    figure = {
        "nested": cost.hessian_nested,
        "central": cost.hessian_central,
        "forward": cost.hessian_forward,
    }[args[0]]
    return float(figure.total)


# ------------------------------------------------------------------ Newton's method


def _scalar_inputs(setup: Setup) -> None:
    if any(setup.graph.nodes[i].shape != () for i in setup.graph.inputs):
        raise AdxError("lesson", "Newton's method here takes a program whose inputs are numbers")


def newton_points(setup: Setup, steps: int) -> list[dict[str, Array]]:
    """The points x₀, x₁, …, x_steps of x ← x − H⁻¹∇f (H and ∇f from the nested sweeps)."""
    _scalar_inputs(setup)
    limits.check("descent_steps", steps)
    names = setup.graph.input_names
    points = [dict(setup.values)]
    for _ in range(steps):
        here = points[-1]
        trace = run_second_order(setup.graph, here)
        gradient = trace.gradient()
        g = np.array([float(gradient[name]) for name in names])
        h = trace.hessian()
        try:
            step = np.linalg.solve(h, g)
        except np.linalg.LinAlgError:
            where = ", ".join(f"{n}={format_scalar(float(here[n]))}" for n in names)
            raise AdxError(
                "lesson", f"the Hessian is singular at {where}: Newton's step is not defined"
            ) from None
        points.append(
            {name: np.float64(float(here[name]) - s) for name, s in zip(names, step, strict=True)}
        )
    return points


def newton(setup: Setup, args: tuple[str, ...]) -> float:
    """The input NAME after STEPS Newton steps."""
    point = newton_points(setup, int(args[0]))[-1]
    if args[1] not in point:
        names = ", ".join(setup.graph.input_names)
        raise AdxError("lesson", f"'{args[1]}' is not an input; the inputs are {names}")
    return float(point[args[1]])


def newton_value(setup: Setup, args: tuple[str, ...]) -> float:
    """f after STEPS Newton steps."""
    point = newton_points(setup, int(args[0]))[-1]
    return float(run(setup.graph, point, "evaluate").output_value())


# ------------------------------------------------------------------ slips


def slips(setup: Setup, name: str, args: tuple[str, ...], target: float) -> list[grading.Slip]:
    """The answers the usual slips of these queries give, computed by the engines."""
    found: list[grading.Slip] = []
    if name in ("hvp", "hessian"):
        gradient = run(setup.graph, setup.values, "reverse").gradient()
        flat = [float(v) for n in setup.graph.input_names for v in np.ravel(gradient[n])]
        word = args[0] if name == "hvp" else args[1]
        value = flat[_entry_position(setup, word)]
        found.append(
            grading.Slip(
                float(value),
                "first-order",
                f"that is the gradient's entry ∂f/∂{word} (v̄, first order), not a second "
                "derivative: the nested sweep's answer is the tangent v̄̇ of the adjoint",
            )
        )
    if name == "hvp":
        k = _entry_position(setup, args[0])
        matrix = hessian_trace(setup).hessian()
        u = _flat_direction(setup)
        labels = [e.name for e in kq.input_entries(setup.graph)]
        for j, weight in enumerate(u):
            if weight != 0 and np.count_nonzero(u) > 1:
                found.append(
                    grading.Slip(
                        float(matrix[k, j] * weight),
                        "one-direction",
                        f"that is only the {labels[j]} part of u: (H·u) for {args[0]} adds "
                        "H[" + args[0] + ", j]·uⱼ over every input j",
                    )
                )
        if len(labels) > 1:
            other = float((matrix @ u)[1 - k if len(labels) == 2 else (k + 1) % len(labels)])
            found.append(
                grading.Slip(
                    other, "other-entry", "that is another input's entry of H·u: check which row"
                )
            )
    elif name == "hessian" and args[0] != args[1]:
        matrix = hessian_trace(setup).hessian()
        for word in args:
            k = _entry_position(setup, word)
            found.append(
                grading.Slip(
                    float(matrix[k, k]),
                    "diagonal",
                    f"that is the diagonal entry H[{word},{word}] = ∂²f/∂{word}², not the mixed "
                    f"partial ∂²f/∂{args[0]}∂{args[1]}",
                )
            )
    elif name in ("adjoint-dot", "adjoint-dot-after", "adjoint-dot-term"):
        found.extend(_nested_slips(setup, name, args))
    elif name in ("nested-sweeps", "fd-gradients"):
        n = len(kq.input_entries(setup.graph))
        for count, why in (
            (2 * n, "that is central differences of gradients (2n gradients), not nested sweeps"),
            (n + 1, "that is forward differences of gradients (n + 1 gradients)"),
            (n * n, "that counts the entries of H: one nested sweep gives a whole column"),
            (1, "one nested sweep gives H·u for one direction u: one column of H, not all of it"),
        ):
            if count != target:
                found.append(grading.Slip(float(count), "sweeps", why))
    elif name in ("newton", "newton-value"):
        found.extend(_newton_slips(setup, name, args))
    return found


def _flat_direction(setup: Setup) -> np.ndarray:
    parts = []
    for name in setup.graph.input_names:
        shape = setup.graph.nodes[setup.graph.input_index(name) or 0].shape
        value = setup.seed.get(name, np.zeros(shape))
        parts.append(np.ravel(np.broadcast_to(np.asarray(value, dtype=float), shape)))
    return np.concatenate(parts)


def _nested_slips(setup: Setup, name: str, args: tuple[str, ...]) -> list[grading.Slip]:
    """v̄ for v̄̇ (the first-order part of the same step), and the node's tangent v̇."""
    from adexplorer.lessons.answers import _label_index

    found: list[grading.Slip] = []
    sweep = hvp_trace(setup).sweeps[0]
    index = _label_index(setup, args[0])
    if name == "adjoint-dot":
        first = sweep.adjoints[index]
        what = f"{args[0]}'s adjoint v̄"
    else:
        step = _kth(setup, args[0], int(args[1]))
        first = step.contribution if name == "adjoint-dot-term" else step.total
        what = (
            f"the first-order part v̄ of that {'contribution' if name.endswith('term') else 'total'}"
        )
    if first is not None and np.shape(first) == ():
        found.append(
            grading.Slip(
                float(first),
                "first-order",
                f"that is {what}, not its tangent v̄̇: in the nested sweep every adjoint is a "
                "dual number v̄ + v̄̇·ε, and the question asks for the ε part",
            )
        )
    tangent = sweep.tangents[index]
    if tangent is not None and np.shape(tangent) == ():
        found.append(
            grading.Slip(
                float(tangent),
                "swapped",
                f"that is {args[0]}'s tangent v̇ from the forward part of the sweep, not v̄̇",
            )
        )
    if name == "adjoint-dot-term":
        found.extend(_other_contribution_slips(setup, args))
    found.extend(_moved_slips(setup, name, args))
    return found


def _other_contribution_slips(setup: Setup, args: tuple[str, ...]) -> list[grading.Slip]:
    """The v̄̇ part of another contribution to the same node (the wrong consumer)."""
    labels = setup.graph.labels("griewank")
    _, steps = _steps_into(setup, args[0])
    k = int(args[1])
    return [
        grading.Slip(
            _dot(step.contribution_dot, "a contribution's v̄̇"),
            "other-contribution",
            f"that is the v̄̇ part of contribution {j} (from {labels[step.source or 0]}), "
            f"not of contribution {k} (from {labels[steps[k - 1].source or 0]})",
        )
        for j, step in enumerate(steps, start=1)
        if j != k
    ]


def _moved_slips(setup: Setup, name: str, args: tuple[str, ...]) -> list[grading.Slip]:
    """The same v̄̇ with an input that u leaves still taken as moving (its v̇ = 1): the terms
    with that v̇ in them, which vanish along u, kept."""
    labels = setup.graph.labels("griewank")
    u = _flat_direction(setup)
    compute = {
        "adjoint-dot": adjoint_dot,
        "adjoint-dot-after": adjoint_dot_after,
        "adjoint-dot-term": adjoint_dot_term,
    }[name]
    found: list[grading.Slip] = []
    names = setup.graph.input_names
    scalar = all(setup.graph.nodes[i].shape == () for i in setup.graph.inputs)
    if not scalar or len(u) != len(names):
        return found
    for k, input_name in enumerate(names):
        if u[k] != 0:
            continue
        moved = dict(setup.seed)
        moved[input_name] = np.float64(1.0)
        label = labels[setup.graph.input_index(input_name) or 0]
        found.append(
            grading.Slip(
                compute(replace(setup, seed=moved), args),
                "moved",
                f"that takes v̇{label[1:]} = 1, as if {input_name} moved too: along this u "
                f"{input_name} stays put, so v̇{label[1:]} = 0 and every term with "
                f"v̇{label[1:]} in it vanishes",
            )
        )
    return found


def _newton_slips(setup: Setup, name: str, args: tuple[str, ...]) -> list[grading.Slip]:
    """A gradient-descent step (x − ∇f) for a Newton step, the step's sign flipped, a step
    too few or too many."""
    steps = int(args[0])
    found: list[grading.Slip] = []

    def read(point: dict[str, Array]) -> float:
        if name == "newton":
            return float(point[args[1]])
        return float(run(setup.graph, point, "evaluate").output_value())

    for other in (steps - 1, steps + 1):
        if other >= 0:
            found.append(
                grading.Slip(
                    read(newton_points(setup, other)[-1]),
                    "newton-steps",
                    f"that is after {other} Newton steps, not {steps}: count the steps again",
                )
            )
    if steps >= 1:
        before = newton_points(setup, steps - 1)[-1]
        trace = run_second_order(setup.graph, before)
        gradient = trace.gradient()
        names = setup.graph.input_names
        g = np.array([float(gradient[n]) for n in names])
        descent = {n: np.float64(float(before[n]) - gi) for n, gi in zip(names, g, strict=True)}
        found.append(
            grading.Slip(
                read(descent),
                "gradient-step",
                "that is x − ∇f, a gradient-descent step: Newton's step is x − H⁻¹∇f (solve "
                "H·s = ∇f for s, then subtract s)",
            )
        )
        try:
            s = np.linalg.solve(trace.hessian(), g)
            uphill = {n: np.float64(float(before[n]) + si) for n, si in zip(names, s, strict=True)}
            found.append(
                grading.Slip(
                    read(uphill),
                    "sign",
                    "that adds H⁻¹∇f: Newton's step subtracts it (x − H⁻¹∇f)",
                )
            )
        except np.linalg.LinAlgError:
            pass
    return found
