"""What an open exercise hides in the explorer: no answer is on screen before it is asked.

An exercise whose answer the explorer would show (``from: tangent v2``, ``adjoint v1``,
``adjoint-after v0 1``, ``adjoint-term v0 2``, ``gradient x1``, ``directional``,
``value``, ``primal v3``, ``contributions v0``, ``jacobian-column x1``, ``jacobian-row
1``, and a cell of the nested sweep, ``adjoint-dot v0`` and its running forms) hides
those places while it is open: the trace cells, the graph's labels, the
numbers of the formula bar at the steps that compute or use them, the result line at the
end of the sweep, the fan-out count. :func:`hidden_for` maps an exercise to a
:class:`Hidden`, plain data over the step's graph (node indices, input names, sweeps);
the lesson player joins the open exercises' with ``|`` and hands the result to the
explorer's session, which asks it ``hides_value``, ``hides_derivative``,
``hides_result`` and ``hides_fan_in`` (the explorer's ``Concealment`` protocol).

A derivative belongs to a sweep: the reverse sweep, or a forward sweep with a seed. A
tangent asked for the seed x1 is hidden only while the explorer runs forward mode with
that same seed (another seed gives other numbers, not the answer). Queries whose answers
the explorer does not show as such (operations, sweeps, costs, finite differences,
swell, descent, rules) hide nothing, and only number and vector exercises hide
(``CONCEALING_KINDS``). The order of a sweep (``reverse-order``) is not
hidden either: stepping the sweep is how it is learnt.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from adexplorer.base.errors import AdxError
from adexplorer.base.shapes import Array
from adexplorer.lessons import answers
from adexplorer.lessons.model import Exercise, Explore

REVERSE = "reverse"
#: What a result line is called: the output's value, the forward sweep's output
#: tangent, or ``gradient NAME`` for an input's entry of the gradient in reverse mode.
OUTPUT_VALUE = "f"
DIRECTIONAL = "directional"
#: The kinds whose answer is a number (or numbers) the explorer could show.  A formula
#: is not given away by its value at one point; a seed exercise is solved by trying
#: seeds and reading what they give; a rule or an order is not a number on screen.
CONCEALING_KINDS = ("number", "vector")
#: Queries about a node's adjoint: the total, a running total, one of its terms.
RUNNING_ADJOINT = ("adjoint", "adjoint-after", "adjoint-term")
#: Queries about a node's v̄̇ in the nested sweep along the step's seed u: the explorer's
#: second-order mode asks about that sweep with the forward seed u, as forward mode does.
NESTED_CELLS = ("adjoint-dot", "adjoint-dot-after", "adjoint-dot-term")


def sweep_key(mode: str, seed: Mapping[str, Array] | None) -> str:
    """The sweep a derivative belongs to: ``reverse``, or ``forward`` and its seed
    (the same words for the same direction, however it was written)."""
    if mode == REVERSE:
        return REVERSE
    entries = []
    for name in sorted(seed or {}):
        values = np.ravel(np.asarray(seed[name], dtype=np.float64))  # type: ignore[index]
        if not np.any(values != 0):
            continue
        if values.size <= _SPELLED_OUT:
            entries.append(f"{name}={','.join(repr(float(v)) for v in values)}")
        else:  # a 64×1000 seed: its digest (asked once per node and frame), -0.0 read as 0.0
            digest = hashlib.blake2b((values + 0.0).tobytes(), digest_size=16).hexdigest()
            entries.append(f"{name}={values.shape[0]}:{digest}")
    return "forward " + " ".join(entries)


#: Seeds up to this many entries are named by their numbers, larger ones by a digest.
_SPELLED_OUT = 64


@dataclass(frozen=True)
class Hidden:
    """The places the explorer shows as ``?`` for one program (see the module docstring)."""

    program: str  # the program these node indices belong to
    values: frozenset[int] = frozenset()  # nodes whose value is hidden (every mode)
    derivatives: frozenset[tuple[str, int]] = frozenset()  # (sweep, node)
    results: frozenset[tuple[str, str]] = frozenset()  # (sweep or "", result name)
    fan_in: frozenset[int] = frozenset()  # nodes whose count of contributions is hidden

    def __or__(self, other: Hidden) -> Hidden:
        if other.program != self.program:
            raise ValueError("only what is hidden in the same program can be joined")
        return Hidden(
            self.program,
            self.values | other.values,
            self.derivatives | other.derivatives,
            self.results | other.results,
            self.fan_in | other.fan_in,
        )

    def __bool__(self) -> bool:
        return bool(self.values or self.derivatives or self.results or self.fan_in)

    # -- what the explorer asks (its Concealment protocol) ----------------------------

    def hides_value(self, node: int) -> bool:
        return node in self.values

    def hides_derivative(self, node: int, mode: str, seed: Mapping[str, Array] | None) -> bool:
        return (sweep_key(mode, seed), node) in self.derivatives

    def hides_result(self, what: str, mode: str, seed: Mapping[str, Array] | None) -> bool:
        return ("", what) in self.results or (sweep_key(mode, seed), what) in self.results

    def hides_fan_in(self, node: int) -> bool:
        return node in self.fan_in


def nothing(program: str) -> Hidden:
    return Hidden(program)


def hidden_for(exercise: Exercise, explore: Explore | None) -> Hidden | None:
    """What ``exercise`` hides in its step's exploration while it is open; None when
    the step has no exploration.  A query that cannot be computed hides nothing
    (``adx lesson check`` reports it; the player must still open)."""
    if explore is None:
        return None
    program = explore.program
    if not exercise.query or exercise.kind not in CONCEALING_KINDS:
        return nothing(program)
    try:
        query, args = answers.read_query(exercise.query)
        setup = answers.prepared(explore)
    except AdxError:
        return nothing(program)
    graph = setup.graph
    labels = graph.labels("griewank")
    outputs = frozenset(graph.outputs)
    step_sweep = sweep_key("forward", setup.seed)

    def node(label: str) -> int | None:
        return labels.index(label) if label in labels else None

    def input_sweep(name: str) -> str:
        index = graph.input_index(name)
        shape = graph.nodes[index].shape if index is not None else ()
        return sweep_key("forward", {name: np.ones(shape)})

    def gradient_of(name: str) -> Hidden:
        """∂f/∂name: its adjoint in reverse mode, the output's tangent when seeded with name."""
        index = graph.input_index(name)
        if index is None:
            return nothing(program)
        seeded = input_sweep(name)
        return Hidden(
            program,
            derivatives=frozenset({(REVERSE, index)} | {(seeded, out) for out in outputs}),
            results=frozenset({(REVERSE, f"gradient {name}"), (seeded, DIRECTIONAL)}),
        )

    name = query.name
    if name == "value":
        return Hidden(program, values=outputs, results=frozenset({("", OUTPUT_VALUE)}))
    if name in ("primal", "tangent", "contributions", *RUNNING_ADJOINT):
        index = node(args[0]) if args else None
        if index is None:
            return nothing(program)
        if name == "primal":
            result = {("", OUTPUT_VALUE)} if index in outputs else set()
            return Hidden(program, values=frozenset({index}), results=frozenset(result))
        if name == "tangent":
            result = {(step_sweep, DIRECTIONAL)} if index in outputs else set()
            return Hidden(
                program,
                derivatives=frozenset({(step_sweep, index)}),
                results=frozenset(result),
            )
        if name == "contributions":
            return Hidden(program, fan_in=frozenset({index}))
        # adjoint vK, its running total or one of its terms: the node's adjoint as it grows
        hidden = Hidden(program, derivatives=frozenset({(REVERSE, index)}))
        input_name = graph.nodes[index].name
        if graph.nodes[index].is_input and input_name:
            hidden = hidden | gradient_of(input_name)
        return hidden
    if name == "gradient":
        return gradient_of(args[0].partition("[")[0])
    if name == "directional":
        hidden = Hidden(
            program,
            derivatives=frozenset((step_sweep, out) for out in outputs),
            results=frozenset({(step_sweep, DIRECTIONAL)}),
        )
        if setup.seed_name is not None:  # seeded with one input: its gradient entry is the answer
            hidden = hidden | gradient_of(setup.seed_name)
        return hidden
    if name == "jacobian-column":  # every output's tangent, seeded with the input
        wrt = args[0].partition("[")[0]
        if graph.input_index(wrt) is None:
            return nothing(program)
        seeded = input_sweep(wrt)
        return Hidden(
            program,
            derivatives=frozenset((seeded, out) for out in outputs),
            results=frozenset({(seeded, DIRECTIONAL)}),
        )
    if name in NESTED_CELLS:  # the node's v̇, v̄ and v̄̇ in the nested sweep along u
        index = node(args[0]) if args else None
        if index is None:
            return nothing(program)
        return Hidden(program, derivatives=frozenset({(step_sweep, index)}))
    if name == "jacobian-row":  # a reverse sweep's adjoints of the inputs
        hidden = nothing(program)
        for input_name in graph.input_names:
            hidden = hidden | gradient_of(input_name)
        return hidden
    return nothing(program)


def hidden_for_all(exercises: list[Exercise], explore: Explore | None) -> Hidden | None:
    """What the open ``exercises`` of a step hide together (None without an exploration)."""
    if explore is None:
        return None
    hidden = nothing(explore.program)
    for exercise in exercises:
        one = hidden_for(exercise, explore)
        if one is not None:
            hidden = hidden | one
    return hidden
