"""What the newer exercise kinds ask for, computed by the engines.

The ``from:`` queries behind the kinds ``sequence``, ``rule``, ``seed`` and
``vector`` (and two number queries about the reverse sweep's running totals)
are computed here and listed in ``answers.QUERIES``:

* running adjoint totals: the k-th contribution a node receives in the one
  reverse sweep, and its total right after it (``adjoint-term``, ``adjoint-after``);
* sweep orders: the nodes in the order the forward or reverse sweep handles
  them, and the edges any valid order must respect;
* Jacobian columns (one forward sweep with a unit seed) and rows (one reverse
  sweep seeded at one output entry);
* local rules of a primitive: its tangent rule or one adjoint contribution,
  as adx text (from the primitive table's display templates) and as numbers
  (from the table's JVP/VJP functions), with the variable names a student uses.

This module depends on the core and lang layers only; ``answers`` imports it
(the step's ``Setup`` is passed in, never built here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from adexplorer.base.errors import AdxError, closest
from adexplorer.base.shapes import Array, size, type_name
from adexplorer.core.engines import AdjointStep, reverse
from adexplorer.core.ir import Graph
from adexplorer.core.primitives import PRIMITIVES, Primitive
from adexplorer.core.trace import run

if TYPE_CHECKING:
    from adexplorer.lessons.answers import Setup

DOT = "\u0307"  # combining dot above: v̇
BAR = "\u0304"  # combining macron: v̄


def marked(label: str, mark: str) -> str:
    """``v3`` with a dot or bar over the v: ``v̇3``, ``v̄-1`` (an input name: ``x̄1``)."""
    return label[:1] + mark + label[1:]


# ------------------------------------------------------------------ nodes by label


def node_index(graph: Graph, label: str) -> int:
    """The node a trace label (``v-1``, ``v3``) names, or a clear error."""
    labels = graph.labels("griewank")
    named = [labels[i] for i in range(len(labels)) if not graph.nodes[i].is_const]
    if label not in named:
        raise AdxError(
            "lesson", f"no node {label!r} in this program; its nodes are {', '.join(named)}"
        )
    return labels.index(label)


def describe(graph: Graph, index: int) -> str:
    """``v3 = v-1 * v0`` or ``v-1 = x1``: a node as the trace shows it."""
    labels = graph.labels("griewank")
    node = graph.nodes[index]
    if node.is_input:
        return f"{labels[index]} = {node.name}"
    return f"{labels[index]} = " + node.primitive.primal_template.format(
        *(labels[a] for a in node.args)
    )


def _require_scalar_output(graph: Graph, what: str) -> None:
    out = graph.outputs
    if len(out) != 1 or graph.nodes[out[0]].shape != ():
        shapes = ", ".join(type_name(graph.nodes[o].shape) for o in out)
        raise AdxError(
            "lesson",
            f"{what} needs a program with one scalar output (this one returns {shapes})",
            hint="return a number, e.g. sum(...) of a vector, or ask for 'jacobian-row'",
        )


def _as_number(value: Array, what: str) -> float:
    if np.shape(value) != ():
        raise AdxError("lesson", f"{what} is {type_name(np.shape(value))}, not a single number")
    return float(value)


# ------------------------------------------------------------------ running adjoint totals


def contributions(setup: Setup, label: str) -> list[AdjointStep]:
    """The steps of the one reverse sweep (seeded at the scalar output) that add to ``label``'s
    adjoint, in the order the engine runs them (its seed step is not a contribution)."""
    graph = setup.graph
    _require_scalar_output(graph, "a running adjoint total (one reverse sweep)")
    index = node_index(graph, label)
    steps = run(graph, setup.values, "reverse").adjoint_sweeps[0].steps
    return [s for s in steps if s.node == index and s.source is not None]


def _kth_contribution(setup: Setup, label: str, k_text: str) -> AdjointStep:
    k = int(k_text)
    steps = contributions(setup, label)
    if not steps:
        raise AdxError(
            "lesson",
            f"{label} receives no adjoint contribution (the output is seeded, "
            "and a node the output does not use receives none)",
        )
    if not 1 <= k <= len(steps):
        raise AdxError(
            "lesson",
            f"{label} receives {len(steps)} contribution(s), numbered 1 to {len(steps)}; "
            f"there is no contribution {k}",
        )
    return steps[k - 1]


def adjoint_after(setup: Setup, args: tuple[str, ...]) -> float:
    """``adjoint-after NODE K``: NODE's running adjoint total right after its K-th contribution."""
    step = _kth_contribution(setup, args[0], args[1])
    return _as_number(step.total, f"{args[0]}'s adjoint")


