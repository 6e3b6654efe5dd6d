"""core.training: PyTorch's order of loss and update, what moves, --accumulate, stops and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import adexplorer.core.training as training_module
from adexplorer.base.errors import AdxError
from adexplorer.core.descent import descent_step, evaluate_scalar
from adexplorer.core.training import Training, TrainingRecord, diverged_hint
from adexplorer.lang.lower import compile_source

SMALL = (
    "x: vec[2] = [0.5, -1]\nW: mat[2,2] = [[0.3, -0.2], [0.1, 0.4]]\nb: real = 0.2\n"
    "t: real = 1\nout = sum(tanh(W @ x)) + b\nreturn (out - t)^2"
)


def small() -> Training:
    graph = compile_source(SMALL).graph
    return Training(graph, {}, lr=0.3, steps=6, wrt=("W", "b"))


def test_record_t_is_the_loss_after_t_updates_then_the_step_is_descents() -> None:
    training = small()
    graph = training.graph
    values = dict(graph.defaults)
    for record in training.run():
        # the loss at the current parameters, then w ← w − lr·g: core.descent's very step
        before, values = descent_step(graph, values, 0.3, ("W", "b"))
        assert record.loss == before
    assert [r.step for r in training.records] == list(range(6))
    assert training.updates == 6
    for name in values:
        np.testing.assert_array_equal(training.values[name], values[name])
    assert training.final_loss() == evaluate_scalar(graph, values)
    assert training.final_loss() < training.records[-1].loss < training.records[0].loss


def test_only_the_trained_inputs_move() -> None:
    training = small()
    start = dict(training.values)
    list(training.run())
    assert training.trained == ("W", "b") and training.fixed == ("x", "t")
    assert training.values["x"] is start["x"] and training.values["t"] is start["t"]
    assert not np.array_equal(training.values["W"], start["W"])


def test_the_norms_are_the_gradients() -> None:
    graph = compile_source("(x - 3)^2 + (y + 1)^2").graph
    training = Training(graph, {"x": 0.0, "y": 0.0}, lr=0.25, steps=1, wrt=("x",))
    (record,) = training.run()
    assert record == TrainingRecord(0, 10.0, 6.0, 6.0)  # ∂/∂x = -6; y is not trained
    assert float(training.values["x"]) == 1.5 and float(training.values["y"]) == 0.0


def test_accumulate_updates_with_the_running_sum_of_gradients() -> None:
    """f = (x − 3)², lr 0.1, from 0: by hand, g_t = 2(x_t − 3) and x ← x − 0.1·Σg."""
    graph = compile_source("(x - 3)^2").graph
    training = Training(graph, {"x": 0.0}, lr=0.1, steps=5, accumulate=True)
    records = list(training.run())
    x, summed = 0.0, 0.0
    for record in records:
        g = 2 * (x - 3)
        summed += g
        assert record.loss == pytest.approx((x - 3) ** 2, rel=1e-15)
        assert record.gradient_norm == pytest.approx(abs(g), rel=1e-15)
        assert record.update_norm == pytest.approx(abs(summed), rel=1e-15)
        x -= 0.1 * summed
    assert float(training.values["x"]) == pytest.approx(x, rel=1e-15)
    # zeroing the gradients (the default) is a different descent
    plain = Training(graph, {"x": 0.0}, lr=0.1, steps=5)
    assert [r.loss for r in plain.run()][2:] != pytest.approx([r.loss for r in records][2:])


def test_a_loss_that_is_not_finite_stops_the_training_and_names_the_step() -> None:
    graph = compile_source("x^4").graph
    training = Training(graph, {"x": 3.0}, lr=1.0, steps=50)
    records = list(training.run())
    assert training.diverged is not None
    last = records[-1]
    assert not math.isfinite(last.loss)
    assert f"at step {last.step}" in training.diverged and "diverged" in training.diverged
    assert training.updates == last.step == len(records) - 1  # no update after it
    assert all(math.isfinite(r.loss) for r in records[:-1])


def test_an_interrupt_keeps_the_last_completed_step_and_the_run_can_go_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reference = small()
    list(reference.run())
    training = small()
    real = training_module.loss_and_gradient
    calls = 0

    def interrupted(*args: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise KeyboardInterrupt
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(training_module, "loss_and_gradient", interrupted)
    with pytest.raises(KeyboardInterrupt):
        for _ in training.run():
            pass
    assert training.updates == len(training.records) == 3
    assert training.records == reference.records[:3]
    # the parameters are those after three updates: going on gives the same run
    rest = list(training.run())
    assert [r.step for r in rest] == [3, 4, 5]
    assert training.records == reference.records
    np.testing.assert_array_equal(training.values["W"], reference.values["W"])


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"lr": 0.0}, "positive"),
        ({"lr": -1e-4}, "positive"),
        ({"lr": math.nan}, "positive"),
        ({"lr": math.inf}, "positive"),
        ({"steps": 0}, "at least one step"),
        ({"wrt": ("W", "bb")}, "cannot train 'bb'"),
    ],
)
def test_bad_settings_are_clear_errors(kwargs: dict[str, object], words: str) -> None:
    graph = compile_source(SMALL).graph
    settings: dict[str, object] = {"lr": 0.1, "steps": 3, **kwargs}
    with pytest.raises(AdxError) as caught:
        Training(graph, {}, **settings)  # type: ignore[arg-type]
    assert words in caught.value.message


def test_the_steps_are_bounded_by_the_descent_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADX_MAX_DESCENT_STEPS", "20")
    graph = compile_source("x^2").graph
    Training(graph, {"x": 1.0}, lr=0.1, steps=20)
    with pytest.raises(AdxError) as caught:
        Training(graph, {"x": 1.0}, lr=0.1, steps=21)
    assert "ADX_MAX_DESCENT_STEPS" in (caught.value.hint or "")


def test_a_loss_must_be_one_number() -> None:
    graph = compile_source("v: vec[2] = [1, 2]\nreturn v^2").graph
    with pytest.raises(AdxError) as caught:
        Training(graph, {}, lr=0.1, steps=3)
    assert "one scalar output" in caught.value.message and "vec[2]" in caught.value.message


def test_a_missing_or_misshapen_value_is_refused_before_any_step() -> None:
    graph = compile_source("W: mat[2,2]\nreturn sum(W)").graph
    with pytest.raises(AdxError, match="no value for input W"):
        Training(graph, {}, lr=0.1, steps=3)
    with pytest.raises(AdxError, match="mat\\[2,2\\]"):
        Training(graph, {"W": np.ones(3)}, lr=0.1, steps=3)


def test_a_loss_not_finite_at_the_start_blames_the_inputs_not_the_learning_rate() -> None:
    graph = compile_source("sqrt(x)").graph
    training = Training(graph, {"x": np.float64(-1.0)}, lr=1e-4, steps=5)
    records = list(training.run())
    assert len(records) == 1 and training.updates == 0
    assert training.diverged == "the loss is nan at the starting values, before any update"
    assert "check the inputs" in diverged_hint(training)
    later = Training(compile_source("x^4").graph, {"x": np.float64(3.0)}, lr=1.0, steps=20)
    list(later.run())
    assert later.diverged is not None and "learning rate" in diverged_hint(later)
    assert "updates with lr" in later.diverged or "update with lr" in later.diverged


def test_a_program_without_inputs_is_refused_before_anything_runs() -> None:
    with pytest.raises(AdxError, match="this program has none"):
        Training(compile_source("3").graph, {}, lr=0.1, steps=3)
