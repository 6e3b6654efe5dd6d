"""What an open exercise hides (adexplorer.lessons.concealment), and how the explorer's
session shows it: ``?`` in the trace cells, the formula bar and the result line, only
for the sweep and the program the exercise is about."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
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


# -- the newer kinds: H·u, H, J·u, ȳᵀJ, the vector sweep (issue 15) --------------------


def second_session(mode: str, seed: str = "", program: str = PROGRAM) -> tuple[Session, Explore]:
    """The explorer as the lesson player sets it up for a step in ``mode``."""
    from adexplorer.tui.lesson_app import session_for_exploration

    explore = Explore(line=1, program=program, at="x1=2, x2=5", mode=mode, seed=seed)
    return session_for_exploration(explore), explore


def shown_texts(s: Session) -> str:
    """Everything the session gives the screen: the Hessian panel, every step's formulas
    and running totals, the trace cells, the result lines."""
    from adexplorer.tui.widgets.hessian_panel import hessian_text

    parts: list[str] = []
    s.to_start()
    for _ in range(len(s.frames)):
        s.step(1)
        frame = s.current
        assert frame is not None
        parts += [f.text() for f in s.formula(frame)]
        parts.append(repr(s.running_total(frame)))
        if s.second is not None:
            parts.append(hessian_text(s, 120).plain)
            parts.append(repr(s.nested_running_totals(frame)))
            parts += [repr(cell) for cell in s.nested_state()]
        else:
            parts += [repr(cell) for cell in s.node_state()]
    parts += s.result_lines()
    return "\n".join(parts)


def numbers(values: object) -> list[str]:
    from adexplorer.base.numbers import format_scalar

    return [format_scalar(float(v), 6) for v in np.ravel(np.asarray(values, dtype=float))]


H = np.array([[-0.25, 1.0], [1.0, math.sin(5.0)]])  # ∂² of the program at (2, 5), by hand


def test_hvp_entries_are_hidden_in_the_panel_the_cells_and_the_result_line() -> None:
    s, explore = second_session("hvp", "x1=1, x2=-1")
    product = H @ np.array([1.0, -1.0])  # [-1.25, 1 - sin 5]
    assert s.second is not None
    np.testing.assert_allclose(np.array(list(s.second.hvp().values()), dtype=float), product)
    open_texts = shown_texts(s)  # nothing hidden: the answer is on screen
    assert all(text in open_texts for text in numbers(product))
    s.concealed = hidden_for(exercise("hvp-vector", "vector"), explore)
    hidden = shown_texts(s)
    assert not any(text in hidden for text in numbers(product))
    assert "H·u (u: x1=1, x2=-1) = x1: ?   x2: ?" in s.result_lines()[-1]
    assert "? hidden until answered" in hidden and s.conceals
    s.concealed = hidden_for_all([], explore)  # answered: nothing open hides it
    assert all(text in shown_texts(s) for text in numbers(product))


def test_one_entry_of_hvp_hides_that_entry_only() -> None:
    s, explore = second_session("hvp", "x1=1, x2=-1")
    s.concealed = hidden_for(exercise("hvp x2"), explore)
    s.to_end()
    (column,) = s.hessian_known()
    assert column[0] == pytest.approx(-1.25) and column[1] is CONCEALED
    x1, x2 = index(s, "v-1"), index(s, "v0")
    state = s.nested_state()
    assert state[x2].adjoint_dot is CONCEALED and float(state[x1].adjoint_dot) == -1.25
    assert state[x2].adjoint is not CONCEALED  # v̄ is the gradient, not asked


def test_hessian_entries_and_rows_are_hidden_and_a_unit_hvp_is_a_row() -> None:
    s, explore = second_session("hessian")
    s.concealed = hidden_for(exercise("hessian x1 x2"), explore)
    s.to_end()
    known = s.hessian_known()
    assert known[0][1] is CONCEALED and known[1][0] is CONCEALED
    assert known[0][0] == -0.25 and known[1][1] == pytest.approx(math.sin(5.0))
    assert s.result_lines()[-1] == "H = ?"
    # H·u along x2 is H's second column: it holds H[x1,x2] as its x1 entry
    s.apply_seed_prompt("x2")
    s.to_end()
    (column,) = s.hessian_known()
    assert column[0] is CONCEALED and column[1] == pytest.approx(math.sin(5.0))
    assert s.result_lines()[-1] == f"H·u (u: x2) = x1: ?   x2: {numbers(math.sin(5.0))[0]}"
    s.concealed = hidden_for(exercise("hessian-row x2", "vector"), explore)
    s.apply_seed_prompt("")  # the whole Hessian again
    s.to_end()
    assert [[v is CONCEALED for v in col] for col in s.hessian_known()] == [
        [False, True],
        [True, True],
    ]
    s.concealed = None
    assert s.hessian_known() == [[-0.25, 1.0], [1.0, pytest.approx(math.sin(5.0))]]


def test_hvp_along_a_unit_direction_hides_that_row_of_the_hessian() -> None:
    s, explore = second_session("hvp", "x1")
    s.concealed = hidden_for(exercise("hvp-vector", "vector"), explore)
    s.apply_seed_prompt("")  # the whole Hessian: its first row is H·e_x1
    s.to_end()
    assert [[v is CONCEALED for v in col] for col in s.hessian_known()] == [
        [True, True],
        [True, False],
    ]


def test_an_inputs_nested_adjoint_dot_hides_its_hvp_entry_in_the_panel() -> None:
    s, explore = second_session("hvp", "x2")
    s.concealed = hidden_for(exercise("adjoint-dot v-1"), explore)
    s.to_end()
    (column,) = s.hessian_known()
    assert column[0] is CONCEALED and column[1] == pytest.approx(math.sin(5.0))
    assert "x1: ?" in s.result_lines()[-1]


def test_a_vector_tangent_is_hidden_in_the_vector_sweep_and_its_seeded_sweep() -> None:
    s, explore = second_session("vector")
    assert s.vector
    s.concealed = hidden_for(exercise("vector-tangent v5 x2"), explore)
    s.to_end()
    v5 = index(s, "v5")
    state = s.node_state()
    assert state[v5][1] is CONCEALED
    assert all(d is not CONCEALED for k, (_, d) in enumerate(state) if k != v5)
    gradient = run_gradient()
    hidden = shown_texts(s)
    assert numbers(gradient[1])[0] not in hidden  # ∂f/∂x2 = 1.71634
    assert "∂f/∂x2 = ?" in s.result_lines()[-1]
    s.set_mode("forward")
    s.set_seed("x2")  # the scalar sweep seeded with x2 gives the same number
    s.to_end()
    assert s.node_state()[v5][1] is CONCEALED
    s.concealed = None
    s.toggle_vector()
    assert numbers(gradient[1])[0] in shown_texts(s)


def run_gradient() -> np.ndarray:
    from adexplorer.core.trace import run
    from adexplorer.lang.lower import compile_source

    trace = run(compile_source(PROGRAM).graph, {"x1": 2.0, "x2": 5.0}, "reverse")
    return np.array([float(v) for v in trace.gradient().values()])


def test_jvp_is_hidden_for_the_steps_direction_only() -> None:
    s, explore = second_session("forward", "x1=1, x2=0.5")
    s.concealed = hidden_for(exercise("jvp-vector", "vector"), explore)
    jvp = float(run_gradient() @ np.array([1.0, 0.5]))
    hidden = shown_texts(s)
    assert numbers(jvp)[0] not in hidden
    assert "directional derivative (seed x1=1, x2=0.5) = ?" in s.result_lines()
    s.set_seed("x1=1,x2=1")  # another direction: other numbers
    assert numbers(float(run_gradient().sum()))[0] in shown_texts(s)


POLAR = "x = r*cos(t)\ny = r*sin(t)\nreturn x, y"


def test_a_vjp_is_hidden_for_the_steps_cotangent_only() -> None:
    from adexplorer.tui.lesson_app import session_for_exploration

    explore = Explore(line=1, program=POLAR, at="r=2, t=0.5", mode="reverse", seed="x=1, y=-2")
    s = session_for_exploration(explore)
    s.concealed = hidden_for(exercise("vjp t"), explore)
    # ȳᵀJ for t: x̄·∂x/∂t + ȳ·∂y/∂t = 1·(-2 sin .5) - 2·(2 cos .5)
    answer = -2 * math.sin(0.5) - 4 * math.cos(0.5)
    assert s.trace is not None and float(s.trace.vjp()["t"]) == pytest.approx(answer)
    hidden = shown_texts(s)
    assert numbers(answer)[0] not in hidden and "t: ?" in s.result_lines()[-1]
    assert numbers(float(s.trace.vjp()["r"]))[0] in hidden  # r's entry is not asked
    s.set_cotangent("x=1")  # another cotangent: another sweep
    assert "t: ?" not in s.result_lines()[-1]
    s.set_cotangent("x=1, y=-2")
    s.concealed = hidden_for_all([], explore)  # answered
    assert numbers(answer)[0] in shown_texts(s)


def test_a_term_of_an_inputs_v_dot_hides_its_hvp_entry_only_if_it_is_the_only_term() -> None:
    """Along x2, v0 (x2) gets two contributions (from x1·x2 and from sin x2): its first
    term is not (H·u)[x2], its running total after the second is."""
    s, explore = second_session("hvp", "x2")
    s.concealed = hidden_for(exercise("adjoint-dot-term v0 1"), explore)
    s.to_end()
    (column,) = s.hessian_known()
    assert column[1] == pytest.approx(math.sin(5.0)) and column[0] == 1.0
    s.concealed = hidden_for(exercise("adjoint-dot-after v0 2"), explore)
    (column,) = s.hessian_known()
    assert column[1] is CONCEALED and column[0] == 1.0
