"""Lessons and the grader on odd input: each case here is a crash or a silent pass that
fuzzing found (tests/test_fuzz_cli.py), kept as a regression test.

The rule: ``adx lesson check`` passes a file only if it can be played, every
answer computes and is one a student can type; and the grader answers any
response with feedback, never an exception.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from adexplorer.lessons import answers
from adexplorer.lessons.checker import check_paths
from adexplorer.lessons.model import Exercise, Explore
from adexplorer.lessons.parser import LessonFormatError, parse_lesson
from tests.fuzzing import Case, lesson_round_trip, problems, run_case

HEAD = "---\nid: odd\ntitle: Odd\n---\n\n## A step\n\nProse.\n\n"


def lesson(program: str, at: str = "", *exercises: str, explore_extra: str = "") -> str:
    explore = f"```adx-explore\nprogram: {program}\n" + (f"at: {at}\n" if at else "")
    explore += explore_extra + "```\n\n"
    return HEAD + explore + "\n".join(f"```adx-exercise\n{e}```\n" for e in exercises)


def exercise(kind: str, query: str = "", answer: str = "", extra: str = "") -> str:
    text = f"id: e\nkind: {kind}\nquestion: q?\n"
    text += f"from: {query}\n" if query else ""
    text += f"answer: {answer}\n" if answer else ""
    return text + extra


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "odd.md"
    path.write_text(text)
    _, found = check_paths([path])
    return [p.message for p in found]


# ------------------------------------------------------------------ lesson check


@pytest.mark.parametrize(
    ("program", "at", "query", "kind", "message"),
    [
        # answers that are not one number: were TypeError/ValueError (show --answers: exit 3)
        ("v: vec[2]; return v", "v=[1,2]", "value", "number", "one scalar output"),
        ("v: vec[2]; return v", "v=[1,2]", "gradient v", "number", "one scalar output"),
        ("v: vec[2]; return v", "v=[1,2]", "primal v0", "number", "not a single number"),
        ("v: vec[2]; return sum(v*v)", "v=[1,2]", "tangent v1", "number", "not a single number"),
        ("v: vec[2]; return v", "v=[1,2]", "descent 1", "number", "one scalar output"),
        ("x*y", "x=1, y=2", "cheaper-mode", "number", "is not a number"),
        # a program without inputs: was IndexError in check_lesson
        ("2", "", "swell df_dag", "order", "no inputs"),
        # '²' passed isdigit() and then int('²') raised ValueError
        ("x^2", "x=1", "descent ²", "number", "as a whole number"),
        # answers no one can type: check passed them, no response could ever be right
        ("log(x)", "x=0", "value", "number", "-inf, which no one can type"),
        ("exp(x)", "x=1000", "directional", "number", "inf, which no one can type"),
        ("x^y", "x=-1, y=0.5", "value", "number", "nan, which no one can type"),
        ("abs(x) + x^2", "x=0", "tangent v1", "order", "an order of magnitude is a positive"),
    ],
)
def test_check_refuses_answers_that_cannot_be_played(
    tmp_path: Path, program: str, at: str, query: str, kind: str, message: str
) -> None:
    found = problems_of(tmp_path, lesson(program, at, exercise(kind, query)))
    assert any(message in p for p in found), found


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (exercise("number", "value", extra="tolerance: nan\n"), "tolerance must be a number 0"),
        (exercise("number", "value", extra="tolerance: -1\n"), "tolerance must be a number 0"),
        (exercise("order", "value", extra="tolerance: inf\n"), "tolerance must be a number 0"),
        (
            exercise("choice", answer="a", extra="choices: [" + ", ".join("abcdefghijk") + "]\n"),
            "at most ten choices",
        ),
        ("id: e\nkind: choice\nquestion: q?\nanswer:\nchoices: [x, y]\n", "'answer:' is empty"),
    ],
)
def test_exercise_values_that_make_it_unanswerable_are_format_problems(
    tmp_path: Path, block: str, message: str
) -> None:
    with pytest.raises(LessonFormatError) as error:
        parse_lesson(tmp_path / "odd.md", lesson("x", "x=1", block))
    assert any(message in p.message for p in error.value.problems), error.value.problems


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("eta: 1e999\n", "eta must be a number greater than 0"),
        ("eta: nan\n", "eta must be a number greater than 0"),
        ("eta: 0\n", "eta must be a number greater than 0"),
        ("step: ²\n", "step must be a number or 'end'"),
    ],
)
def test_explore_values_out_of_range_are_format_problems(
    tmp_path: Path, extra: str, message: str
) -> None:
    with pytest.raises(LessonFormatError) as error:
        parse_lesson(tmp_path / "odd.md", lesson("x", "x=1", explore_extra=extra))
    assert any(message in p.message for p in error.value.problems)


def test_a_semicolon_in_a_program_comment_is_part_of_the_comment(tmp_path: Path) -> None:
    # The issue: "x^2  # f(x) = x²; a parabola" became the statement "a parabola".
    text = lesson(
        "x: real = 3; return x^2  # f(x) = x²; a parabola; see step 2",
        "",
        exercise("number", "value", answer="9"),
    )
    assert problems_of(tmp_path, text) == []
    parsed = parse_lesson(tmp_path / "odd.md")
    assert parsed.steps[0].explore is not None
    assert parsed.steps[0].explore.program.splitlines() == [
        "x: real = 3",
        " return x^2  # f(x) = x²; a parabola; see step 2",
    ]


def test_a_literal_formula_with_a_name_the_program_lacks_is_a_problem(tmp_path: Path) -> None:
    # Was KeyError: 'y' when the formula was checked at the step's point.
    found = problems_of(
        tmp_path, lesson("abs(x) + x^2", "x=1", exercise("formula", answer="y + cos(x)"))
    )
    assert any("uses y, which the program does not have" in p for p in found), found


def test_a_huge_declared_input_without_a_value_is_refused_not_allocated(tmp_path: Path) -> None:
    # Was ValueError (numpy: maximum dimension) or gigabytes of ones in prepare().
    found = problems_of(tmp_path, lesson("v: vec[100000000000000000000]; return sum(v)"))
    assert any("entries of one vector or matrix" in p for p in found), found


@pytest.mark.parametrize(
    "args",
    [
        ["lesson", "show", "--answers", "{dir}/odd.md"],
        ["lesson", "check", "{dir}/odd.md"],
    ],
)
def test_show_answers_and_check_on_a_vector_gradient(tmp_path: Path, args: list[str]) -> None:
    # Found by fuzzing: show --answers ended in "internal error (ValueError: the
    # gradient needs a single scalar output; use jacobian())".
    text = lesson("v: vec[3] = [1,2,3]; return v", "", exercise("number", "gradient y"))
    case = Case(tuple(args), files=(("odd.md", text.encode()),))
    outcome = run_case(case, tmp_path)
    assert not problems(case, outcome), outcome


# ------------------------------------------------------------------ the grader

SURVEY = Explore(1, "ln(x1) + x1*x2 - sin(x2)", at="x1=2, x2=5")
SINE = Explore(1, "sin(x)", at="x=0.5")


@pytest.mark.parametrize(
    "response",
    [
        "[1,2]",
        "[[1,2],[3,4]]",
        "x, x",
        "return x, x",
        "x: vec[2]; return x",
        "v: vec[99999999]; return sum(v)",
    ],
)
def test_a_formula_answer_that_is_not_one_number_is_feedback(response: str) -> None:
    # The issue: a student answer [1,2] crashed the grader (TypeError in float()).
    formula = Exercise(1, "f", "formula", "f'(x)?", query="gradient x")
    feedback = answers.check(formula, SINE, response)
    assert not feedback.correct and feedback.message


@pytest.mark.parametrize(
    "response", ["[1,2]", "1e999", "nan", "inf", "", "é", "[bold]", "\x1b[31m1", "\x00", "\udcff"]
)
@pytest.mark.parametrize("kind", ["number", "order", "choice", "formula"])
def test_odd_responses_get_feedback(kind: str, response: str) -> None:
    ex = Exercise(1, "e", kind, "q", query="gradient x1", choices=("5.5", "1.7"))
    if kind == "choice":
        ex = Exercise(1, "e", kind, "q", answer="a", choices=("forward", "reverse"))
    feedback = answers.check(ex, SURVEY, response)
    assert isinstance(feedback, answers.Feedback) and not feedback.correct


def test_a_choice_is_one_letter() -> None:
    # "" and "ab" are substrings of "abc": ")" and "ab" used to be taken as (a).
    ex = Exercise(1, "e", "choice", "q", answer="a", choices=("x", "y", "z"))
    assert answers.check(ex, None, "a)").correct
    for response in (")", ".", "ab", "abc"):
        assert not answers.check(ex, None, response).correct, response


def test_an_exercise_the_format_would_refuse_is_feedback_not_a_crash() -> None:
    # The grader is also called on exercises built in code (and by the player):
    # an unknown kind or a text answer to a number exercise were ValueErrors.
    for ex in (
        Exercise(1, "e", "essay", "q", answer="(sin()).T"),
        Exercise(1, "e", "number", "q", query="cheaper-mode"),
        Exercise(1, "e", "choice", "q", answer="", choices=("x", "y")),
        Exercise(1, "e", "choice", "q", answer="a", choices=tuple("abcdefghijkl")),
    ):
        feedback = answers.check(ex, SURVEY, "1")
        assert not feedback.correct and feedback.message


def test_a_nan_reference_does_not_make_every_formula_correct() -> None:
    # At x = -1, log(x) is NaN: the comparison with NaN was never 'too far', so any
    # formula was 'correct'.
    ex = Exercise(1, "e", "formula", "q", query="value")
    feedback = answers.check(ex, Explore(1, "log(x)", at="x=-1"), "x")
    assert not feedback.correct


def test_a_checked_lesson_plays() -> None:
    # The round trip the fuzz suite runs: check passes → every answer computes, is
    # finite, the grader accepts it and survives odd responses.
    text = lesson(
        "x: real = 3; return x^2  # note; more",
        "",
        exercise("number", "value", answer="9"),
        exercise("order", "fd-best-h central").replace("id: e", "id: e2"),
        exercise("formula", "gradient x").replace("id: e", "id: e3"),
    )
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        found, verdict = lesson_round_trip(text.encode(), Path(scratch))
    assert verdict == "played" and found == []
    assert math.isfinite(answers.read_number("9"))


# ------------------------------------------------------------------ YAML front matter


def test_yaml_aliases_cannot_make_a_message_huge(tmp_path: Path) -> None:
    # A 1 KB "billion laughs" front matter: 'title: *i' stood for 9^9 strings, and the
    # message suggesting quotes built str(value): 55 s and 3 GB before the fix.
    lines = ["---", "id: bomb", "a: &a [" + ",".join(['"lol"'] * 9) + "]"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    text = "\n".join([*lines, "title: *i", "---", "## S", ""])
    import time

    start = time.perf_counter()
    found = problems_of(tmp_path, text)
    assert time.perf_counter() - start < 5
    assert any("'title' must be text, not a list" in p and 'title: "*i"' in p for p in found)


@pytest.mark.parametrize("value", ["[" * 5000 + "]" * 5000, "{a: " * 3000 + "1" + "}" * 3000])
def test_deeply_nested_yaml_is_a_problem_not_a_recursion_error(tmp_path: Path, value: str) -> None:
    found = problems_of(tmp_path, f"---\nid: deep\ntitle: {value}\n---\n## S\n")
    assert found == ["the front matter nests lists or mappings too deeply to be read"]


def test_a_broken_lesson_names_its_place_once() -> None:
    import tempfile

    from adexplorer.base.errors import AdxError
    from adexplorer.lessons.catalog import find

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "broken.md"
        path.write_text("---\nid: b\n---\n## S\n")
        with pytest.raises(AdxError) as error:
            find(str(path))
    assert error.value.render() == f"error: {path}:1: the front matter needs 'title:'"
