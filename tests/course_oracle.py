"""Answers to the course's exercises, worked out without the lesson's answer key.

The walkthrough test (test_course_walkthrough.py) plays every exercise of the
built-in course.  It must not take its answers from the code that grades them
(``answers.compute`` and the lesson's literal ``answer:``), or a wrong key would
grade itself right.  So each kind of question is answered here another way:

* derivatives (``gradient``, ``directional``, ``tangent``) by central
  differences of plain evaluations, which use no derivative rule at all;
* adjoints of intermediate nodes by central differences too: the program is
  evaluated with that node's value nudged (a graph whose node is replaced by
  an input), which is what ∂f/∂vᵢ means;
* counts (contributions, sweeps, operations) from the graph's edges and inputs;
  a loop's iterations from the count its source writes (``range(N)``);
* the branch an ``if`` takes by evaluating its conditions' source text, in order;
* lines of generated code by reading its text (``+=`` lines, ``stack.append``);
* memory by walking the operations' live ranges, and a checkpointing schedule's
  recomputations by its definition (``every=K``) or Griewank's formula (``snapshots=S``);
* descent by repeating x ← x − η·(central-difference gradient), or, for the text's
  two-layer network (101,110 parameters: too many for differences), by a backward
  pass written out by hand in numpy; descent without zero_grad by adding up the
  gradients so far;
* the type of an adjoint from the shape of the node's evaluated value;
* J·u and ȳᵀJ by central differences of each output, weighted by the step's seed;
  a part of a vector tangent as the node's derivative along that unit direction;
* Hessian entries, H·u and Newton steps from sympy's second derivatives of the
  program's expression; a cell v̄̇ of the nested sweep as the derivative along u of
  the first-order cell (itself by differences), differenced once more;
* sweep and gradient counts from the number of input entries;
* sweeps for the trained inputs by counting their entries;
* what only a study computes (swell sizes, best step h, cost ratios) by calling
  that study directly, since it *is* the definition.

Only the lesson's program, point and seed are read from the lesson.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from adexplorer.base.numbers import format_value
from adexplorer.base.shapes import Array
from adexplorer.codegen import generate
from adexplorer.compare.fd_study import study
from adexplorer.compare.swell import family_study, swell_study
from adexplorer.core.engines.finite_diff import evaluations_per_gradient
from adexplorer.core.ir import Graph, Node
from adexplorer.core.primitives import PRIMITIVES
from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source
from adexplorer.lang.structure import For, If, program_structure
from adexplorer.lessons.answers import Setup, prepare
from adexplorer.lessons.model import Exercise, Explore

#: The step of the central differences: small enough for 6 significant digits of
#: a smooth function of values near 1, large enough to keep round-off below that.
H = 1e-5


class NoOracle(Exception):
    """This exercise's answer cannot be worked out independently (a literal key only)."""


def _evaluate(graph: Graph, values: Mapping[str, Array]) -> tuple[Array, ...]:
    return run(graph, values, "evaluate").values


def _label_index(graph: Graph, label: str) -> int:
    return graph.labels("griewank").index(label)


def _central(f, h: float = H) -> float:  # type: ignore[no-untyped-def]
    """(f(h) − f(−h)) / 2h, refined by Richardson extrapolation (error O(h⁴))."""

    def d(step: float) -> float:
        return (f(step) - f(-step)) / (2 * step)

    return (4 * d(h / 2) - d(h)) / 3


def _along(setup: Setup, direction: Mapping[str, Array], node: int) -> float:
    """d(node's value)/dt at x + t·direction, by central differences."""

    def at(t: float) -> float:
        moved = {
            k: np.asarray(v, dtype=float) + t * np.asarray(direction.get(k, 0.0))
            for k, v in setup.values.items()
        }
        return float(_evaluate(setup.graph, moved)[node])

    return _central(at)


