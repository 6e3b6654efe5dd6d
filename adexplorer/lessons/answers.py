"""Exercise answers, computed by the engines from the step's program, and checking responses.

A ``from:`` query names what to compute (docs/lesson-format.md lists them all):

    value                     f at the step's point
    operations                the number of operations (intermediate nodes) in the Wengert list
    gradient x1               ∂f/∂x1 (reverse mode); gradient W[0,1] for an entry
    fd-evals central          function evaluations a full gradient needs by a scheme
    primal v2 | tangent v2 | adjoint v-1 | contributions v-1
    directional               the output's tangent for the step's seed
    sweeps forward|reverse    sweeps a full Jacobian needs (n or m)
    cheaper-mode              "forward", "reverse" or "either"
    fd-best-h central         the step size with the least error (order exercises)
    swell df_tree             a size from adx swell (f_tree, df_dag, simplified_tree, ad_reverse …)
    family-size 10 df_tree    a size at level 10 of the step's family
    cost reverse_ratio        a ratio from the cost model
    descent 5                 f after 5 gradient-descent steps with the step's eta

Responses are read through the adx grammar: a number may be written ``0.5``,
``1/2`` or ``log(2)``; a formula is an expression in the inputs, checked by
evaluating it at several points against AD.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from adexplorer.base.errors import AdxError
from adexplorer.base.shapes import Array
from adexplorer.core.ir import Graph
from adexplorer.core.trace import run
from adexplorer.explorer.session import Session
from adexplorer.lang.lower import compile_source, parse_at
from adexplorer.lessons.model import Exercise, Explore

Answer = float | str


@dataclass(frozen=True)
class Feedback:
    correct: bool
    message: str


def session_for(explore: Explore) -> Session:
    values = (
        {k: v for k, (v, _) in parse_at(explore.at, "at").items()} if explore.at.strip() else {}
    )
    session = Session.start(explore.program, values)
    if session.error is not None:
        raise session.error
    session.eta = explore.eta
    session.set_mode(explore.mode)
    if explore.seed:
        session.set_seed(explore.seed, switch_mode=False)
    return session


def _label_index(session: Session, label: str) -> int:
    assert session.graph is not None
    labels = session.graph.labels(session.numbering)
    if label not in labels:
        raise AdxError("lesson", f"no node {label!r} in this program; it has {', '.join(labels)}")
    return labels.index(label)


def compute(query: str, explore: Explore) -> Answer:
    """The answer the engines give for ``query`` on the step's program."""
    words = query.split()
    if not words:
        raise AdxError("lesson", "an empty 'from:' query")
    what, args = words[0], words[1:]
    session = session_for(explore)
    graph = session.graph
    assert graph is not None
    values = session.values

    def need(n: int) -> None:
        if len(args) != n:
            raise AdxError("lesson", f"'from: {what}' takes {n} word(s) after it, got {len(args)}")

    if what == "operations":
        return float(len(graph.op_nodes))
    if what == "value":
        return float(run(graph, values, "evaluate").output_value())
    if what == "gradient":
        need(1)
        grad = run(graph, values, "reverse").gradient()
        name, _, entry_text = args[0].partition("[")
        if name not in grad:
            raise AdxError("lesson", f"'{name}' is not an input; the inputs are {', '.join(grad)}")
        entry = grad[name]
        if entry_text:  # an entry of a vector or matrix gradient: W1[0,1]
            try:
                entry = entry[tuple(int(k) for k in entry_text.rstrip("]").split(","))]
            except (ValueError, IndexError):
                raise AdxError(
                    "lesson", f"no entry {args[0]} in a gradient of shape {entry.shape}"
                ) from None
        if np.shape(entry) != ():
            raise AdxError(
                "lesson",
                f"the gradient for {name} is not a number; ask for an entry, e.g. {name}[0]",
            )
        return float(entry)
    if what == "primal":
        need(1)
        return float(run(graph, values, "evaluate").values[_label_index(session, args[0])])
    if what in ("tangent", "directional"):
        forward = (
            session if session.mode != "reverse" else session_for(replace(explore, mode="forward"))
        )
        assert forward.trace is not None
        if what == "directional":
            return float(forward.trace.output_tangents()[0])
        need(1)
        tangent = forward.trace.tangent_sweeps[0].tangents[_label_index(session, args[0])]
        return float(tangent) if tangent is not None else 0.0
    if what in ("adjoint", "contributions"):
        need(1)
        trace = run(graph, values, "reverse")
        index = _label_index(session, args[0])
        adjoint_sweep = trace.adjoint_sweeps[0]
        if what == "contributions":
            steps = adjoint_sweep.steps
            return float(sum(1 for s in steps if s.node == index and s.source is not None))
        adjoint = adjoint_sweep.adjoints[index]
        return float(adjoint) if adjoint is not None else 0.0
    if what in ("sweeps", "cheaper-mode"):
        cost = run(graph, values, "evaluate").cost
        assert cost is not None
        if what == "cheaper-mode":
            n, m = cost.n_inputs, cost.n_outputs
            return "forward" if n < m else "reverse" if m < n else "either"
        need(1)
        if args[0] not in ("forward", "reverse"):
            raise AdxError("lesson", "'from: sweeps' takes forward or reverse")
        return float(cost.n_inputs if args[0] == "forward" else cost.n_outputs)
    if what == "fd-evals":
        need(1)
        from adexplorer.core.engines.finite_diff import SCHEMES, evaluations_per_gradient

        if args[0] not in SCHEMES:
            raise AdxError("lesson", f"'from: fd-evals' takes one of {', '.join(SCHEMES)}")
        n = sum(int(np.size(v)) for v in values.values())
        return float(evaluations_per_gradient(n, args[0]))
    if what == "fd-best-h":
        need(1)
        from adexplorer.compare.fd_study import study

        result = study(graph, values, session.seed_name or None, schemes=(args[0],))
        if args[0] not in result.best:
            raise AdxError("lesson", f"the {args[0]} scheme gives no estimate here")
        return result.best[args[0]][0]
    if what == "swell":
        need(1)
        from adexplorer.compare.swell import swell_study

        wrt = session.seed_name or graph.input_names[0]
        sizes = swell_study(graph, wrt).sizes.as_dict()
        return _field(sizes, args[0])
    if what == "family-size":
        need(2)
        from adexplorer.compare.swell import family_study

        rows = family_study(explore.family, f"{args[0]}:{args[0]}")
        return _field(rows[0].sizes.as_dict(), args[1])
    if what == "cost":
        need(1)
        cost = run(graph, values, "evaluate").cost
        assert cost is not None
        if args[0] not in ("forward_ratio", "reverse_ratio"):
            raise AdxError("lesson", "'from: cost' takes forward_ratio or reverse_ratio")
        return float(getattr(cost, args[0]))
    if what == "descent":
        need(1)
        count = int(args[0])
        step = None
        for _ in range(count):
            step = session.descend()
        return (
            step.value if step is not None else float(run(graph, values, "evaluate").output_value())
        )
    raise AdxError(
        "lesson", f"unknown query 'from: {what}'", hint="see docs/lesson-format.md for the queries"
    )


