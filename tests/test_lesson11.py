"""Lesson 11 (checking derivatives): its numbers, its broken rules, the player's view of them."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from adexplorer.base.numbers import format_value
from adexplorer.compare.node_check import check_nodes
from adexplorer.core.trace import run
from adexplorer.lessons.answers import compute, prepare
from adexplorer.lessons.checker import check_paths
from adexplorer.lessons.model import Lesson
from adexplorer.lessons.parser import parse_lesson
from adexplorer.tui.lesson_app import session_for_exploration

LESSON = Path(__file__).resolve().parents[1] / "lessons" / "11-checking-derivatives.md"


@pytest.fixture(scope="module")
def lesson() -> Lesson:
    return parse_lesson(LESSON)


def _text() -> str:
    return " ".join(LESSON.read_text(encoding="utf-8").split())


def _number(x: float) -> str:
    return format_value(x).replace("-", "−")


def test_the_lesson_checks_and_comes_after_reverse_mode(lesson: Lesson) -> None:
    lessons, problems = check_paths([LESSON])
    assert not problems and lessons[0].id == "checking-derivatives"
    assert lesson.order == 11 and lesson.prerequisites == ("reverse-mode",)
    assert 4 <= len(lesson.exercises()) <= 6


def test_the_first_program_and_its_broken_product_rule(lesson: Lesson) -> None:
    x, y = 1.5, 0.5
    true_dx = y * math.cos(x * y) + 1 / y
    true_dy = x * math.cos(x * y) - x / y**2
    setup = prepare(lesson.explore_for(0))
    broken = run(setup.graph, setup.values, "reverse").gradient()
    assert float(broken["x"]) == pytest.approx(true_dx, rel=1e-14)  # x's partial is untouched
    assert float(broken["y"]) == pytest.approx(true_dy - x * math.cos(x * y) + y * math.cos(x * y))
    text = _text()
    assert f"0.5·cos(0.75) + 2 = {_number(y * math.cos(x * y))} + 2 = {_number(true_dx)}" in text
    assert f"nothing about {_number(float(broken['y']))} says it is wrong" in text
    assert f"v̄0 = {_number(float(broken['y']))}, not {_number(true_dy)}" in text
    assert f"∂f/∂y = {_number(true_dy)}" in text and f"∂f/∂x = {_number(true_dx)}" in text
    assert compute("true-gradient y", lesson.explore_for(0)) == pytest.approx(true_dy, rel=1e-14)
    assert compute("wrong-inputs", lesson.explore_for(0)) == "only y"
    assert compute("wrong-node", lesson.explore_for(0)) == "v1"
    assert compute("local-partial v1 v0", lesson.explore_for(0)) == x
    assert f"cos(0.75) = {_number(math.cos(0.75))}" in text
    sine = next(
        p
        for p in check_nodes(setup.graph, setup.values).partials
        if setup.graph.nodes[p.node].op == "sin"
    )
    assert format_value(sine.estimate) == format_value(math.cos(0.75))  # the worked FD example


def test_the_second_program_and_its_broken_tanh(lesson: Lesson) -> None:
    explore = lesson.explore_for(len(lesson.steps) - 1)
    setup = prepare(explore)
    z = 0.8 * 1.5 - 0.2
    check = check_nodes(setup.graph, setup.values)
    assert [g.name for g in check.gradient if g.wrong] == ["w", "x", "b"]
    assert compute("wrong-node", explore) == "v3"
    assert setup.graph.nodes[3 + 4].op == "tanh"  # v3 follows the four inputs v-3 … v0
    assert compute("local-partial v3 v2", explore) == pytest.approx(1 - math.tanh(z) ** 2)
    assert f"v3 = tanh(v2) = {format_value(math.tanh(z))}" in _text()
    # at x = 0.25, w·x + b = 0 and the broken rule agrees with the true one
    at_zero = dict(setup.values, x=0.25)
    assert check_nodes(setup.graph, at_zero).ok


def test_the_player_shows_the_broken_sweep(lesson: Lesson) -> None:
    session = session_for_exploration(lesson.explore_for(0))
    assert session.trace is not None
    assert float(session.trace.gradient()["y"]) == pytest.approx(
        compute("gradient y", lesson.explore_for(0))
    )
    assert float(session.trace.gradient()["y"]) != pytest.approx(
        compute("true-gradient y", lesson.explore_for(0))
    )


def test_a_bad_break_or_train_key_fails_the_lesson_check(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_text(
        "---\nid: bad\ntitle: Bad\nsummary: s\norder: 1\n---\n\nIntro.\n\n## One\n\nText.\n\n"
        "```adx-explore\nprogram: sin(x)\nbreak: sn: cos(u)\n```\n\n"
        "## Two\n\nText.\n\n```adx-explore\nprogram: (x - 3)^2\ntrain: y\n```\n",
        encoding="utf-8",
    )
    _, problems = check_paths([path])
    messages = " | ".join(str(p) for p in problems)
    assert "no primitive 'sn'" in messages and "did you mean 'sin'?" in messages
    assert "cannot train 'y'" in messages
    assert len(problems) == 2


def test_a_bad_break_leaves_the_session_as_it_was() -> None:
    from adexplorer.base.errors import AdxError
    from adexplorer.explorer.session import Session

    session = Session.start("sin(x*y) + x/y", {"x": 1.5, "y": 0.5})
    before = session.trace
    with pytest.raises(AdxError):
        session.set_broken_rule("mul c: a")
    assert session.trace is before
    assert session.graph is not None and not session.graph.rules
    session.set_broken_rule("mul b: b")
    assert session.trace is not None and session.trace is not before
    assert float(session.trace.gradient()["y"]) == pytest.approx(-5.634156, rel=1e-6)