def _as_input(graph: Graph, index: int) -> Graph:
    """The same program with node ``index`` cut loose: an input called ``__cut``."""
    nodes = list(graph.nodes)
    old = nodes[index]
    nodes[index] = Node(index, "input", (), old.shape, old.span, name="__cut")
    # the tape of this run, kept as it is: a program with if/for would be taped anew
    # (without the cut) at every evaluation; nudges small enough keep its branches
    return replace(graph, nodes=tuple(nodes), inputs=(*graph.inputs, index), program=None)


def _adjoint(setup: Setup, node: int) -> float:
    """∂f/∂vᵢ: the output's change when node i's value alone is nudged."""
    graph = setup.graph
    if graph.nodes[node].is_input:
        name = graph.nodes[node].name
        assert name is not None
        return _along(setup, {name: np.ones(np.shape(setup.values[name]))}, graph.outputs[0])
    value = float(_evaluate(graph, setup.values)[node])
    cut = _as_input(graph, node)

    def at(t: float) -> float:
        values = {**setup.values, "__cut": np.asarray(value + t)}
        return float(run(cut, values, "evaluate").values[cut.outputs[0]])

    return _central(at)


def _local_partial(graph: Graph, values: tuple[Array, ...], of: str, wrt: str) -> float:
    """∂(node `of`)/∂(its argument `wrt`), by central differences of that one operation."""
    labels = graph.labels("griewank")
    node = graph.nodes[labels.index(of)]
    slot = node.args.index(labels.index(wrt))
    primitive = PRIMITIVES[node.op]  # its evaluation only: a broken rule changes nothing here

    def at(t: float) -> float:
        args = [values[a] for a in node.args]
        args[slot] = np.asarray(args[slot] + t)
        return float(primitive.evaluate(*args))

    return _central(at)


def _adjoint_terms(setup: Setup, node: int) -> list[float]:
    """The contributions v̄c·∂c/∂vᵢ to vᵢ's adjoint, one per use, in the order a reverse
    sweep meets them (the user with the highest index first)."""
    graph = setup.graph
    values = _evaluate(graph, setup.values)
    labels = graph.labels("griewank")
    terms = []
    for user in sorted((n for n in graph.nodes if node in n.args), key=lambda n: -n.index):
        partial = _local_partial(graph, values, labels[user.index], labels[node])
        terms.append(_adjoint(setup, user.index) * partial * user.args.count(node))
    return terms


def _consumers(graph: Graph, node: int) -> int:
    """How many argument slots read node i (x*x reads x twice)."""
    return sum(n.args.count(node) for n in graph.nodes)


def _gradient(setup: Setup, name: str) -> float:
    base, _, entry = name.partition("[")
    value = np.asarray(setup.values[base], dtype=float)
    direction = np.zeros(value.shape)
    if entry:
        direction[tuple(int(k) for k in entry.rstrip("]").split(","))] = 1.0
    else:
        direction = np.ones(value.shape)
    return _along(setup, {base: direction}, setup.graph.outputs[0])


def _descent(setup: Setup, steps: int) -> float:
    values = _descended(setup, steps)
    return float(_evaluate(setup.graph, values)[setup.graph.outputs[0]])


def _descended_input(setup: Setup, steps: int, name: str) -> float:
    base, _, entry = name.partition("[")
    value = _descended(setup, steps)[base]
    if entry:
        value = value[tuple(int(k) for k in entry.rstrip("]").split(","))]
    return float(value)


def _descended(setup: Setup, steps: int, accumulate: bool = False) -> dict[str, Array]:
    """The inputs after ``steps`` descent steps; with ``accumulate`` the gradients are
    never zeroed, so each step moves by the sum of every gradient so far."""
    values = {k: np.asarray(v, dtype=float) for k, v in setup.values.items()}
    names = list(setup.explore.train) or list(values)
    total = {name: np.zeros(values[name].shape) for name in names}
    for _ in range(steps):
        here = replace(setup, values=values)
        gradient = _network_gradient(here) or {name: _entrywise(here, name) for name in names}
        for name in names:
            total[name] = total[name] + gradient[name] if accumulate else gradient[name]
        values = {
            k: v - setup.explore.eta * total[k] if k in total else v for k, v in values.items()
        }
    return values