def adjoint_term(setup: Setup, args: tuple[str, ...]) -> float:
    """``adjoint-term NODE K``: the K-th contribution itself (what is added to NODE's adjoint)."""
    step = _kth_contribution(setup, args[0], args[1])
    return _as_number(step.contribution, f"{args[0]}'s adjoint contribution")


# ------------------------------------------------------------------ sweep orders

DIRECTIONS = ("forward", "reverse")


def sweep_nodes(graph: Graph, direction: str) -> list[int]:
    """Every input and operation node, in the order the engine's sweep handles them:
    graph order for a forward (tangent) sweep, the reverse of it for an adjoint sweep."""
    nodes = [n.index for n in graph.nodes if not n.is_const]
    return nodes if direction == "forward" else nodes[::-1]


def users(graph: Graph, index: int) -> list[int]:
    """The nodes that take ``index`` as an argument (each once)."""
    return [n.index for n in graph.nodes if index in n.args]


def order_text(graph: Graph, direction: str) -> str:
    labels = graph.labels("griewank")
    return " ".join(labels[i] for i in sweep_nodes(graph, direction))


def forward_order(setup: Setup, args: tuple[str, ...]) -> str:
    return order_text(setup.graph, "forward")


def reverse_order(setup: Setup, args: tuple[str, ...]) -> str:
    return order_text(setup.graph, "reverse")


# ------------------------------------------------------------------ Jacobian columns and rows


@dataclass(frozen=True)
class Entry:
    """One scalar entry of an input or an output: the node, its flat position, its name."""

    node: int
    flat: int
    name: str  # x1, W[0,1], f2, y[1]


def _entries(graph: Graph, indices: Sequence[int], names: Sequence[str]) -> list[Entry]:
    result = []
    for index, name in zip(indices, names, strict=True):
        shape = graph.nodes[index].shape
        for flat in range(size(shape)):
            if shape:
                where = ",".join(str(int(k)) for k in np.unravel_index(flat, shape))
                result.append(Entry(index, flat, f"{name}[{where}]"))
            else:
                result.append(Entry(index, flat, name))
    return result


def input_entries(graph: Graph) -> list[Entry]:
    return _entries(graph, graph.inputs, graph.input_names)


def output_entries(graph: Graph) -> list[Entry]:
    return _entries(graph, graph.outputs, graph.output_names)


def _find_entry(entries: list[Entry], word: str, what: str) -> Entry:
    """An entry by name (``x1``, ``W[0,1]``, ``W[0, 1]``), or, for a name with one entry
    written without brackets, that entry."""
    wanted = word.replace(" ", "")
    for entry in entries:
        if entry.name == wanted:
            return entry
    whole = [e for e in entries if e.name.partition("[")[0] == wanted]
    if len(whole) == 1:
        return whole[0]
    names = [e.name for e in entries]
    match = closest(wanted, names)
    if whole:
        raise AdxError(
            "lesson",
            f"{wanted} has {len(whole)} entries; name one, e.g. {whole[0].name}",
        )
    raise AdxError(
        "lesson",
        f"no {what} {word!r}"
        + (f" (did you mean '{match}'?)" if match else "")
        + f"; the {what}s are {', '.join(names)}",
    )


def column_entry(graph: Graph, word: str) -> Entry:
    return _find_entry(input_entries(graph), word, "input")


