"""Lessons 16 (JVPs and VJPs) and 17 (second derivatives): their numbers and their queries.

The numbers the prose quotes are compared with the engine (and, where practical, with
an independent computation: numpy for the polar map's Jacobian, sympy for the
Hessians, central differences of gradients for H·u, numpy for Newton's steps).  Every
exercise accepts its answer typed as the screen shows it, and the slips the lessons'
hints name get named by the grader.  The new explore modes and queries give clear
messages when a lesson uses them wrongly.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from adexplorer.base.numbers import format_value
from adexplorer.core.second_order import run_second_order
from adexplorer.core.trace import run
from adexplorer.lessons.answers import check, compute, prepare, reveal_text
from adexplorer.lessons.checker import check_lesson, check_paths
from adexplorer.lessons.model import Exercise, Explore, Lesson
from adexplorer.lessons.parser import LessonFormatError, parse_lesson
from adexplorer.tui.lesson_app import session_for_exploration

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
SIXTEEN = LESSONS / "16-jvps-and-vjps.md"
SEVENTEEN = LESSONS / "17-second-derivatives.md"
POLAR = "x = r*cos(t)\ny = r*sin(t)\nreturn x, y"
SURVEY = "ln(x1) + x1*x2 - sin(x2)"


@pytest.fixture(scope="module")
def sixteen() -> Lesson:
    return parse_lesson(SIXTEEN)


@pytest.fixture(scope="module")
def seventeen() -> Lesson:
    return parse_lesson(SEVENTEEN)


def _text(path: Path) -> str:
    return " ".join(path.read_text(encoding="utf-8").split())


def _shown(value: float) -> str:
    """A number as the lesson writes it: the screen's 6 significant digits."""
    return format_value(value, 6)


def _exercise(lesson: Lesson, exercise_id: str) -> tuple[Exercise, Explore]:
    for index, step in enumerate(lesson.steps):
        for exercise in step.exercises:
            if exercise.id == exercise_id:
                explore = lesson.explore_for(index)
                assert explore is not None
                return exercise, explore
    raise AssertionError(exercise_id)


def _explore(program: str, at: str, mode: str, seed: str = "") -> Explore:
    return Explore(line=1, program=program, at=at, mode=mode, seed=seed)


# ------------------------------------------------------------------ both lessons


def test_both_lessons_check_and_follow_the_course(sixteen: Lesson, seventeen: Lesson) -> None:
    lessons, problems = check_paths([LESSONS])  # with the lessons they build on
    assert not problems, problems
    assert [lesson.id for lesson in lessons][-2:] == ["jvps-and-vjps", "second-derivatives"]
    assert (sixteen.order, sixteen.prerequisites) == (16, ("cost",))
    assert (seventeen.order, seventeen.prerequisites) == (17, ("jvps-and-vjps",))
    for lesson in (sixteen, seventeen):
        assert 5 <= len(lesson.exercises()) <= 7
        assert all(exercise.query for _, exercise in lesson.exercises())  # engine-checked


@pytest.mark.parametrize("path", [SIXTEEN, SEVENTEEN], ids=lambda p: p.stem)
def test_every_answer_is_accepted_as_the_screen_shows_it(path: Path) -> None:
    lesson = parse_lesson(path)
    for index, step in enumerate(lesson.steps):
        explore = lesson.explore_for(index)
        for exercise in step.exercises:
            shown = reveal_text(exercise, explore)
            assert check(exercise, explore, shown).correct, (exercise.id, shown)


def test_the_course_lists_seventeen_lessons() -> None:
    readme = _text(LESSONS / "README.md")
    assert readme.startswith("# The built-in course Seventeen lessons")
    assert len(sorted(LESSONS.glob("[0-9][0-9]-*.md"))) == 17


# ------------------------------------------------------------------ lesson 16's numbers


def _polar_jacobian(r: float, t: float) -> np.ndarray:
    return np.array([[math.cos(t), -r * math.sin(t)], [math.sin(t), r * math.cos(t)]])