def _entrywise(setup: Setup, name: str) -> Array:
    """∂f/∂name, one central difference per entry."""
    shape = np.shape(setup.values[name])
    grad = np.zeros(shape)
    for index in np.ndindex(shape):
        direction = np.zeros(shape)
        direction[index] = 1.0
        grad[index] = _along(setup, {name: direction}, setup.graph.outputs[0])
    return grad


#: The operations of the text's network, relu(X @ W1 + b1) @ W2 + b2 against Y, summed
#: squared error: the program whose gradient _network_gradient writes out by hand.
NETWORK_OPS = ("matmul", "add", "relu", "matmul", "add", "sub", "pow", "sum")


def _network_gradient(setup: Setup) -> dict[str, Array] | None:
    """The gradient of the text's network by a backward pass written by hand in numpy
    (no adx rule), or None for any other program."""
    graph = setup.graph
    if tuple(graph.nodes[i].op for i in graph.op_nodes) != NETWORK_OPS or set(
        graph.input_names
    ) != {"X", "Y", "W1", "b1", "W2", "b2"}:
        return None
    v = {k: np.asarray(a, dtype=float) for k, a in setup.values.items()}
    z = v["X"] @ v["W1"] + v["b1"]
    h = np.maximum(z, 0.0)
    p_bar = 2.0 * (h @ v["W2"] + v["b2"] - v["Y"])
    z_bar = (p_bar @ v["W2"].T) * (z > 0)
    return {
        "X": z_bar @ v["W1"].T,
        "Y": -p_bar,
        "W1": v["X"].T @ z_bar,
        "b1": z_bar.sum(axis=0),
        "W2": h.T @ p_bar,
        "b2": p_bar.sum(axis=0),
    }


