"""The exercise kinds sequence, rule, seed and vector, and the running-total queries.

Every answer the engine gives is compared with an independent computation:
central differences of the program or of the primitive's numpy evaluation,
sympy, or a brute-force check of every order of the nodes.
"""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adexplorer.core.primitives import PRIMITIVES
from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source
from adexplorer.lessons import answers, kinds
from adexplorer.lessons import kind_queries as kq
from adexplorer.lessons.checker import check_paths
from adexplorer.lessons.model import EXERCISE_KINDS, Exercise, Explore
from adexplorer.lessons.parser import parse_lesson

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "tests" / "data" / "exercise-kinds.md"
SURVEY = Explore(line=1, program="ln(x1) + x1*x2 - sin(x2)", at="x1=2, x2=5")
TWO_OUT = Explore(line=1, program="x: real = 2; y: real = 3; a = x*y; b = sin(x) + y; return a, b")
VECTOR_OUT = Explore(
    line=1, program="v: vec[2] = [0.5, -1.5]; s: real = 2; return v*s, sum(sin(v))"
)


def exercise(kind: str, query: str = "", answer: str = "", tolerance: float = 1e-6) -> Exercise:
    return Exercise(
        line=1, id="e", kind=kind, question="?", answer=answer, query=query, tolerance=tolerance
    )


def check(kind: str, query: str, explore: Explore | None, response: str) -> answers.Feedback:
    return answers.check(exercise(kind, query), explore, response)


def central(f, x: np.ndarray, direction: np.ndarray, h: float = 1e-6) -> float:  # type: ignore[no-untyped-def]
    return float((f(x + h * direction) - f(x - h * direction)) / (2 * h))


def evaluate(explore: Explore, point: dict[str, np.ndarray]) -> list[float]:
    """Every output entry of the program at ``point`` (the primal sweep only)."""
    graph = compile_source(explore.program).graph
    trace = run(graph, point, "evaluate")
    return [float(v) for k in range(len(graph.outputs)) for v in np.ravel(trace.output_value(k))]


# ------------------------------------------------------------------ running totals


def test_running_totals_of_a_fan_out_match_the_partials() -> None:
    """x1 feeds ln(x1) and x1*x2: the terms are x2 (the product, handled first) and 1/x1."""
    x1, x2 = sympy.symbols("x1 x2")
    at = {x1: 2, x2: 5}
    assert answers.compute("adjoint-term v-1 1", SURVEY) == pytest.approx(float(x2.subs(at)))
    assert answers.compute("adjoint-term v-1 2", SURVEY) == pytest.approx(float((1 / x1).subs(at)))
    assert answers.compute("adjoint-after v-1 1", SURVEY) == pytest.approx(5.0)
    total = sympy.diff(sympy.log(x1) + x1 * x2 - sympy.sin(x2), x1).subs(at)
    assert answers.compute("adjoint-after v-1 2", SURVEY) == pytest.approx(float(total))
    assert answers.compute("adjoint-after v-1 2", SURVEY) == answers.compute("adjoint v-1", SURVEY)


@pytest.mark.parametrize(
    ("program", "at"),
    [("x*x*x + sin(x)*x", "x=0.7"), ("exp(x*y) + x/y - x", "x=0.3, y=1.5")],
)
def test_the_last_running_total_is_the_partial_by_central_differences(
    program: str, at: str
) -> None:
    explore = Explore(line=1, program=program, at=at)
    setup = answers.prepare(explore)
    for k, name in enumerate(setup.graph.input_names):
        label = setup.graph.labels()[setup.graph.inputs[k]]
        count = int(answers.compute(f"contributions {label}", explore))
        terms = [answers.compute(f"adjoint-term {label} {j}", explore) for j in range(1, count + 1)]
        after = [
            answers.compute(f"adjoint-after {label} {j}", explore) for j in range(1, count + 1)
        ]
        assert after == pytest.approx(list(itertools.accumulate(terms)))  # a running total
        point = {n: np.asarray(float(v)) for n, v in setup.values.items()}

        def f(t: np.ndarray, name: str = name, point: dict = point) -> float:  # type: ignore[type-arg]
            return evaluate(explore, {**point, name: t})[0]

        assert after[-1] == pytest.approx(central(f, point[name], np.asarray(1.0)), rel=1e-6)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("adjoint-after v-1 3", "receives 2 contribution(s), numbered 1 to 2"),
        ("adjoint-after v-1 0", "there is no contribution 0"),
        ("adjoint-term v5 1", "v5 receives no adjoint contribution"),
        ("adjoint-after v9 1", "no node 'v9'"),
        ("adjoint-after v-1 two", "K as a whole number"),
    ],
)
def test_bad_running_total_queries_are_named(query: str, message: str) -> None:
    with pytest.raises(answers.AdxError, match=re.escape(message)):
        answers.compute(query, SURVEY)


