"""The whole built-in course, played through the lesson player as a student would.

For every exercise of every lesson: the answer is worked out without the lesson's
answer key (tests/course_oracle.py), typed as the screen shows numbers (six
significant digits, thousands separators), and must be accepted.  Before that, a
wrong answer is typed, and the player must answer it with more than a bare "not
quite": feedback that names the slip, or a hint.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Static

from adexplorer.base.resources import lessons_dir
from adexplorer.lessons.catalog import builtin
from adexplorer.lessons.model import Exercise, Explore, Lesson
from adexplorer.lessons.progress import Progress
from adexplorer.tui.lesson_app import LessonApp
from adexplorer.tui.widgets.lesson_panel import ExerciseBox, LessonPanel
from tests import course_oracle as oracle
from tests.tui_helpers import quick_pilot, settle

COURSE = builtin()

#: What a wrong answer may not get back alone: it teaches nothing.
BARE = ("✗ not quite", "✗ not that one")


def right_and_wrong(exercise: Exercise, explore: Explore | None) -> tuple[str, str]:
    """What a student types to answer correctly, and a plausible wrong answer."""
    kind, query = exercise.kind, exercise.query
    if kind in ("number", "order"):
        if query and explore is not None:
            value = oracle.number(query, explore)
        else:  # a literal key: nothing to compute, the key is the answer
            value = float(exercise.answer)
        wrong = -value if kind == "number" and value != 0 else value * 1000 + 1
        return oracle.typed(value), oracle.typed(wrong)
    if kind == "choice":
        return _choice(exercise, explore)
    assert explore is not None, exercise.id
    if kind == "formula":
        try:
            right = oracle.formula(exercise, explore)
        except oracle.NoOracle:
            right = exercise.answer
        return right, f"-({right})"
    if kind == "rule":
        right = oracle.rule(exercise)
        return right, f"-({right})"
    if kind == "sequence":
        right = oracle.sequence(exercise, explore)
        return right, " ".join(reversed(right.split()))
    if kind == "seed":
        right = oracle.seed(exercise, explore)
        others = [n for n in explore_inputs(explore) if n != right]
        return right, others[0]
    if kind == "shape":  # a wrong type: rows and columns swapped, or a number for a vector
        right = oracle.shape(exercise, explore)
        dims = right[right.find("[") + 1 : -1].split(",")
        wrong = f"mat[{dims[1]},{dims[0]}]" if len(dims) == 2 else "real"
        return right, wrong
    if kind == "vector":
        entries = oracle.vector(exercise, explore)
        right = ", ".join(oracle.typed(v) for v in entries)
        return right, ", ".join(oracle.typed(-v) for v in entries)
    raise oracle.NoOracle(f"no walkthrough for kind {kind!r}")


def explore_inputs(explore: Explore) -> tuple[str, ...]:
    from adexplorer.lessons.answers import prepare

    return prepare(explore).graph.input_names


def _choice(exercise: Exercise, explore: Explore | None) -> tuple[str, str]:
    letters = "abcdefghij"[: len(exercise.choices)]
    query = exercise.query.strip()
    if query == "cheaper-mode":
        right = oracle.choice(exercise, explore)
    elif query in ("wrong-inputs", "wrong-node") and explore is not None:
        inputs, node = oracle.wrong_inputs_and_node(explore)
        if query == "wrong-node":
            starts = node + " "
        elif not inputs:
            starts = "none"
        elif len(inputs) == 1:
            starts = f"only {inputs[0]}"
        else:
            starts = "both " + " and ".join(inputs)
        matches = [k for k, c in enumerate(exercise.choices) if c.startswith(starts)]
        assert len(matches) == 1, (exercise.id, starts, exercise.choices)
        right = letters[matches[0]]
    elif query.startswith("branch ") and explore is not None:
        word = oracle.branch(explore, int(query.split()[1]))
        matches = [k for k, c in enumerate(exercise.choices) if c.startswith(word + " ")]
        assert len(matches) == 1, (exercise.id, word, exercise.choices)
        right = letters[matches[0]]
    elif query.startswith("codegen-statement ") and explore is not None:
        _, label, k = query.split()
        statement = oracle.codegen_statement(explore, label, int(k))
        matches = [k for k, c in enumerate(exercise.choices) if c == statement]
        assert len(matches) == 1, (exercise.id, statement, exercise.choices)
        right = letters[matches[0]]
    else:  # a literal key: the only source there is
        assert not query, f"no oracle for the choice query {query!r}"
        right = exercise.answer.lower()
    wrong = next(letter for letter in letters if letter != right)
    return right, wrong


async def type_answer(pilot, app: LessonApp, box: ExerciseBox, text: str) -> str:  # type: ignore[no-untyped-def]
    """Focus the box's answer field, type ``text`` key by key, press Enter; the feedback."""
    field = box.query_one(Input)
    field.focus()
    await pilot.pause()
    field.value = ""
    for character in text:
        await pilot.press(character)
    assert field.value == text
    await pilot.press("enter")
    await settle(pilot)
    return str(box.query_one(".feedback", Static).render())


@pytest.mark.parametrize("lesson", COURSE, ids=[lesson.id for lesson in COURSE])
async def test_every_exercise_is_answerable_as_shown(lesson: Lesson, tmp_path: Path) -> None:
    assert lesson.path.parent == lessons_dir()
    app = LessonApp(lesson, Progress.load(tmp_path / "progress.json"))
    played = 0
    with quick_pilot():
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            for index, step in enumerate(lesson.steps):
                assert app.step_index == index
                explore = lesson.explore_for(index)
                for exercise in step.exercises:
                    right, wrong = right_and_wrong(exercise, explore)
                    box = app.query_one(LessonPanel).box(exercise.id)
                    assert box is not None, exercise.id
                    said = await type_answer(pilot, app, box, wrong)
                    offer = str(box.query_one(".offer", Static).render())
                    assert not box.has_class("-solved"), (exercise.id, wrong, said)
                    # the slip named, or else the next hint offered
                    assert said.strip() not in BARE or "hint" in offer, (exercise.id, said)
                    said = await type_answer(pilot, app, box, right)
                    assert box.has_class("-solved"), (exercise.id, right, said)
                    played += 1
                await pilot.press("n")
                await settle(pilot)
    assert played == len(lesson.exercises())
