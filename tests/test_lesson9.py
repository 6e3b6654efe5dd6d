"""Lesson 9 (backpropagation): every number its text states is what the engine computes."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from adexplorer.base.numbers import format_value
from adexplorer.core.descent import descent_step, evaluate_scalar
from adexplorer.core.trace import run
from adexplorer.lessons.answers import prepare
from adexplorer.lessons.checker import check_paths
from adexplorer.lessons.model import Lesson
from adexplorer.lessons.parser import parse_lesson

LESSON = Path(__file__).resolve().parents[1] / "lessons" / "09-backpropagation.md"
WEIGHTS = ("W1", "b1", "w2", "b2")


@pytest.fixture(scope="module")
def lesson() -> Lesson:
    return parse_lesson(LESSON)


def _text(lesson: Lesson) -> str:
    return " ".join(LESSON.read_text(encoding="utf-8").split())  # lines joined


def _history(lesson: Lesson, eta: float, steps: int) -> tuple[list[float], list[float]]:
    """Loss and out − t at the start and after each of ``steps`` steps training the weights."""
    setup = prepare(lesson.explore_for(1))
    graph, values = setup.graph, dict(setup.values)
    out = next(n.index for n in graph.nodes if n.name == "out")
    losses, errors = [], []
    for _ in range(steps + 1):
        losses.append(evaluate_scalar(graph, values))
        errors.append(float(run(graph, values, "evaluate").values[out]) - 1.0)
        _, values = descent_step(graph, values, eta, WEIGHTS)
    return losses, errors


def test_the_lesson_checks() -> None:
    lessons, problems = check_paths([LESSON])
    assert not problems and len(lessons[0].exercises()) >= 10


def test_the_training_steps_move_only_the_weights(lesson: Lesson) -> None:
    explores = [lesson.explore_for(i) for i in range(1, len(lesson.steps))]
    assert {e.train for e in explores} == {WEIGHTS}
    assert [e.eta for e in explores] == [0.05, 0.5, 0.125]


def test_the_partials_counted(lesson: Lesson) -> None:
    setup = prepare(lesson.explore_for(0))
    sizes = {n: np.size(v) for n, v in setup.values.items()}
    assert sum(sizes.values()) == 25 and sum(sizes[w] for w in WEIGHTS) == 21
    assert "all 25 partial derivatives" in _text(lesson)
    assert "4·3 + 4 + 4 + 1 = 21" in _text(lesson)


def test_the_worked_example(lesson: Lesson) -> None:
    setup = prepare(lesson.explore_for(0))
    trace = run(setup.graph, setup.values, "reverse")
    named = {n.name: trace.values[n.index] for n in setup.graph.nodes if n.name}
    grad = trace.gradient()
    text = _text(lesson)
    assert f"out = {format_value(named['out'])}".replace("-", "−") in text
    assert format_value(2 * (named["out"] - 1)).replace("-", "−") in text  # ∂loss/∂out
    assert f"h[0] = {format_value(named['h'][0])}".replace("-", "−") in text
    assert f"h[1] = {format_value(named['h'][1])}" in text
    assert format_value(grad["w2"][0]) == "0.876144" and "0.876144" in text
    w2_0 = float(setup.values["w2"][0] - 0.05 * grad["w2"][0])
    assert format_value(w2_0) == "0.456193" and "= 0.456193" in text


def test_eta_0_05_brings_the_loss_down(lesson: Lesson) -> None:
    losses, _ = _history(lesson, 0.05, 5)
    assert all(b < a for a, b in itertools.pairwise(losses))
    assert format_value(losses[4]) == "0.035701" and "after four steps it is 0.035701" in _text(
        lesson
    )
    assert 45 < losses[0] / losses[4] < 55  # "about a fiftieth of where it began"


def test_eta_0_5_diverges_as_the_text_says(lesson: Lesson) -> None:
    losses, errors = _history(lesson, 0.5, 6)
    shown = [format_value(x) for x in losses]
    assert shown == ["1.69606", "0.338455", "4.79256", "62.2189", "0.137689", "25.0966", "402.055"]
    text = _text(lesson)
    assert "4.79256, to 62.2189, drops to 0.137689 and climbs to 25.0966 and 402.055" in text
    assert [f"{e:+.2f}" for e in errors[:4]] == ["-1.30", "+0.58", "-2.19", "+7.89"]
    assert "it goes −1.30, +0.58, −2.19, +7.89" in text


def test_the_linear_picture(lesson: Lesson) -> None:
    """‖∂out/∂w‖² ≈ 4.1, factors 1 − 8.2η, the edge near 0.24, η = 0.25 flips and shrinks."""
    setup = prepare(lesson.explore_for(0))
    graph = setup.graph
    out = next(n.index for n in graph.nodes if n.name == "out")
    loss_grad = run(graph, setup.values, "reverse").gradient()
    error = float(run(graph, setup.values, "evaluate").values[out]) - 1.0
    g2 = sum(float(np.sum(loss_grad[w] ** 2)) for w in WEIGHTS) / (2 * error) ** 2
    assert round(g2, 1) == 4.1
    assert round(1 - 2 * g2 * 0.05, 2) == 0.59 and round(1 - 2 * g2 * 0.5, 1) == -3.1
    assert round(1 / g2, 2) == 0.24
    losses, errors = _history(lesson, 0.25, 11)
    assert all(a * b < 0 for a, b in itertools.pairwise(errors))  # flips every step
    assert all(abs(b) < abs(a) for a, b in itertools.pairwise(errors))  # and shrinks
    losses, errors = _history(lesson, 0.125, 1)
    assert format_value(losses[1]) == "0.0131097" and f"{errors[1]:.2f}" == "-0.11"
    assert "to 0.0131097" in _text(lesson) and "from −1.30 to −0.11" in _text(lesson)