# ------------------------------------------------------------------ sequence


def _valid(graph, order: list[int], direction: str) -> bool:  # type: ignore[no-untyped-def]
    """Independently of the checker: from the graph's edges (argument → user)."""
    position = {node: k for k, node in enumerate(order)}
    for argument, user in graph.edges():
        if graph.nodes[argument].is_const:
            continue
        first, then = (user, argument) if direction == "reverse" else (argument, user)
        if position[first] > position[then]:
            return False
    return True


@pytest.mark.parametrize("direction", ["reverse", "forward"])
def test_every_valid_order_and_only_those_are_accepted(direction: str) -> None:
    """All 5040 orders of the survey function's seven nodes, against the edges."""
    graph = answers.prepare(SURVEY).graph
    labels = graph.labels()
    nodes = [n.index for n in graph.nodes if not n.is_const]
    accepted = 0
    for order in itertools.permutations(nodes):
        feedback = kinds.sequence_feedback(graph, direction, [labels[i] for i in order])
        assert feedback.correct == _valid(graph, list(order), direction), order
        accepted += feedback.correct
    assert accepted > 1  # more than the engine's own order


def test_the_engines_orders_and_what_the_student_is_told() -> None:
    assert answers.compute("reverse-order", SURVEY) == "v5 v4 v3 v2 v1 v0 v-1"
    assert answers.compute("forward-order", SURVEY) == "v-1 v0 v1 v2 v3 v4 v5"
    ok = check("sequence", "reverse-order", SURVEY, "v5, v4, v3, v2, v1, v0, v-1")
    assert ok.correct and "the order the engine runs" in ok.message
    other = check("sequence", "reverse-order", SURVEY, "v5 -> v4 -> v2 -> v3 -> v1 -> x2 -> x1")
    assert other.correct and "the engine runs v5 v4 v3 v2 v1 v0 v-1" in other.message
    copied = check("sequence", "reverse-order", SURVEY, "[v̄5, v̄4, v̄3, v̄2, v̄1, v̄0, v̄-1]")
    assert copied.correct
    early = check("sequence", "reverse-order", SURVEY, "v5 v4 v3 v1 v0")
    assert not early.correct
    assert early.message == (
        "position 5: v0 cannot come before v2: v2 = v-1 * v0 uses v0, so v̄0 is complete "
        "only after v2 has passed its contribution back"
    )
    forward = check("sequence", "forward-order", SURVEY, "v-1 v1 v2")
    assert (
        "position 3: v2 cannot come before v0" in forward.message
        and "v̇2 needs v̇0" in forward.message
    )
    short = check("sequence", "reverse-order", SURVEY, "v5 v4 v3")
    assert "v2, v1, v0, v-1 are missing" in short.message
    twice = check("sequence", "reverse-order", SURVEY, "v5 v5")
    assert "v5 is already at position 1" in twice.message
    unknown = check("sequence", "reverse-order", SURVEY, "v5 v44")
    assert "'v44' is not a node" in unknown.message


def test_an_x_squared_node_is_used_by_one_node_twice() -> None:
    explore = Explore(line=1, program="x*x", at="x=3")
    assert check("sequence", "reverse-order", explore, "v1 v0").correct
    assert (
        "v0 cannot come before v1" in check("sequence", "reverse-order", explore, "v0 v1").message
    )