def row_entry(graph: Graph, word: str) -> Entry:
    """An output entry by name, or by its position 1, 2, … among all output entries."""
    outputs = output_entries(graph)
    if word.isascii() and word.isdigit():
        k = int(word)
        if not 1 <= k <= len(outputs):
            raise AdxError(
                "lesson",
                f"there is no output {k}: this program has {len(outputs)} output entr"
                + ("y" if len(outputs) == 1 else f"ies, numbered 1 to {len(outputs)}"),
            )
        return outputs[k - 1]
    return _find_entry(outputs, word, "output")


def _unit(graph: Graph, entry: Entry) -> Array:
    shape = graph.nodes[entry.node].shape
    onehot = np.zeros(size(shape))
    onehot[entry.flat] = 1.0
    return onehot.reshape(shape)


def jacobian_column(setup: Setup, word: str) -> list[float]:
    """One forward sweep seeded with the unit vector of input entry ``word``: the output
    tangents, every output entry in order (column ``word`` of the Jacobian)."""
    graph = setup.graph
    entry = column_entry(graph, word)
    name = graph.nodes[entry.node].name or ""
    trace = run(graph, setup.values, "forward", {name: _unit(graph, entry)})
    return [float(v) for t in trace.output_tangents() for v in np.ravel(t)]


def jacobian_row(setup: Setup, word: str) -> list[float]:
    """One reverse sweep seeded with 1 at output entry ``word``: every input entry's adjoint,
    in order (that row of the Jacobian)."""
    graph = setup.graph
    entry = row_entry(graph, word)
    values = run(graph, setup.values, "evaluate").values
    adjoints: dict[int, Array] = {}
    with np.errstate(all="ignore"):
        for step in reverse(graph, values, {entry.node: _unit(graph, entry)}):
            adjoints[step.node] = step.total
    row: list[float] = []
    for index in graph.inputs:
        adjoint = adjoints.get(index)
        shape = graph.nodes[index].shape
        row.extend(float(v) for v in np.ravel(adjoint if adjoint is not None else np.zeros(shape)))
    return row


def numbers_text(values: Sequence[float]) -> str:
    """Numbers as exact text (shortest repr), separated by ', '."""
    return ", ".join(repr(float(v)) for v in values)


def column_query(setup: Setup, args: tuple[str, ...]) -> str:
    return numbers_text(jacobian_column(setup, args[0]))


def row_query(setup: Setup, args: tuple[str, ...]) -> str:
    return numbers_text(jacobian_row(setup, args[0]))


# ------------------------------------------------------------------ local rules of a primitive

#: Primitives with a scalar rule a student can write (elementwise, one or two arguments).
#: Elementwise primitives of one or two arguments (a rule is written in u, w).
RULE_PRIMITIVES = tuple(
    name for name, p in PRIMITIVES.items() if p.partials is not None and p.arity <= 2
)
ARGUMENTS = ("u", "w")  # the arguments of v = f(u) or v = f(u, w)
TANGENTS = ("udot", "wdot")
ADJOINT = "vbar"
RESULT = "v"
#: The names of adx functions (a, b, y) mean the same as u, w, v.
ALIASES: Mapping[str, str] = {
    "a": "u",
    "b": "w",
    "y": "v",
    "adot": "udot",
    "bdot": "wdot",
    "ybar": "vbar",
}


