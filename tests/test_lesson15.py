"""Lesson 15 (training the text's network): its numbers against a hand-written numpy network.

The network's data and weights are rebuilt with numpy's default_rng as the lesson
says adx makes them; the loss, the gradient (a backward pass written out by hand),
gradient descent with and without zero_grad, and the Wengert list's shapes are
computed here without adx's derivative rules, and compared with the engine's
answers and with the numbers the prose states.  Every exercise accepts its
answer typed as the screen shows it, and typical wrong answers get the slip named.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from adexplorer.base.numbers import format_value
from adexplorer.base.shapes import type_name
from adexplorer.core.formulas import FormulaRenderer
from adexplorer.core.trace import run
from adexplorer.lessons.answers import check, compute, prepared, reveal_text
from adexplorer.lessons.checker import check_paths
from adexplorer.lessons.concealment import hidden_for
from adexplorer.lessons.kinds import placeholder
from adexplorer.lessons.model import Exercise, Explore, Lesson
from adexplorer.lessons.parser import parse_lesson
from adexplorer.lessons.tensor_queries import read_shape

LESSON = Path(__file__).resolve().parents[1] / "lessons" / "15-training-the-network.md"
PARAMETERS = ("W1", "b1", "W2", "b2")
ETA = 1e-4


@pytest.fixture(scope="module")
def lesson() -> Lesson:
    return parse_lesson(LESSON)


@pytest.fixture(scope="module")
def explore(lesson: Lesson) -> Explore:
    found = lesson.explore_for(0)
    assert found is not None
    return found


def _text() -> str:
    return " ".join(LESSON.read_text(encoding="utf-8").split())


def _exercise(lesson: Lesson, exercise_id: str) -> tuple[Exercise, Explore]:
    for index, step in enumerate(lesson.steps):
        for exercise in step.exercises:
            if exercise.id == exercise_id:
                explore = lesson.explore_for(index)
                assert explore is not None
                return exercise, explore
    raise AssertionError(exercise_id)


def _network() -> dict[str, np.ndarray]:
    """The data and initial weights, made with numpy as the lesson says adx makes them."""
    rng = np.random.default_rng
    one, ten = 1 / math.sqrt(1000), 1 / math.sqrt(100)
    return {
        "X": rng(1).standard_normal((64, 1000)),
        "Y": rng(2).standard_normal((64, 10)),
        "W1": rng(3).uniform(-one, one, (1000, 100)),
        "b1": rng(4).uniform(-one, one, (100,)),
        "W2": rng(5).uniform(-ten, ten, (100, 10)),
        "b2": rng(6).uniform(-ten, ten, (10,)),
    }


def _loss_and_gradient(v: dict[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray]]:
    """The summed squared error and its gradient by a backward pass written by hand."""
    z = v["X"] @ v["W1"] + v["b1"]
    h = np.maximum(z, 0.0)
    p = h @ v["W2"] + v["b2"]
    p_bar = 2.0 * (p - v["Y"])
    z_bar = (p_bar @ v["W2"].T) * (z > 0)
    gradient = {
        "W1": v["X"].T @ z_bar,
        "b1": z_bar.sum(axis=0),
        "W2": h.T @ p_bar,
        "b2": p_bar.sum(axis=0),
    }
    return float(((p - v["Y"]) ** 2).sum()), gradient


def _losses(steps: int, accumulate: bool = False) -> list[float]:
    """The loss before each of ``steps`` SGD steps and after the last one."""
    values = _network()
    total = {name: np.zeros_like(values[name]) for name in PARAMETERS}
    losses = []
    for _ in range(steps):
        loss, gradient = _loss_and_gradient(values)
        losses.append(loss)
        for name in PARAMETERS:
            total[name] = total[name] + gradient[name] if accumulate else gradient[name]
            values[name] = values[name] - ETA * total[name]
    losses.append(_loss_and_gradient(values)[0])
    return losses


@pytest.fixture(scope="module")
def trained() -> list[float]:
    return _losses(500)


@pytest.fixture(scope="module")
def accumulated() -> list[float]:
    return _losses(500, accumulate=True)


def test_the_lesson_checks_and_follows_backpropagation(lesson: Lesson) -> None:
    lessons, problems = check_paths([LESSON])
    assert not problems and lessons[0].id == "training"
    assert lesson.order == 15 and lesson.prerequisites == ("backpropagation",)
    assert len(lesson.exercises()) >= 6
    kinds = {exercise.kind for _, exercise in lesson.exercises()}
    assert {"number", "shape", "order"} <= kinds


def test_the_values_are_numpys_seeded_generators(explore: Explore) -> None:
    setup = prepared(explore)
    for name, value in _network().items():
        assert np.array_equal(setup.values[name], value), name
    assert "`normal(seed=1)` is numpy's `default_rng(1).standard_normal`" in _text()


def test_the_wengert_list_and_its_shapes(explore: Explore) -> None:
    """The eight rows the prose lists, with the types the engine gives them."""
    graph = prepared(explore).graph
    rows = [(graph.nodes[i].op, graph.nodes[i].shape) for i in graph.op_nodes]
    assert rows == [
        ("matmul", (64, 100)),
        ("add", (64, 100)),
        ("relu", (64, 100)),
        ("matmul", (64, 10)),
        ("add", (64, 10)),
        ("sub", (64, 10)),
        ("pow", (64, 10)),
        ("sum", ()),
    ]
    assert compute("operations", explore) == 8
    listed = re.findall(r"^ {4}(v\d) = .*? (mat\[\d+,\d+\]|real)", LESSON.read_text(), re.M)
    labels = graph.labels("griewank")
    assert listed == [(labels[i], type_name(graph.nodes[i].shape)) for i in graph.op_nodes]
    assert [labels[graph.input_index(n) or 0] for n in ("X", "b2")] == ["v-5", "v0"]
    assert "six inputs numbered v-5 (X) to v0 (b2)" in _text()
    # the line under the trace writes the first operation with its operands' types
    setup = prepared(explore)
    trace = run(graph, setup.values, "evaluate")
    step = next(s for s in trace.primal_steps if s.node == graph.op_nodes[0])
    formula = FormulaRenderer(graph, trace.values).primal(step).text()
    assert formula.startswith("v1 = v-5 @ v-3 = ⟨mat[64,1000]⟩ @ ⟨mat[1000,100]⟩ = ")
    assert "⟨mat[64,1000]⟩ @ ⟨mat[1000,100]⟩ for the first" in _text()


def test_the_gradient_is_the_hand_written_backward_pass(explore: Explore) -> None:
    setup = prepared(explore)
    trace = run(setup.graph, setup.values, "reverse")
    loss, gradient = _loss_and_gradient(_network())
    assert float(trace.output_value()) == pytest.approx(loss, rel=1e-12)
    assert compute("value", explore) == pytest.approx(loss, rel=1e-12)
    engine = trace.gradient()
    for name in PARAMETERS:
        assert engine[name].shape == gradient[name].shape
        np.testing.assert_allclose(engine[name], gradient[name], rtol=1e-9, atol=1e-12)
    assert compute("gradient b2[0]", explore) == pytest.approx(gradient["b2"][0], rel=1e-12)
    # the types the shape exercises ask for are the numpy gradients' shapes
    for node, shape in (("W1", (1000, 100)), ("b1", (100,)), ("h", (64, 100))):
        assert read_shape(str(compute(f"adjoint-type {node}", explore))) == shape
    assert gradient["W1"].shape == (1000, 100) and gradient["b1"].shape == (100,)


def test_the_counts_of_why_reverse_mode(lesson: Lesson) -> None:
    explore = lesson.explore_for(2)
    assert explore is not None and explore.train == PARAMETERS and explore.pane == "cost"
    setup = prepared(explore)
    assert 1000 * 100 + 100 + 100 * 10 + 10 == 101_110
    assert sum(np.size(setup.values[n]) for n in PARAMETERS) == 101_110
    assert compute("train-sweeps forward", explore) == 101_110
    assert compute("train-sweeps reverse", explore) == 1
    cost = run(setup.graph, setup.values, "evaluate").cost
    assert cost is not None
    forward = compute("train-cost forward", explore)
    reverse = compute("train-cost reverse", explore)
    assert forward == 101_110 * (cost.primal.total + cost.tangent.total)
    assert reverse == cost.primal.total + cost.adjoint.total
    assert isinstance(forward, float) and isinstance(reverse, float)
    assert 9e4 < forward / reverse < 1.1e5  # "a hundred thousand times more"
    text = _text()
    assert f"{cost.primal.total:,} of them" in text
    assert f"{cost.reverse_ratio:.2f} times that" in text
    assert "1000·100 + 100 + 100·10 + 10 = 101,110 parameters" in text
    assert "About 4·10¹² operations, against 4·10⁷" in text
    assert round(forward / 1e12) == 4 and round(reverse / 1e7) == 4


def test_the_loss_falls_as_the_prose_says(
    lesson: Lesson, trained: list[float], accumulated: list[float]
) -> None:
    explore = lesson.explore_for(3)
    assert explore is not None and explore.eta == ETA and explore.train == PARAMETERS
    assert compute("descent 1", explore) == pytest.approx(trained[1], rel=1e-12)
    assert compute("descent 2", explore) == pytest.approx(trained[2], rel=1e-12)
    assert compute("descent-accumulate 2", explore) == pytest.approx(accumulated[2], rel=1e-12)
    assert compute("descent-accumulate 1", explore) == compute("descent 1", explore)
    text = _text()
    assert f"about {format_value(trained[10], 3)} after 10 steps" in text
    assert f"{format_value(trained[50], 3)} after 50" in text
    assert f"{format_value(trained[100], 3)} after 100" in text
    mantissa, exponent = f"{trained[500]:.2e}".split("e")
    assert f"{mantissa}·10⁻{int(exponent[1:])}".replace("⁻6", "⁻⁶") + " after 500" in text
    # without zero_grad: lower at first, lowest after 9 steps, then up and wandering
    assert accumulated[2] < trained[2] and accumulated[9] < trained[9]
    assert min(range(20), key=lambda k: accumulated[k]) == 9
    assert f"to about {round(accumulated[9])} after 9 steps" in text
    assert f"about {round(accumulated[12])} after 12 steps" in text
    later = accumulated[12:50]  # the 50 steps of the command the lesson gives
    assert round(min(later) / 5) * 5 == 125 and round(max(later) / 5) * 5 == 265
    assert "between about 125 and 265" in text
    assert f"ends at about {round(accumulated[49] / 10) * 10} after 49 steps" in text
    # over 500 steps it falls after all, unevenly, far above the zeroed loop
    assert f"about {format_value(accumulated[100], 3)} after 100 steps" in text
    assert f"{format_value(accumulated[200], 3)} after 200" in text
    lowest = min(range(500), key=lambda k: accumulated[k])
    assert f"{format_value(accumulated[lowest], 3)} at its lowest (step {lowest})" in text
    assert f"and {round(accumulated[499])} after 499" in text and trained[499] < 1e-5
    assert (
        f"About {format_value(accumulated[2], 4)}, below the {format_value(trained[2], 4)}" in text
    )


# ------------------------------------------------------------------ answers and slips


@pytest.mark.parametrize(
    ("exercise_id", "typed"),
    [
        ("hidden-adjoint-type", ["mat[64,100]", "mat[64, 100]", "64x100", "(64, 100)"]),
        ("weight-adjoint-type", ["mat[1000,100]", "1000 × 100", "matrix[1000, 100]"]),
        ("bias-adjoint-type", ["vec[100]", "100", "(100,)", "vector[100]"]),
    ],
)
def test_a_type_is_accepted_however_it_is_written(
    lesson: Lesson, exercise_id: str, typed: list[str]
) -> None:
    exercise, explore = _exercise(lesson, exercise_id)
    assert reveal_text(exercise, explore) == typed[0]
    for text in typed:
        assert check(exercise, explore, text).correct, text


def test_every_answer_as_the_screen_shows_it_is_accepted(lesson: Lesson) -> None:
    for index, step in enumerate(lesson.steps):
        explore = lesson.explore_for(index)
        for exercise in step.exercises:
            shown = reveal_text(exercise, explore)
            if exercise.kind == "order":
                shown = shown.split()[0]  # the decade: "1e13 (4.00134e12)"
            assert check(exercise, explore, shown).correct, (exercise.id, shown)


@pytest.mark.parametrize(
    ("exercise_id", "typed", "slip", "words"),
    [
        ("weight-adjoint-type", "mat[100,1000]", "swapped-dimensions", "rows and columns swapped"),
        ("weight-adjoint-type", "64x100", "batch", "batch's examples"),
        ("weight-adjoint-type", "vec[100]", "other-node", "b1"),
        ("hidden-adjoint-type", "mat[100,64]", "swapped-dimensions", "h (v3) has the type"),
        ("bias-adjoint-type", "mat[64,100]", "broadcast", "sums their adjoints over the rows"),
        ("forward-sweeps", "165,750", "data-counted", "data's entries"),
        ("forward-sweeps", "4", "per-tensor", "one per entry"),
        ("forward-sweeps", "101,000", "biases-left-out", "b1, b2"),
        ("forward-sweeps", "1", "swapped", "reverse mode's count"),
        ("reverse-sweeps", "101110", "swapped", "forward mode's count"),
        ("reverse-sweeps", "64", "per-example", "one sweep per example (the 64 rows"),
        ("operations", "14", "inputs-counted", "counts the 6 inputs too"),
        ("hidden-adjoint-type", "vec[64]", "", "the trace's value column shows it"),
        ("forward-cost", "4e7", "magnitude", "5 decades"),
    ],
)
def test_wrong_answers_get_the_slip_named(
    lesson: Lesson, exercise_id: str, typed: str, slip: str, words: str
) -> None:
    exercise, explore = _exercise(lesson, exercise_id)
    feedback = check(exercise, explore, typed)
    assert not feedback.correct and feedback.attempt
    assert feedback.slip == slip and words in feedback.message, feedback.message
    assert reveal_text(exercise, explore) not in feedback.message  # no answer given away


def test_number_slips_computed_from_the_network(
    lesson: Lesson, trained: list[float], accumulated: list[float]
) -> None:
    cases = [
        ("initial-loss", trained[1], "descent-steps", "after 1 steps"),
        ("loss-after-one", trained[2], "descent-steps", "after 2 steps"),
        ("accumulated-two", trained[2], "zero-grad", "zeroed before each step"),
        ("accumulated-two", accumulated[3], "descent-steps", "after 3 steps"),
    ]
    for exercise_id, value, slip, words in cases:
        exercise, explore = _exercise(lesson, exercise_id)
        feedback = check(exercise, explore, format_value(float(value), 6))
        assert not feedback.correct, (exercise_id, value)
        assert feedback.slip == slip and words in feedback.message, (exercise_id, feedback)


def test_what_is_not_a_type_does_not_count_as_a_try(lesson: Lesson) -> None:
    exercise, explore = _exercise(lesson, "weight-adjoint-type")
    for text in ("W1", "mat[a,b]", "a thousand by a hundred"):
        feedback = check(exercise, explore, text)
        assert not feedback.correct and not feedback.attempt, text
        assert "mat[1000,100]" in feedback.message or "not a type" in feedback.message


def test_the_shape_reader() -> None:
    assert read_shape("real") == () and read_shape("scalar") == () and read_shape("()") == ()
    assert read_shape("mat[1000,100]") == (1000, 100) == read_shape(" 1000 by 100 ")
    assert read_shape("(3,)") == (3,) == read_shape("vec[3]") == read_shape("3")
    assert read_shape("tensor[2,3,4]") == (2, 3, 4)
    for text in ("", "mat[]", "mat[1.5,2]", "x", "mat[-1,2]", "1e3x100"):
        assert read_shape(text) is None, text


def test_the_lesson_names_the_train_command_and_zero_grad() -> None:
    text = _text()
    assert "`adx train examples/network.adx --wrt W1,b1,W2,b2 --lr 1e-4 --steps 500`" in text
    assert "`adx train examples/network.adx --wrt W1,b1,W2,b2 --accumulate --steps 50`" in text
    assert "`optimizer.zero_grad()`" in text


def test_every_exercise_is_answerable_from_the_screen(lesson: Lesson) -> None:
    """No exercise of this lesson turns what it asks into a "?": the initial loss is read
    from the descent history, b2[0] after a step from b2 and b̄2 in the trace."""
    for index, step in enumerate(lesson.steps):
        explore = lesson.explore_for(index)
        for exercise in step.exercises:
            assert not hidden_for(exercise, explore), exercise.id


def test_the_bias_step_is_the_value_minus_eta_times_the_adjoint(lesson: Lesson) -> None:
    network = _network()
    loss, gradient = _loss_and_gradient(network)
    exercise, explore = _exercise(lesson, "initial-loss")
    assert compute(exercise.query, explore) == pytest.approx(loss, rel=1e-12)
    exercise, explore = _exercise(lesson, "bias-after-one")
    moved = network["b2"][0] - ETA * gradient["b2"][0]
    assert compute(exercise.query, explore) == pytest.approx(moved, rel=1e-12)
    assert check(exercise, explore, format_value(float(moved), 6)).correct
    assert f"about {format_value(float(gradient['b2'][0]), 4)}".replace("-", "−") in _text()
    assert f"about {format_value(float(-ETA * gradient['b2'][0]), 2)}" in _text()


def test_lesson_show_prints_the_networks_trace_once() -> None:
    from click.testing import CliRunner

    from adexplorer.cli.main import cli

    result = CliRunner().invoke(cli, ["lesson", "show", str(LESSON)], catch_exceptions=False)
    assert result.exit_code == 0
    # three explorations of the same network at the same values: one set of tables
    assert result.stdout.count("Primal trace") == 1 == result.stdout.count("Adjoint sweep 1")
    assert result.stdout.count("(the same trace as in step 1 above)") == 2


def test_the_answer_box_asks_for_what_the_exercise_takes(lesson: Lesson) -> None:
    typed = {ex.id: placeholder(ex) for _, ex in lesson.exercises()}
    for count in ("operations", "forward-sweeps", "reverse-sweeps"):
        assert typed[count] == "a whole number, e.g. 12", count
    assert typed["initial-loss"] is None  # the player's "a number: 0.5, 1/2, log(2)"
    assert typed["hidden-adjoint-type"] is not None and "mat[" in typed["hidden-adjoint-type"]