# ------------------------------------------------------------------ rule


def _rules() -> list[kq.Rule]:
    rules = []
    for name in kq.RULE_PRIMITIVES:
        rules.append(kq.read_rule("tangent", name))
        for argument in kq.ARGUMENTS[: PRIMITIVES[name].arity]:
            rules.append(kq.read_rule("adjoint", name, argument))
    return rules


@pytest.mark.parametrize("rule", _rules(), ids=lambda r: f"{r.mode}-{r.primitive.name}-{r.slot}")
def test_every_rule_is_the_central_difference_of_the_primitive(rule: kq.Rule) -> None:
    """The table's rule (the checker's reference) against central differences of numpy's
    evaluation, at the checker's own points; and its text is accepted."""
    f = rule.primitive.evaluate
    for point in kq.rule_points(rule):
        args = np.array([point[a] for a in rule.arguments])
        if rule.mode == "tangent":
            direction = np.array([point[t] for t in kq.TANGENTS[: len(args)]])
            expected = central(lambda a: f(*a), args, direction)
        else:
            direction = np.zeros(len(args))
            direction[rule.slot] = 1.0
            expected = point[kq.ADJOINT] * central(lambda a: f(*a), args, direction)
        assert rule.value(point) == pytest.approx(expected, rel=1e-5, abs=1e-7)
    assert kinds.rule_feedback(rule, rule.text()).correct, rule.text()


@pytest.mark.parametrize(
    ("query", "typed"),
    [
        ("tangent-rule mul", "wdot*u + w*udot"),
        ("tangent-rule mul", "adot*b + a*bdot"),  # the names adx functions uses
        ("tangent-rule exp", "exp(u)*udot"),
        ("tangent-rule div", "(udot*w - u*wdot)/w^2"),
        ("tangent-rule tanh", "udot/cosh(u)^2"),
        ("tangent-rule pow", "w*u^(w-1)*udot + log(u)*u^w*wdot"),
        ("adjoint-rule sin u", "cos(u)*vbar"),
        ("adjoint-rule div w", "-vbar*v/w"),
        ("adjoint-rule sigmoid u", "vbar*exp(-u)/(1 + exp(-u))^2"),
        ("adjoint-rule sqrt u", "vbar/(2*sqrt(u))"),
    ],
)
def test_equivalent_forms_of_a_rule_are_right(query: str, typed: str) -> None:
    feedback = check("rule", query, None, typed)
    assert feedback.correct, feedback.message


@pytest.mark.parametrize(
    ("query", "typed", "message"),
    [
        ("tangent-rule mul", "-(udot*w + u*wdot)", "a sign slip"),
        ("tangent-rule mul", "udot*w", "that is only u's term"),
        ("tangent-rule mul", "u*wdot", "that is only w's term"),
        ("tangent-rule mul", "w + u", "the local partial derivative"),
        ("tangent-rule mul", "2*udot*w + 2*u*wdot", "a constant factor: yours is 2 times"),
        ("tangent-rule mul", "vbar*w", "vbar is an adjoint, but this is a tangent rule"),
        ("tangent-rule sin", "vbar*cos(u)", "vbar is an adjoint"),
        ("adjoint-rule sin u", "udot*cos(u)", "udot is a tangent, but this is an adjoint rule"),
        ("adjoint-rule sin u", "cos(u)", "the local partial derivative"),
        ("adjoint-rule sin u", "ubar + vbar*cos(u)", "write only what is added to u\u0304"),
        ("adjoint-rule sin u", "vbar*cos(w)", "sin has one argument, u"),
        ("adjoint-rule mul u", "vbar*u", "the contribution to w\u0304, not to u\u0304"),
        ("adjoint-rule cos u", "vbar*sin(u)", "a sign slip"),
        ("tangent-rule relu", "udot", "not the tangent rule of v = relu(u): at u=-"),
        ("tangent-rule log", "udot*u", "not the tangent rule"),
        ("tangent-rule mul", "x*udot", "x is not a variable of this rule"),
        ("tangent-rule mul", "[udot, w]", "could not read that"),
        ("tangent-rule mul", "u: vec[2]; return sum(u)", "u is a number here, not vec[2]"),
    ],
)
def test_a_wrong_rule_is_named(query: str, typed: str, message: str) -> None:
    feedback = check("rule", query, None, typed)
    assert not feedback.correct and message in feedback.message, feedback.message