def number(query: str, explore: Explore) -> float:
    """The answer to a number (or order) exercise's ``from:`` query."""
    setup = prepare(explore)
    graph = setup.graph
    what, *args = query.split()
    out = graph.outputs[0] if graph.outputs else 0
    if what == "value":
        return float(_evaluate(graph, setup.values)[out])
    if what == "operations":
        return float(len(graph.op_nodes))
    if what == "primal":
        return float(_evaluate(graph, setup.values)[_label_index(graph, args[0])])
    if what == "gradient":
        return _gradient(setup, args[0])
    if what == "directional":
        return _along(setup, setup.seed, out)
    if what == "tangent":
        return _along(setup, setup.seed, _label_index(graph, args[0]))
    if what == "adjoint":
        return _adjoint(setup, _label_index(graph, args[0]))
    if what == "contributions":
        return float(_consumers(graph, _label_index(graph, args[0])))
    if what == "sweeps":  # one sweep per scalar entry of the inputs, or of the outputs
        if args[0] == "forward":
            return float(sum(int(np.size(v)) for v in setup.values.values()))
        return float(sum(int(np.prod(graph.nodes[o].shape, dtype=int)) for o in graph.outputs))
    if what == "fd-evals":
        n = sum(int(np.size(v)) for v in setup.values.values())
        return float(evaluations_per_gradient(n, args[0]))
    if what == "fd-best-h":
        result = study(graph, setup.values, setup.seed_name, schemes=(args[0],))
        return float(result.best[args[0]][0])
    if what == "swell":
        wrt = setup.seed_name or graph.input_names[0]
        return float(swell_study(graph, wrt).sizes.as_dict()[args[0]])
    if what == "family-size":
        rows = family_study(explore.family, f"{args[0]}:{args[0]}")
        return float(rows[0].sizes.as_dict()[args[1]])
    if what == "cost":
        cost = run(graph, setup.values, "evaluate").cost
        assert cost is not None
        return float(getattr(cost, args[0]))
    if what == "descent":
        return _descent(setup, int(args[0]))
    if what == "descent-value":
        return _descended_input(setup, int(args[0]), args[1])
    if what == "descent-accumulate":
        values = _descended(setup, int(args[0]), accumulate=True)
        return float(_evaluate(graph, values)[out])
    if what == "train-sweeps":  # one forward sweep per trained entry, one reverse per output
        if args[0] == "forward":
            names = explore.train or tuple(setup.values)
            return float(sum(int(np.size(setup.values[n])) for n in names))
        return float(sum(int(np.prod(graph.nodes[o].shape, dtype=int)) for o in graph.outputs))
    if what == "train-cost":  # the cost model is the definition: its counts times the sweeps
        cost = run(graph, setup.values, "evaluate").cost
        assert cost is not None
        sweep = cost.tangent.total if args[0] == "forward" else cost.adjoint.total
        return number(f"train-sweeps {args[0]}", explore) * (cost.primal.total + sweep)
    if what == "true-gradient":  # evaluation uses no derivative rule, broken or not
        return _gradient(setup, args[0])
    if what == "local-partial":
        return _local_partial(graph, _evaluate(graph, setup.values), *args)
    if what in ("adjoint-after", "adjoint-term"):
        terms = _adjoint_terms(setup, _label_index(graph, args[0]))
        k = int(args[1])
        return sum(terms[:k]) if what == "adjoint-after" else terms[k - 1]
    if what == "memory":
        return _memory(setup, args[0], args[1])
    if what == "checkpoint" and args[0] == "recomputed_steps":
        return float(_recomputed(len(graph.op_nodes), explore.checkpoint))
    if what == "binomial":  # Griewank's β(s, t) = C(s + t, s)
        return float(math.comb(int(args[0]) + int(args[1]), int(args[0])))
    if what == "codegen-count":  # read off the generated text, not its line map
        marks = {"adjoint": " += ", "push": "stack.append("}
        if args[1] not in marks:
            raise NoOracle(f"no independent count of {args[1]} lines")
        return float(sum(marks[args[1]] in line for line in _generated(setup, args[0])))
    if what == "codegen-line":
        return float(_contribution_lines(setup, args[0])[int(args[1]) - 1][0])
    if what == "iterations":
        return float(_loop(explore, int(args[0])).count)
    if what in SECOND_ORDER or what in GENERAL_VECTORS:
        return _products(setup, what, args)
    if what == "fd-estimate":  # the textbook quotients, from plain evaluations
        f = _along_seed(setup, out)
        h = float(args[1])
        quotients = {
            "forward": (f(h) - f(0.0)) / h,
            "backward": (f(0.0) - f(-h)) / h,
            "central": (f(h) - f(-h)) / (2 * h),
        }
        return quotients[args[0]]
    raise NoOracle(f"no independent answer for 'from: {query}'")


# ------------------------------------------------------------------ lessons 16 and 17

GENERAL_VECTORS = ("jvp", "vjp", "vector-tangent", "vector-cost")
SECOND_ORDER = (
    "hvp",
    "hessian",
    "adjoint-dot",
    "adjoint-dot-after",
    "adjoint-dot-term",
    "nested-sweeps",
    "fd-gradients",
    "newton",
    "newton-value",
)
#: The outer step of a derivative of derivatives: each inner derivative is a
#: Richardson-refined central difference good to ~1e-11, so the outer one takes a
#: larger step (round-off 1e-11/h ≈ 1e-9, its own O(h⁴) error smaller still).
OUTER_H = 1e-2


def _moved(setup: Setup, direction: Mapping[str, Array], t: float) -> Setup:
    """The step's setup at x + t·direction."""
    values = {
        k: np.asarray(v, dtype=float) + t * np.asarray(direction.get(k, 0.0))
        for k, v in setup.values.items()
    }
    return replace(setup, values=values)


def _cotangent_weights(setup: Setup) -> list[float]:
    """The step's ȳ as one weight per output (outputs left out: 0); scalar outputs."""
    return [float(setup.cotangent.get(name, 0.0)) for name in setup.graph.output_names]


