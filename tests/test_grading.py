"""Grading number answers to the digits typed, and naming the slip a wrong answer shows.

The expected values here are computed independently of adx (closed forms, math,
central differences), never read back from the engine.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adexplorer.base.errors import AdxError
from adexplorer.lessons import answers, grading
from adexplorer.lessons.model import Exercise, Explore
from adexplorer.lessons.parser import LessonFormatError, parse_lesson

SURVEY = Explore(1, "ln(x1) + x1*x2 - sin(x2)", at="x1=2, x2=5")
# ∂f/∂x1 = 1/x1 + x2 = 5.5 ; ∂f/∂x2 = x1 - cos(x2)
DF_DX2 = 2 - math.cos(5)


def number(query: str = "", answer: str = "", digits: int = 3, **more: object) -> Exercise:
    return Exercise(1, "e", "number", "?", answer=answer, query=query, digits=digits, **more)  # type: ignore[arg-type]


def central(f, x: float, h: float = 1e-5) -> float:  # type: ignore[no-untyped-def]
    return float((f(x + h) - f(x - h)) / (2 * h))


# ------------------------------------------------------------------ the examples


def test_the_value_on_screen_is_accepted() -> None:
    """1.71634 is ∂f/∂x2 as the screen shows it: the old 1e-6 tolerance rejected it."""
    feedback = answers.check(number("gradient x2"), SURVEY, "1.71634")
    assert feedback.correct and feedback.attempt
    assert "correct to 6 significant digits" in feedback.message
    assert f"{DF_DX2:.10f}"[:10] in feedback.message  # the exact value is shown


@pytest.mark.parametrize("typed", ["-0.9589", "-0.95892", "−0.95892", "-0.958924"])
def test_sin_5_to_the_digits_typed(typed: str) -> None:
    explore = Explore(1, "sin(x)", at="x=5")
    assert math.sin(5) == pytest.approx(-0.958924274663, abs=1e-12)
    assert answers.check(number("value"), explore, typed).correct


def test_lesson_examples_1_38177_and_minus_0_5775() -> None:
    # lesson 6: d/dx x·sin x at x = 1 is sin 1 + cos 1
    dual = Explore(1, "x*sin(x)", at="x=1", mode="dual", seed="x")
    assert math.sin(1) + math.cos(1) == pytest.approx(1.38177329, abs=1e-8)
    assert answers.check(number("gradient x"), dual, "1.38177").correct
    # lesson 9's ∂loss/∂W1[0,0], compared with central differences of the loss
    net = (
        "x: vec[3] = [0.5, -1, 2]; W1: mat[4,3] = [[0.1, 0.2, -0.1], [0.3, -0.2, 0.1],"
        " [-0.1, 0.1, 0.2], [0.2, 0.1, -0.3]]; b1: vec[4] = 0; w2: vec[4] = [0.5, -0.4,"
        " 0.3, 0.2]; b2: real = 0.1; t: real = 1; h = tanh(W1 @ x + b1);"
        " out = dot(w2, h) + b2; loss = (out - t)^2; return loss"
    )
    import numpy as np

    x = np.array([0.5, -1, 2])
    W1 = np.array([[0.1, 0.2, -0.1], [0.3, -0.2, 0.1], [-0.1, 0.1, 0.2], [0.2, 0.1, -0.3]])
    w2 = np.array([0.5, -0.4, 0.3, 0.2])

    def loss(w00: float) -> float:
        W = W1.copy()
        W[0, 0] = w00
        return float((w2 @ np.tanh(W @ x) + 0.1 - 1) ** 2)

    fd = central(loss, 0.1)
    assert fd == pytest.approx(-0.5775, abs=5e-5)
    explore = Explore(1, net.replace(";", "\n"))
    assert answers.check(number("gradient W1[0,0]"), explore, "-0.5775").correct
    assert answers.check(number("gradient W1[0,0]"), explore, f"{fd:.6g}").correct


@pytest.mark.parametrize("typed", ["1,565", "1 565", "1_565", "1565", "1565.0"])
def test_thousands_separators_as_the_screen_shows_them(typed: str) -> None:
    exercise = number(answer="1565")
    assert answers.check(exercise, None, typed).correct


def test_a_comma_is_never_a_decimal_point() -> None:
    exercise = number(answer="1.5")
    feedback = answers.check(exercise, None, "1,5")
    assert not feedback.correct and not feedback.attempt
    assert "groups of three" in feedback.message
    big = number(answer="15")
    assert not answers.check(big, None, "1,5").correct  # not silently 15 either
    assert answers.check(number(answer="19448.2"), None, "19,448.2").correct


# ------------------------------------------------------------------ the rules


@pytest.mark.parametrize(
    ("text", "value", "digits"),
    [
        ("2.50", 2.5, 3),  # trailing zeros count
        ("0.0012", 0.0012, 2),  # leading zeros do not
        ("1.23e-4", 1.23e-4, 3),  # the mantissa's digits
        ("-1,234,567", -1234567.0, 7),
        ("1e-8", 1e-8, 1),
        (".5", 0.5, 1),
    ],
)
def test_significant_digits_typed(text: str, value: float, digits: int) -> None:
    typed = grading.read_decimal(text)
    assert typed is not None
    assert typed.value == pytest.approx(value, rel=1e-15)
    assert typed.digits == digits


@pytest.mark.parametrize("text", ["1/2", "log(2)", "cos(5)", "2*pi"])
def test_expressions_are_not_decimals(text: str) -> None:
    assert grading.read_decimal(text) is None


def test_half_a_unit_in_the_last_digit() -> None:
    exercise = number("gradient x2")
    assert answers.check(exercise, SURVEY, "1.7163").correct  # |Δ| = 3.8e-5 ≤ 5e-5
    assert answers.check(exercise, SURVEY, "1.716").correct  # |Δ| = 3.4e-4 ≤ 5e-4
    assert not answers.check(exercise, SURVEY, "1.7164").correct  # |Δ| = 6.2e-5 > 5e-5
    assert not answers.check(exercise, SURVEY, "1.71633").correct  # |Δ| = 7.8e-6 > 5e-6
    assert not answers.check(exercise, SURVEY, "1.717").correct


def test_too_few_digits_is_not_a_wrong_attempt() -> None:
    exercise = number("gradient x2", digits=4)
    feedback = answers.check(exercise, SURVEY, "1.72")
    assert not feedback.correct and not feedback.attempt
    assert "at least 4 significant digits" in feedback.message
    assert answers.check(exercise, SURVEY, "1.716").correct
    assert answers.precision_note(exercise) == "to at least 4 significant digits"
    # wrong with few digits is wrong, and counts
    assert answers.check(exercise, SURVEY, "3").attempt


def test_exact_answers_say_correct_and_expressions_must_be_exact() -> None:
    exercise = number("gradient x1")  # 5.5 exactly
    for typed in ("5.5", "11/2", "5.50", "1/2 + 5"):
        feedback = answers.check(exercise, SURVEY, typed)
        assert feedback.correct and feedback.message == "correct", typed
    x2 = number("gradient x2")
    assert answers.check(x2, SURVEY, "2 - cos(5)").correct
    assert not answers.check(x2, SURVEY, "2 - cos(5.1)").correct  # an expression is exact
    # … unless it is made of rounded decimals: then it is judged to their digits
    assert answers.check(x2, SURVEY, "1.7163/1").correct
    assert not answers.check(x2, SURVEY, "1.7165/1").correct
    assert answers.check(number(answer="log(2)"), None, "0.693147").correct


def test_the_value_shown_with_its_zeros_dropped_is_accepted() -> None:
    # 1.70000004 shows as 1.7 at 6 significant digits: typing what is shown is right
    exercise = number(answer="1.70000004")
    feedback = answers.check(exercise, None, "1.7")
    assert feedback.correct and "6 significant digits" in feedback.message


def test_an_explicit_tolerance_widens_digit_grading() -> None:
    loose = number(answer="1.23456", tolerance=1e-3, tolerance_given=True)
    assert answers.check(loose, None, "1.2350").correct  # last digit off, within 1e-3
    strict = number(answer="1.23456")
    assert not answers.check(strict, None, "1.2350").correct


def test_order_exercises_keep_their_decade_rule() -> None:
    order = Exercise(1, "o", "order", "?", answer="1e-5", tolerance=1.0)
    assert answers.check(order, None, "3e-5").correct
    feedback = answers.check(order, None, "1e-8")
    assert not feedback.correct and "3 decades" in feedback.message


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).filter(lambda v: abs(v) > 1e-3))
def test_any_value_at_six_digits_is_accepted(value: float) -> None:
    shown = f"{value:.6g}"
    assert answers.check(number(answer=repr(value)), None, shown).correct


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_no_response_raises(text: str) -> None:
    feedback = answers.check(number("gradient x2"), SURVEY, text)
    assert isinstance(feedback.correct, bool)


# ------------------------------------------------------------------ slips


def test_a_sign_error_is_named_with_the_negative_partial() -> None:
    explore = Explore(1, "x1*x2 + sin(x1)", at="x1=2, x2=5")  # ∂f/∂x1 = x2 + cos(2)
    target = 5 + math.cos(2)
    feedback = answers.check(number("gradient x1"), explore, f"{-target:.6g}")
    assert not feedback.correct and feedback.slip == "sign"
    assert "sign" in feedback.message and "sin" in feedback.message  # ∂sin/∂u = cos(2) < 0


@pytest.mark.parametrize(
    ("query", "advice"),
    [
        ("operations", "a count is never negative"),
        ("sweeps forward", "a count is never negative"),
        ("value", "each operation"),
        ("descent 1", "against the gradient"),
        ("directional", "local partial"),
    ],
)
def test_a_sign_slip_gets_advice_that_fits_what_the_number_is(query: str, advice: str) -> None:
    """A negated count or value is not blamed on local partials, which it has none of."""
    target = answers.compute(query, SURVEY)
    assert isinstance(target, float)
    feedback = answers.check(number(query), SURVEY, f"{-target:.6g}")
    assert not feedback.correct and feedback.slip == "sign"
    assert advice in feedback.message
    if advice != "local partial":
        assert "partial" not in feedback.message


def test_one_fan_out_contribution_instead_of_the_sum() -> None:
    # x1 feeds ln(x1) and x1*x2: contributions 1/x1 = 0.5 and x2 = 5
    for query in ("gradient x1", "adjoint v-1"):
        feedback = answers.check(number(query), SURVEY, "5")
        assert feedback.slip == "one-contribution" and feedback.attempt, query
        assert "sum of 2 contributions" in feedback.message
    # x*x*x: x is used three times; one of the contributions from v2 = x² · 1 = 4
    cube = Explore(1, "x*x*x", at="x=2")
    assert answers.check(number("gradient x"), cube, "4").slip == "one-contribution"


def test_forward_and_reverse_swapped() -> None:
    # ∂f/∂x2 given where ∂f/∂x1 was asked
    assert answers.check(number("gradient x1"), SURVEY, "1.71634").slip == "swapped"
    # v1 = ln(x1): its tangent for seed x1 is 1/x1 = 0.5, its adjoint is 1
    tangent = answers.check(number("adjoint v1"), SURVEY, "0.5")
    assert tangent.slip == "swapped" and "tangent" in tangent.message
    adjoint = answers.check(number("tangent v1"), SURVEY, "1")
    assert adjoint.slip == "swapped" and "adjoint" in adjoint.message


def test_a_missing_local_factor() -> None:
    # v2 = x1*x2 then f = 3*v2: v̄2 = 3, x̄1 = 3·x2 = 15; giving 3 forgets ∂v2/∂x1 = x2
    explore = Explore(1, "3*(x1*x2)", at="x1=2, x2=5")
    feedback = answers.check(number("gradient x1"), explore, "3")
    assert feedback.slip == "missing-factor" and "local partial" in feedback.message


def test_factor_two_and_order_of_magnitude() -> None:
    square = Explore(1, "x^2", at="x=3")  # 2x = 6
    assert answers.check(number("gradient x"), square, "3").slip == "factor-2"
    assert answers.check(number("gradient x"), square, "60").slip == "magnitude"
    assert answers.check(number("gradient x"), square, "0.06").slip == "magnitude"


def test_descent_one_step_off() -> None:
    explore = Explore(1, "x^2", at="x=1", eta=0.1)  # x ← 0.8 x: f = 0.64^k
    assert answers.check(number("descent 3"), explore, f"{0.8**6:.6g}").correct
    feedback = answers.check(number("descent 3"), explore, f"{0.8**4:.6g}")
    assert feedback.slip == "descent-steps" and "after 2 steps" in feedback.message


def test_no_slip_just_not_quite() -> None:
    feedback = answers.check(number("gradient x2"), SURVEY, "7.123")
    assert not feedback.correct and feedback.slip == "" and feedback.attempt
    assert feedback.message == "not quite"


def test_reveal_text_and_precision_note() -> None:
    assert answers.reveal_text(number("gradient x2"), SURVEY) == "1.71634"
    choice = Exercise(1, "c", "choice", "?", answer="b", choices=("forward", "reverse"))
    assert answers.reveal_text(choice, SURVEY) == "b) reverse"
    formula = Exercise(1, "f", "formula", "?", answer="x2 + 1/x1", query="gradient x1")
    assert answers.reveal_text(formula, SURVEY) == "x2 + 1/x1"
    assert answers.precision_note(number("operations")) == "a whole number"
    assert answers.precision_note(choice) == ""
    assert answers.REVEAL_AFTER >= 1


# ------------------------------------------------------------------ the block format


def lesson(tmp_path: Path, exercise: str) -> Path:
    path = tmp_path / "l.md"
    path.write_text(
        "---\nid: l\ntitle: L\n---\n\n## S\n\n```adx-explore\nprogram: x^2\nat: x=3\n```\n\n"
        f"```adx-exercise\n{exercise}\n```\n",
        encoding="utf-8",
    )
    return path


def test_quoted_values_read_as_yaml_strings(tmp_path: Path) -> None:
    path = lesson(
        tmp_path,
        'id: q\nkind: choice\nquestion: "What is f\'(3)?  \\"Six\\", or: nine"\n'
        "choices: [\"six, of course\", 'nine']\nanswer: a\nexplain: 'it''s 2x'",
    )
    exercise = parse_lesson(path).steps[0].exercises[0]
    assert exercise.question == 'What is f\'(3)?  "Six", or: nine'
    assert exercise.choices == ("six, of course", "nine")
    assert exercise.explain == "it's 2x"


def test_an_unclosed_quote_is_reported_with_its_line(tmp_path: Path) -> None:
    path = lesson(tmp_path, 'id: q\nkind: number\nquestion: "What is it?\nfrom: gradient x')
    with pytest.raises(LessonFormatError) as error:
        parse_lesson(path)
    assert error.value.problems[0].line == 16  # the question line
    assert "quote" in error.value.problems[0].message


def test_digits_key_and_unknown_keys(tmp_path: Path) -> None:
    path = lesson(tmp_path, "id: q\nkind: number\nquestion: q\nfrom: gradient x\ndigits: 5")
    assert parse_lesson(path).steps[0].exercises[0].digits == 5
    for bad in ("0", "x", "2.5", "-1"):
        path = lesson(
            tmp_path, f"id: q\nkind: number\nquestion: q\nfrom: gradient x\ndigits: {bad}"
        )
        with pytest.raises(LessonFormatError, match="digits must be a whole number"):
            parse_lesson(path)
    path = lesson(tmp_path, "id: q\nkind: number\nquestion: q\nfrom: gradient x\ndigit: 5")
    with pytest.raises(LessonFormatError, match="did you mean 'digits'"):
        parse_lesson(path)


def test_a_formula_is_revealed_as_a_formula_the_grader_accepts() -> None:
    for program, query in (("x*sin(x)", "gradient x"), ("4*x*(1-x)", "gradient x")):
        explore = Explore(1, program, at="x=0.7")
        exercise = Exercise(1, "f", "formula", "?", query=query)
        shown = answers.reveal_text(exercise, explore)
        assert "x" in shown and "value here" not in shown
        assert answers.check(exercise, explore, shown).correct


def test_a_choice_may_be_answered_as_it_is_shown() -> None:
    choice = Exercise(1, "c", "choice", "?", answer="b", choices=("forward", "reverse"))
    for typed in ("b", "B)", "b) reverse", "(b) Reverse", "reverse"):
        assert answers.check(choice, None, typed).correct, typed
    for typed in ("a) reverse", "z", "both"):
        feedback = answers.check(choice, None, typed)
        assert not feedback.correct and not feedback.attempt, typed
    assert answers.check(choice, None, "a").attempt  # a wrong letter is a wrong try


def test_a_sign_error_where_every_partial_is_positive_says_so() -> None:
    # x1 reaches f through ln(x1) and x1*x2, both with positive partials at (2, 5)
    feedback = answers.check(number("adjoint v-1"), SURVEY, "-5.5")
    assert feedback.slip == "sign" and "is positive here" in feedback.message
    # x2 reaches f through - sin(x2): the subtraction's partial -1 is named
    feedback = answers.check(number("gradient x2"), SURVEY, f"{-DF_DX2:.6g}")
    assert feedback.slip == "sign" and "= -1 (sub)" in feedback.message


def test_long_responses_are_read_in_one_pass() -> None:
    """A long run of '1,' once took a backtracking pattern seconds; each is one class now."""
    assert grading.read_decimal("1," * 5000 + "x") is None
    with pytest.raises(AdxError, match="groups of three"):
        grading.read_decimal("1," * 5000)


def _course_gradients() -> list[tuple[str, Exercise, Explore]]:
    from adexplorer.lessons.catalog import builtin

    found = []
    for lesson in builtin():
        for index, step in enumerate(lesson.steps):
            explore = lesson.explore_for(index)
            for exercise in step.exercises:
                words = exercise.query.split()
                if exercise.kind == "number" and words[:1] == ["gradient"] and explore:
                    found.append((f"{lesson.id}:{exercise.id}", exercise, explore))
    return found


@pytest.mark.parametrize(
    ("exercise", "explore"),
    [pytest.param(e, x, id=name) for name, e, x in _course_gradients()],
)
def test_the_courses_gradients_by_central_differences_are_accepted(
    exercise: Exercise, explore: Explore
) -> None:
    """Every `gradient` exercise of the built-in course, answered with a value computed
    without AD (central differences of f), typed at 5 significant digits, is right."""
    import numpy as np

    from adexplorer.core.trace import run

    setup = answers.prepare(explore)
    name, _, entry_text = exercise.query.split()[1].partition("[")
    entry = tuple(int(k) for k in entry_text.rstrip("]").split(",")) if entry_text else ()

    def f(t: float) -> float:
        values = {k: np.array(v, dtype=np.float64, copy=True) for k, v in setup.values.items()}
        values[name][entry] = t
        return float(run(setup.graph, values, "evaluate").output_value())

    x = float(np.asarray(setup.values[name])[entry])
    fd = central(f, x, 1e-5 * max(1.0, abs(x)))
    typed = f"{fd:.{max(5, exercise.digits)}g}"
    feedback = answers.check(exercise, explore, typed)
    assert feedback.correct, (typed, feedback.message)


def test_a_neighbouring_row_of_the_trace() -> None:
    # v1 = ln 2, v2 = x1*x2 = 10, v3 = sin 5, v4 = v1 + v2 (closed forms, not the engine)
    feedback = answers.check(number("primal v3"), SURVEY, "10")
    assert feedback.slip == "wrong-node" and "value of v2, not of v3" in feedback.message
    shown = f"{math.log(2) + 10:.6g}"
    assert answers.check(number("primal v3"), SURVEY, shown).slip == "wrong-node"
    assert answers.check(number("primal v3"), SURVEY, f"{math.sin(5):.6g}").correct


# ------------------------------------------------------------------ choices say why not


def test_a_wrong_choice_says_what_it_gets_wrong(tmp_path: Path) -> None:
    lesson = tmp_path / "why.md"
    lesson.write_text(
        "---\nid: why\ntitle: Why\norder: 1\n---\n\n## One\n\n"
        "```adx-exercise\nid: mode\nkind: choice\nquestion: Which?\nanswer: b\n"
        "choices:\n  - forward\n  - reverse\nwhy:\n"
        '  - forward mode needs a sweep per input\n  - ""\n```\n',
        encoding="utf-8",
    )
    exercise = parse_lesson(lesson).steps[0].exercises[0]
    wrong = answers.check(exercise, None, "a")
    assert not wrong.correct and wrong.slip == "choice"
    assert wrong.message == "not that one: forward mode needs a sweep per input"
    assert answers.check(exercise, None, "b").correct


def test_why_needs_a_line_per_choice(tmp_path: Path) -> None:
    lesson = tmp_path / "why.md"
    lesson.write_text(
        "---\nid: why\ntitle: Why\norder: 1\n---\n\n## One\n\n"
        "```adx-exercise\nid: mode\nkind: choice\nquestion: Which?\nanswer: b\n"
        "choices:\n  - forward\n  - reverse\nwhy:\n  - only one\n```\n",
        encoding="utf-8",
    )
    with pytest.raises(LessonFormatError) as caught:
        parse_lesson(lesson)
    assert "one line per choice" in str(caught.value.problems[0])
    assert caught.value.problems[0].line == 17  # the why: line


def test_every_choice_of_the_course_says_why_each_wrong_pick_is_wrong() -> None:
    from adexplorer.lessons.catalog import builtin

    for lesson in builtin():
        for _, exercise in lesson.exercises():
            if exercise.kind == "choice":
                assert len(exercise.why) == len(exercise.choices), (lesson.id, exercise.id)


# ------------------------------------------------------------------ found by a student run


def test_too_few_digits_must_still_be_a_rounding_of_the_answer() -> None:
    """5 for 5.5 (a forgotten term) is judged wrong, not "agrees as far as it goes";
    6 (5.5 rounded to one digit) is asked for more digits."""
    wrong = answers.check(number("gradient x1"), SURVEY, "5")
    assert not wrong.correct and wrong.attempt
    more = answers.check(number("gradient x1"), SURVEY, "6")
    assert not more.correct and not more.attempt and "at least 3" in more.message


def test_an_expression_of_rounded_numbers_is_judged_to_their_digits() -> None:
    """1 - 0.761594^2 uses the trace's rounded tanh: right to 6 digits, not "exact"."""
    tanh = Explore(1, "tanh(x)", at="x=1")
    exact = 1 - math.tanh(1) ** 2
    assert answers.check(number("gradient x"), tanh, f"1 - {math.tanh(1):.6f}^2").correct
    assert not answers.check(number("gradient x"), tanh, "1 - 0.76^2").correct
    assert grading.literal_digits("1 - 0.761594^2") == 6
    assert grading.literal_digits("2*x + 1") is None  # whole numbers are exact
    assert answers.check(number("gradient x"), tanh, f"{exact:.6g}").correct


def test_a_derivative_answered_with_f_itself_is_named() -> None:
    cube = Explore(1, "x*x*x", at="x=2")
    feedback = answers.check(number("gradient x"), cube, "8")
    assert not feedback.correct and feedback.slip == "value"
    assert "f's value" in feedback.message