def _field(sizes: dict[str, int], name: str) -> float:
    if name not in sizes:
        raise AdxError("lesson", f"unknown size '{name}'; the sizes are {', '.join(sizes)}")
    return float(sizes[name])


# ------------------------------------------------------------------ checking responses


def expected(exercise: Exercise, explore: Explore | None) -> Answer:
    """The answer students are checked against: computed if there is a query, else literal."""
    if exercise.query:
        if explore is None:
            raise AdxError(
                "lesson", "a computed answer needs an adx-explore block in this step or before it"
            )
        if exercise.kind == "formula":
            return exercise.query  # formulas are checked point by point, see check()
        return compute(exercise.query, explore)
    if exercise.kind in ("number", "order"):
        return read_number(exercise.answer)  # a literal may be written 1/2 or log(2)
    return exercise.answer


def read_number(text: str) -> float:
    """A number written in the adx language: 0.5, 1/2, log(2), 1e-8 …"""
    values = parse_at(f"answer={text}", "your answer")
    value = values["answer"][0]
    if np.shape(value) != ():
        raise AdxError("input", "the answer should be a single number")
    return float(value)


def check(exercise: Exercise, explore: Explore | None, response: str) -> Feedback:
    response = response.strip()
    if not response:
        return Feedback(False, "type an answer first")
    try:
        if exercise.kind == "choice":
            return _check_choice(exercise, explore, response)
        if exercise.kind == "formula":
            return _check_formula(exercise, explore, response)
        want = expected(exercise, explore)
        got = read_number(response)
        target = float(want)
        if exercise.kind == "order":
            if got <= 0 or target <= 0:
                return Feedback(False, "an order of magnitude is a positive number such as 1e-8")
            off = abs(math.log10(got) - math.log10(target))
            ok = off <= exercise.tolerance
            return Feedback(
                ok, "right order of magnitude" if ok else f"off by about {off:.0f} decades"
            )
        ok = abs(got - target) <= exercise.tolerance * max(1.0, abs(target))
        return Feedback(ok, "correct" if ok else "not quite")
    except AdxError as error:
        return Feedback(False, f"could not read that: {error.message}")


