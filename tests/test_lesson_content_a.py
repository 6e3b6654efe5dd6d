"""Lessons 1, 2, 3, 4 and 6: their answers and the numbers their text states,
recomputed without adx's engines (plain arithmetic, math, sympy), and the
shape the course brief asks of each (worked example, computing exercises,
hints that guide before they give the answer, explorations that start before
the answer)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import sympy

from adexplorer.lessons import answers
from adexplorer.lessons.catalog import find
from adexplorer.lessons.model import Exercise, Explore, Lesson

LESSONS = [
    "why-derivatives",
    "numerical-differentiation",
    "symbolic-differentiation",
    "computational-graphs",
    "dual-numbers",
]
EPS = 2.0**-52


def _bowl(x: float, y: float) -> float:
    return (x - 3) ** 2 + 10 * (y + 1) ** 2


def _descend(eta: float, steps: int) -> float:
    """Gradient descent on the bowl from (0, 0), written out by hand."""
    x, y = 0.0, 0.0
    for _ in range(steps):
        x, y = x - eta * 2 * (x - 3), y - eta * 20 * (y + 1)
    return _bowl(x, y)


def _best_h(estimate: object, exact: float) -> float:
    """The power of ten h ∈ 1e-1 … 1e-16 with the least error of a difference quotient."""
    steps = [10.0**-k for k in range(1, 17)]
    return min(steps, key=lambda h: abs(estimate(h) - exact))  # type: ignore[operator]


def _steps_to_overflow(eta: float) -> int:
    """The first descent step on the bowl after which f is no longer finite."""
    x, y = np.float64(0), np.float64(0)
    with np.errstate(all="ignore"):
        for step in range(1, 1000):
            x, y = x - eta * 2 * (x - 3), y - eta * 20 * (y + 1)
            if not np.isfinite((x - 3) ** 2 + 10 * (y + 1) ** 2):
                return step
    raise AssertionError("no overflow")


def _logistic_naive_tree(level: int) -> tuple[int, int]:
    """(f tree, naive ∂f tree) of the logistic map's level, by the recurrence the
    lesson derives: T' = 2T + 5, D' = 2D + 3T + 18, from x (T = D = 1)."""
    tree, deriv = 1, 1
    for _ in range(level):
        tree, deriv = 2 * tree + 5, 2 * deriv + 3 * tree + 18
    return tree, deriv


def _sympy_derivative(text: str, wrt: str, at: dict[str, float]) -> float:
    symbols = {name: sympy.Symbol(name) for name in at}
    expr = sympy.sympify(text, locals=symbols)
    return float(sympy.diff(expr, symbols[wrt]).subs({symbols[k]: v for k, v in at.items()}))


x1, x2 = 1.5, -0.75
#: (lesson, exercise) → the answer, computed independently of adx.
INDEPENDENT: dict[tuple[str, str], float | str] = {
    ("why-derivatives", "grad-x"): _sympy_derivative(
        "(x - 3)**2 + 10*(y + 1)**2", "x", {"x": 0, "y": 0}
    ),
    ("why-derivatives", "grad-y"): _sympy_derivative(
        "(x - 3)**2 + 10*(y + 1)**2", "y", {"x": 0, "y": 0}
    ),
    ("why-derivatives", "which-way"): "b",
    ("why-derivatives", "after-one"): _descend(0.04, 1),
    ("why-derivatives", "after-ten"): 9 * 0.92**20 + 10 * 0.2**20,
    ("why-derivatives", "diverge-three"): 9 * 0.76**6 + 10 * 1.4**6,
    ("why-derivatives", "largest-eta"): "b",
    ("numerical-differentiation", "best-central"): _best_h(
        lambda h: (math.sin(1 + h) - math.sin(1 - h)) / (2 * h), math.cos(1)
    ),
    ("numerical-differentiation", "best-forward"): _best_h(
        lambda h: (math.sin(1 + h) - math.sin(1)) / h, math.cos(1)
    ),
    ("numerical-differentiation", "complex-step"): "b",
    ("numerical-differentiation", "central-error-cube"): (2.1**3 - 1.9**3) / 0.2 - 12,
    ("numerical-differentiation", "central-evals"): 2 * 3,
    ("numerical-differentiation", "forward-evals"): 3 + 1,
    ("symbolic-differentiation", "one-level"): _logistic_naive_tree(1)[1],
    ("symbolic-differentiation", "simplified"): 11,  # (1 - x)*4 + 4*x*(-1), counted in the text
    ("symbolic-differentiation", "level-five-tree"): _logistic_naive_tree(5)[1],
    ("symbolic-differentiation", "level-twenty-dag"): 16 + 11 * 19,
    ("symbolic-differentiation", "what-tames"): "b",
    ("computational-graphs", "paths-x1"): _sympy_derivative(
        "log(x1) + x1*x2 - sin(x2)", "x1", {"x1": 2, "x2": 5}
    ),
    ("computational-graphs", "how-many"): 6,
    ("computational-graphs", "value-v3"): 2 / math.sin(1.2**2),
    ("computational-graphs", "value-v5"): math.sqrt(math.log(2 / math.sin(1.2**2))),
    ("computational-graphs", "written-out"): 7,
    ("computational-graphs", "x-edges"): 3,
    ("dual-numbers", "eps-v1"): x2,
    ("dual-numbers", "eps-f-x1"): _sympy_derivative("x1*x2 + sin(x1)", "x1", {"x1": x1, "x2": x2}),
    ("dual-numbers", "dual-value"): math.sin(1) + math.cos(1),
    ("dual-numbers", "eps-direction"): 1 * (x2 + math.cos(x1)) + 2 * x1,
}
#: Exercises whose answer is not one number or letter: what a student would type.
TYPED: dict[tuple[str, str], str] = {
    ("computational-graphs", "order-of-list"): "x2 v1 v2 x1 v3 v4 v5 v6",
    ("dual-numbers", "dual-formula"): "x*cos(x) + sin(x)",
    ("dual-numbers", "rule-div"): "(udot*w - u*wdot)/w^2",
    ("dual-numbers", "rule-sqrt"): "udot/(2*sqrt(u))",
}


def _explored(lesson: Lesson) -> list[tuple[Exercise, Explore | None]]:
    pairs = []
    for index, step in enumerate(lesson.steps):
        pairs += [(ex, lesson.explore_for(index)) for ex in step.exercises]
    return pairs


def _cases() -> list[tuple[str, Exercise, Explore | None]]:
    return [(lid, ex, explore) for lid in LESSONS for ex, explore in _explored(find(lid))]


CASES = _cases()


def test_every_exercise_of_these_lessons_has_an_independent_answer() -> None:
    covered = set(INDEPENDENT) | set(TYPED)
    assert {(lid, ex.id) for lid, ex, _ in CASES} == covered


@pytest.mark.parametrize(
    ("lesson_id", "exercise", "explore"), CASES, ids=[f"{c[0]}:{c[1].id}" for c in CASES]
)
def test_the_independent_answer_is_accepted(
    lesson_id: str, exercise: Exercise, explore: Explore | None
) -> None:
    key = (lesson_id, exercise.id)
    if key in TYPED:
        assert answers.check(exercise, explore, TYPED[key]).correct
        return
    want = INDEPENDENT[key]
    if isinstance(want, str):
        assert answers.expected(exercise, explore) == want
        assert answers.check(exercise, explore, want).correct
        return
    got = answers.expected_number(exercise, explore)
    if exercise.kind == "order":
        assert abs(math.log10(got) - math.log10(want)) <= 0.5
    else:
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12)
    assert answers.check(exercise, explore, f"{want:.10g}").correct


@pytest.mark.parametrize(
    ("lesson_id", "exercise", "explore"), CASES, ids=[f"{c[0]}:{c[1].id}" for c in CASES]
)
def test_an_obvious_slip_is_rejected(
    lesson_id: str, exercise: Exercise, explore: Explore | None
) -> None:
    """A sign error, or a factor 10 off, is never accepted (a test that can fail)."""
    want = INDEPENDENT.get((lesson_id, exercise.id))
    if not isinstance(want, (int, float)) or exercise.kind != "number":
        return
    assert not answers.check(exercise, explore, repr(-want)).correct
    assert not answers.check(exercise, explore, repr(want * 10)).correct


# The numbers the lessons' worked examples state, each recomputed.
STATED: list[tuple[str, str, float]] = [
    ("why-derivatives", "3.3856 + 0.4 = 3.7856", _bowl(4.84, -0.8)),
    ("why-derivatives", "from (5 − 3)² + 10·1² = 14", _bowl(5, 0)),
    ("why-derivatives", "7.6176 + 0.4 = 8.0176", _descend(0.04, 1)),
    ("why-derivatives", "1.73 + 75.30 = 77.03", _descend(0.12, 3)),
    ("why-derivatives", "after 46 steps", _steps_to_overflow(0.12 * 2**10)),
    ("why-derivatives", "1 − 20·122.88 ≈ −2457", 1 - 20 * 0.12 * 2**10),
    ("numerical-differentiation", "0.049736 / 0.1 = 0.497364", (math.sin(1.1) - math.sin(1)) / 0.1),
    (
        "numerical-differentiation",
        "off by 0.0429",
        math.cos(1) - (math.sin(1.1) - math.sin(1)) / 0.1,
    ),
    ("numerical-differentiation", "sin(1)·0.05 = 0.0421", math.sin(1) * 0.05),
    ("numerical-differentiation", "2·√ε ≈ 3·10⁻⁸", 2 * math.sqrt(EPS)),
    ("numerical-differentiation", "≈ 1.0·10⁻⁵", (3 * EPS * math.sin(1) / math.cos(1)) ** (1 / 3)),
    ("numerical-differentiation", "= 12.61", (2.1**3 - 8) / 0.1),
    ("symbolic-differentiation", "2·23 + 3·7 + 18 = 85", _logistic_naive_tree(2)[1]),
    ("symbolic-differentiation", "about 193 million", _logistic_naive_tree(20)[1]),
    ("computational-graphs", "= 0.693147", math.log(2)),
    ("computational-graphs", "= −0.958924", math.sin(5)),
    ("computational-graphs", "= 11.6521", math.log(2) + 10 - math.sin(5)),
    (
        "computational-graphs",
        "v6 = v-1 · v5 = 1.67538",
        2 * math.sqrt(math.log(2 / math.sin(1.44))),
    ),
    ("computational-graphs", "f = 1.68294", 1 * math.sin(1) + math.sin(1)),
    ("computational-graphs", "cos(v0) = cos 5 ≈ 0.283662", math.cos(5)),
    ("computational-graphs", "∂f/∂x₂ = 2 − cos 5 ≈ 1.71634", 2 - math.cos(5)),
    ("dual-numbers", "f = v1 + v2 = −0.127505", x1 * x2 + math.sin(x1)),
    ("dual-numbers", "0.0707372", math.cos(1.5)),
    ("dual-numbers", "is 0.820737", x2 + math.cos(x1) + x1),
    ("dual-numbers", "9 + 6ε", 2 * 3),
]


def _number_in(snippet: str) -> float:
    """The last number written in ``snippet`` (with ·10⁻ⁿ, a unicode minus, 'million')."""
    text = snippet.replace("−", "-")
    power = re.search(r"([\d.]+)·10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)$", text)
    if power:
        exponent = power.group(2).translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789"))
        return float(power.group(1)) * 10 ** int(exponent)
    if text.endswith("million"):
        return float(re.findall(r"[\d.]+", text)[-1]) * 1e6
    return float(re.findall(r"-?\d+(?:\.\d+)?", text.replace("ε", ""))[-1])


@pytest.mark.parametrize(("lesson_id", "snippet", "value"), STATED, ids=[s[1] for s in STATED])
def test_the_numbers_the_text_states(lesson_id: str, snippet: str, value: float) -> None:
    text = find(lesson_id).path.read_text(encoding="utf-8")
    assert snippet in " ".join(text.split()), snippet
    stated = _number_in(snippet)
    digits = len(re.sub(r"\D", "", f"{stated:g}".split("e")[0]).lstrip("0")) or 1
    assert value == pytest.approx(stated, rel=max(10.0**-digits * 5, 1e-12), abs=1e-12), snippet


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_each_lesson_teaches_with_worked_examples_and_computing_exercises(lesson_id: str) -> None:
    lesson = find(lesson_id)
    prose = " ".join([lesson.intro] + [step.prose for step in lesson.steps])
    read = prose + " ".join(
        " ".join([ex.question, *ex.hints, ex.explain]) for _, ex in lesson.exercises()
    )
    assert 700 <= len(read.split()) <= 1600, len(read.split())
    assert prose.count("worked example") >= 2
    assert prose.count("Your turn") >= 2
    exercises = [ex for _, ex in lesson.exercises()]
    assert 4 <= len(exercises) <= 8
    computing = [ex for ex in exercises if ex.kind != "choice"]
    assert len(computing) >= len(exercises) - 2
    for ex in computing:
        assert ex.query, f"{ex.id}: every computed answer comes from the engine"


@pytest.mark.parametrize(
    ("lesson_id", "exercise", "explore"), CASES, ids=[f"{c[0]}:{c[1].id}" for c in CASES]
)
def test_hints_guide_before_they_give_the_answer(
    lesson_id: str, exercise: Exercise, explore: Explore | None
) -> None:
    want = INDEPENDENT.get((lesson_id, exercise.id))
    if not isinstance(want, (int, float)) or exercise.kind != "number":
        return
    assert len(exercise.hints) >= 1
    for shown in {f"{want:.6g}", f"{want:.4g}", f"{want:g}"}:
        assert shown not in exercise.hints[0], f"{exercise.id}: hint 1 gives {shown}"


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_no_exploration_opens_with_the_sweep_already_run(lesson_id: str) -> None:
    """An exercise's answer is not on screen before it is asked: no step of these
    lessons starts at `step: end` (the gradient would be in the bottom bar)."""
    lesson = find(lesson_id)
    for index, step in enumerate(lesson.steps):
        explore = lesson.explore_for(index)
        if step.exercises and explore is not None:
            assert explore.step == "0", f"step {index + 1} opens at step {explore.step}"