def _vjp_entry(setup: Setup, name: str) -> float:
    """ȳᵀJ for input ``name``: Σᵢ ȳᵢ·∂fᵢ/∂name, each partial by central differences."""
    weights = _cotangent_weights(setup)
    unit = {name: np.ones(())}
    return sum(
        w * _along(setup, unit, o) for w, o in zip(weights, setup.graph.outputs, strict=True) if w
    )


def _sympy_program(setup: Setup):  # type: ignore[no-untyped-def]
    """The step's program as one sympy expression and its symbols (an expression only)."""
    import sympy as sp
    from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations

    program = setup.explore.program.strip()
    if "\n" in program or ";" in program or "=" in program:
        raise NoOracle("no sympy form of a program with statements")
    symbols = {name: sp.Symbol(name) for name in setup.graph.input_names}
    expr = parse_expr(
        program,
        local_dict={**symbols, "ln": sp.log},
        transformations=(*standard_transformations, convert_xor),
    )
    return expr, [symbols[n] for n in setup.graph.input_names]


def _sympy_hessian(setup: Setup, values: Mapping[str, Array]) -> tuple[np.ndarray, np.ndarray]:
    """∇f and H at ``values``, differentiated by sympy."""
    import sympy as sp

    expr, symbols = _sympy_program(setup)
    point = {s: float(values[str(s)]) for s in symbols}
    gradient = np.array([float(sp.diff(expr, s).subs(point)) for s in symbols])
    hessian = np.array([[float(sp.diff(expr, a, b).subs(point)) for b in symbols] for a in symbols])
    return gradient, hessian


def _products(setup: Setup, what: str, args: list[str]) -> float:
    graph = setup.graph
    names = list(graph.input_names)
    if what == "jvp":
        index = (
            list(graph.output_names).index(args[0])
            if args[0] in graph.output_names
            else (int(args[0]) - 1)
        )
        return _along(setup, setup.seed, graph.outputs[index])
    if what == "vjp":
        return _vjp_entry(setup, args[0])
    if what == "vector-tangent":  # part k: the node's derivative along unit direction k
        name = names[int(args[1]) - 1] if args[1].isdigit() else args[1]
        return _along(setup, {name: np.ones(())}, _label_index(graph, args[0]))
    if what == "vector-cost":  # the cost model is the definition: primal once or n times
        cost = run(graph, setup.values, "evaluate").cost
        assert cost is not None
        n = len(names)
        if args[0] == "vector":
            return float(cost.primal.total + n * cost.tangent.total)
        return float(n * (cost.primal.total + cost.tangent.total))
    if what == "nested-sweeps":  # one per input entry
        return float(sum(int(np.size(v)) for v in setup.values.values()))
    if what == "fd-gradients":
        n = sum(int(np.size(v)) for v in setup.values.values())
        return float(2 * n if args[0] == "central" else n + 1)
    if what == "hessian":
        _, hessian = _sympy_hessian(setup, setup.values)
        return float(hessian[names.index(args[0]), names.index(args[1])])
    if what == "hvp":
        _, hessian = _sympy_hessian(setup, setup.values)
        u = np.array([float(setup.seed.get(n, 0.0)) for n in names])
        return float((hessian @ u)[names.index(args[0])])
    if what in ("newton", "newton-value"):
        values = {k: np.asarray(v, dtype=float) for k, v in setup.values.items()}
        for _ in range(int(args[0])):
            gradient, hessian = _sympy_hessian(setup, values)
            step = np.linalg.solve(hessian, gradient)
            values = {n: values[n] - s for n, s in zip(names, step, strict=True)}
        if what == "newton":
            return float(values[args[1]])
        return float(_evaluate(graph, values)[graph.outputs[0]])
    # the nested sweep's cells: d/dt of the first-order cell at x + t·u, by differences
    node = _label_index(graph, args[0])

    def cell(t: float) -> float:
        here = _moved(setup, setup.seed, t)
        if what == "adjoint-dot":
            return _adjoint(here, node)
        terms = _adjoint_terms(here, node)
        k = int(args[1])
        return sum(terms[:k]) if what == "adjoint-dot-after" else terms[k - 1]

    return _central(cell, OUTER_H)