def test_rule_queries_name_a_primitive_with_a_scalar_rule() -> None:
    assert answers.compute("tangent-rule mul", SURVEY) == "udot*w + u*wdot"
    assert answers.compute("tangent-rule sub", SURVEY) == "udot - wdot"
    assert answers.compute("adjoint-rule div w", SURVEY) == "-vbar*u/w^2"
    with pytest.raises(answers.AdxError, match="PRIMITIVE"):
        answers.read_query("tangent-rule matmul")
    with pytest.raises(answers.AdxError, match="has one argument"):
        answers.compute("adjoint-rule sin w", SURVEY)


# ------------------------------------------------------------------ seed


def test_a_seed_is_run_forward_and_compared_with_the_target() -> None:
    x1, x2 = sympy.symbols("x1 x2")
    f = sympy.log(x1) + x1 * x2 - sympy.sin(x2)
    at = {x1: 2, x2: 5}
    d1, d2 = (float(sympy.diff(f, v).subs(at)) for v in (x1, x2))
    right = check("seed", "gradient x2", SURVEY, "x2")
    assert right.correct and f"{d2:.6g}" in right.message
    assert check("seed", "gradient x2", SURVEY, "x1=0, x2=1").correct
    wrong = check("seed", "gradient x2", SURVEY, "x1")
    assert not wrong.correct and f"gives ẏ = {d1:.6g}" in wrong.message
    assert "(it is ∂f/∂x1)" in wrong.message
    assert "the sign is flipped" in check("seed", "gradient x2", SURVEY, "x2=-1").message
    assert "a zero seed" in check("seed", "gradient x2", SURVEY, "x1=0").message
    both = exercise("seed", answer="x1=1, x2=1")  # the target: what the author's seed gives
    assert answers.check(both, SURVEY, "x2=1, x1=1").correct
    assert not answers.check(both, SURVEY, "x1").correct
    assert f"{d1 + d2:.6g}" in answers.check(both, SURVEY, "x1=1, x2=1").message


def test_a_direction_seed_gives_the_directional_derivative_by_central_differences() -> None:
    explore = Explore(line=1, program="v: vec[2] = [0.5, -1.5]; s: real = 2; return sum(v*s*v)")
    setup = answers.prepare(explore)
    seed = kinds.read_seed(setup.graph, "v=[1, -2], s=0.5")
    got = kinds.output_tangent(setup, seed)
    base = np.array([0.5, -1.5, 2.0])

    def f(z: np.ndarray) -> float:
        return evaluate(explore, {"v": z[:2], "s": np.asarray(z[2])})[0]

    assert got == pytest.approx(central(f, base, np.array([1.0, -2.0, 0.5])), rel=1e-6)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("x3", "'x3' is not an input"),
        ("y=1", "y is not an input"),
        ("x2=[1,2]", "x2 is real, so its seed is too"),
        ("sin(", "is not an input"),
        ("x1=", "could not read that"),
    ],
)
def test_a_seed_that_cannot_be_read_is_explained(typed: str, message: str) -> None:
    feedback = check("seed", "gradient x2", SURVEY, typed)
    assert not feedback.correct and message in feedback.message, feedback.message


# ------------------------------------------------------------------ vector


