"""What an open exercise hides in the explorer: no answer is on screen before it is asked.

An exercise whose answer the explorer would show (``from: tangent v2``, ``adjoint v1``,
``adjoint-after v0 1``, ``adjoint-term v0 2``, ``gradient x1``, ``directional``,
``value``, ``primal v3``, ``contributions v0``, ``jacobian-column x1``, ``jacobian-row
1``, a cell of the nested sweep, ``adjoint-dot v0`` and its running forms, ``jvp``,
``vjp``, ``vector-tangent``, ``hvp``, ``hessian`` and their vector forms) hides those
places while it is open: the trace cells, the graph's labels, the numbers of the
formula bar at the steps that compute or use them, the result line at the end of the
sweep, the fan-out count, and in second-order mode the Hessian panel's entries (H·u
along the step's u, or the entries of H asked; a row of H is also H·u along a unit
direction, so each hides the other).  :func:`hidden_for` maps an exercise to a
:class:`Hidden`, plain data over the step's graph (node indices, input names, input
entries, sweeps); the lesson player joins the open exercises' with ``|`` and hands the
result to the explorer's session, which asks it ``hides_value``, ``hides_derivative``,
``hides_result``, ``hides_fan_in``, ``hides_hessian`` and ``hides_hvp`` (the
explorer's ``Concealment`` protocol).

A derivative belongs to a sweep: the reverse sweep (plain, or seeded with a cotangent
ȳ), a forward sweep with a seed, or the vector sweep that carries every unit direction
(which holds every seeded sweep's numbers at once). A tangent asked for the seed x1 is
hidden only while the explorer runs forward mode with that same seed, or the vector
sweep (another seed gives other numbers, not the answer).  Newton's iterates
(``newton``) are not on the explorer's screen, so they hide nothing. Queries whose answers
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
from adexplorer.core.ir import Graph
from adexplorer.lessons import answers, second_order_queries
from adexplorer.lessons import kind_queries as kq
from adexplorer.lessons.model import Exercise, Explore

REVERSE = "reverse"
#: The vector forward sweep: every unit direction at once (the explorer's V).
VECTOR = "vector"
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
    """The sweep a derivative belongs to: ``reverse`` (with its cotangent ȳ, if seeded),
    ``vector``, or ``forward`` and its seed (the same words for the same direction,
    however it was written)."""
    if mode == VECTOR:
        return VECTOR
    if mode == REVERSE and not seed:
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
    return ("reverse ȳ " if mode == REVERSE else "forward ") + " ".join(entries)


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
    #: entries (row, column) of the Hessian over the flattened input entries, both orders
    hessian: frozenset[tuple[int, int]] = frozenset()
    hvp: frozenset[tuple[str, int]] = frozenset()  # (sweep along u, entry) of H·u

    def __or__(self, other: Hidden) -> Hidden:
        if other.program != self.program:
            raise ValueError("only what is hidden in the same program can be joined")
        return Hidden(
            self.program,
            self.values | other.values,
            self.derivatives | other.derivatives,
            self.results | other.results,
            self.fan_in | other.fan_in,
            self.hessian | other.hessian,
            self.hvp | other.hvp,
        )

    def __bool__(self) -> bool:
        parts = (self.values, self.derivatives, self.results, self.fan_in, self.hessian, self.hvp)
        return any(parts)

    # -- what the explorer asks (its Concealment protocol) ----------------------------

    def hides_value(self, node: int) -> bool:
        return node in self.values

    def hides_derivative(self, node: int, mode: str, seed: Mapping[str, Array] | None) -> bool:
        return (sweep_key(mode, seed), node) in self.derivatives

    def hides_result(self, what: str, mode: str, seed: Mapping[str, Array] | None) -> bool:
        return ("", what) in self.results or (sweep_key(mode, seed), what) in self.results

    def hides_fan_in(self, node: int) -> bool:
        return node in self.fan_in

    def hides_hessian(self, row: int, column: int) -> bool:
        return (row, column) in self.hessian

    def hides_hvp(self, entry: int, seed: Mapping[str, Array] | None) -> bool:
        return (sweep_key("forward", seed), entry) in self.hvp


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
        """∂f/∂name: its adjoint in reverse mode, the output's tangent when seeded with
        name, and the output's tangent in the vector sweep (which carries that seed too)."""
        index = graph.input_index(name)
        if index is None:
            return nothing(program)
        seeded = input_sweep(name)
        tangents = {(sweep, out) for out in outputs for sweep in (seeded, VECTOR)}
        return Hidden(
            program,
            derivatives=frozenset({(REVERSE, index)} | tangents),
            results=frozenset(
                {
                    (REVERSE, f"gradient {name}"),
                    (seeded, DIRECTIONAL),
                    (VECTOR, f"gradient {name}"),
                }
            ),
        )

    def entry_position(word: str) -> int | None:
        """An input entry's position among every input entry (the Hessian's order)."""
        try:
            wanted = kq.column_entry(graph, word)
        except AdxError:
            return None
        return kq.input_entries(graph).index(wanted)

    def hvp_entries(entries: list[int]) -> Hidden:
        """Entries of H·u along the step's u, and the row of H that H·u is when u points
        along one input entry."""
        hidden = Hidden(program, hvp=frozenset((step_sweep, e) for e in entries))
        unit = unit_entry(setup.seed)
        if unit is not None:
            hidden = hidden | hessian_entries([(unit, e) for e in entries])
        return hidden

    def unit_entry(seed: Mapping[str, Array]) -> int | None:
        """The one input entry a seed points along (None: several, or none)."""
        flat: list[float] = []
        for name in graph.input_names:
            index = graph.input_index(name)
            shape = graph.nodes[index].shape if index is not None else ()
            value = seed.get(name, np.zeros(shape))
            flat.extend(np.ravel(np.asarray(value, dtype=np.float64)).tolist())
        nonzero = [k for k, v in enumerate(flat) if v != 0]
        return nonzero[0] if len(nonzero) == 1 else None

    def hessian_entries(pairs: list[tuple[int, int]]) -> Hidden:
        both = {(a, b) for a, b in pairs} | {(b, a) for a, b in pairs}
        return Hidden(program, hessian=frozenset(both))

    def input_entries_of(index: int) -> list[int]:
        return [k for k, e in enumerate(kq.input_entries(graph)) if e.node == index]

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
        hidden = Hidden(program, derivatives=frozenset({(step_sweep, index)}))
        if graph.nodes[index].is_input and _adds_up_to_the_total(setup, name, args):
            hidden = hidden | hvp_entries(input_entries_of(index))  # its entry of H·u
        return hidden
    if name in ("hvp", "hvp-vector"):
        if name == "hvp-vector":
            return hvp_entries(list(range(len(kq.input_entries(graph)))))
        position = entry_position(args[0])
        return nothing(program) if position is None else hvp_entries([position])
    if name in ("hessian", "hessian-row"):
        rows = [entry_position(word) for word in args]
        if any(row is None for row in rows):
            return nothing(program)
        if name == "hessian":
            return hessian_entries([(rows[0] or 0, rows[1] or 0)])
        everything = range(len(kq.input_entries(graph)))
        return hessian_entries([(rows[0] or 0, column) for column in everything])
    if name in ("jvp", "jvp-vector"):  # J·u: the output tangents of the step's sweep
        wanted = outputs
        if name == "jvp":
            try:
                wanted = frozenset({kq.row_entry(graph, args[0]).node})
            except AdxError:
                return nothing(program)
        hidden = Hidden(
            program,
            derivatives=frozenset((step_sweep, out) for out in wanted),
            results=frozenset({(step_sweep, DIRECTIONAL)}),
        )
        if setup.seed_name is not None:  # u is one input's unit seed: a column of J
            hidden = hidden | gradient_of(setup.seed_name)
        return hidden
    if name in ("vjp", "vjp-vector"):  # ȳᵀJ: the inputs' adjoints of the sweep seeded with ȳ
        seeded = sweep_key(REVERSE, setup.cotangent)
        names = graph.input_names if name == "vjp-vector" else (args[0].partition("[")[0],)
        indices = [(n, graph.input_index(n)) for n in names]
        return Hidden(
            program,
            derivatives=frozenset((seeded, i) for _, i in indices if i is not None),
            results=frozenset((seeded, f"gradient {n}") for n, i in indices if i is not None),
        )
    if name == "vector-tangent":  # one part of a node's tangent in the vector sweep
        index = node(args[0]) if args else None
        direction = _direction_input(graph, args[1]) if len(args) > 1 else None
        if index is None:
            return nothing(program)
        hidden = Hidden(program, derivatives=frozenset({(VECTOR, index)}))
        if direction is not None:  # the same number as the sweep seeded with that input
            hidden = hidden | Hidden(
                program, derivatives=frozenset({(input_sweep(direction), index)})
            )
            if index in outputs:
                hidden = hidden | gradient_of(direction)
        return hidden
    if name == "jacobian-row":  # a reverse sweep's adjoints of the inputs
        hidden = nothing(program)
        for input_name in graph.input_names:
            hidden = hidden | gradient_of(input_name)
        return hidden
    return nothing(program)


def _adds_up_to_the_total(setup: answers.Setup, query: str, args: tuple[str, ...]) -> bool:
    """Whether a nested-cell query's answer may be the node's final v̄̇ (an input's
    entry of H·u): the total, a running total, or a term that is its only one."""
    if query != "adjoint-dot-term":
        return True
    try:
        _, steps = second_order_queries._steps_into(setup, args[0])
    except (AdxError, ValueError):
        return True
    return len(steps) <= 1


def _direction_input(graph: Graph, word: str) -> str | None:
    """The input whose unit seed gives direction ``word`` of the vector sweep (its label
    or position), if that input is one scalar entry (a tensor's entry is not a seed the
    explorer's s key gives)."""
    entries = kq.input_entries(graph)
    if word.isascii() and word.isdigit():
        k = int(word)
        entry = entries[k - 1] if 1 <= k <= len(entries) else None
    else:
        entry = next((e for e in entries if e.name == word.replace(" ", "")), None)
    if entry is None or graph.nodes[entry.node].shape != ():
        return None
    return graph.nodes[entry.node].name


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
