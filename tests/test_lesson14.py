"""Lesson 14 (source transformation): the generated code it describes, imported and run.

The reverse and forward modules ``adx codegen`` writes for the lesson's programs
are written to a temporary directory and imported; their values and derivatives
are compared with hand formulas and the lesson's numbers, and the lines the
exercises ask about are found in the text itself (not through the line map the
queries use).
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import ModuleType

import pytest

from adexplorer.base.errors import AdxError
from adexplorer.base.numbers import format_value
from adexplorer.codegen import generate
from adexplorer.core.trace import run
from adexplorer.lessons.answers import check, compute, prepare
from adexplorer.lessons.checker import check_paths
from adexplorer.lessons.model import Explore, Lesson
from adexplorer.lessons.parser import parse_lesson

LESSON = Path(__file__).resolve().parents[1] / "lessons" / "14-source-transformation.md"


@pytest.fixture(scope="module")
def lesson() -> Lesson:
    return parse_lesson(LESSON)


def _text() -> str:
    return " ".join(LESSON.read_text(encoding="utf-8").split())


def _module(explore: Explore, mode: str, tmp_path: Path) -> tuple[ModuleType, str]:
    code = generate(prepare(explore).graph, mode)
    path = tmp_path / f"generated_{mode}_{abs(hash(explore.program))}.py"
    path.write_text(code.text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, code.text


def test_the_lesson_checks_and_follows_memory(lesson: Lesson) -> None:
    lessons, problems = check_paths([LESSON])
    assert not problems and lessons[0].id == "source-transformation"
    assert lesson.order == 14 and lesson.prerequisites == ("memory-and-checkpointing",)
    assert 5 <= len(lesson.exercises()) <= 8
    words = sum(len(step.prose.split()) for step in lesson.steps) + len(lesson.intro.split())
    assert 700 <= words <= 1100


def test_the_reverse_code_of_the_straight_line_program(lesson: Lesson, tmp_path: Path) -> None:
    explore = lesson.explore_for(0)
    module, text = _module(explore, "reverse", tmp_path)
    value, (x_bar, y_bar) = module.f_vjp(1.0, 2.0)
    assert value == pytest.approx(2 + math.sin(1), rel=1e-15)
    assert x_bar == pytest.approx(2 + math.cos(1), rel=1e-15) and y_bar == 1.0
    lines = [line.strip() for line in text.splitlines()]
    x_lines = [k for k, line in enumerate(lines, start=1) if line.startswith("v_1_bar +=")]
    assert [lines[k - 1] for k in x_lines] == [
        "v_1_bar += v2_bar * np.cos(v_1)",
        "v_1_bar += v1_bar * v0",
    ]
    assert compute("codegen-line v-1 2", explore) == x_lines[1]
    assert compute("codegen-statement v-1 2", explore) == "v_1_bar += v1_bar * v0"
    assert (
        compute("codegen-count reverse adjoint", explore) == sum(" += " in ln for ln in lines) == 5
    )
    assert compute("adjoint-term v-1 1", explore) == pytest.approx(math.cos(1), rel=1e-15)
    prose = _text()
    assert (
        f"v2 = sin x = {format_value(math.sin(1))}, v3 = v1 + v2 = {format_value(2 + math.sin(1))}"
        in prose
    )
    assert f"x̄ = cos 1 + 2 = {format_value(2 + math.cos(1), 5)}" in prose
    for statement in ("v_1_bar += v2_bar * np.cos(v_1)", "v_1_bar += v1_bar * v0"):
        assert statement not in lesson.steps[0].prose  # the exercise asks for it


def test_the_forward_code(lesson: Lesson, tmp_path: Path) -> None:
    explore = lesson.explore_for(1)
    module, text = _module(explore, "forward", tmp_path)
    value, tangent = module.f_jvp(1.0, 2.0, 1.0, 0.0)
    assert value == pytest.approx(2 + math.sin(1)) and tangent == pytest.approx(2 + math.cos(1))
    assert compute("directional", explore) == pytest.approx(tangent, rel=1e-15)
    assert (
        "v2_dot = np.cos(v_1) * v_1_dot" in text and "`v2_dot = np.cos(v_1) * v_1_dot`" in _text()
    )
    assert format_value(2 + math.cos(1), 5) not in lesson.steps[1].prose  # asked, not told


def test_the_loop_keeps_its_structure_and_a_stack(lesson: Lesson, tmp_path: Path) -> None:
    explore = lesson.explore_for(2)
    module, text = _module(explore, "reverse", tmp_path)
    value, (x_bar,) = module.f_vjp(0.5)
    assert value == 3.25 and x_bar == 8.0  # 4x³+3x²+2x+1 and 12x²+6x+2 at 0.5
    assert "for i in range(4):" in text and "for i in reversed(range(4)):" in text
    assert text.count("stack.append(p)") == 1 and text.count("p = stack.pop()") == 1
    assert compute("codegen-count reverse push", explore) == 1
    plus_equals = [ln for ln in text.splitlines() if " += " in ln]
    assert compute("codegen-count reverse adjoint", explore) == len(plus_equals) == 3
    assert all(ln.startswith(" " * 8) for ln in plus_equals)  # all inside the reversed loop
    steps = run(prepare(explore).graph, prepare(explore).values, "reverse").adjoint_sweeps[0].steps
    assert sum(1 for step in steps if step.source is not None) == 11  # the explain's count
    assert "the 11 contributions the tape's reverse sweep adds" in _text()
    assert compute("iterations 3", explore) == 4  # the push runs once per iteration
    assert compute("operations", explore) == 8  # the tape: 4 products and 4 sums
    assert compute("gradient x", explore) == 8
    assert "taped eight operations at x = 0.5, four products and four sums" in _text()


def test_slips_and_refusals(lesson: Lesson) -> None:
    by_id = {
        e.id: (e, lesson.explore_for(i)) for i, s in enumerate(lesson.steps) for e in s.exercises
    }
    choice, choice_explore = by_id["second-contribution"]
    assert "first contribution" in check(choice, choice_explore, "a").message
    with pytest.raises(AdxError, match="K is 1 to 2, not 3"):
        compute("codegen-line v-1 3", lesson.explore_for(0))
    with pytest.raises(AdxError, match="if or for"):
        compute("codegen-line v0 1", lesson.explore_for(2))