def test_lesson_16_quotes_the_polar_jacobian_and_its_products() -> None:
    text = _text(SIXTEEN)
    jacobian = _polar_jacobian(2.0, 0.5)
    for entry in jacobian.ravel():
        assert _shown(entry) in text
    u, weights = np.array([1.0, 0.5]), np.array([1.0, -2.0])
    forward = _explore(POLAR, "r=2, t=0.5", "forward", "r=1, t=0.5")
    reverse = _explore(POLAR, "r=2, t=0.5", "reverse", "x=1, y=-2")
    jvp = [float(v) for v in str(compute("jvp-vector", forward)).split(",")]
    vjp = [float(v) for v in str(compute("vjp-vector", reverse)).split(",")]
    assert jvp == pytest.approx(jacobian @ u, rel=1e-14)
    assert vjp == pytest.approx(weights @ jacobian, rel=1e-14)
    assert compute("vjp t", reverse) == pytest.approx(vjp[1], rel=1e-15)
    assert compute("jvp y", forward) == compute("jvp 2", forward) == pytest.approx(jvp[1])
    # the worked vector step: v̇4 = [1, 0]·0.479426 + 2·[0, 0.877583]
    vector = _explore(POLAR, "r=2, t=0.5", "vector")
    assert compute("vector-tangent v4 r", vector) == pytest.approx(math.sin(0.5), rel=1e-15)
    assert compute("vector-tangent v4 2", vector) == pytest.approx(2 * math.cos(0.5))
    assert f"[1, 0]·{_shown(math.sin(0.5))} + 2·[0, {_shown(math.cos(0.5))}]" in text


def test_lesson_16_quotes_the_cost_model() -> None:
    text = _text(SIXTEEN)
    setup = prepare(_explore(POLAR, "r=2, t=0.5", "vector"))
    trace = run(setup.graph, setup.values, "forward", vector=True)
    cost = trace.cost
    assert cost is not None
    primal, tangent, adjoint = cost.primal.total, cost.tangent.total, cost.adjoint.total
    forward, reverse = primal + tangent, primal + adjoint
    assert (primal, forward, reverse) == (16, 38, 54)  # the numbers the prose gives
    assert (
        f"counts {primal} operations for f alone, {forward} for a forward sweep" in text
        and f"and {reverse} for a reverse sweep" in text
    )
    assert f"so {forward / primal:.2f} and {reverse / primal:.2f} times f" in text
    vector, scalar = cost.vector_sweep_cost().total, cost.scalar_sweeps_cost().total
    assert vector == primal + 2 * tangent and scalar == 2 * forward
    # the totals are the exercises' answers: the prose gives the formula, the explains
    # (shown once solved) the numbers
    assert f"{primal} + 2·{tangent} = {vector} operations" in text
    assert f"2·{forward} = {scalar} operations" in text
    explore = _explore(POLAR, "r=2, t=0.5", "vector")
    assert compute("vector-cost vector", explore) == vector
    assert compute("vector-cost scalar", explore) == scalar


def test_a_vjp_is_one_reverse_sweep_of_the_weighted_outputs() -> None:
    """ȳᵀJ is the gradient of Σ ȳᵢ·fᵢ: a program computing that sum has it as gradient."""
    weighted = _explore("r*cos(t) - 2*r*sin(t)", "r=2, t=0.5", "reverse")
    reverse = _explore(POLAR, "r=2, t=0.5", "reverse", "x=1, y=-2")
    for name in ("r", "t"):
        assert compute(f"vjp {name}", reverse) == pytest.approx(
            compute(f"gradient {name}", weighted), rel=1e-14
        )


# ------------------------------------------------------------------ lesson 17's numbers


