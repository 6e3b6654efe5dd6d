"""What an open exercise hides (adexplorer.lessons.concealment), and how the explorer's
session shows it: ``?`` in the trace cells, the formula bar and the result line, only
for the sweep and the program the exercise is about."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from adexplorer.explorer.session import CONCEALED, CONCEALED_TEXT, Session
from adexplorer.lessons import answers
from adexplorer.lessons.concealment import Hidden, hidden_for, hidden_for_all, sweep_key
from adexplorer.lessons.model import Exercise, Explore
from adexplorer.lessons.parser import parse_lesson

PROGRAM = "ln(x1) + x1*x2 - sin(x2)"
EXPLORE = Explore(line=1, program=PROGRAM, at="x1=2, x2=5", mode="forward", seed="x1")


def exercise(query: str, kind: str = "number") -> Exercise:
    return Exercise(line=1, id="q", kind=kind, question="?", query=query)


def session(mode: str, seed: str = "x1") -> Session:
    s = Session.start(PROGRAM, {"x1": 2.0, "x2": 5.0})
    s.set_mode(mode)
    if mode != "reverse":
        s.set_seed(seed)
    return s


def index(s: Session, label: str) -> int:
    assert s.graph is not None
    return s.graph.labels("griewank").index(label)


def conceal(s: Session, query: str, kind: str = "number") -> Session:
    s.concealed = hidden_for(exercise(query, kind), EXPLORE)
    return s


def test_a_tangent_is_hidden_for_its_seed_only() -> None:
    s = conceal(session("forward"), "tangent v2")
    s.to_end()
    v2 = index(s, "v2")
    state = s.node_state()
    assert state[v2][1] is CONCEALED
    assert state[v2][0] is not CONCEALED and float(state[v2][0]) == 10.0  # the value is not asked
    assert all(d is not CONCEALED for k, (_, d) in enumerate(state) if k != v2)
    s.set_seed("x2")  # another seed gives other numbers, not the answer
    assert s.node_state()[v2][1] == 2.0
    s.set_seed("x1")
    s.set_mode("dual")  # dual numbers are the same forward sweep
    s.to_end()
    assert s.node_state()[v2][1] is CONCEALED
    s.set_mode("reverse")
    s.to_end()
    assert all(d is not CONCEALED for _, d in s.node_state())


def test_the_formula_bar_hides_the_numbers_of_the_step_that_computes_or_uses_it() -> None:
    s = conceal(session("forward"), "tangent v2")
    shown: dict[str, list[str]] = {}
    while not s.at_end:
        s.step(1)
        frame = s.current
        assert frame is not None
        shown[s.graph.labels()[frame.node]] = [f.text() for f in s.formula()]  # type: ignore[union-attr]
    primal, tangent = shown["v2"]
    assert primal.endswith("= 10") and tangent.endswith(f"= {CONCEALED_TEXT}")
    assert "5" not in tangent  # the rule is shown, not its numbers: v̇2 = v̇-1·v0 + v-1·v̇0 = ?
    assert shown["v4"][1].endswith(f"= {CONCEALED_TEXT}")  # v̇4 = v̇1 + v̇2 would give v̇2 away
    assert not shown["v1"][1].endswith(CONCEALED_TEXT)  # v̇1 = v̇-1/v-1 = 0.5 is not asked
    assert shown["v1"][1].endswith("0.5")


def test_the_output_tangent_hides_the_directional_derivative_at_the_end() -> None:
    s = conceal(session("forward"), "directional")
    s.to_end()
    assert s.result_lines() == [
        "f = 11.6521",
        f"directional derivative (seed x1) = {CONCEALED_TEXT}",
    ]
    s.concealed = None
    assert s.result_lines()[1] == "directional derivative (seed x1) = 5.5"


def test_a_gradient_entry_is_hidden_in_reverse_mode_and_when_seeded_with_that_input() -> None:
    s = conceal(session("reverse"), "gradient x2")
    s.to_end()
    lines = s.result_lines()
    want_x1 = 1 / 2 + 5
    assert lines[1] == f"∂f/∂x1 = {want_x1:g}"
    assert lines[2] == f"∂f/∂x2 = {CONCEALED_TEXT}"
    x2 = index(s, "v0")
    assert s.node_state()[x2][1] is CONCEALED
    forward = conceal(session("forward", seed="x2"), "gradient x2")
    forward.to_end()
    assert forward.result_lines()[1].endswith(CONCEALED_TEXT)
    assert forward.node_state()[index(forward, "v5")][1] is CONCEALED
    other = conceal(session("forward", seed="x1"), "gradient x2")
    other.to_end()
    assert other.result_lines()[1] == "directional derivative (seed x1) = 5.5"


def test_an_adjoint_is_hidden_while_it_grows_and_where_it_is_used() -> None:
    s = conceal(session("reverse"), "adjoint v-1")  # x1's adjoint is ∂f/∂x1
    v_1 = index(s, "v-1")
    while not s.at_end:
        s.step(1)
        derivative = s.node_state()[v_1][1]
        assert derivative is None or derivative is CONCEALED
        frame = s.current
        assert frame is not None
        if frame.kind == "adjoint" and frame.node == v_1:
            assert s.formula()[0].text().endswith(CONCEALED_TEXT)
    assert s.result_lines()[1] == f"∂f/∂x1 = {CONCEALED_TEXT}"
    assert s.result_lines()[2] == f"∂f/∂x2 = {format(2 - math.cos(5), '.6g')}"


def test_value_primal_and_contributions() -> None:
    s = conceal(session("reverse"), "value")
    s.to_end()
    out = index(s, "v5")
    assert s.node_state()[out][0] is CONCEALED
    assert s.result_lines()[0] == f"f = {CONCEALED_TEXT}"
    s = conceal(session("reverse"), "primal v3")
    s.to_end()
    assert s.node_state()[index(s, "v3")][0] is CONCEALED
    assert s.result_lines()[0] == "f = 11.6521"  # v3 is not the output
    s = conceal(session("reverse"), "contributions v0")
    fan_ins = []
    while not s.at_end:
        s.step(1)
        frame = s.current
        assert frame is not None
        if frame.kind == "adjoint" and frame.node == index(s, "v0"):
            fan_ins.append(s.fan_in(frame))
    assert fan_ins == [(0, 0), (0, 0)]  # two contributions, but the count is the question
    s.concealed = None
    assert s.current is not None


def test_an_edited_program_hides_nothing() -> None:
    s = conceal(session("forward"), "directional")
    s.set_source("x1*x2")
    s.to_end()
    assert CONCEALED_TEXT not in " ".join(s.result_lines())
    s.set_source(PROGRAM)  # typed back: the exercise's program again
    s.to_end()
    assert s.result_lines()[1].endswith(CONCEALED_TEXT)


@pytest.mark.parametrize(
    "query",
    ["operations", "sweeps forward", "cost reverse_ratio", "fd-evals central", "no-such-query"],
)
def test_what_the_explorer_does_not_show_as_such_hides_nothing(query: str) -> None:
    hidden = hidden_for(exercise(query), EXPLORE)
    assert hidden is not None and not hidden


def test_formula_exercises_and_steps_without_an_exploration() -> None:
    hidden = hidden_for(exercise("gradient x1", kind="formula"), EXPLORE)
    assert hidden is not None and not hidden  # a value at one point is not the formula
    assert hidden_for(exercise("gradient x1"), None) is None
    assert hidden_for_all([exercise("value")], None) is None


def test_open_exercises_join_and_programs_do_not_mix() -> None:
    joined = hidden_for_all([exercise("value"), exercise("tangent v1")], EXPLORE)
    assert joined is not None
    assert joined.values and joined.derivatives and joined.results
    with pytest.raises(ValueError):
        _ = joined | Hidden("x*x")


def test_a_sweep_is_named_by_its_direction_however_it_is_written() -> None:
    assert sweep_key("reverse", None) == "reverse"
    assert sweep_key("forward", {"x1": 1.0}) == sweep_key("dual", {"x1": 1.0, "x2": 0.0})
    assert sweep_key("forward", {"x1": 1.0}) != sweep_key("forward", {"x2": 1.0})


def test_the_newer_kinds_hide_what_they_ask_and_no_more() -> None:
    lesson = parse_lesson(Path(__file__).parent / "data" / "exercise-kinds.md")
    hidden = {
        ex.id: hidden_for(ex, lesson.explore_for(k))
        for k, step in enumerate(lesson.steps)
        for ex in step.exercises
    }
    first = lesson.explore_for(0)
    assert first is not None
    graph = answers.prepare(first).graph
    v_1 = graph.labels().index("v-1")
    for exercise_id in ("first-term", "total-after-two"):  # a running total, one term
        entry = hidden[exercise_id]
        assert entry is not None and ("reverse", v_1) in entry.derivatives
    for exercise_id in ("sweep-order", "seed-for-x2", "product-tangent", "sin-adjoint"):
        entry = hidden[exercise_id]
        assert entry is not None and not entry, exercise_id  # found by stepping and trying

    second = lesson.explore_for(len(lesson.steps) - 1)
    assert second is not None
    s = Session.start(second.program)
    s.set_mode("forward")
    s.set_seed("x")
    s.concealed = hidden["column-x"]
    s.to_end()
    assert s.graph is not None
    for out in s.graph.outputs:
        assert s.node_state()[out][1] is CONCEALED
    s.set_seed("y")  # another column: shown
    assert all(s.node_state()[out][1] is not CONCEALED for out in s.graph.outputs)
    s.set_mode("reverse")
    s.concealed = hidden["row-b"]
    s.to_end()
    state = s.node_state()
    assert all(state[i][1] is CONCEALED for i in s.graph.inputs)  # the row's entries
    assert all(state[out][1] is not CONCEALED for out in s.graph.outputs)


def test_the_running_total_and_dual_arithmetic_hide_what_is_asked() -> None:
    """The reverse bar's running total (v̄0 = … + … = …) and the dual-number bar show the
    same numbers as the cells: while they are asked they are hidden there too."""
    explore = Explore(line=1, program=PROGRAM, at="x1=2, x2=5", mode="reverse")
    s = session("reverse")
    s.concealed = hidden_for(exercise("adjoint-after v0 1"), explore)
    v0 = index(s, "v0")
    adjoint_frames = [
        (k, f) for k, f in enumerate(s.frames) if f.kind == "adjoint" and f.node == v0
    ]
    assert adjoint_frames
    for _, frame in adjoint_frames:
        assert s.running_total(frame) is None
    s.concealed = None
    assert all(s.running_total(f) is not None for _, f in adjoint_frames)

    s = conceal(session("dual"), "tangent v2")
    v2 = index(s, "v2")
    frame = next(f for f in s.frames if f.kind == "forward" and f.node == v2)
    assert s.dual_formula(frame).numbers == CONCEALED_TEXT
    s.concealed = None
    assert "10 + 5ε" in s.dual_formula(frame).result + s.dual_formula(frame).numbers