def _memory(setup: Setup, mode: str, figure: str) -> float:
    """What a mode holds, counted by walking the program's operations (docs/memory.md):
    evaluation keeps a value from its step until the last step that reads it (outputs to
    the end), forward mode a tangent beside each, reverse mode every value on the tape."""
    graph = setup.graph
    values = [n.index for n in graph.nodes if not n.is_const]
    entries = {i: int(np.prod(graph.nodes[i].shape, dtype=int)) for i in values}
    step = {index: k for k, index in enumerate(graph.op_nodes, start=1)}
    last = {i: step.get(i, 1 if graph.nodes[i].is_input else 0) for i in values}
    for index in graph.op_nodes:
        for a in graph.nodes[index].args:
            if a in last:
                last[a] = max(last[a], step[index])
    for o in graph.outputs:
        last[o] = len(graph.op_nodes) + 1
    inputs = sum(entries[i] for i in graph.inputs)
    peak = inputs  # before the first step, every input is held
    for k in range(1, len(graph.op_nodes) + 1):  # during step k: what is alive, and vk
        peak = max(peak, sum(entries[i] for i in values if step.get(i, 0) <= k <= last[i]))
    if mode == "reverse" and figure == "stored_values":
        return float(sum(entries.values()))
    if figure == "peak_entries" and mode in ("evaluate", "forward"):
        return float(peak * (2 if mode == "forward" else 1))
    raise NoOracle(f"no independent count for memory {mode} {figure}")