@pytest.mark.parametrize("explore", [TWO_OUT, VECTOR_OUT, SURVEY], ids=["two", "vector", "survey"])
def test_columns_and_rows_are_the_jacobian_by_central_differences(explore: Explore) -> None:
    setup = answers.prepare(explore)
    graph = setup.graph
    inputs = kq.input_entries(graph)
    outputs = kq.output_entries(graph)
    base = np.concatenate([np.ravel(setup.values[n]) for n in graph.input_names])

    def f(z: np.ndarray) -> np.ndarray:
        point, k = {}, 0
        for name in graph.input_names:
            shape = np.shape(setup.values[name])
            n = int(np.prod(shape)) if shape else 1
            point[name] = z[k : k + n].reshape(shape)
            k += n
        return np.array(evaluate(explore, point))

    jacobian = np.array(
        [(f(base + 1e-6 * e) - f(base - 1e-6 * e)) / 2e-6 for e in np.eye(len(base))]
    ).T  # rows: output entries, columns: input entries
    for c, entry in enumerate(inputs):
        column = kq.jacobian_column(setup, entry.name)
        assert column == pytest.approx(list(jacobian[:, c]), rel=1e-6, abs=1e-8)
        assert kinds.vector_words(answers.compute(f"jacobian-column {entry.name}", explore)) == [
            repr(v) for v in column
        ]
    for r, entry in enumerate(outputs):
        assert kq.jacobian_row(setup, entry.name) == pytest.approx(
            list(jacobian[r, :]), rel=1e-6, abs=1e-8
        )
        assert kq.jacobian_row(setup, str(r + 1)) == kq.jacobian_row(setup, entry.name)


@pytest.mark.parametrize(
    ("query", "typed", "correct", "message"),
    [
        ("jacobian-column x", "3, cos(2)", True, "correct"),
        ("jacobian-column x", "[3, -0.416147]", True, "correct to the digits typed"),
        ("jacobian-column x", "3 -0.4161", True, "correct to the digits typed"),
        ("jacobian-column x", "3, -0.42", False, "give at least 3 significant digits (entry 2)"),
        ("jacobian-column x", "3, 0.416", False, "entry 2 (∂b/∂x) is not right; the other one"),
        ("jacobian-column x", "3, -0.417", False, "entry 2 (∂b/∂x) is not right"),
        ("jacobian-column x", "3", False, "the answer has 2 entries (∂a/∂x, ∂b/∂x); you typed 1"),
        (
            "jacobian-column x",
            "-3, 0.416147",
            False,
            "the signs are flipped: each entry is minus the right one",
        ),
        ("jacobian-column x", "3, 2", False, "that is row 1 (∂a/∂ each input)"),
        ("jacobian-row b", "-0.416147, 1", True, "correct"),
        ("jacobian-row 2", "2, 1", False, "that is column 2"),
        ("jacobian-row a", "3, 2", True, "correct"),
        ("jacobian-row f", "3, 2", False, "no output 'f'; the outputs are a, b"),
        ("jacobian-column x", "3, pow(2, 3)", False, "entry 2 (∂b/∂x) is not right"),
    ],
)
def test_a_vector_is_graded_entry_by_entry(
    query: str, typed: str, correct: bool, message: str
) -> None:
    feedback = check("vector", query, TWO_OUT, typed)
    assert feedback.correct is correct and message in feedback.message, feedback.message


def test_vector_entries_of_a_vector_output_are_named() -> None:
    feedback = check("vector", "jacobian-column s", VECTOR_OUT, "1")
    assert "3 entries (∂f1[0]/∂s, ∂f1[1]/∂s, ∂f2/∂s)" in feedback.message
    assert answers.compute("jacobian-row f1[1]", VECTOR_OUT) == answers.compute(
        "jacobian-row 2", VECTOR_OUT
    )
    with pytest.raises(answers.AdxError, match="there is no output 4"):
        answers.compute("jacobian-row 4", VECTOR_OUT)
    with pytest.raises(answers.AdxError, match="f1 has 2 entries; name one"):
        answers.compute("jacobian-row f1", VECTOR_OUT)


