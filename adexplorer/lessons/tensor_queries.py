"""The queries of the training lesson, on tensor programs such as the text's network.

``adjoint-type NODE`` is the type of a node's adjoint (``mat[1000,100]``), which is
the type of its value; a ``shape`` exercise asks for it and :func:`read_shape`
reads what a student types (``mat[1000, 100]``, ``1000x100``, ``(1000, 100)``…).
``train-sweeps MODE`` counts the sweeps that give the gradient with respect to the
step's ``train:`` inputs (forward: one per entry of them; reverse: one per output
entry) and ``train-cost MODE`` the operations they take by the cost model.
``descent-accumulate STEPS`` is gradient descent whose gradients are never zeroed:
each step moves by the sum of every gradient so far, as PyTorch does when
``zero_grad()`` is forgotten.  The slips these answers (and a bias's gradient
entry, and a summed loss) usually show are here too.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from adexplorer.base import limits
from adexplorer.base.errors import AdxError
from adexplorer.base.shapes import Array, Shape, size, type_name
from adexplorer.core.descent import evaluate_scalar, trained_inputs
from adexplorer.core.trace import run
from adexplorer.lessons import grading

if TYPE_CHECKING:
    from adexplorer.lessons.answers import Setup

SWEEP_MODES = ("forward", "reverse")
#: The queries this module answers (answers.slips asks it for their slips).
NAMES = ("adjoint-type", "train-sweeps", "train-cost", "descent-accumulate")


# ------------------------------------------------------------------ nodes by name


def node_index(setup: Setup, word: str) -> int:
    """A node named as the trace names it (``v-3``), by an input's name (``W1``) or by
    the variable a statement assigns (``h``: its last assignment)."""
    graph = setup.graph
    labels = graph.labels("griewank")
    if word in labels:
        return labels.index(word)
    named = [node.index for node in graph.nodes if node.name == word]
    if named:
        return named[-1]
    names = sorted({node.name for node in graph.nodes if node.name})
    raise AdxError(
        "lesson",
        f"no node {word!r} in this program; name one as the trace does "
        f"({', '.join(labels[:3])} …) or by a variable ({', '.join(names)})",
    )


def describe(setup: Setup, index: int) -> str:
    """``v1 (X @ W1)``: a node's label and, for an operation, its source text."""
    graph = setup.graph
    node = graph.nodes[index]
    label = graph.labels("griewank")[index]
    if node.name:  # an input, or a variable a statement assigns
        return f"{node.name} ({label})"
    text = setup.explore.program
    if node.span is not None and 0 <= node.span.start < node.span.end <= len(text):
        return f"{label} ({' '.join(text[node.span.start : node.span.end].split())})"
    return label


# ------------------------------------------------------------------ shapes


def adjoint_type(setup: Setup, args: tuple[str, ...]) -> str:
    """The type of NODE's adjoint: the type of its value (``mat[1000,100]``)."""
    return type_name(setup.graph.nodes[node_index(setup, args[0])].shape)


_TYPED = re.compile(r"^(?:matrix|mat|vector|vec|tensor|real|scalar)?\s*[\[(]?(?P<dims>.*?)[\])]?$")
_DIMENSION_SEPARATORS = re.compile(r"\s*(?:,|x|×|\*|\bby\b)\s*|\s+")


def read_shape(text: str) -> Shape | None:
    """A type as a student types it: ``mat[1000,100]``, ``mat[1000, 100]``,
    ``1000x100``, ``1000 × 100``, ``(1000, 100)``, ``vec[100]``, ``100``, ``(100,)``,
    ``real``, ``scalar`` or ``()``.  None when it is none of these."""
    words = text.strip().lower()
    if words in ("real", "scalar", "()", "[]", "number"):
        return ()
    match = _TYPED.match(words)
    if match is None:
        return None
    parts = [p for p in _DIMENSION_SEPARATORS.split(match.group("dims").strip()) if p]
    if not parts or not all(p.isascii() and p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)


