"""Gradient descent that moves only the trained inputs: core, session, lesson key and query."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from adexplorer.base.errors import AdxError
from adexplorer.core.descent import descent_step, evaluate_scalar, trained_inputs
from adexplorer.core.engines.finite_diff import gradient as fd_gradient
from adexplorer.core.trace import run
from adexplorer.explorer.session import Session
from adexplorer.lang.lower import compile_source
from adexplorer.lessons.answers import compute
from adexplorer.lessons.model import Explore
from adexplorer.lessons.parser import LessonFormatError, parse_lesson

NETWORK = (
    "x: vec[2] = [0.5, -1]\nW: mat[2,2] = [[0.3, -0.2], [0.1, 0.4]]\nb: real = 0.2\n"
    "t: real = 1\nout = sum(tanh(W @ x)) + b\nreturn (out - t)^2"
)


def test_only_the_trained_inputs_move_and_by_minus_eta_times_the_gradient() -> None:
    graph = compile_source(NETWORK).graph
    values = dict(graph.defaults)
    eta = 0.05
    before, moved = descent_step(graph, values, eta, ("W", "b"))
    assert moved["x"] is values["x"] and moved["t"] is values["t"]  # untouched, not copied
    reverse = run(graph, values, "reverse").gradient()
    central = fd_gradient(graph, values, 1e-6)
    for name in ("W", "b"):
        # exactly the reverse-mode step, and that gradient agrees with central differences
        np.testing.assert_array_equal(moved[name], np.asarray(values[name]) - eta * reverse[name])
        np.testing.assert_allclose(reverse[name], central[name], rtol=1e-6, atol=1e-9)
    assert before == pytest.approx(evaluate_scalar(graph, values))


def test_no_names_trains_every_input() -> None:
    graph = compile_source("(x - 3)^2 + y^2").graph
    _, moved = descent_step(graph, {"x": 0.0, "y": 1.0}, 0.25)
    assert moved == {"x": pytest.approx(1.5), "y": pytest.approx(0.5)}  # -η·(-6), -η·2
    assert trained_inputs(graph, ()) == ("x", "y")
    assert trained_inputs(graph, ("y", "x")) == ("x", "y")  # in the program's order


def test_an_unknown_name_is_an_error_with_a_suggestion() -> None:
    graph = compile_source(NETWORK).graph
    with pytest.raises(AdxError) as caught:
        descent_step(graph, dict(graph.defaults), 0.1, ("W", "bb"))
    assert "'bb'" in caught.value.message
    assert "did you mean 'b'?" in (caught.value.hint or "")
    assert "x, W, b, t" in (caught.value.hint or "")


def test_the_session_trains_what_it_is_told_and_says_so() -> None:
    session = Session.start(NETWORK, {})
    start = dict(session.values)
    session.eta = 0.05
    session.set_trained(["W", "b"])
    assert session.descent_rule == "one step w ← w − η·∂f/∂w for W, b (x, t stay fixed)"
    first = session.descend()
    assert first.iteration == 1 and first.value < session.history[0].value
    assert session.values["x"] is start["x"] and session.values["t"] is start["t"]
    assert not np.array_equal(session.values["W"], start["W"])
    with pytest.raises(AdxError):
        session.set_trained(["w"])  # W is spelt with a capital: nothing changes
    assert session.trained == ("W", "b")
    session.set_trained([])
    assert session.descent_rule == "one step x ← x − η·∇f"


def test_the_lesson_query_trains_the_explore_keys_inputs() -> None:
    trained = Explore(line=1, program=NETWORK, eta=0.05, train=("W", "b"))
    everything = Explore(line=1, program=NETWORK, eta=0.05)
    graph = compile_source(NETWORK).graph
    values = dict(graph.defaults)
    for _ in range(3):
        _, values = descent_step(graph, values, 0.05, ("W", "b"))
    assert compute("descent 3", trained) == pytest.approx(evaluate_scalar(graph, values), rel=1e-14)
    assert compute("descent 3", trained) != pytest.approx(compute("descent 3", everything))


def test_the_lesson_query_names_a_misspelt_train_input() -> None:
    with pytest.raises(AdxError, match="cannot train 'B'"):
        compute("descent 1", Explore(line=1, program=NETWORK, train=("B",)))


def _lesson(tmp_path: Path, explore_lines: str) -> Path:
    path = tmp_path / "l.md"
    path.write_text(
        "---\nid: t\ntitle: T\nsummary: s\norder: 1\n---\n\nIntro.\n\n## Step\n\nText.\n\n"
        f"```adx-explore\nprogram: (x - 3)^2 + y^2\n{explore_lines}\n```\n",
        encoding="utf-8",
    )
    return path


def test_the_train_key_is_read_from_a_lesson(tmp_path: Path) -> None:
    lesson = parse_lesson(_lesson(tmp_path, "train: x\npane: descent"))
    explore = lesson.steps[0].explore
    assert explore is not None and explore.train == ("x",)


def test_a_train_key_that_is_not_a_list_of_names_is_reported(tmp_path: Path) -> None:
    with pytest.raises(LessonFormatError, match="train takes input names"):
        parse_lesson(_lesson(tmp_path, "train: x; y"))
