"""Checking the exercise kinds ``sequence``, ``rule``, ``seed`` and ``vector`` against the engine.

* ``sequence`` — node labels in order (``v5 v4 v3 …``).  Any order the sweep
  could run is accepted: for ``from: reverse-order`` every node comes after all
  the nodes that use it (its adjoint is complete only then), for ``from:
  forward-order`` after all its arguments.  Feedback names the first place
  where the order breaks that rule, and why.
* ``rule`` — a primitive's tangent rule or one adjoint contribution, typed as
  an adx expression in u, w, v, udot, wdot, vbar (``from: tangent-rule mul``),
  compared with the primitive table's JVP/VJP at several random points.
  Common slips (the sign, one argument's term only, the other argument's
  contribution, a missing u̇ or v̄ factor, a constant factor) are named.
* ``seed`` — a forward-mode seed (``x2`` or ``x1=1, x2=1``); the engine runs a
  forward sweep with it and its output tangent must equal the target (the
  ``from:`` query, or what the author's ``answer:`` seed gives).
* ``vector`` — numbers separated by commas or spaces (a Jacobian column or
  row), each graded like a number: to the digits typed.
* ``shape`` — a type (``mat[1000,100]``, ``1000x100``, ``(1000, 100)``, ``vec[100]``,
  ``real``): the type of a node's adjoint (``from: adjoint-type NODE``), or a literal
  ``answer:``.  A wrong one is told the likely slip: rows and columns swapped, the
  batch's rows kept, a broadcast bias given the shape it is added to.

``CHECKERS`` maps a kind to its checker (``answers.check`` dispatches to it),
``verify`` lists what keeps an exercise from being played (``adx lesson
check``), and ``reveal`` gives the answer as a student should see it.
Everything a student types goes through the adx grammar, never eval.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from adexplorer.base.errors import AdxError, closest
from adexplorer.base.shapes import Array, type_name
from adexplorer.core.ir import Graph
from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source, parse_at
from adexplorer.lessons import grading
from adexplorer.lessons import kind_queries as kq
from adexplorer.lessons import second_order_queries as sq
from adexplorer.lessons import tensor_queries as tq
from adexplorer.lessons import vector_queries as vq
from adexplorer.lessons.answers import (
    COUNTING_QUERIES,
    Feedback,
    Setup,
    compute,
    prepare,
    prepared,
    read_number,
    read_query,
    read_response,
)
from adexplorer.lessons.model import Exercise, Explore

Checker = Callable[[Exercise, Explore | None, str], Feedback]

#: What a student is asked to type, per kind (the player's placeholder text).
PLACEHOLDERS: Mapping[str, str] = {
    "sequence": "node labels in order, e.g. v3 v2 v1",
    "rule": "a formula in u, w, v, udot, wdot",
    "seed": "an input name, or a direction x1=1, x2=0",
    "vector": "numbers separated by commas",
    "shape": "a type: mat[3,2], vec[3], real",
}


#: A number exercise whose answer is a count: "0.5, 1/2, log(2)" would mislead.
COUNT_PLACEHOLDER = "a whole number, e.g. 12"


def placeholder(exercise: Exercise) -> str | None:
    """What to type into a box of a newer kind (a rule's variables depend on whether it is
    a tangent or an adjoint rule), or of a number exercise that asks for a count; None
    for the others (the player's own text per kind)."""
    if exercise.kind == "rule" and exercise.query.split()[:1] == ["adjoint-rule"]:
        return "a formula in u, w, v, vbar"
    words = exercise.query.split()
    if exercise.kind == "number" and words and words[0] in COUNTING_QUERIES:
        return COUNT_PLACEHOLDER
    return PLACEHOLDERS.get(exercise.kind)


#: The queries each kind takes (None: a literal answer alone is allowed too).
KIND_QUERIES: Mapping[str, tuple[str, ...]] = {
    "sequence": ("reverse-order", "forward-order"),
    "rule": ("tangent-rule", "adjoint-rule"),
    "vector": (
        "jacobian-column",
        "jacobian-row",
        "jvp-vector",
        "vjp-vector",
        "hvp-vector",
        "hessian-row",
    ),
    "shape": ("adjoint-type",),
}

#: Below this many significant digits a rounded number is not judged (unless exact).
DEFAULT_DIGITS = 3


def _explore_needed(explore: Explore | None, kind: str) -> Explore:
    if explore is None:
        raise AdxError(
            "lesson", f"a {kind} exercise needs an adx-explore block in this step or before"
        )
    return explore


def _query_of(exercise: Exercise) -> tuple[str, tuple[str, ...]]:
    """The exercise's query name and arguments, checked to suit its kind."""
    allowed = KIND_QUERIES.get(exercise.kind, ())
    if not exercise.query:
        if exercise.kind in ("sequence", "rule"):
            raise AdxError(
                "lesson",
                f"a {exercise.kind} exercise takes 'from: "
                + "' or 'from: ".join(allowed)
                + "' (the engine decides what is right)",
            )
        return "", ()
    query, args = read_query(exercise.query)
    if allowed and query.name not in allowed:
        raise AdxError(
            "lesson",
            f"a {exercise.kind} exercise takes 'from: "
            + "' or 'from: ".join(allowed)
            + f"', not 'from: {query.name}'",
        )
    return query.name, args


def _safely(check: Checker) -> Checker:
    """A checker whose reading errors become feedback, never an exception."""

    def checked(exercise: Exercise, explore: Explore | None, response: str) -> Feedback:
        response = response.strip()
        if not response:
            return Feedback(False, "type an answer first")
        try:
            return check(exercise, explore, response)
        except AdxError as error:
            return Feedback(False, f"could not read that: {error.message}")
        except RecursionError:
            return Feedback(False, "could not read that: it is nested too deeply")

    checked.__doc__ = check.__doc__
    return checked


# ------------------------------------------------------------------ sequence

_SEPARATORS = re.compile(r"\s*(?:->|→|,|;|>|\s)\s*")


def _sequence_words(response: str) -> list[str]:
    """The labels typed; a bar or a dot over one (v̄5, copied from the trace) is ignored."""
    text = _unwrapped(response).replace(kq.BAR, "").replace(kq.DOT, "")
    return [w for w in _SEPARATORS.split(text) if w]


def _node_by_word(graph: Graph, word: str) -> int | None:
    labels = graph.labels("griewank")
    for index, node in enumerate(graph.nodes):
        if node.is_const:
            continue
        if word in (labels[index], labels[index].upper()) or (node.is_input and word == node.name):
            return index
    return None


def _check_sequence(exercise: Exercise, explore: Explore | None, response: str) -> Feedback:
    """The student's order: every node once, each placed only when the sweep could handle it."""
    name, _ = _query_of(exercise)
    direction = "forward" if name == "forward-order" else "reverse"
    graph = prepare(_explore_needed(explore, "sequence")).graph
    return sequence_feedback(graph, direction, _sequence_words(response))


def sequence_feedback(graph: Graph, direction: str, words: Sequence[str]) -> Feedback:
    labels = graph.labels("griewank")
    engine = kq.sweep_nodes(graph, direction)
    every = ", ".join(labels[i] for i in sorted(engine))
    placed: dict[int, int] = {}  # node → its position (1-based)
    for position, word in enumerate(words, start=1):
        index = _node_by_word(graph, word)
        if index is None:
            match = closest(word, [labels[i] for i in engine])
            return Feedback(
                False,
                f"position {position}: {word!r} is not a node of this program"
                + (f" (did you mean {match}?)" if match else "")
                + f"; its nodes are {every}",
            )
        if index in placed:
            return Feedback(
                False,
                f"position {position}: {labels[index]} is already at position {placed[index]}; "
                "each node comes once",
            )
        problem = _too_early(graph, direction, index, placed)
        if problem:
            return Feedback(False, f"position {position}: {problem}")
        placed[index] = position
    missing = [labels[i] for i in engine if i not in placed]
    if missing:
        return Feedback(
            False,
            f"right so far, but {', '.join(missing)} "
            + ("is" if len(missing) == 1 else "are")
            + f" missing: every node comes once ({len(engine)} in all)",
        )
    engine_text = " ".join(labels[i] for i in engine)
    if list(placed) == engine:
        return Feedback(True, "correct: the order the engine runs")
    why = (
        "every node after all the nodes that use it"
        if direction == "reverse"
        else "every node after its arguments"
    )
    return Feedback(True, f"correct: a valid order ({why}); the engine runs {engine_text}")


def _too_early(graph: Graph, direction: str, index: int, placed: Mapping[int, int]) -> str:
    """Why node ``index`` cannot come yet, or ""."""
    labels = graph.labels("griewank")
    me = labels[index]
    if direction == "reverse":
        waiting = [u for u in kq.users(graph, index) if u not in placed]
        if not waiting:
            return ""
        user = max(waiting)  # the one the engine handles first
        return (
            f"{me} cannot come before {labels[user]}: {kq.describe(graph, user)} uses {me}, "
            f"so {kq.marked(me, kq.BAR)} is complete only after {labels[user]} has passed "
            "its contribution back"
        )
    needed = [a for a in graph.nodes[index].args if not graph.nodes[a].is_const]
    waiting = sorted({a for a in needed if a not in placed})
    if not waiting:
        return ""
    arg = waiting[0]
    return (
        f"{me} cannot come before {labels[arg]}: {kq.describe(graph, index)} uses "
        f"{labels[arg]}, so {kq.marked(me, kq.DOT)} needs {kq.marked(labels[arg], kq.DOT)} first"
    )


# ------------------------------------------------------------------ rule


def _rule_of(exercise: Exercise) -> kq.Rule:
    name, args = _query_of(exercise)
    if name == "tangent-rule":
        return kq.read_rule("tangent", args[0])
    return kq.read_rule("adjoint", args[0], args[1])


def _check_rule(exercise: Exercise, explore: Explore | None, response: str) -> Feedback:
    """The student's rule, compared with the primitive table at several random points."""
    return rule_feedback(_rule_of(exercise), response)


def _rule_graph(rule: kq.Rule, response: str) -> tuple[Graph, dict[str, str]] | str:
    """The student's expression compiled (names → the canonical names they stand for),
    or why it cannot be a rule."""
    graph = compile_source(response, origin="your answer").graph
    canonical: dict[str, str] = {}
    for name in graph.input_names:
        meant = kq.ALIASES.get(name, name)
        if meant not in rule.names:
            return _wrong_name(rule, name, meant)
        canonical[name] = meant
        shape = graph.nodes[graph.input_index(name) or 0].shape
        if shape != ():
            return f"{name} is a number here, not {type_name(shape)}"
    outputs = graph.outputs
    if len(outputs) != 1 or graph.nodes[outputs[0]].shape != ():
        return "a rule is one expression whose value is a number"
    return graph, canonical


def _wrong_name(rule: kq.Rule, name: str, meant: str) -> str:
    allowed = ", ".join(rule.names)
    if rule.mode == "tangent" and meant in (kq.ADJOINT, "ubar", "wbar"):
        return f"{name} is an adjoint, but this is a tangent rule: use {allowed}"
    if rule.mode == "adjoint" and meant in kq.TANGENTS:
        return f"{name} is a tangent, but this is an adjoint rule: use {allowed}"
    if meant in ("ubar", "wbar"):
        target = kq.marked(rule.arguments[rule.slot], kq.BAR)
        return (
            f"write only what is added to {target} (the engine does the adding): "
            f"an expression in {allowed}"
        )
    if meant == "w" or meant == "wdot":
        return f"{rule.primitive.name} has one argument, u: use {allowed}"
    return f"{name} is not a variable of this rule; use {allowed}"


def rule_feedback(rule: kq.Rule, response: str) -> Feedback:
    compiled = _rule_graph(rule, response)
    if isinstance(compiled, str):
        return Feedback(False, compiled)
    graph, canonical = compiled
    points = kq.rule_points(rule)
    mine: list[float] = []
    for point in points:
        values = {n: np.asarray(point[canonical[n]]) for n in graph.input_names}
        mine.append(float(run(graph, values, "evaluate").output_value()))
    want = [rule.value(p) for p in points]
    if _same(mine, want):
        return Feedback(True, f"correct: it agrees with the table's rule ({rule.text()})")
    return Feedback(False, _rule_slip(rule, points, mine, want))


def _same(mine: Sequence[float], want: Sequence[float]) -> bool:
    return all(
        math.isfinite(m) and abs(m - w) <= 1e-6 * max(1.0, abs(w))
        for m, w in zip(mine, want, strict=True)
    )


def _rule_slip(
    rule: kq.Rule, points: list[dict[str, float]], mine: list[float], want: list[float]
) -> str:
    """What the student's rule probably is, when it is not the right one."""
    what = rule.what
    if _same(mine, [-w for w in want]):
        return f"a sign slip: yours is minus {what}"
    prim = rule.primitive
    if rule.mode == "tangent":
        if prim.arity == 2:
            for i, argument in enumerate(rule.arguments):
                term = [
                    kq.Rule(prim, "adjoint", i).value({**p, kq.ADJOINT: p[kq.TANGENTS[i]]})
                    for p in points
                ]
                if _same(mine, term):
                    return (
                        f"that is only {argument}'s term; {kq.marked('v', kq.DOT)} adds a term "
                        "for each argument (the chain rule sums over the arguments)"
                    )
        ones = [rule.value({**p, "udot": 1.0, "wdot": 1.0}) for p in points]
        if _same(mine, ones):
            return (
                "that is the local partial derivative; the tangent rule multiplies it by "
                "the argument's tangent (udot" + (", wdot" if prim.arity == 2 else "") + ")"
            )
        adjoint = [kq.Rule(prim, "adjoint", 0).value({**p, "vbar": p["udot"]}) for p in points]
        if prim.arity == 1 and _same(mine, adjoint):
            return "right partial, but written as an adjoint rule: use udot, not vbar"
    else:
        if prim.arity == 2:
            other = 1 - rule.slot
            theirs = [kq.Rule(prim, "adjoint", other).value(p) for p in points]
            if _same(mine, theirs):
                return (
                    f"that is the contribution to {kq.marked(rule.arguments[other], kq.BAR)}, "
                    f"not to {kq.marked(rule.arguments[rule.slot], kq.BAR)}"
                )
        ones = [rule.value({**p, kq.ADJOINT: 1.0}) for p in points]
        if _same(mine, ones):
            return (
                "that is the local partial derivative; the adjoint contribution multiplies "
                "it by vbar (the result's adjoint)"
            )
    ratios = [m / w for m, w in zip(mine, want, strict=True) if w != 0 and math.isfinite(m)]
    if len(ratios) == len(want) and max(ratios) - min(ratios) <= 1e-6 * abs(ratios[0]):
        return f"off by a constant factor: yours is {ratios[0]:.6g} times {what}"
    k = next(k for k in range(len(want)) if not _same(mine[k : k + 1], want[k : k + 1]))
    shown = ", ".join(f"{n}={points[k][n]:.4g}" for n in rule.names if n in points[k])
    return f"not {what}: at {shown} the rule gives {want[k]:.6g}" + (
        f" and yours {mine[k]:.6g}" if math.isfinite(mine[k]) else ", yours is not a number"
    )


# ------------------------------------------------------------------ seed


def seed_target(exercise: Exercise, setup: Setup) -> float:
    """The output tangent a seed must produce: the ``from:`` query's number, else what the
    author's ``answer:`` seed gives."""
    if exercise.query:
        want = compute(exercise.query, setup.explore)
        if isinstance(want, str):
            raise AdxError(
                "lesson",
                f"'from: {exercise.query}' is not a number, so a seed cannot produce it",
            )
        if not math.isfinite(want):
            raise AdxError("lesson", f"the target derivative is {want}, which no seed gives")
        return float(want)
    return output_tangent(setup, read_seed(setup.graph, exercise.answer))


def read_seed(graph: Graph, text: str) -> dict[str, Array]:
    """A seed: an input's name (seeded with 1, the others with 0), or a direction
    ``x1=1, x2=0.5`` (inputs not named are seeded with 0)."""
    text = text.strip()
    names = graph.input_names
    if text in names:
        shape = graph.nodes[graph.input_index(text) or 0].shape
        return {text: np.ones(shape)}
    if "=" not in text:
        match = closest(text, names)
        raise AdxError(
            "input",
            f"{text!r} is not an input"
            + (f" (did you mean {match}?)" if match else "")
            + f"; type an input's name ({', '.join(names)}) or a direction such as "
            + ", ".join(f"{n}=1" for n in names),
        )
    seed = {name: value for name, (value, _) in parse_at(text, "your seed").items()}
    for name, value in seed.items():
        if name not in names:
            match = closest(name, names)
            raise AdxError(
                "input",
                f"{name} is not an input"
                + (f" (did you mean {match}?)" if match else "")
                + f"; the inputs are {', '.join(names)}",
            )
        shape = graph.nodes[graph.input_index(name) or 0].shape
        if np.shape(value) not in ((), shape):
            raise AdxError(
                "input",
                f"{name} is {type_name(shape)}, so its seed is too, "
                f"not {type_name(np.shape(value))}",
            )
    return seed


def output_tangent(setup: Setup, seed: Mapping[str, Array]) -> float:
    """The scalar output's tangent after one forward sweep with ``seed``."""
    kq._require_scalar_output(setup.graph, "a seed exercise")
    return float(run(setup.graph, setup.values, "forward", dict(seed)).output_tangents()[0])


def _seed_words(seed: Mapping[str, Array]) -> str:
    return ", ".join(
        f"{n}={float(v):g}" if np.shape(v) == () else f"{n}={np.asarray(v).tolist()}"
        for n, v in seed.items()
    )


def _check_seed(exercise: Exercise, explore: Explore | None, response: str) -> Feedback:
    """The student's seed, run forward by the engine: its output tangent must be the target."""
    setup = prepare(_explore_needed(explore, "seed"))
    target = seed_target(exercise, setup)
    seed = read_seed(setup.graph, response)
    got = output_tangent(setup, seed)
    said = _seed_words(seed)
    # a seed written with rounded numbers (x1=0.312061) gives a rounded derivative
    digits = grading.literal_digits(response)
    tolerance = max(exercise.tolerance, 5 * 10.0**-digits if digits else 0.0)
    ok = abs(got - target) <= tolerance * max(1.0, abs(target))
    if ok and digits is not None and digits < exercise.digits:
        return Feedback(
            False,
            f"the seed {said} gives ẏ = {got:.6g}, close to the target: write its numbers to "
            f"at least {exercise.digits} significant digits",
            attempt=False,
        )
    if ok:
        return Feedback(True, f"correct: the seed {said} gives ẏ = {got:.6g}")
    if not any(np.any(np.asarray(v) != 0) for v in seed.values()):
        return Feedback(False, "a zero seed moves nothing: every tangent stays 0")
    message = f"the seed {said} gives ẏ = {got:.6g}, which is not the derivative asked for"
    if response.strip() in setup.graph.input_names:
        message += f" (it is ∂f/∂{response.strip()})"
    if abs(got + target) <= exercise.tolerance * max(1.0, abs(target)):
        message += ": the sign is flipped"
    return Feedback(False, message)


# ------------------------------------------------------------------ vector

_LITERAL = re.compile(r"^[+-]?(?P<mantissa>\d+\.?\d*|\.\d+)(?:[eE](?P<exponent>[+-]?\d+))?$")


def _unwrapped(text: str) -> str:
    """``text`` without one pair of brackets around all of it: ``[1, 2]`` → ``1, 2``."""
    text = text.strip()
    if len(text) >= 2 and (text[0], text[-1]) in (("[", "]"), ("(", ")")):
        depth = 0
        for k, char in enumerate(text):
            depth += 1 if char in "([" else -1 if char in ")]" else 0
            if depth == 0 and k < len(text) - 1:
                return text  # the first bracket closes early: (1) + (2)
        return text[1:-1].strip()
    return text


def _split_top(text: str, separators: str) -> list[str]:
    """``text`` split at the separators that are outside any brackets."""
    words: list[str] = []
    depth, current = 0, ""
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if depth <= 0 and char in separators:
            words.append(current)
            current = ""
        else:
            current += char
    return [w.strip() for w in [*words, current]]


def vector_words(text: str) -> list[str]:
    """Entries separated by commas or semicolons, else by spaces (outside brackets, so
    ``3, pow(2, 3)`` is two entries); one pair of brackets around it all is ignored."""
    inner = _unwrapped(text)
    if not inner:
        return []
    commas = _split_top(inner, ",;")
    if len(commas) > 1:
        return commas
    return [w for w in _split_top(inner, " \t") if w]


def significant_digits(word: str) -> int | None:
    """How many significant digits a decimal literal has (trailing zeros count), or None
    for anything else (an expression such as 1/2, taken as exact)."""
    match = _LITERAL.match(word)
    if match is None:
        return None
    digits = match.group("mantissa").replace(".", "").lstrip("0")
    return max(len(digits), 1)


def judge_entry(word: str, exact: float, digits: int) -> str:
    """``"exact"``, ``"rounded"`` (agrees to the digits typed), ``"short"`` (agrees, but with
    fewer than ``digits`` significant digits) or ``"wrong"``: the number grader's verdict
    (adexplorer.lessons.grading) on one entry."""
    typed = read_response(word)
    if grading.exact(typed.value, exact):
        return "exact"
    verdict = grading.grade(typed, exact, digits)
    if verdict.correct:
        return "rounded"
    return "wrong" if verdict.attempt else "short"


def vector_target(exercise: Exercise, explore: Explore | None) -> tuple[list[float], list[str]]:
    """The entries a vector exercise expects, and what each one is (∂f2/∂x1 …)."""
    name, args = _query_of(exercise)
    if not name:
        words = vector_words(exercise.answer)
        values = [read_number(w) for w in words]
        return values, [f"entry {k}" for k in range(1, len(values) + 1)]
    setup = prepare(_explore_needed(explore, "vector"))
    graph = setup.graph
    inputs = [e.name for e in kq.input_entries(graph)]
    if name == "jvp-vector":
        outputs = [e.name for e in kq.output_entries(graph)]
        return vq.jvp_entries(setup), [f"(J·u) for {o}" for o in outputs]
    if name == "vjp-vector":
        return vq.vjp_entries(setup), [f"(ȳᵀJ) for {i}" for i in inputs]
    if name == "hvp-vector":
        return sq.hvp_entries(setup), [f"(H·u) for {i}" for i in inputs]
    if name == "hessian-row":
        return sq.hessian_row_entries(setup, args[0]), [f"H[{args[0]},{i}]" for i in inputs]
    if name == "jacobian-column":
        column = kq.column_entry(graph, args[0])
        values = kq.jacobian_column(setup, args[0])
        return values, [f"∂{e.name}/∂{column.name}" for e in kq.output_entries(graph)]
    row = kq.row_entry(graph, args[0])
    values = kq.jacobian_row(setup, args[0])
    return values, [f"∂{row.name}/∂{e.name}" for e in kq.input_entries(graph)]


#: What the transposed product of a ``jvp-vector`` or ``vjp-vector`` exercise is.
other_name = {
    "jvp-vector": "uᵀJ (u laid on the outputs: one reverse sweep), not J·u",
    "vjp-vector": "J·ȳ (ȳ laid on the inputs: one forward sweep), not ȳᵀJ",
}


def _other_way(exercise: Exercise, explore: Explore | None) -> tuple[list[float], str] | None:
    """The row where a column was asked (or the column where a row was), when J is square."""
    name, args = _query_of(exercise)
    if not name or explore is None or name in ("hvp-vector", "hessian-row"):
        return None  # H is symmetric: its rows are its columns
    setup = prepare(explore)
    graph = setup.graph
    if name in ("jvp-vector", "vjp-vector"):
        other = vq.transposed(setup, name)
        return None if other is None else (other, other_name[name])
    inputs, outputs = kq.input_entries(graph), kq.output_entries(graph)
    if len(inputs) != len(outputs):
        return None
    if name == "jacobian-column":
        k = inputs.index(kq.column_entry(graph, args[0]))
        return kq.jacobian_row(setup, str(k + 1)), f"row {k + 1} (∂{outputs[k].name}/∂ each input)"
    k = outputs.index(kq.row_entry(graph, args[0]))
    return kq.jacobian_column(
        setup, inputs[k].name
    ), f"column {k + 1} (∂ each output/∂{inputs[k].name})"


#: How far a vector entry may be from a slip's and still be that slip, relative to the
#: slip's largest entry: a student repeats a slip worked from the lesson's rounded
#: numbers (6 digits), so its last digits can differ from the engine's.
SLIP_SLACK = 1e-4


def _is_slip(words: Sequence[str], values: Sequence[float]) -> bool:
    """The typed entries are ``values`` (to the digits typed, or within SLIP_SLACK)."""
    if len(words) != len(values) or not all(math.isfinite(v) for v in values):
        return False
    scale = max((abs(v) for v in values), default=0.0)
    for word, value in zip(words, values, strict=True):
        if judge_entry(word, value, 1) != "wrong":
            continue
        if abs(read_response(word).value - value) > SLIP_SLACK * scale:
            return False
    return True


def _entry_names(setup: Setup, outputs: bool) -> list[str]:
    entries = kq.output_entries(setup.graph) if outputs else kq.input_entries(setup.graph)
    return [e.name for e in entries]


def vector_slips(exercise: Exercise, explore: Explore | None) -> list[grading.VectorSlip]:
    """The whole answers the usual slips of a vector exercise give, computed by the
    engines: the transposed product, one part of the direction only, another row or
    column, a column of H for H·u, u's signs lost."""
    name, args = _query_of(exercise)
    if not name or explore is None:
        return []
    setup = prepare(explore)
    found: list[grading.VectorSlip] = []
    other = _other_way(exercise, explore)
    if other is not None:
        if name in other_name:
            slip, message = "transposed", f"that is {other[1]}"
        else:
            slip, message = "row-for-column", f"that is {other[1]} of the Jacobian, not asked"
        found.append(grading.VectorSlip(tuple(other[0]), slip, message))
    if name == "jvp-vector":
        found.extend(vq.jvp_part_slips(setup))
    elif name == "hvp-vector":
        found.extend(sq.hvp_vector_slips(setup))
    elif name in ("jacobian-row", "jacobian-column", "hessian-row"):
        found.extend(_other_lines(setup, name, args[0]))
    return found


def _other_lines(setup: Setup, name: str, word: str) -> list[grading.VectorSlip]:
    """Another row of J (another column, another column of H) than the one asked for."""
    found: list[grading.VectorSlip] = []
    if name == "jacobian-row":
        rows = _entry_names(setup, outputs=True)
        asked = kq.row_entry(setup.graph, word).name
        for k, other in enumerate(rows):
            if other != asked:
                found.append(
                    grading.VectorSlip(
                        tuple(kq.jacobian_row(setup, str(k + 1))),
                        "other-row",
                        f"that is the {other} row of J (∂{other}/∂ each input), not the "
                        f"{asked} row: the cotangent's 1 sits on {asked}, so it picks that row",
                    )
                )
        return found
    inputs = _entry_names(setup, outputs=False)
    asked = kq.column_entry(setup.graph, word).name
    for other in inputs:
        if other == asked:
            continue
        values = (
            kq.jacobian_column(setup, other)
            if name == "jacobian-column"
            else sq.hessian_row_entries(setup, other)
        )
        what = "J" if name == "jacobian-column" else "H"
        found.append(
            grading.VectorSlip(
                tuple(values),
                "other-column",
                f"that is the {other} column of {what}, not the {asked} column: a sweep "
                f"seeded with the unit direction of {asked} gives {asked}'s column",
            )
        )
    return found


def _check_vector(exercise: Exercise, explore: Explore | None, response: str) -> Feedback:
    """Each entry graded like a number (to the digits typed); the wrong ones are named."""
    want, names = vector_target(exercise, explore)
    words = vector_words(response)
    if len(words) != len(want):
        return Feedback(
            False,
            f"the answer has {len(want)} entr{'y' if len(want) == 1 else 'ies'} "
            f"({', '.join(names)}); you typed {len(words)}",
        )
    digits = int(getattr(exercise, "digits", DEFAULT_DIGITS) or DEFAULT_DIGITS)
    verdicts = [judge_entry(w, x, digits) for w, x in zip(words, want, strict=True)]
    wrong = [k for k, v in enumerate(verdicts) if v == "wrong"]
    short = [k for k, v in enumerate(verdicts) if v == "short"]
    if not wrong and not short:
        if all(v == "exact" for v in verdicts):
            return Feedback(True, "correct")
        return Feedback(True, f"correct to the digits typed (exactly: {_shown(want)})")
    if wrong:
        if all(judge_entry(w, -x, digits) != "wrong" for w, x in zip(words, want, strict=True)):
            return Feedback(False, "the signs are flipped: each entry is minus the right one")
        try:
            candidates = vector_slips(exercise, explore)
        except AdxError:  # a slip that cannot be computed here is not offered
            candidates = []
        for slip in candidates:
            same = np.allclose(slip.values, want, rtol=grading.EXACT, atol=0.0)
            if not same and _is_slip(words, slip.values):
                return Feedback(False, slip.message, slip=slip.name)
    if wrong:
        listed = ", ".join(f"{k + 1} ({names[k]})" for k in wrong)
        right = len(want) - len(wrong)
        return Feedback(
            False,
            f"entr{'y' if len(wrong) == 1 else 'ies'} {listed} "
            + ("is" if len(wrong) == 1 else "are")
            + " not right"
            + (
                "; the other one is right"
                if right == 1
                else "; the others are right"
                if right
                else ""
            ),
        )
    listed = ", ".join(str(k + 1) for k in short)
    which = f"entr{'y' if len(short) == 1 else 'ies'} {listed}"
    return Feedback(False, f"give at least {digits} significant digits ({which})")


def name_of(exercise: Exercise) -> str:
    return exercise.query.split()[0] if exercise.query.split() else ""


def _shown(values: Sequence[float]) -> str:
    return ", ".join(f"{v:.6g}" for v in values)


# ------------------------------------------------------------------ shape


def shape_target(exercise: Exercise, explore: Explore | None) -> tuple[tuple[int, ...], int | None]:
    """The type a shape exercise asks for, and the node it is about (None for a literal)."""
    name, args = _query_of(exercise)
    if name:
        setup = prepared(_explore_needed(explore, "shape"))
        index = tq.node_index(setup, args[0])
        return setup.graph.nodes[index].shape, index
    shape = tq.read_shape(exercise.answer)
    if shape is None:
        raise AdxError(
            "lesson",
            f"the answer {exercise.answer!r} is not a type; write one such as mat[3,2], "
            "vec[3] or real",
        )
    return shape, None


def _check_shape(exercise: Exercise, explore: Explore | None, response: str) -> Feedback:
    """A type, read however it is written (mat[1000, 100], 1000x100, (1000, 100) …)."""
    typed = tq.read_shape(response)
    if typed is None:
        return Feedback(
            False,
            f"{response!r} is not a type: write it as the trace does, e.g. mat[1000,100] "
            "(rows, columns), vec[100] or real; 1000x100 and (1000, 100) work too",
            attempt=False,
        )
    want, index = shape_target(exercise, explore)
    if typed == want:
        return Feedback(True, f"correct: {type_name(want)}")
    if index is None:
        return Feedback(False, f"not that type ({type_name(typed)})")
    slip, message = tq.shape_slip(prepared(_explore_needed(explore, "shape")), index, typed)
    return Feedback(False, message, slip=slip)


# ------------------------------------------------------------------ the table, check and reveal

CHECKERS: dict[str, Checker] = {
    "sequence": _safely(_check_sequence),
    "rule": _safely(_check_rule),
    "seed": _safely(_check_seed),
    "vector": _safely(_check_vector),
    "shape": _safely(_check_shape),
}


def reveal(exercise: Exercise, explore: Explore | None) -> str:
    """The answer as the student should see it (numbers to 6 significant digits)."""
    kind = exercise.kind
    if kind == "rule":
        return _rule_of(exercise).text()
    if kind == "vector":
        return _shown(vector_target(exercise, explore)[0])
    if kind == "shape":
        return type_name(shape_target(exercise, explore)[0])
    if kind == "sequence":
        name, _ = _query_of(exercise)
        graph = prepare(_explore_needed(explore, kind)).graph
        return kq.order_text(graph, "forward" if name == "forward-order" else "reverse")
    if kind == "seed":
        if exercise.answer:
            return exercise.answer
        setup = prepare(_explore_needed(explore, kind))
        target = seed_target(exercise, setup)
        scaled = ""
        for name in setup.graph.input_names:  # a unit seed that gives it, if there is one
            if setup.graph.nodes[setup.graph.input_index(name) or 0].shape != ():
                continue
            partial = output_tangent(setup, read_seed(setup.graph, name))
            if abs(partial - target) <= 1e-9 * max(1.0, abs(target)):
                return name
            if partial != 0 and math.isfinite(partial) and not scaled:
                scaled = f"{name}={target / partial!r}"  # a multiple of that input's seed
        return scaled or f"a seed whose output tangent is {target:.6g}"
    raise AdxError("lesson", f"no exercise kind {kind!r} here")


def verify(exercise: Exercise, explore: Explore | None) -> list[str]:
    """What keeps ``exercise`` from being played (empty when it is fine): its query suits
    its kind and computes, the answer shown on a reveal is accepted, and a literal
    ``answer:`` is accepted by the same checker the player uses."""
    kind = exercise.kind
    check = CHECKERS[kind]
    try:
        _query_of(exercise)
        if kind == "seed":
            setup = prepare(_explore_needed(explore, kind))
            kq._require_scalar_output(setup.graph, "a seed exercise")
            if exercise.answer:
                read_seed(setup.graph, exercise.answer)
            seed_target(exercise, setup)
        if kind == "vector":
            values, _ = vector_target(exercise, explore)
            if not values:
                raise AdxError("lesson", "the answer has no entries")
            if not all(math.isfinite(v) for v in values):
                raise AdxError(
                    "lesson",
                    f"the answer is {_shown(values)}, which no one can type; "
                    "choose a point where every entry is a number",
                )
        shown = reveal(exercise, explore)
    except AdxError as error:
        return [error.message]
    problems = []
    if not (kind == "seed" and shown.startswith("a seed")):
        feedback = check(exercise, explore, shown)
        if not feedback.correct:
            problems.append(f"the answer as revealed ({shown}) is not accepted: {feedback.message}")
    if exercise.answer and exercise.query:
        feedback = check(exercise, explore, exercise.answer)
        if not feedback.correct:
            problems.append(
                f"the literal answer {exercise.answer!r} disagrees with the engine "
                f"({exercise.query}): {feedback.message}"
            )
    return problems