def _recomputed(steps: int, schedule: str) -> int:
    """Recomputed steps by the schedules' definitions: every=K evaluates every segment but
    the last twice; snapshots=S takes Griewank's fewest, t·l − β(S+1, t−1)."""
    kind, _, amount = schedule.partition("=")
    k = int(amount)
    if kind == "every":
        return steps - (steps - k * ((steps - 1) // k)) if steps > k else 0
    if steps <= 1:
        return 0
    t = next(t for t in range(steps + 1) if math.comb(k + t, k) >= steps)
    return t * steps - math.comb(k + 1 + t - 1, k + 1)


def _generated(setup: Setup, mode: str) -> list[str]:
    """The lines of the code ``adx codegen`` writes for the step's program."""
    return generate(setup.graph, mode).text.splitlines()


def _contribution_lines(setup: Setup, label: str) -> list[tuple[int, str]]:
    """(line number, statement) of every ``+=`` line into ``label``'s adjoint, in order:
    found by the trace's naming rule (v-1 is written v_1), in the text itself."""
    target = label.replace("-", "_") + "_bar +="
    lines = _generated(setup, "reverse")
    return [
        (k, line.strip())
        for k, line in enumerate(lines, start=1)
        if line.strip().startswith(target)
    ]


def codegen_statement(explore: Explore, label: str, k: int) -> str:
    return _contribution_lines(prepare(explore), label)[k - 1][1]


def _along_seed(setup: Setup, node: int):  # type: ignore[no-untyped-def]
    """t ↦ the node's value at x + t·seed (each evaluation tapes the program anew)."""

    def at(t: float) -> float:
        moved = {
            k: np.asarray(v, dtype=float) + t * np.asarray(setup.seed.get(k, 0.0))
            for k, v in setup.values.items()
        }
        return float(run(setup.graph, moved, "evaluate").output_value())

    return at


def _statements(explore: Explore) -> list[object]:
    """The program's statements, nested blocks flattened (from the static structure)."""
    found: list[object] = []

    def walk(statements: tuple[object, ...]) -> None:
        for statement in statements:
            found.append(statement)
            if isinstance(statement, For):
                walk(statement.body)
            elif isinstance(statement, If):
                for arm in statement.branches:
                    walk(arm.body)

    walk(program_structure(explore.program).statements)
    return found


def _loop(explore: Explore, line: int) -> For:
    """The ``for`` on ``line``: its count is written in the source (range(N))."""
    loops = [s for s in _statements(explore) if isinstance(s, For) and s.line == line]
    assert len(loops) == 1, f"no for loop on line {line}"
    return loops[0]


def branch(explore: Explore, line: int) -> str:
    """The arm of the top-level ``if`` on ``line`` that runs: each condition's source
    text is compiled on its own and evaluated at the step's point, in order."""
    setup = prepare(explore)
    ifs = [s for s in program_structure(explore.program).statements if isinstance(s, If)]
    statement = next(s for s in ifs if s.line == line)
    for arm in statement.branches:
        if arm.condition is None:
            return arm.keyword
        condition = compile_source(arm.condition.text).graph
        names = condition.input_names
        truth = run(condition, {n: setup.values[n] for n in names}, "evaluate").output_value()
        if float(truth) != 0.0:
            return arm.keyword
    return "none"


def choice(exercise: Exercise, explore: Explore | None) -> str:
    """The letter of a choice exercise whose answer the engine decides."""
    if exercise.query.strip() != "cheaper-mode" or explore is None:
        raise NoOracle("a choice with a literal key")
    setup = prepare(explore)
    n, m = len(setup.graph.input_names), len(setup.graph.outputs)
    word = "forward" if n < m else "reverse" if m < n else "either"
    for letter, text in zip("abcdefghij", exercise.choices, strict=False):
        if text.lower().startswith(word):
            return letter
    raise AssertionError(f"no choice starts with {word!r}")


def typed(value: float) -> str:
    """A number as the screen shows it (6 significant digits, thousands separators)."""
    assert math.isfinite(value)
    return format_value(value, 6)


def formula(exercise: Exercise, explore: Explore) -> str:
    """A formula exercise's answer derived by sympy from the program (one expression)."""
    import sympy as sp
    from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations

    what, *args = exercise.query.split() or [""]
    program = explore.program.strip()
    if what not in ("gradient", "value") or "\n" in program or ";" in program or "=" in program:
        raise NoOracle(f"no independent formula for 'from: {exercise.query}'")
    setup = prepare(explore)
    symbols = {name: sp.Symbol(name) for name in setup.graph.input_names}
    expr = parse_expr(
        program,
        local_dict={**symbols, "ln": sp.log},
        transformations=(*standard_transformations, convert_xor),
    )
    result = sp.diff(expr, symbols[args[0]]) if what == "gradient" else expr
    return sp.sstr(result).replace("**", "^").replace("log(", "ln(")


# ------------------------------------------------------------------ the newer kinds


def shape(exercise: Exercise, explore: Explore) -> str:
    """The type of a node's adjoint, as the trace writes types: the shape of the node's
    value in a plain evaluation (an adjoint holds one derivative per entry)."""
    what, word = exercise.query.split()
    assert what == "adjoint-type", exercise.query
    setup = prepare(explore)
    graph = setup.graph
    labels = graph.labels("griewank")
    if word in labels:
        index = labels.index(word)
    else:
        index = [n.index for n in graph.nodes if n.name == word][-1]
    dims = np.shape(_evaluate(graph, setup.values)[index])
    if not dims:
        return "real"
    return f"{'vec' if len(dims) == 1 else 'mat'}[{','.join(str(d) for d in dims)}]"


#: Textbook rules as a student writes them (not read from adx's primitive table).
RULES = {
    "tangent-rule mul": "udot*w + u*wdot",
    "tangent-rule div": "udot/w - u*wdot/w^2",
    "tangent-rule sqrt": "udot/(2*sqrt(u))",
    "tangent-rule sin": "cos(u)*udot",
    "tangent-rule exp": "exp(u)*udot",
    "adjoint-rule mul u": "vbar*w",
    "adjoint-rule mul w": "vbar*u",
    "adjoint-rule sin u": "vbar*cos(u)",
    "adjoint-rule div u": "vbar/w",
}


def rule(exercise: Exercise) -> str:
    try:
        return RULES[" ".join(exercise.query.split())]
    except KeyError:
        raise NoOracle(f"no textbook rule for {exercise.query!r}") from None


def sequence(exercise: Exercise, explore: Explore) -> str:
    """A valid order of the sweep, deliberately not the engine's own when another exists:
    each step takes the *last* ready node, from the graph's edges alone."""
    graph = prepare(explore).graph
    labels = graph.labels("griewank")
    nodes = [n.index for n in graph.nodes if not n.is_const]
    forward = exercise.query.strip() == "forward-order"
    # forward: a node is ready once its arguments are done; reverse: once its users are
    needs = {
        i: {a for a in graph.nodes[i].args if a in nodes}
        if forward
        else {n.index for n in graph.nodes if i in n.args}
        for i in nodes
    }
    done: list[int] = []
    while len(done) < len(nodes):
        ready = [i for i in nodes if i not in done and needs[i] <= set(done)]
        done.append(ready[-1] if forward else ready[0])
    return " ".join(labels[i] for i in done)


def seed(exercise: Exercise, explore: Explore) -> str:
    """An input whose unit seed gives the target derivative (a gradient entry)."""
    what, *args = exercise.query.split()
    if what != "gradient":
        raise NoOracle(f"no seed oracle for {exercise.query!r}")
    return args[0]


def vector(exercise: Exercise, explore: Explore) -> list[float]:
    """A Jacobian column or row by central differences."""
    setup = prepare(explore)
    graph = setup.graph
    what, *rest = exercise.query.split()
    arg = rest[0] if rest else ""
    outputs = [o for o in graph.outputs]
    if what == "jacobian-column":
        return [_along(setup, {arg: np.ones(())}, o) for o in outputs]
    if what == "jacobian-row":
        names = list(graph.output_names)
        index = names.index(arg) if arg in names else int(arg) - 1
        out = outputs[index]
        return [_along(setup, {name: np.ones(())}, out) for name in graph.input_names]
    if what == "jvp-vector":
        return [_along(setup, setup.seed, o) for o in outputs]
    if what == "vjp-vector":
        return [_vjp_entry(setup, name) for name in graph.input_names]
    if what == "hvp-vector":
        return [_products(setup, "hvp", [name]) for name in graph.input_names]
    if what == "hessian-row":
        return [_products(setup, "hessian", [arg, name]) for name in graph.input_names]
    raise NoOracle(f"no vector oracle for {exercise.query!r}")


def wrong_inputs_and_node(explore: Explore) -> tuple[list[str], str]:
    """With a broken rule: the inputs whose AD partial disagrees with central differences,
    and the first node whose tangent is wrong while its arguments' tangents are right."""
    setup = prepare(explore)
    graph = setup.graph
    labels = graph.labels("griewank")
    reverse = run(graph, setup.values, "reverse").gradient()
    wrong = [
        name
        for name in graph.input_names
        if not math.isclose(
            float(reverse[name]), _gradient(setup, name), rel_tol=1e-5, abs_tol=1e-7
        )
    ]
    for name in graph.input_names:
        forward = run(graph, setup.values, "forward", {name: np.ones(())}).tangent_sweeps[0]
        good: set[int] = set(graph.inputs)
        for node in graph.nodes:
            if not node.is_op:
                good.add(node.index)
                continue
            exact = _along(setup, {name: np.ones(())}, node.index)
            tangent = forward.tangents[node.index]
            mine = float(tangent) if tangent is not None else 0.0
            if math.isclose(mine, exact, rel_tol=1e-5, abs_tol=1e-7):
                good.add(node.index)
            elif all(a in good for a in node.args):
                return wrong, labels[node.index]
    return wrong, "none"
