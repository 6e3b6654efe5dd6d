"""Lessons: the format, the checker, answers checked by the engine, progress, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from adexplorer.base.resources import lessons_dir
from adexplorer.lessons import answers
from adexplorer.lessons.catalog import builtin, find
from adexplorer.lessons.checker import check_paths
from adexplorer.lessons.parser import LessonFormatError, parse_lesson
from adexplorer.lessons.progress import Progress
from tests.test_cli_eval import adx

GOOD = """---
id: tiny
title: A tiny lesson
order: 1
---

Intro.

## First step

Some prose.

```adx-explore
program: x*y + sin(x)
at: x=0.5, y=4.2
mode: forward
seed: x
```

```adx-exercise
id: dx
kind: number
question: What is df/dx?
answer: 5.077582561890373
from: gradient x
hints:
  - y + cos(x)
```

```adx-exercise
id: pick
kind: choice
question: Which mode is this?
choices:
  - forward
  - reverse
answer: a
```
"""


def write(tmp_path: Path, text: str, name: str = "lesson.md") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_good_lesson_parses(tmp_path: Path) -> None:
    lesson = parse_lesson(write(tmp_path, GOOD))
    assert lesson.id == "tiny" and lesson.title == "A tiny lesson" and lesson.intro == "Intro."
    (step,) = lesson.steps
    assert step.title == "First step" and step.explore is not None and step.explore.seed == "x"
    assert [e.id for e in step.exercises] == ["dx", "pick"]
    assert step.exercises[0].hints == ("y + cos(x)",)
    lessons, problems = check_paths([tmp_path])
    assert problems == [] and len(lessons) == 1


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        (lambda t: t.replace("---\nid: tiny", "id: tiny", 1), 1, "front matter"),
        (lambda t: t.replace("id: tiny\n", ""), 1, "needs 'id:'"),
        (lambda t: t.replace("mode: forward", "mood: forward"), 16, "unknown key 'mood'"),
        (lambda t: t.replace("x*y + sin(x)", "x*y + sin(x"), 14, "the program does not run"),
        (
            lambda t: t.replace("answer: 5.077582561890373", "answer: 5.1"),
            21,
            "disagrees with the engine",
        ),
        (lambda t: t.replace("kind: number", "kind: numeral"), 22, "kind must be one of"),
        (
            lambda t: t.replace("answer: a\n", "answer: b\n"),
            32,
            "",
        ),  # a literal choice is not engine-checked
        (lambda t: t.replace("from: gradient x", "from: gradient z"), 21, "'z' is not an input"),
        (lambda t: t + "\n```adx-exercise\nid: open\n", 40, "never closed"),
        (lambda t: t.replace("## First step", "First step"), 13, "inside a step"),
    ],
)
def test_format_errors_name_the_file_line_and_problem(  # type: ignore[no-untyped-def]
    tmp_path: Path, change, line: int, words: str
) -> None:
    path = write(tmp_path, change(GOOD))
    _, problems = check_paths([path])
    if not words:
        assert problems == []
        return
    assert problems, "expected a problem"
    assert any(words in p.message for p in problems), [str(p) for p in problems]
    assert all(p.path == path for p in problems)
    assert any(p.line == line for p in problems), [str(p) for p in problems]


def test_all_problems_are_reported_not_just_the_first(tmp_path: Path) -> None:
    text = GOOD.replace("mode: forward", "mood: forward").replace("kind: number", "kind: numeral")
    with pytest.raises(LessonFormatError) as info:
        parse_lesson(write(tmp_path, text))
    assert len(info.value.problems) == 2


def test_answers_are_checked_by_the_engine(tmp_path: Path) -> None:
    lesson = parse_lesson(write(tmp_path, GOOD))
    step = lesson.steps[0]
    dx, pick = step.exercises
    explore = step.explore
    assert answers.check(dx, explore, "5.0775825619").correct
    assert answers.check(
        dx, explore, "4.2 + cos(0.5)"
    ).correct  # expressions are read by the grammar
    assert not answers.check(dx, explore, "5").correct
    assert "could not read" in answers.check(dx, explore, "5 +").message
    assert (
        answers.check(pick, explore, "a").correct
        and answers.check(pick, explore, "forward").correct
    )
    assert not answers.check(pick, explore, "b").correct


def test_a_literal_answer_may_be_an_expression(tmp_path: Path) -> None:
    """Literal answers are read by the grammar, like students' answers: 1/2 is 0.5."""
    text = GOOD.replace("answer: 5.077582561890373\nfrom: gradient x", "answer: 4.2 + cos(0.5)")
    lesson = parse_lesson(write(tmp_path, text))
    step = lesson.steps[0]
    assert answers.check(step.exercises[0], step.explore, "5.0775825619").correct
    _, problems = check_paths([lesson.path])
    assert problems == []