def shape_slip(setup: Setup, index: int, typed: Shape) -> tuple[str, str]:
    """(slip name, message) for a wrong type typed for node ``index``'s adjoint."""
    graph = setup.graph
    node = graph.nodes[index]
    want = node.shape
    who = describe(setup, index)
    if len(want) >= 2 and typed == tuple(reversed(want)):
        return (
            "swapped-dimensions",
            f"rows and columns swapped: the adjoint of {who} has the type of its value, "
            "and a type is written rows first, mat[rows,columns]",
        )
    for user in graph.nodes:
        if index not in user.args or user.shape != typed:
            continue
        if user.op == "matmul" and user.args[-1] == index and len(typed) == 2:
            left = graph.nodes[user.args[0]]
            a_name = left.name or graph.labels("griewank")[left.index]
            return (
                "batch",
                f"that is the type of {describe(setup, user.index)}, the product it feeds: "
                f"its {typed[0]} rows are the batch's examples, but the adjoint of {who}, "
                f"{a_name}ᵀ·Z̄, sums over them: it has the type of {who} itself, one row "
                "per input feature (the fan-in)",
            )
        if user.op == "matmul":
            return (
                "other-node",
                f"that is the type of {describe(setup, user.index)}, the product it feeds: "
                f"the adjoint of {who}, Z̄·(the other factor)ᵀ, has the type of {who} itself",
            )
        if user.op in ("add", "sub") and len(want) < len(typed):
            return (
                "broadcast",
                f"that is the type of the sum it is added to, {describe(setup, user.index)}: "
                f"{who} is added to each of its {typed[0]} rows, so its adjoint sums their "
                "adjoints over the rows and keeps the type of the bias itself",
            )
    others = [n.index for n in graph.nodes if not n.is_const and n.shape == typed]
    if others:
        return (
            "other-node",
            f"that is the type of {describe(setup, others[0])}: the adjoint of {who} has the "
            "type of its own value",
        )
    return (
        "",
        f"no value of this program has that type: the adjoint of {who} has the type of its "
        "own value (the trace's value column shows it)",
    )


# ------------------------------------------------------------------ sweeps and their cost


def _trained_entries(setup: Setup) -> int:
    moving = trained_inputs(setup.graph, setup.explore.train)
    return sum(int(np.size(setup.values[name])) for name in moving)


def _output_entries(setup: Setup) -> int:
    return sum(size(setup.graph.nodes[o].shape) for o in setup.graph.outputs)


def train_sweeps(setup: Setup, args: tuple[str, ...]) -> float:
    """Sweeps for the gradient with respect to the ``train:`` inputs: forward mode one per
    entry of them, reverse mode one per entry of the output."""
    return float(_trained_entries(setup) if args[0] == "forward" else _output_entries(setup))


def train_cost(setup: Setup, args: tuple[str, ...]) -> float:
    """Operations (the cost model, unit weights) for that gradient in MODE: its sweeps,
    each with the evaluation it runs beside it."""
    cost = run(setup.graph, setup.values, "evaluate").cost
    assert cost is not None
    sweep = cost.tangent.total if args[0] == "forward" else cost.adjoint.total
    return train_sweeps(setup, args) * float(cost.primal.total + sweep)


# ------------------------------------------------------------------ descent without zero_grad


def descent_accumulate(setup: Setup, args: tuple[str, ...]) -> float:
    """f after STEPS steps whose gradients are never zeroed: step k moves each trained
    input by η times the sum of the k gradients so far."""
    steps = int(args[0])
    limits.check("descent_steps", steps)
    graph, eta = setup.graph, setup.explore.eta
    moving = trained_inputs(graph, setup.explore.train)
    values: dict[str, Array] = dict(setup.values)
    total: dict[str, Array] = {name: np.zeros(np.shape(values[name])) for name in moving}
    for _ in range(steps):
        trace = run(graph, values, "reverse")
        if not trace.scalar_output:
            raise AdxError("lesson", "gradient descent needs a single scalar output")
        gradient = trace.gradient()
        for name in moving:
            total[name] = total[name] + np.asarray(gradient[name])
            values[name] = np.asarray(values[name]) - eta * total[name]
    return evaluate_scalar(graph, values)


# ------------------------------------------------------------------ slips


def slips(setup: Setup, name: str, args: tuple[str, ...], target: float) -> list[grading.Slip]:
    """What a wrong number of these queries (and of a few older ones on tensors) shows."""
    if name == "train-sweeps":
        return _sweep_slips(setup, args[0])
    if name == "descent-accumulate":
        return _accumulate_slips(setup, int(args[0]))
    if name == "value":
        return _mean_slips(setup)
    if name == "gradient" and "[" in args[0]:
        return _broadcast_slips(setup, args[0])
    return []