@pytest.mark.parametrize(
    ("word", "exact", "verdict"),
    [
        ("1.71634", 1.7163378145367738, "rounded"),
        ("1.7163", 1.7163378145367738, "rounded"),
        ("1.716", 1.7163378145367738, "rounded"),
        ("1.72", 1.7163378145367738, "rounded"),
        ("1.7", 1.7163378145367738, "short"),
        ("1.71", 1.7163378145367738, "wrong"),
        ("-0.9589", math.sin(5), "rounded"),
        ("-0.95892", math.sin(5), "rounded"),
        ("-0.9590", math.sin(5), "wrong"),
        ("2.50", 2.5, "exact"),
        ("5", 5.0, "exact"),
        ("1/3", 1 / 3, "exact"),
        ("0.333", 1 / 3, "rounded"),
        ("3.33e-1", 1 / 3, "rounded"),
        ("0.3", 1 / 3, "short"),
        ("0.33", 1 / 3, "short"),
    ],
)
def test_an_entry_agrees_to_the_digits_typed(word: str, exact: float, verdict: str) -> None:
    assert kinds.judge_entry(word, exact, 3) == verdict


# ------------------------------------------------------------------ the demo lesson, check, docs


def test_the_demo_lesson_passes_the_checker_and_has_every_kind() -> None:
    lessons, problems = check_paths([DEMO])
    assert problems == []
    kinds_used = {ex.kind for _, ex in lessons[0].exercises()}
    assert {"sequence", "rule", "seed", "vector", "number"} <= kinds_used
    assert set(kinds.CHECKERS) <= set(EXERCISE_KINDS)


def test_every_answer_revealed_in_the_demo_is_accepted() -> None:
    lesson = parse_lesson(DEMO)
    for index, step in enumerate(lesson.steps):
        for ex in step.exercises:
            explore = lesson.explore_for(index)
            shown = str(answers.expected(ex, explore))
            if ex.kind == "number":
                shown = f"{float(shown):.6g}"
            assert answers.check(ex, explore, shown).correct, (ex.id, shown)


@pytest.mark.parametrize(
    ("ex", "explore", "problem"),
    [
        (exercise("sequence", "reverse-order", "v4 v5 v3 v2 v1 v0 v-1"), SURVEY, "disagrees"),
        (exercise("sequence", "gradient x1"), SURVEY, "takes 'from: reverse-order'"),
        (exercise("sequence", answer="v5 v4"), SURVEY, "takes 'from: reverse-order'"),
        (exercise("sequence", "reverse-order"), None, "needs an adx-explore block"),
        (exercise("rule", "tangent-rule mul", "udot*w"), None, "only u's term"),
        (exercise("rule", "tangent-rule muul"), None, "did you mean 'mul'"),
        (exercise("seed", "gradient x2", "x1"), SURVEY, "disagrees with the engine"),
        (exercise("seed", "gradient x2", "x7"), SURVEY, "'x7' is not an input"),
        (exercise("seed", "cheaper-mode"), SURVEY, "is not a number"),
        (exercise("seed", "gradient x"), TWO_OUT, "one scalar output"),
        (exercise("vector", "jacobian-row 1", "5.5, 1.7"), SURVEY, "3 significant digits"),
        (exercise("vector", "jacobian-row 1", "5.5, 1.72, 3"), SURVEY, "has 2 entries"),
        (exercise("vector", "gradient x1"), SURVEY, "takes 'from: jacobian-column'"),
        (
            exercise("vector", "jacobian-column x"),
            Explore(line=1, program="log(x)", at="x=0"),
            "which no one can type",
        ),
    ],
)
def test_lesson_check_names_what_is_wrong(
    ex: Exercise, explore: Explore | None, problem: str
) -> None:
    problems = kinds.verify(ex, explore)
    assert problems and any(problem in p for p in problems), problems


def test_a_broken_exercise_in_a_file_is_reported_with_its_line(tmp_path: Path) -> None:
    text = DEMO.read_text().replace("answer: v5 v4 v3 v2 v1 v0 v-1", "answer: v-1 v0 v1")
    path = tmp_path / "broken.md"
    path.write_text(text)
    _, problems = check_paths([path])
    assert len(problems) == 1
    line = text.splitlines().index("id: sweep-order")  # the block starts on the line before
    assert problems[0].line == line + 1 and "sweep-order" in problems[0].message