def test_formula_and_order_exercises() -> None:
    dual = find("dual-numbers")
    step = dual.steps[1]
    formula = step.exercises[0]
    assert answers.check(formula, step.explore, "sin(x) + x*cos(x)").correct
    assert answers.check(formula, step.explore, "x*cos(x) + sin(x)").correct
    assert not answers.check(formula, step.explore, "cos(x)").correct
    assert "use only the inputs" in answers.check(formula, step.explore, "sin(t)").message
    numerical = find("numerical-differentiation")
    order = numerical.steps[0].exercises[0]
    assert answers.check(order, numerical.steps[0].explore, "1e-5").correct
    assert not answers.check(order, numerical.steps[0].explore, "1e-1").correct


def test_the_built_in_course() -> None:
    lessons = builtin()
    assert len(lessons) >= 10
    assert [lesson.order for lesson in lessons] == sorted(lesson.order for lesson in lessons)
    for lesson in lessons:
        assert len(lesson.exercises()) >= 2, lesson.id
    _, problems = check_paths([lessons_dir()])
    assert problems == [], [str(p) for p in problems]


def test_adx_lesson_check_passes_on_the_course_and_fails_on_bad_files(tmp_path: Path) -> None:
    result = adx("lesson", "check", str(lessons_dir()))
    assert result.returncode == 0, result.stderr
    assert "every computed answer was verified by the engine" in result.stdout
    bad = write(tmp_path, GOOD.replace("answer: 5.077582561890373", "answer: 5.1"))
    result = adx("lesson", "check", str(bad))
    assert result.returncode == 1
    assert f"{bad}:21:" in result.stderr and "disagrees with the engine" in result.stderr


def test_adx_lesson_list_show_and_errors(tmp_path: Path) -> None:
    env_dir = tmp_path / "data"
    import os

    os.environ["ADX_DATA_DIR"] = str(env_dir)
    try:
        listing = adx("lesson", "list", columns=200)
        assert listing.returncode == 0 and "reverse-mode" in listing.stdout
        shown = adx("lesson", "show", "reverse-mode", "--answers", columns=120)
        assert shown.returncode == 0 and "answer: 5.5" in shown.stdout
        missing = adx("lesson", "show", "reverse-mod")
        assert missing.returncode == 1 and "did you mean 'reverse-mode'" in missing.stderr
    finally:
        del os.environ["ADX_DATA_DIR"]


def test_progress_is_saved_atomically_and_a_corrupt_file_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    progress = Progress.load(path)
    progress.record("tiny", "dx", False)
    progress.record("tiny", "dx", True)
    progress.set_step("tiny", 2)
    data = json.loads(path.read_text())
    assert data["lessons"]["tiny"]["exercises"]["dx"] == {"attempts": 2, "correct": True}
    assert Progress.load(path).solved("tiny") == {"dx"}
    # no temporaries left; the lock file stays (deleting a lock file races with its next user)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["progress.json", "progress.json.lock"]
    path.write_text("{not json")
    reloaded = Progress.load(path)
    assert reloaded.problem is not None and "moved to" in reloaded.problem
    assert reloaded.lessons == {}
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("progress.json.corrupt-")]
    assert len(aside) == 1 and aside[0].read_text() == "{not json"


# ------------------------------------------------------------------ the Markdown body

CODE_WITH_A_HEADING = """---
id: fenced
title: Headings in code
---

## The only step

A Python snippet whose comment looks like a heading:

```python
def f(x):
## not a step: this line is code
    return x * x
```

`````markdown
```adx-exercise
id: shown-not-run
kind: number
```
`````

```adx-exercise
id: real
kind: number
question: 2 + 2?
answer: 4
```
"""


def test_a_heading_inside_a_fenced_code_block_does_not_split_a_step(tmp_path: Path) -> None:
    lesson = parse_lesson(write(tmp_path, CODE_WITH_A_HEADING))
    (step,) = lesson.steps
    assert step.title == "The only step"
    assert "## not a step: this line is code" in step.prose
    # an adx fence shown inside a longer fence is an example, not an exercise
    assert [ex.id for ex in step.exercises] == ["real"]
    assert "id: shown-not-run" in step.prose
    assert step.exercises[0].line == 24  # line numbers still count every line
    _, problems = check_paths([lesson.path])
    assert problems == []