def _sweep_slips(setup: Setup, mode: str) -> list[grading.Slip]:
    moving = trained_inputs(setup.graph, setup.explore.train)
    every = sum(int(np.size(v)) for v in setup.values.values())
    found = []
    if mode == "forward":
        found.append(
            grading.Slip(
                float(every),
                "data-counted",
                "that counts the data's entries too (every input): only the trained inputs' "
                f"derivatives are wanted here, {', '.join(moving)}",
            )
        )
        found.append(
            grading.Slip(
                float(len(moving)),
                "per-tensor",
                "that is one sweep per tensor: a forward sweep seeds one number, so it takes "
                "one per entry of each trained input",
            )
        )
        found.append(
            grading.Slip(
                float(_output_entries(setup)),
                "swapped",
                "that is reverse mode's count, one sweep per output entry: forward mode seeds "
                "an input direction, one parameter per sweep",
            )
        )
        biases = [n for n in moving if np.ndim(setup.values[n]) < 2]
        if biases:
            weights = sum(int(np.size(setup.values[n])) for n in moving if n not in biases)
            found.append(
                grading.Slip(
                    float(weights),
                    "biases-left-out",
                    f"that leaves the biases out ({', '.join(biases)}): they are trained too",
                )
            )
    else:
        examples = _examples(setup, moving)
        if examples is not None and examples != _output_entries(setup):
            found.append(
                grading.Slip(
                    float(examples),
                    "per-example",
                    f"that is one sweep per example (the {examples} rows of the data): the "
                    "loss adds the examples up into one number, and one reverse sweep seeded "
                    "at it gives every parameter's derivative for all of them at once",
                )
            )
        found.append(
            grading.Slip(
                float(_trained_entries(setup)),
                "swapped",
                "that is forward mode's count, one per parameter: a reverse sweep is seeded "
                "at an output entry, and this program has one",
            )
        )
    return found


def _examples(setup: Setup, moving: list[str] | tuple[str, ...]) -> int | None:
    """The batch's size: the rows of the first data matrix (an input not trained), or None."""
    for name in setup.graph.input_names:
        if name not in moving and np.ndim(setup.values[name]) == 2:
            return int(np.shape(setup.values[name])[0])
    return None


def _accumulate_slips(setup: Setup, steps: int) -> list[grading.Slip]:
    from adexplorer.lessons.answers import QUERIES  # answers imports this module

    found = []
    if steps >= 1:
        zeroed = QUERIES["descent"].compute(setup, (str(steps),))
        assert isinstance(zeroed, float)
        found.append(
            grading.Slip(
                zeroed,
                "zero-grad",
                f"that is the loss after {steps} steps with the gradient zeroed before each "
                "step: here it is never zeroed, so each step adds its gradient to the last "
                "ones' and moves by the sum",
            )
        )
    for other in (steps - 1, steps + 1):
        if other >= 0:
            found.append(
                grading.Slip(
                    descent_accumulate(setup, (str(other),)),
                    "descent-steps",
                    f"that is f after {other} steps, not {steps}: count the steps again",
                )
            )
    return found


def _mean_slips(setup: Setup) -> list[grading.Slip]:
    """A summed loss answered as a mean (MSELoss's default averages)."""
    graph = setup.graph
    if len(graph.outputs) != 1:
        return []
    out = graph.nodes[graph.outputs[0]]
    if out.op != "sum" or not out.args or graph.nodes[out.args[0]].shape == ():
        return []
    entries = size(graph.nodes[out.args[0]].shape)
    total = float(run(graph, setup.values, "evaluate").output_value())
    return [
        grading.Slip(
            total / entries,
            "mean",
            f"that is the mean over the {entries} entries: this loss sums them (the text's "
            "MSELoss with size_average=False), it does not average",
        )
    ]


def _broadcast_slips(setup: Setup, entry: str) -> list[grading.Slip]:
    """A gradient entry of an input broadcast over rows (a bias): one row's share, or the
    mean over the rows, instead of the sum."""
    graph = setup.graph
    name, _, text = entry.partition("[")
    index = graph.input_index(name)
    if index is None:
        return []
    shape = graph.nodes[index].shape
    try:
        where = tuple(int(k) for k in text.rstrip("]").split(","))
        flat = int(np.ravel_multi_index(where, shape))
    except ValueError:  # not an entry of this input: the query itself says so
        return []
    sweep = run(graph, setup.values, "reverse").adjoint_sweeps[0]
    found = []
    for user in graph.nodes:
        if index not in user.args or user.op not in ("add", "sub"):
            continue
        if len(user.shape) != len(shape) + 1 or user.shape[1:] != shape:
            continue
        incoming = sweep.adjoints[user.index]
        if incoming is None:
            continue
        rows_first = np.asarray(incoming).reshape(user.shape[0], -1)  # a row per example
        column = rows_first[:, flat]
        sign = -1.0 if user.op == "sub" and user.args[1] == index else 1.0
        rows = user.shape[0]
        found.append(
            grading.Slip(
                sign * float(column[0]),
                "one-row",
                f"that is one example's share, row 1 of the adjoint of "
                f"{describe(setup, user.index)}: {name} is added to all {rows} rows, so its "
                "adjoint sums the column over them",
            )
        )
        found.append(
            grading.Slip(
                sign * float(column.mean()),
                "mean",
                f"that is the mean of the column over the {rows} rows: broadcasting adds "
                f"{name} to every row, so its adjoint is their sum",
            )
        )
    return found
