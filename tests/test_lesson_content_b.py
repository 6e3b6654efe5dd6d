"""The numbers lessons 5, 7, 8 and 10 state in their prose, checked independently.

The exercises of these lessons are verified by the engine (``adx lesson
check``); their worked examples are prose, so nothing would notice a wrong
number there.  Each test below recomputes what a lesson's text states from
the closed-form derivative (with sympy or math), or from the engine's cost
counts for the cost tables, and requires the text to print it as adx does
(six significant digits).  Two rules of the course are checked as well: an
exploration that exercises ask about does not open at the end of its sweep
(the answer would be on screen), and the number exercises have their answer
computed by the engine.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from adexplorer.lang.lower import compile_source
from adexplorer.lessons.catalog import find
from adexplorer.lessons.model import Lesson

LESSONS = ("forward-mode", "reverse-mode", "cost", "implementation")


def shown(value: float) -> str:
    """A number as adx prints it (six significant digits)."""
    return f"{value:.6g}"


def text_of(lesson: Lesson) -> str:
    return lesson.intro + "\n".join(step.prose for step in lesson.steps)


def states(lesson_id: str, *values: float) -> None:
    text = text_of(find(lesson_id)).replace("−", "-")
    for value in values:
        assert shown(value) in text, f"{lesson_id} should state {shown(value)}"


X, Y = sp.symbols("x y")


def test_lesson_5_worked_tangents_are_the_derivative_of_sin_xy_plus_x() -> None:
    f = sp.sin(X * Y) + X
    dfdx = float(sp.diff(f, X).subs({X: 1.5, Y: 2}))
    states("forward-mode", 2 * math.cos(3), dfdx, float(f.subs({X: 1.5, Y: 2})))
    assert shown(dfdx) == "-0.979985"


def test_lesson_5_worked_jacobian_column_of_a_and_b() -> None:
    x, y, z = sp.symbols("x y z")
    a, b = x * y + z, sp.sin(x) * z
    point = {x: 1, y: 2, z: 3}
    column_x = [float(sp.diff(g, x).subs(point)) for g in (a, b)]
    assert column_x[0] == 2
    states("forward-mode", column_x[1])


def test_lesson_7_worked_adjoints_of_sin_xy_plus_x() -> None:
    f = sp.sin(X * Y) + X
    at = {X: 1.5, Y: 2}
    dfdy = float(sp.diff(f, Y).subs(at))
    states(
        "reverse-mode",
        math.cos(3),  # v̄1
        2 * math.cos(3),  # the second contribution to x̄
        float(sp.diff(f, X).subs(at)),
        dfdy,
    )


def test_lesson_8_bracketing_from_both_sides_gives_the_gradient() -> None:
    x1, x2 = 2.0, 5.0
    j1 = np.array([[1 / x1, 0], [x2, x1], [0, math.cos(x2)]])
    j2 = np.array([[1, 1, 0], [0, 0, 1]])
    j3 = np.array([[1, -1]])
    from_the_left = (j3 @ j2) @ j1
    from_the_right = j3 @ (j2 @ (j1 @ np.eye(2)))
    assert np.allclose(from_the_left, from_the_right)
    assert list((j3 @ j2)[0]) == [1, 1, -1]  # the adjoints v̄1, v̄2, v̄3 the text names
    assert list(j1 @ [1, 0]) == [0.5, 5, 0]
    f = sp.log(X) + X * Y - sp.sin(Y)
    gradient = [float(sp.diff(f, v).subs({X: x1, Y: x2})) for v in (X, Y)]
    assert np.allclose(from_the_left[0], gradient)
    states("cost", math.cos(5), gradient[1])


@pytest.mark.parametrize(
    ("program", "at", "totals"),
    [
        ("ln(x1) + x1*x2 - sin(x2)", {"x1": 2.0, "x2": 5.0}, (20, 43, 60)),
        ("x^y", {"x": 2.0, "y": 3.0}, (6, 16, None)),
    ],
)
def test_lesson_8_operation_totals_are_the_engines(
    program: str, at: dict[str, float], totals: tuple[int, int, int | None]
) -> None:
    from adexplorer.core.trace import run

    graph = compile_source(program).graph
    cost = run(graph, {k: np.asarray(v) for k, v in at.items()}, "evaluate").cost
    assert cost is not None
    primal, forward, reverse = totals
    assert cost.primal.total == primal
    assert cost.primal.total + cost.tangent.total == forward
    if reverse is not None:
        assert cost.primal.total + cost.adjoint.total == reverse
    lesson = find("cost")
    questions = " ".join(e.question for _, e in lesson.exercises())
    assert (
        f"counts {primal} operations for f alone and {forward} with tangents" in questions
        or f"{forward}/{primal} = {shown(forward / primal)}" in text_of(lesson)
    )
    if reverse is not None:
        assert f"{primal} operations for f alone and {reverse} with the adjoint" in questions


def test_lesson_8_the_product_counts_give_2_5_and_3_75() -> None:
    """The per-operation counts the text quotes for w = u·v (3 moves + 1 mult, then
    6 and 11 more) are the primitive table's."""
    from adexplorer.core.primitives import PRIMITIVES

    mul = PRIMITIVES["mul"].cost(((), ()), (), (True, True))
    assert (mul.primal.total, mul.tangent.total, mul.adjoint.total) == (4, 6, 11)
    states("cost", 10 / 4, 15 / 4)


def test_lesson_10_worked_tape_at_1_2() -> None:
    f = X * Y + sp.sin(X)
    at = {X: 1, Y: 2}
    states(
        "implementation",
        math.sin(1),
        float(f.subs(at)),
        math.cos(1),
        float(sp.diff(f, X).subs(at)),
    )


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_exercises_do_not_open_with_their_answer_on_screen(lesson_id: str) -> None:
    for step in find(lesson_id).steps:
        if step.explore is not None and step.exercises:
            assert step.explore.step != "end", f"{lesson_id}: '{step.title}' opens at the end"
            assert step.explore.pane == "trace", f"{lesson_id}: '{step.title}' opens on a table"


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_number_exercises_are_computed_by_the_engine(lesson_id: str) -> None:
    for _, exercise in find(lesson_id).exercises():
        if exercise.kind != "choice":
            assert exercise.query, f"{lesson_id}: {exercise.id} has no 'from:' query"