@dataclass(frozen=True)
class Rule:
    """The rule a ``rule`` exercise asks for: ``tangent`` (v̇ from u̇, ẇ) or ``adjoint``
    (the contribution v̄ adds to the adjoint of argument ``slot``)."""

    primitive: Primitive
    mode: str  # "tangent" or "adjoint"
    slot: int = 0

    @property
    def arguments(self) -> tuple[str, ...]:
        return ARGUMENTS[: self.primitive.arity]

    @property
    def names(self) -> tuple[str, ...]:
        """The variables the rule may use."""
        if self.mode == "tangent":
            return (*self.arguments, RESULT, *TANGENTS[: self.primitive.arity])
        return (*self.arguments, RESULT, ADJOINT)

    @property
    def written(self) -> str:
        """``v = u * w`` or ``v = sin(u)``."""
        return f"{RESULT} = " + self.primitive.primal_template.format(*self.arguments)

    @property
    def what(self) -> str:
        if self.mode == "tangent":
            return f"the tangent rule of {self.written}"
        argument = self.arguments[self.slot]
        return f"the adjoint contribution to {marked(argument, BAR)} of {self.written}"

    def text(self) -> str:
        """The rule as adx text, from the primitive table's templates."""
        prim, args = self.primitive, self.arguments
        none: list[float | None] = [None] * prim.arity
        if self.mode == "adjoint":
            return prim.adjoint_text(self.slot, args, RESULT, ADJOINT, none)
        terms = [prim.tangent_text(i, args, RESULT, TANGENTS[i], none) for i in range(prim.arity)]
        text = terms[0]
        for term in terms[1:]:
            text += f" - {term[1:]}" if term.startswith("-") else f" + {term}"
        return text

    def value(self, point: Mapping[str, float]) -> float:
        """The rule at ``point`` (values of the arguments, tangents, adjoint), by the table's
        JVP/VJP functions."""
        prim = self.primitive
        args = tuple(np.float64(point[a]) for a in self.arguments)
        with np.errstate(all="ignore"):
            out = prim.evaluate(*args)
            if self.mode == "adjoint":
                return float(prim.vjp[self.slot](args, out, np.float64(point[ADJOINT])))
            return float(
                sum(
                    prim.jvp[i](args, out, np.float64(point[TANGENTS[i]]))
                    for i in range(prim.arity)
                )
            )

    def result(self, point: Mapping[str, float]) -> float:
        """v = f(u, w) at ``point``."""
        with np.errstate(all="ignore"):
            return float(self.primitive.evaluate(*(np.float64(point[a]) for a in self.arguments)))


def read_rule(mode: str, name: str, argument: str = "u") -> Rule:
    if name not in RULE_PRIMITIVES:
        raise AdxError("lesson", f"{name!r} has no scalar rule to write")
    prim = PRIMITIVES[name]
    slot = ARGUMENTS.index(argument)
    if slot >= prim.arity:
        raise AdxError(
            "lesson",
            f"{name} has one argument, u: ask for 'adjoint-rule {name} u'",
        )
    return Rule(prim, mode, slot)


def rule_points(rule: Rule, count: int = 6, seed: int = 7) -> list[dict[str, float]]:
    """``count`` points where the rule is finite: arguments of either sign between 0.2 and
    0.9 in size (inside every primitive's domain once made positive, and away from the
    kinks at 0), tangents and adjoints between 0.3 and 2 in size."""
    rng = np.random.default_rng(seed)
    points: list[dict[str, float]] = []
    for k in range(count):
        # u's sign alternates and w's every other point, so both signs of each (and of
        # u·w) are met whatever the random sizes: relu's rule is not udot.
        signs = (1 if k % 2 == 0 else -1, 1 if k % 4 < 2 else -1)
        point = {
            a: float(sign * rng.uniform(0.2, 0.9))
            for a, sign in zip(rule.arguments, signs, strict=False)
        }
        for name in (*TANGENTS, ADJOINT):
            point[name] = float(rng.choice((-1, 1)) * rng.uniform(0.3, 2.0))
        if not np.isfinite(rule.result(point)) or not np.isfinite(rule.value(point)):
            point.update({a: abs(point[a]) for a in rule.arguments})  # log, sqrt, a^b …
        point[RESULT] = rule.result(point)
        points.append(point)
    return points


def tangent_rule(setup: Setup | None, args: tuple[str, ...]) -> str:
    return read_rule("tangent", args[0]).text()


def adjoint_rule(setup: Setup | None, args: tuple[str, ...]) -> str:
    return read_rule("adjoint", args[0], args[1]).text()