def test_the_docs_examples_are_in_the_demo_lesson() -> None:
    """Each adx-exercise block the lesson-format page shows for these kinds is played by
    the demo lesson (so the checker has verified it)."""
    page = (ROOT / "docs" / "lesson-format.md").read_text()
    section = page.split("## Exercises on sweeps, rules, seeds and Jacobians", 1)[1]
    section = section.split("\n## ", 1)[0]
    blocks = re.findall(r"```adx-exercise\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 5
    demo = DEMO.read_text()
    for block in blocks:
        assert block in demo, block


# ------------------------------------------------------------------ never a traceback

TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="v0123456789-, x=[]()*+/^.eudotwbar>;→ \t", max_size=40),
)
CASES = [
    ("sequence", "reverse-order", SURVEY),
    ("sequence", "forward-order", TWO_OUT),
    ("rule", "tangent-rule pow", None),
    ("rule", "adjoint-rule div w", None),
    ("seed", "gradient x1", SURVEY),
    ("seed", "", SURVEY),
    ("vector", "jacobian-column x", TWO_OUT),
    ("vector", "jacobian-row 2", VECTOR_OUT),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXT, case=st.sampled_from(CASES))
def test_any_text_gets_feedback_never_an_exception(
    text: str, case: tuple[str, str, Explore | None]
) -> None:
    kind, query, explore = case
    ex = exercise(kind, query, answer="x1" if kind == "seed" and not query else "")
    feedback = answers.check(ex, explore, text)
    assert isinstance(feedback.correct, bool) and feedback.message


# ------------------------------------------------------------------ in the player


async def test_the_player_plays_each_new_kind(tmp_path: Path) -> None:
    """Typed into the answer boxes as a student would: a wrong answer, then a right one."""
    from textual.widgets import Input, Static

    from adexplorer.lessons.progress import Progress
    from adexplorer.tui.lesson_app import LessonApp
    from adexplorer.tui.widgets.lesson_panel import LessonPanel

    app = LessonApp(parse_lesson(DEMO), Progress.load(tmp_path / "progress.json"))
    plays = [
        ("sweep-order", "v5 v4 v3 v1 v0", "v5 v4 v2 v3 v1 v0 v-1"),
        ("seed-for-x2", "x1", "x1=0, x2=1"),
        ("total-after-two", "5.00", "5.5"),  # 3 digits: a judged try
        ("product-tangent", "udot*w", "w*udot + u*wdot"),
        ("column-x", "3, 2", "3, -0.4161"),
    ]
    async with app.run_test(size=(120, 40)) as pilot:
        for exercise_id, wrong, right in plays:
            for _ in range(len(app.lesson.steps)):
                if app.query_one(LessonPanel).box(exercise_id) is not None:
                    break
                app.set_focus(None)  # "n" typed into an answer box is a letter
                await pilot.press("n")
                await pilot.pause()
            box = app.query_one(LessonPanel).box(exercise_id)
            assert box is not None
            field = box.query_one(Input)
            assert field.placeholder  # the kind's own hint of what to type
            for text, solved in ((wrong, False), (right, True)):
                field.focus()
                field.value = text
                await pilot.press("enter")
                await pilot.pause()
                assert box.has_class("-solved") is solved, exercise_id
                feedback = str(box.query_one(".feedback", Static).render())
                assert ("✓" if solved else "✗") in feedback


def test_a_seed_of_rounded_numbers_is_judged_to_their_digits() -> None:
    """x1 = 0.312061 gives ∂f/∂x2 = 1.71634 to six digits: right; 0.3 is too few digits."""
    explore = Explore(1, "ln(x1) + x1*x2 - sin(x2)", at="x1=2, x2=5", mode="forward")
    exercise = Exercise(1, "s", "seed", "?", query="gradient x2")
    scale = (2 - math.cos(5)) / 5.5  # ∂f/∂x2 / ∂f/∂x1
    right = answers.check(exercise, explore, f"x1={scale:.6f}, x2=0")
    assert right.correct, right.message
    short = answers.check(exercise, explore, "x1=0.3, x2=0")
    assert not short.correct and not short.attempt and "at least 3" in short.message