def _sympy_hessian(program: str, point: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    names = sorted(point)
    symbols = sp.symbols(names)
    expr = sp.sympify(program.replace("^", "**").replace("ln(", "log("))
    gradient = [sp.diff(expr, s) for s in symbols]
    at = dict(zip(symbols, [point[n] for n in names], strict=True))
    g = np.array([float(d.subs(at)) for d in gradient])
    h = np.array([[float(sp.diff(d, s).subs(at)) for s in symbols] for d in gradient])
    return g, h


def test_lesson_17_hessian_against_sympy() -> None:
    text = _text(SEVENTEEN)
    _, hessian = _sympy_hessian(SURVEY, {"x1": 2.0, "x2": 5.0})
    explore = _explore(SURVEY, "x1=2, x2=5", "hessian")
    for i, a in enumerate(("x1", "x2")):
        for j, b in enumerate(("x1", "x2")):
            assert compute(f"hessian {a} {b}", explore) == pytest.approx(hessian[i, j], rel=1e-14)
    assert "[ −0.25 1 ]" in text and f"[ 1 {_shown(hessian[1, 1]).replace('-', '−')} ]" in text
    assert f"H[x2,x2] = sin(5) = {_shown(hessian[1, 1]).replace('-', '−')}" in text
    four = "x1*x2 + x2*x3 + x3*x4 + exp(x1)"
    _, h4 = _sympy_hessian(four, {"x1": 0.0, "x2": 1.0, "x3": 2.0, "x4": 3.0})
    row = [
        float(v)
        for v in str(
            compute("hessian-row x2", _explore(four, "x1=0, x2=1, x3=2, x4=3", "hessian"))
        ).split(",")
    ]
    assert row == pytest.approx(list(h4[1])) and "column x2 is (1, 0, 1, 0)" in text


def test_lesson_17_nested_trace_as_quoted() -> None:
    """The worked nested sweep along x2: the tangents and every v̄ and v̄̇ the prose lists."""
    text = SEVENTEEN.read_text(encoding="utf-8")
    explore = _explore(SURVEY, "x1=2, x2=5", "hvp", "x2")
    setup = prepare(explore)
    trace = run_second_order(setup.graph, setup.values, direction={"x2": np.float64(1.0)})
    sweep = trace.sweeps[0]
    labels = setup.graph.labels("griewank")
    tangents = {labels[i]: float(v) for i, v in enumerate(sweep.tangents) if v is not None}
    assert tangents["v3"] == pytest.approx(math.cos(5)) and tangents["v2"] == 2
    assert f"v̇3 = cos(5) = {_shown(math.cos(5))}" in " ".join(text.split())
    # each quoted line: "v̄N += … = value" and "v̄̇N += … = value" in the sweep's order
    into = [(labels[s.node], s) for s in sweep.steps if s.source is not None]
    into = [(label, s) for label, s in into if label in ("v0", "v-1")]
    block = text[text.index("and v-1's first-order part:") :].split("\n\n")[1]
    # one quoted rule: "v̄N += …", its numbers on the lines below, "= value", "(total T)"
    quoted = []
    for entry in re.split(r"\n(?= {4}v̄)", block):
        head = re.match(r" {4}(v̄̇?)(-?\d) \+=", entry)
        assert head, entry
        values = re.findall(r"= (-?[\d.]+)", entry)
        total = re.search(r"\(total (\S+)\)", entry)
        quoted.append((head.group(1), head.group(2), values[-1], total.group(1) if total else ""))
    expected = []
    for label, step in into:
        number = label[1:]
        expected.append(("v̄", number, _shown(float(step.contribution)), _shown(float(step.total))))
        dot = float(step.contribution_dot)
        expected.append(("v̄̇", number, _shown(dot), _shown(float(step.total_dot))))
    # every line into v0, and v-1's first-order lines: its v̄̇ lines are the exercises
    expected = [e for e in expected if e[1] == "0" or e[0] == "v̄"]
    assert len(quoted) == len(expected) == 6
    for (bar, number, value, total), (want_bar, want_number, want_value, want_total) in zip(
        quoted, expected, strict=True
    ):
        assert (bar, number) == (want_bar, want_number)
        assert value == want_value
        assert not total or total == want_total
    gradient = trace.gradient()
    assert f"({_shown(float(gradient['x1']))}, {_shown(float(gradient['x2']))})" in text
    assert compute("adjoint-dot-term v0 1", explore) == pytest.approx((-1) * (-math.sin(5)) * 1)
    assert compute("adjoint-dot v-1", explore) == 1.0
    assert compute("adjoint-dot-term v-1 2", explore) == 0.0  # ln's term: v̇-1 = 0 along x2
    # what the next step says of the sweep's end: the v̄̇ column is H's column x2
    assert "(1, −0.958924): column x2 of H" in " ".join(text.split())


def test_hvp_against_central_differences_of_gradients() -> None:
    """H·u for u = (1, −1), and the quoted directional derivative v̇5."""
    explore = _explore(SURVEY, "x1=2, x2=5", "hvp", "x1=1, x2=-1")
    setup = prepare(explore)
    u = {"x1": 1.0, "x2": -1.0}
    h = 1e-4

    def gradient(t: float) -> np.ndarray:
        values = {k: np.float64(float(v) + t * u[k]) for k, v in setup.values.items()}
        g = run(setup.graph, values, "reverse").gradient()
        return np.array([float(g["x1"]), float(g["x2"])])

    differences = (gradient(h) - gradient(-h)) / (2 * h)
    products = [float(v) for v in str(compute("hvp-vector", explore)).split(",")]
    assert products == pytest.approx(list(differences), rel=1e-7)
    assert f"v̇5 = {_shown(float(compute('tangent v5', explore)))}" in _text(SEVENTEEN)


def test_lesson_17_costs_as_quoted() -> None:
    text = _text(SEVENTEEN)
    explore = _explore("x1*x2 + x2*x3 + x3*x4 + exp(x1)", "x1=0, x2=1, x3=2, x4=3", "hessian")
    nested, central, forward = (
        compute(f"hessian-cost {m}", explore) for m in ("nested", "central", "forward")
    )
    assert (
        f"counts {nested:.0f} operations for the nested sweeps (and the primal), "
        f"{central:.0f} for central differences of gradients and {forward:.0f} for forward" in text
    )
    assert compute("nested-sweeps", explore) == 4
    assert compute("fd-gradients central", explore) == 8
    assert compute("fd-gradients forward", explore) == 5


def test_lesson_17_newton_table_against_numpy() -> None:
    """The table of iterates: numpy's Newton steps on sympy's H and ∇f, and the engine's."""
    text = SEVENTEEN.read_text(encoding="utf-8")
    program = "x1^4 + x1*x2 + (1 + x2)^2"
    explore = _explore(program, "x1=1, x2=0", "hessian")
    rows = re.findall(r"^ {4}(\d) +(\S+) +(\S+) +(\S+)$", text, re.M)
    assert [int(r[0]) for r in rows] == [0, 1, 2, 3, 4]
    x = np.array([1.0, 0.0])
    for k, x1, x2, f in rows:
        if int(k):
            g, h = _sympy_hessian(program, {"x1": x[0], "x2": x[1]})
            x = x - np.linalg.solve(h, g)
        assert float(x1) == pytest.approx(x[0], abs=6e-7)
        assert float(x2) == pytest.approx(x[1], abs=6e-7)
        assert compute(f"newton {k} x1", explore) == pytest.approx(x[0], rel=1e-12)
        assert compute(f"newton {k} x2", explore) == pytest.approx(x[1], rel=1e-12)
        assert float(f) == pytest.approx(compute(f"newton-value {k}", explore), abs=6e-7)
    assert "s = (5/23, 32/23)" in text and compute("newton 1 x1", explore) == pytest.approx(18 / 23)
    # the exercise starts from (2, 0): H = [[48, 1], [1, 2]], ∇f = (32, 4), s = (12/19, 32/19)
    exercise, step = _exercise(parse_lesson(SEVENTEEN), "newton-step")
    g, h = _sympy_hessian(program, {"x1": 2.0, "x2": 0.0})
    after = np.array([2.0, 0.0]) - np.linalg.solve(h, g)
    assert compute(exercise.query, step) == pytest.approx(after[1], rel=1e-12)
    assert after[1] == pytest.approx(-32 / 19) and "s₂ = 32/19" in text
    assert f"from 0 to −{_shown(-after[1])}" in text


# ------------------------------------------------------------------ slips the hints name


@pytest.mark.parametrize(
    ("lesson_path", "exercise_id", "typed", "slip"),
    [
        (SIXTEEN, "vjp-t", "-0.958851", "weight-left-out"),  # y's weight −2 left out
        (SIXTEEN, "vjp-t", "-3.03090", "jvp-for-vjp"),  # J·ȳ: ȳ laid on the inputs
        (SIXTEEN, "vjp-t", "0.796314", "weights-ignored"),
        (SIXTEEN, "vector-part", "0.479426", "other-direction"),
        (SIXTEEN, "vector-sweep-cost", "76", "other-cost"),
        (SIXTEEN, "vector-sweep-cost", "44", "tangents-only"),  # the primal left out
        (SIXTEEN, "vector-sweep-cost", "38", "one-sweep"),
        (SIXTEEN, "scalar-sweeps-cost", "38", "one-sweep"),  # one sweep, not two
        (SIXTEEN, "scalar-sweeps-cost", "44", "tangents-only"),
        (SEVENTEEN, "ln-term", "0.5", "first-order"),  # v̄ for v̄̇
        (SEVENTEEN, "ln-term", "-0.25", "moved"),  # v̇-1 taken as 1
        (SEVENTEEN, "ln-term", "1", "other-contribution"),  # the product's v̄̇ part
        (SEVENTEEN, "x1-dot", "5.5", "first-order"),
        (SEVENTEEN, "x1-dot", "0.75", "moved"),  # ln's term kept: v̇-1 taken as 1
        (SEVENTEEN, "sweeps-for-h", "8", "sweeps"),  # 2n: central differences
        (SEVENTEEN, "newton-step", "-4", "gradient-step"),
        (SEVENTEEN, "newton-step", "1.68421", "sign"),
    ],
)
def test_a_typical_slip_is_named(
    lesson_path: Path, exercise_id: str, typed: str, slip: str
) -> None:
    exercise, explore = _exercise(parse_lesson(lesson_path), exercise_id)
    feedback = check(exercise, explore, typed)
    assert not feedback.correct and feedback.slip == slip, feedback


def test_a_transposed_product_is_named_in_a_vector_answer() -> None:
    exercise, explore = _exercise(parse_lesson(SIXTEEN), "jvp-polar")
    setup = prepare(explore)
    j = _polar_jacobian(2.0, 0.5)
    transposed = np.array([1.0, 0.5]) @ j  # uᵀJ
    assert setup.seed
    feedback = check(exercise, explore, ", ".join(_shown(v) for v in transposed))
    assert not feedback.correct and "uᵀJ" in feedback.message


# ------------------------------------------------------------------ misuse: clear messages


def _problems(body: str) -> list[str]:
    text = (
        f"---\nid: t\ntitle: T\nsummary: s\norder: 1\nprerequisites: []\n---\n\n## Step\n\n{body}"
    )
    try:
        lesson = parse_lesson(Path("t.md"), text)
    except LessonFormatError as error:
        return [p.message for p in error.problems]
    return [p.message for p in check_lesson(lesson)]


def _block(kind: str, text: str) -> str:
    return f"```{kind}\n{text}\n```\n\n"


@pytest.mark.parametrize(
    ("explore", "query", "words"),
    [
        ("program: x1*x2\nmode: vector\nseed: x1", "value", ["mode: vector takes no seed"]),
        ("program: x1*x2\nmode: hessain", "value", ["mode must be", "did you mean 'hessian'"]),
        ("program: x1*x2\nmode: reverse\nseed: x1=1", "vjp x1", ["cotangent", "x1 is an input"]),
        (
            "program: x1*x2\nmode: reverse\nseed: g=1",
            "vjp x1",
            ["not an output", "outputs: f"],
        ),
        ("program: x1*x2\nmode: forward", "vjp x1", ["ȳᵀJ needs a cotangent", "mode: reverse"]),
        ("program: x = a*b; y = a+b; return x, y\nmode: hvp", "hvp a", ["scalar output"]),
        ("program: x1^2 + x2\nmode: hessian", "newton 1 x1", ["singular"]),
        ("program: x1*x2\nmode: vector", "vector-tangent v1 x3", ["no direction 'x3'", "x1, x2"]),
        ("program: x1*x2\nmode: hvp", "adjoint-dot-term v-1 2", ["1 contribution(s)"]),
    ],
)
def test_misuse_is_reported_clearly(explore: str, query: str, words: list[str]) -> None:
    body = _block("adx-explore", explore) + _block(
        "adx-exercise", f"id: e\nkind: number\nquestion: q?\nfrom: {query}"
    )
    messages = " ".join(_problems(body))
    for word in words:
        assert word in messages, messages


def test_the_player_sets_the_explorer_up_for_the_newer_modes() -> None:
    """vector: forward mode with every direction at once; hvp/hessian: the explorer's
    second-order mode along the seed (default the first input) or for the whole H;
    reverse with a seed: the cotangent ȳ; the explorer then shows the same numbers."""
    vector = session_for_exploration(_explore(POLAR, "r=2, t=0.5", "vector"))
    assert vector.mode == "forward" and vector.vector
    reverse = session_for_exploration(_explore(POLAR, "r=2, t=0.5", "reverse", "x=1, y=-2"))
    assert reverse.mode == "reverse" and reverse.cotangent_text == "x=1, y=-2"
    assert reverse.trace is not None
    vjp = reverse.trace.vjp()
    polar = _explore(POLAR, "r=2, t=0.5", "reverse", "x=1, y=-2")
    assert float(vjp["t"]) == compute("vjp t", polar)
    hvp = session_for_exploration(_explore(SURVEY, "x1=2, x2=5", "hvp", "x1=1, x2=-1"))
    assert hvp.mode == "second" and hvp.second_kind == "hvp"
    assert hvp.second is not None
    assert float(hvp.second.hvp()["x2"]) == pytest.approx(1 - math.sin(5))
    default = session_for_exploration(_explore(SURVEY, "x1=2, x2=5", "hvp"))
    assert default.second is not None and float(default.second.hvp()["x1"]) == -0.25
    hessian = session_for_exploration(_explore(SURVEY, "x1=2, x2=5", "hessian"))
    assert hessian.second_kind == "hessian" and hessian.second is not None
    assert hessian.second.hessian()[0, 1] == 1.0


@pytest.mark.parametrize("path", [SIXTEEN, SEVENTEEN], ids=lambda p: p.stem)
async def test_stepping_every_sweep_with_the_exercises_open(path: Path, tmp_path: Path) -> None:
    """Each step's explorer played to the end with → while its exercises are open (their
    mask set): every frame draws, nothing is reported as a bug (a nested seed frame once
    lost its second formula to the mask)."""
    from adexplorer.lessons.progress import Progress
    from adexplorer.tui.lesson_app import LessonApp
    from tests.tui_helpers import quick_pilot, settle

    lesson = parse_lesson(path)
    app = LessonApp(lesson, Progress.load(tmp_path / "progress.json"))
    with quick_pilot():
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            for index, step in enumerate(lesson.steps):
                assert app.step_index == index
                if step.explore is not None:
                    session = session_for_exploration(step.explore)
                    for _ in range(len(session.frames)):
                        await pilot.press("right")
                    await settle(pilot)
                await pilot.press("n")
                await settle(pilot)
            messages = [str(n.message) for n in app._notifications]
    assert not any("bug in adx" in m for m in messages), messages


def test_a_nested_cell_is_hidden_while_its_exercise_is_open() -> None:
    """adjoint-dot v-1 along x2: the explorer's second-order mode shows v-1's v̇, v̄ and v̄̇
    as ? (the session asks about the sweep along its forward seed), other nodes as usual."""
    from adexplorer.explorer.session import CONCEALED
    from adexplorer.lessons.concealment import hidden_for_all

    lesson = parse_lesson(SEVENTEEN)
    exercise, explore = _exercise(lesson, "x1-dot")
    session = session_for_exploration(explore)
    session.concealed = hidden_for_all([exercise], explore)
    session.to_end()
    state = session.nested_state()
    labels = prepare(explore).graph.labels("griewank")
    hidden = [labels[i] for i, cell in enumerate(state) if cell.adjoint_dot is CONCEALED]
    assert hidden == ["v-1"]
    assert float(state[labels.index("v0")].adjoint_dot) == pytest.approx(math.sin(5))


async def test_the_hvp_exercise_hides_its_answer_on_screen_until_answered(tmp_path: Path) -> None:
    """Lesson 17's H·u along (1, −1): played to the end with the exercise open, the
    screen (panel, cells, bar) never shows H·u; the status line says it is hidden;
    answered, the panel shows it."""
    from adexplorer.base.numbers import format_scalar
    from adexplorer.lessons.progress import Progress
    from adexplorer.tui.lesson_app import LessonApp
    from adexplorer.tui.widgets.formula_bar import FormulaBar
    from adexplorer.tui.widgets.hessian_panel import HessianPanel
    from tests.tui_helpers import quick_pilot, settle

    lesson = parse_lesson(SEVENTEEN)
    step = next(
        k for k, s in enumerate(lesson.steps) if any(e.id == "hvp-direction" for e in s.exercises)
    )
    _, explore = _exercise(lesson, "hvp-direction")
    trace = run_second_order(
        prepare(explore).graph, prepare(explore).values, direction={"x1": 1.0, "x2": -1.0}
    )
    answer = [float(v) for v in trace.hvp().values()]
    assert answer == pytest.approx([-1.25, 1 - math.sin(5)])  # H·u by hand
    texts = [format_scalar(v, 6) for v in answer]
    progress = Progress.load(tmp_path / "progress.json")
    progress.set_step(lesson.id, step)
    app = LessonApp(lesson, progress)

    def screen() -> str:
        return str(app.query_one(HessianPanel).render()) + str(app.query_one(FormulaBar).content)

    with quick_pilot():
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert app.step_index == step
            await pilot.press("end")
            await settle(pilot)
            shown = screen() + app.export_screenshot()
            assert not any(text in shown for text in texts), shown
            assert "? hidden until answered" in shown
            await pilot.press("a")
            await pilot.press(
                *[
                    {".": "full_stop", "-": "minus", ",": "comma"}.get(c, c)
                    for c in f"{texts[0]}, {texts[1]}"
                ]
            )
            await pilot.press("enter")
            await settle(pilot)
            shown = screen()
            assert all(text in shown for text in texts), shown
            assert "hidden until answered" not in shown


async def test_a_hidden_nested_adjoint_step_is_not_called_the_seed(tmp_path: Path) -> None:
    """With its numbers hidden, an adjoint step of the nested sweep showed the seed's note."""
    from adexplorer.lessons.concealment import hidden_for_all
    from adexplorer.tui.app import ExplorerApp
    from adexplorer.tui.widgets.formula_bar import FormulaBar

    lesson = parse_lesson(SEVENTEEN)
    exercise, explore = _exercise(lesson, "hvp-direction")
    session = session_for_exploration(explore)
    session.concealed = hidden_for_all([exercise], explore)
    app = ExplorerApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("end")
        await pilot.pause()
        bar = str(app.query_one(FormulaBar).content)
        assert "= ?" in bar and "the seed" not in bar


# ------------------------------------------------------------------ found by a student tester


@pytest.mark.parametrize(
    ("lesson_path", "exercise_id", "typed", "slip"),
    [
        # uᵀJ worked from the lesson's rounded numbers (its last digits off)
        (SIXTEEN, "jvp-polar", "1.1173, -0.0812656", "transposed"),
        (SIXTEEN, "jvp-polar", "0.877583, 0.479426", "one-direction"),  # u's r part only
        (SIXTEEN, "row-y", "0.877583, -0.958851", "other-row"),  # the x row
        (SEVENTEEN, "hvp-direction", "-0.25, 1", "one-column"),  # H·e₁
        (SEVENTEEN, "hvp-direction", "-1, 0.958924", "one-column"),  # −1 times H·e₂
        (SEVENTEEN, "hvp-direction", "0.75, 0.041076", "sign-lost"),  # H·(1, 1)
        (SEVENTEEN, "hvp-direction", "5.5, 1.71634", "first-order"),  # the gradient
    ],
)
def test_a_vector_slip_is_named(lesson_path: Path, exercise_id: str, typed: str, slip: str) -> None:
    exercise, explore = _exercise(parse_lesson(lesson_path), exercise_id)
    feedback = check(exercise, explore, typed)
    assert not feedback.correct and feedback.slip == slip, feedback


def test_the_slip_values_come_from_the_engine() -> None:
    """The vector slips above, computed independently: uᵀJ, H's columns, H·(1, 1)."""
    j = _polar_jacobian(2.0, 0.5)
    assert np.array([1.0, 0.5]) @ j == pytest.approx([1.117296, -0.0812685], abs=1e-6)
    _, h = _sympy_hessian(SURVEY, {"x1": 2.0, "x2": 5.0})
    assert h[:, 0] == pytest.approx([-0.25, 1]) and h @ [1, 1] == pytest.approx(
        [0.75, 0.041076], abs=1e-6
    )
    moved = _explore(SURVEY, "x1=2, x2=5", "hvp", "x1=1, x2=1")  # x1 moving too
    assert compute("adjoint-dot v-1", moved) == pytest.approx(0.75)


def _answers(exercise: Exercise, explore: Explore) -> list[float]:
    shown = reveal_text(exercise, explore)
    return [float(word) for word in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", shown)]


@pytest.mark.parametrize("path", [SIXTEEN, SEVENTEEN], ids=lambda p: p.stem)
def test_the_prose_does_not_give_away_an_open_exercise(path: Path) -> None:
    """No number an exercise asks for (other than whole numbers, which the prose uses
    everywhere) is printed in the prose of its own step or an earlier one: the worked
    example is a sibling, or its result comes after the exercise."""
    lesson = parse_lesson(path)
    prose = ""
    for index, step in enumerate(lesson.steps):
        prose += " " + step.prose
        explore = lesson.explore_for(index)
        for exercise in step.exercises:
            assert explore is not None
            for value in _answers(exercise, explore):
                if value == int(value):
                    continue
                for text in (_shown(value), _shown(value).replace("-", "−")):
                    assert not re.search(rf"(?<![\d.]){re.escape(text)}(?!\d)", prose), (
                        exercise.id,
                        text,
                    )
    assert "four nested sweeps" not in _text(SEVENTEEN)


def test_a_cost_slip_never_gets_calculus_advice() -> None:
    """Half of a count is a sweep left out, not a derivative of u²."""
    from adexplorer.lessons import grading

    for nature in ("count", "value", "other", "descent"):
        half = grading.generic_slips(76.0, "the answer", nature)[2]
        assert half.name == "factor-2" and "derivative" not in half.message
    assert "2u" in grading.generic_slips(2.0, "∂f/∂x", "derivative")[2].message
    exercise, explore = _exercise(parse_lesson(SIXTEEN), "scalar-sweeps-cost")
    feedback = check(exercise, explore, "38")
    assert "one sweep" in feedback.message and "derivative" not in feedback.message
    for typed in ("152", "7.6", "760"):  # any other generic slip: no calculus either
        assert "derivative" not in check(exercise, explore, typed).message


def test_one_nested_sweep_is_called_a_column_of_h() -> None:
    """A sweep along eₖ gives H·eₖ, column k: the lesson and the feedback say column."""
    text = _text(SEVENTEEN)
    assert "its rows are its columns" in text  # symmetry, said once
    assert not re.search(r"\brows? (x\d )?of H\b|whole row|row x2", text)
    exercise, explore = _exercise(parse_lesson(SEVENTEEN), "sweeps-for-h")
    for typed in ("16", "1"):
        message = check(exercise, explore, typed).message
        assert "column" in message and "row" not in message, message


#: Cells a line of a lesson's code block may take: the lesson pane at 120 columns
#: (40% of the screen, less its border, padding and scroll bar) shows 39.
CODE_CELLS = 38


@pytest.mark.parametrize("path", [SIXTEEN, SEVENTEEN], ids=lambda p: p.stem)
def test_code_lines_fit_the_lesson_pane(path: Path) -> None:
    from rich.cells import cell_len

    lesson = parse_lesson(path)
    for step in lesson.steps:
        for line in step.prose.splitlines():
            if line.startswith("    "):
                assert cell_len(line[4:].rstrip()) <= CODE_CELLS, line
