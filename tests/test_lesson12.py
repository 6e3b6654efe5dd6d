"""Lesson 12 (control flow): its numbers against hand formulas, its queries, the block form.

The piecewise f is −x, x² or 2 − x; the loop squares three times (x⁸); Horner's
rule evaluates 4x³ + 3x² + 2x + 1.  Every number the prose states is computed
here from those formulas, and the engine's answers are compared with them.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from adexplorer.base.errors import AdxError
from adexplorer.base.numbers import format_value
from adexplorer.core.trace import run
from adexplorer.lessons.answers import check, compute, prepare
from adexplorer.lessons.checker import check_paths
from adexplorer.lessons.model import Explore, Lesson
from adexplorer.lessons.parser import LessonFormatError, parse_lesson

LESSON = Path(__file__).resolve().parents[1] / "lessons" / "12-control-flow.md"


@pytest.fixture(scope="module")
def lesson() -> Lesson:
    return parse_lesson(LESSON)


def _text() -> str:
    return " ".join(LESSON.read_text(encoding="utf-8").split())


def _piecewise(x: float) -> float:
    return -x if x < 0 else x * x if x < 1 else 2 - x


def test_the_lesson_checks_and_follows_implementation(lesson: Lesson) -> None:
    lessons, problems = check_paths([LESSON])
    assert not problems and lessons[0].id == "control-flow"
    assert lesson.order == 12 and lesson.prerequisites == ("implementation",)
    assert 5 <= len(lesson.exercises()) <= 8
    words = sum(len(step.prose.split()) for step in lesson.steps) + len(lesson.intro.split())
    assert 700 <= words <= 1100


def test_every_program_is_a_block_of_lines(lesson: Lesson) -> None:
    for index in range(len(lesson.steps)):
        program = lesson.explore_for(index).program
        assert "\n    " in program and not program.startswith(" ")  # dedented, body indented


def test_the_tape_at_each_point_holds_the_branch_taken(lesson: Lesson) -> None:
    for step, x, taken, slope in ((0, 0.5, "elif", 2 * 0.5), (1, 1.5, "else", -1.0)):
        explore = lesson.explore_for(step)
        setup = prepare(explore)
        assert compute("branch 2", explore) == taken
        assert compute("value", explore) == _piecewise(x)
        assert compute("gradient x", explore) == slope
        assert compute("operations", explore) == 1.0  # one arm, one operation
        trace = run(setup.graph, setup.values, "evaluate")
        assert [setup.graph.nodes[k].line for k in setup.graph.op_nodes] == (
            [5] if taken == "elif" else [7]
        )
        assert not trace.warnings
    text = _text()
    assert "v1 = v0·v0 = 0.25, from line 5" in text and "ends at 1" in text
    # the second step's prose leaves its exercises open: no branch, no slope given away
    second = lesson.steps[1].prose
    assert "else" not in second and "−1" not in second and "0.5," not in second
    assert "`x < 1 (line 4) is true, so the elif branch runs`" in text


def test_the_tie_warns_and_the_differences_disagree(lesson: Lesson) -> None:
    explore = lesson.explore_for(2)
    assert explore.at == "x=1"
    setup = prepare(explore)
    trace = run(setup.graph, setup.values, "reverse")
    assert any("boundary" in w and "x < 1" in w for w in trace.warnings)
    assert compute("branch 2", explore) == "else" and compute("gradient x", explore) == -1.0
    h = 1e-6
    forward = (_piecewise(1 + h) - _piecewise(1)) / h
    backward = (_piecewise(1) - _piecewise(1 - h)) / h
    central = (_piecewise(1 + h) - _piecewise(1 - h)) / (2 * h)
    for scheme, want in (("forward", forward), ("backward", backward), ("central", central)):
        assert compute(f"fd-estimate {scheme} 1e-6", explore) == pytest.approx(want, rel=1e-9)
    assert round(forward, 6) == -1 and round(backward, 5) == 2 and round(central, 6) == 0.5
    text = _text()
    # the FD pane shows |estimate − AD| with AD = -1: about 0 forward, 3 backward
    flat = " ".join(text.split())
    assert "is off by almost nothing" in flat and "and is off by 3" in flat
    assert round(abs(forward - (-1.0)), 6) == 0 and round(abs(backward - (-1.0)), 5) == 3
    assert "the comparison `x < 1` on line 4 (the `elif`)" in flat
    assert "0.5" not in lesson.steps[2].prose and "else" not in lesson.steps[2].prose


def test_the_loop_is_unrolled(lesson: Lesson) -> None:
    explore = lesson.explore_for(3)
    x = 1.1
    setup = prepare(explore)
    values = run(setup.graph, setup.values, "evaluate").values
    squares = [x**2, x**4, x**8]
    assert [float(values[k]) for k in setup.graph.op_nodes] == pytest.approx(squares, rel=1e-15)
    assert [setup.graph.nodes[k].context for k in setup.graph.op_nodes] == [
        (("i", 0),),
        (("i", 1),),
        (("i", 2),),
    ]
    assert compute("iterations 3", explore) == 3.0
    assert compute("gradient x", explore) == pytest.approx(8 * x**7, rel=1e-14)
    assert compute("adjoint v2", explore) == pytest.approx(2 * x**4, rel=1e-15)
    assert f"2·1.4641 = {format_value(2 * x**4)}" in lesson.steps[3].exercises[1].explain
    text = _text()
    numbers = ", ".join(format_value(v) for v in squares[:2]) + f" and {format_value(squares[2])}"
    assert f"they give {numbers}" in text
    assert f"8·1.1⁷ = {format_value(8 * x**7)}" in text


def test_horner(lesson: Lesson) -> None:
    explore = lesson.explore_for(4)
    x = 0.5
    assert compute("value", explore) == 4 * x**3 + 3 * x**2 + 2 * x + 1 == 3.25
    assert compute("gradient x", explore) == 12 * x**2 + 6 * x + 2 == 8
    assert compute("iterations 3", explore) == 4.0
    assert compute("operations", explore) == 8.0  # a product and a sum per iteration
    assert compute("contributions v0", explore) == 4.0
    assert "the value is 3.25 and the derivative 12x² + 6x + 2 = 8" in _text()


def test_slips_of_the_new_queries(lesson: Lesson) -> None:
    by_id = {
        e.id: (e, lesson.explore_for(i)) for i, s in enumerate(lesson.steps) for e in s.exercises
    }
    loop, loop_explore = by_id["loop-count"]
    assert check(loop, loop_explore, "2").slip == "off-by-one"
    assert check(loop, loop_explore, "4").slip == "off-by-one"
    ops, ops_explore = by_id["horner-operations"]
    assert check(ops, ops_explore, "2").slip == "unrolled"  # the body counted once
    kink, kink_explore = by_id["central-at-kink"]
    feedback = check(kink, kink_explore, "2.00")
    assert feedback.slip == "scheme" and "backward" in feedback.message
    assert check(kink, kink_explore, "0.500").correct
    tie, tie_explore = by_id["branch-at-tie"]
    assert "strict" in check(tie, tie_explore, "b").message


def _explore(program: str, at: str = "") -> Explore:
    return Explore(line=1, program=program, at=at)


LOOP_IN_IF = "x: real = 2\ns = 0\nif x > 1:\n    for i in range(5):\n        s = s + x\nreturn s"


def test_branch_and_iterations_name_lines_that_run() -> None:
    assert compute("iterations 4", _explore(LOOP_IN_IF)) == 5.0
    assert compute("branch 3", _explore(LOOP_IN_IF)) == "if"
    assert compute("branch 3", _explore(LOOP_IN_IF, "x=0")) == "none"  # no else
    with pytest.raises(AdxError, match=r"no for on line 4 .* reaches no for"):
        compute("iterations 4", _explore(LOOP_IN_IF, "x=0"))  # the loop is not reached
    with pytest.raises(AdxError, match=r"no if on line 2 .* line\(s\) 3"):
        compute("branch 2", _explore(LOOP_IN_IF))
    with pytest.raises(AdxError, match="LINE as a whole number"):
        compute("branch two", _explore(LOOP_IN_IF))
    with pytest.raises(AdxError, match="H as a positive number"):
        compute("fd-estimate central -1", _explore("x^2"))


def test_queries_see_the_tape_at_the_point_not_at_the_defaults() -> None:
    program = "x: real = 5\nif x > 0:\n    y = sin(x)*x\nelse:\n    y = x\nreturn y"
    assert compute("operations", _explore(program)) == 2.0
    assert compute("operations", _explore(program, "x=-1")) == 0.0
    assert compute("gradient x", _explore(program, "x=-1")) == 1.0
    assert compute("gradient x", _explore(program, "x=2")) == pytest.approx(
        math.cos(2) * 2 + math.sin(2)
    )


def _lesson_with(program_lines: str, tmp_path: Path) -> Path:
    path = tmp_path / "block.md"
    path.write_text(
        "---\nid: b\ntitle: B\n---\n\n## s\n\n```adx-explore\n"
        + program_lines
        + "at: x=3\n```\n\n```adx-exercise\nid: v\nkind: number\nquestion: f?\nfrom: value\n```\n",
        encoding="utf-8",
    )
    return path


def test_a_program_block_is_dedented_and_ends_at_the_next_key(tmp_path: Path) -> None:
    block = (
        "program: |\n"
        "    x: real = 1   # a comment; not two statements\n"
        "\n"
        "    for i in range(2):\n"
        "        x2 = x*x\n"
        "    return x2 + x\n"
    )
    lesson = parse_lesson(_lesson_with(block, tmp_path))
    explore = lesson.steps[0].explore
    assert explore is not None
    assert explore.program == (
        "x: real = 1   # a comment; not two statements\n\n"
        "for i in range(2):\n    x2 = x*x\nreturn x2 + x"
    )
    assert explore.at == "x=3"
    assert compute("value", explore) == 12.0


def test_an_empty_program_block_is_reported_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(LessonFormatError) as caught:
        parse_lesson(_lesson_with("program: |\n", tmp_path))
    assert "block.md:9: 'program: |' must be followed by the program's lines" in str(caught.value)


def test_the_one_line_form_still_splits_at_semicolons(tmp_path: Path) -> None:
    lesson = parse_lesson(_lesson_with("program: x: real = 1; y = x*x; return y\n", tmp_path))
    explore = lesson.steps[0].explore
    assert explore is not None and explore.program == "x: real = 1\n y = x*x\n return y"
    assert compute("value", explore) == 9.0