def _check_choice(exercise: Exercise, explore: Explore | None, response: str) -> Feedback:
    letters = "abcdefghij"[: len(exercise.choices)]
    want = correct_choice(exercise, explore)
    given = response.lower().rstrip(").")
    if given in letters:
        index = letters.index(given)
    else:
        matches = [k for k, c in enumerate(exercise.choices) if c.lower() == response.lower()]
        if not matches:
            return Feedback(False, f"answer with a letter: {', '.join(letters)}")
        index = matches[0]
    return Feedback(index == want, "correct" if index == want else "not that one")


def correct_choice(exercise: Exercise, explore: Explore | None) -> int:
    letters = "abcdefghij"[: len(exercise.choices)]
    if exercise.query:
        if explore is None:
            raise AdxError("lesson", "a computed answer needs an adx-explore block")
        computed = str(compute(exercise.query, explore)).lower()
        matches = [k for k, c in enumerate(exercise.choices) if c.lower().startswith(computed)]
        if len(matches) != 1:
            raise AdxError(
                "lesson",
                f"the engine's answer {computed!r} matches {len(matches)} choices, not one",
            )
        if exercise.answer and exercise.answer.lower() != letters[matches[0]]:
            raise AdxError(
                "lesson",
                f"the literal answer {exercise.answer!r} disagrees with the engine, which picks "
                f"({letters[matches[0]]}) {exercise.choices[matches[0]]}",
            )
        return matches[0]
    if exercise.answer.lower() not in letters:
        raise AdxError("lesson", f"the answer of a choice exercise is a letter from {letters}")
    return letters.index(exercise.answer.lower())


def _check_formula(exercise: Exercise, explore: Explore | None, response: str) -> Feedback:
    """Compare the student's expression with the engine at the point and nearby points."""
    if explore is None:
        raise AdxError("lesson", "a formula exercise needs an adx-explore block")
    session = session_for(explore)
    graph = session.graph
    assert graph is not None
    names = list(graph.input_names)
    student = compile_source(response, origin="your answer", extra_inputs=names).graph
    unknown = set(student.input_names) - set(names)
    if unknown:
        return Feedback(
            False, f"use only the inputs {', '.join(names)} (not {', '.join(sorted(unknown))})"
        )
    query = exercise.query or ""
    rng = np.random.default_rng(0)
    for k in range(4):
        point = {
            n: np.asarray(v) * (1 + (0.1 * rng.standard_normal() if k else 0))
            for n, v in session.values.items()
        }
        target = _formula_target(query, exercise.answer, graph, point, names)
        mine = float(
            run(student, {n: point[n] for n in student.input_names}, "evaluate").output_value()
        )
        if not math.isfinite(mine) or abs(mine - target) > 1e-6 * max(1.0, abs(target)):
            return Feedback(False, "not the same function (checked numerically against AD)")
    return Feedback(True, "correct: it agrees with AD at the point and nearby")


def _formula_target(
    query: str, literal: str, graph: Graph, point: dict[str, Array], names: list[str]
) -> float:
    if query:
        words = query.split()
        if words[0] == "gradient" and len(words) == 2:
            return float(run(graph, point, "reverse").gradient()[words[1]])
        if words[0] == "value":
            return float(run(graph, point, "evaluate").output_value())
        raise AdxError("lesson", "a formula exercise takes 'from: gradient NAME' or 'from: value'")
    reference = compile_source(literal, origin="answer", extra_inputs=names).graph
    return float(
        run(reference, {n: point[n] for n in reference.input_names}, "evaluate").output_value()
    )