def test_line_numbers_after_a_code_block_are_exact(tmp_path: Path) -> None:
    text = CODE_WITH_A_HEADING.replace("answer: 4", "answr: 4")
    with pytest.raises(LessonFormatError) as info:
        parse_lesson(write(tmp_path, text))
    (problem,) = [p for p in info.value.problems if "unknown key" in p.message]
    assert problem.line == 27 and "unknown key 'answr'" in problem.message


def test_only_level_two_headings_at_the_top_start_steps(tmp_path: Path) -> None:
    text = GOOD.replace(
        "Some prose.",
        "Some prose.\n\n### A sub-heading\n\n> ## quoted, not a step\n\nUnderlined\n---\n",
    )
    lesson = parse_lesson(write(tmp_path, text))
    (step,) = lesson.steps
    assert "### A sub-heading" in step.prose and "quoted, not a step" in step.prose
    assert [e.id for e in step.exercises] == ["dx", "pick"]


def test_the_prose_keeps_the_markdown_but_not_the_blocks(tmp_path: Path) -> None:
    lesson = parse_lesson(write(tmp_path, GOOD))
    assert lesson.steps[0].prose == "Some prose."
    assert lesson.intro == "Intro."


# ------------------------------------------------------------------ front matter (YAML)


def _front_matter_text(path: Path) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "---"
    return "\n".join(lines[1 : lines.index("---", 1)])


@pytest.mark.parametrize(
    "path",
    sorted(p for p in lessons_dir().glob("*.md") if p.name != "README.md"),
    ids=lambda p: p.name,
)
def test_every_built_in_lesson_has_yaml_front_matter(path: Path) -> None:
    """Course sites read the front matter with a YAML parser: it must be valid YAML."""
    data = yaml.safe_load(_front_matter_text(path))
    assert isinstance(data, dict)
    assert all(isinstance(data[k], str) for k in ("id", "title", "summary"))
    assert isinstance(data["order"], int) and isinstance(data["prerequisites"], list)
    lesson = parse_lesson(path)
    assert (lesson.id, lesson.title, lesson.order) == (data["id"], data["title"], data["order"])
    assert lesson.prerequisites == tuple(data["prerequisites"])


def test_a_quoted_title_may_contain_a_colon(tmp_path: Path) -> None:
    text = GOOD.replace("title: A tiny lesson", 'title: "Forward mode: a tiny lesson"')
    assert parse_lesson(write(tmp_path, text)).title == "Forward mode: a tiny lesson"
    text = GOOD.replace("order: 1", "order: 1\nprerequisites:\n  - why-derivatives\n  - cost")
    assert parse_lesson(write(tmp_path, text)).prerequisites == ("why-derivatives", "cost")


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        (
            "title: A tiny lesson",
            "title: Forward mode: a tiny lesson",
            3,
            [
                "not valid YAML",
                'put the value in double quotes: title: "Forward mode: a tiny lesson"',
            ],
        ),
        ("title: A tiny lesson", "titel: A tiny lesson", 3, ["unknown key 'titel'", "'title'"]),
        ("title: A tiny lesson", "colour: red", 3, ["the keys are id, title, summary"]),
        ("order: 1", "order: first", 4, ["'order' must be a whole number"]),
        ("order: 1", "order: 1\nprerequisites: cost", 5, ["must be a list of lesson ids"]),
        ("title: A tiny lesson", "title: 2024", 3, ["'title' must be text, not a number"]),
        ("title: A tiny lesson", "title: yes", 3, ["not true/false", 'title: "yes"']),
        ("order: 1", "order: 1\nid: again", 5, ["'id' is given twice"]),
        ("title: A tiny lesson", 'title: "unclosed', 3, ["not valid YAML"]),
        ("title: A tiny lesson", "title: `code`", 3, ["not valid YAML", 'title: "`code`"']),
        ("title: A tiny lesson\n", "", 1, ["needs 'title:'"]),
        (
            "title: A tiny lesson",
            "title: !!python/object/apply:os.system ['echo hacked']",
            3,
            ["not valid YAML", "could not determine a constructor"],
        ),
    ],
)
def test_front_matter_problems_name_their_line(
    tmp_path: Path, old: str, new: str, line: int, words: list[str]
) -> None:
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(LessonFormatError) as info:
        parse_lesson(path)
    problems = info.value.problems
    assert any(p.line == line and all(w in p.message for w in words) for p in problems), [
        str(p) for p in problems
    ]


def test_a_yaml_error_does_not_hide_problems_in_the_body(tmp_path: Path) -> None:
    text = GOOD.replace("title: A tiny lesson", "title: A: B").replace("mode: forward", "mood: x")
    with pytest.raises(LessonFormatError) as info:
        parse_lesson(write(tmp_path, text))
    assert [p.line for p in info.value.problems] == [3, 16]
