"""``adx lesson check``: validate lesson files the way a course author's CI needs.

For every file: the format (with file and line), every program compiles and
runs at its point, the names in ``at:``, ``seed:`` and query arguments exist
(with the closest one when not), every exercise's answer can be computed, and
the grader the player uses accepts both the answer as the screen shows it (6
significant digits) and the author's literal answer.  All problems are collected,
not just the first.  Answers given only as literals (no ``from:``) are *notes*
(:func:`notes`): not a failure, but nothing checked them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path

from adexplorer.base.errors import AdxError, closest
from adexplorer.base.files import probe
from adexplorer.base.value_files import ValueContext
from adexplorer.compare.swell import family_study
from adexplorer.lang.lower import compile_source, parse_at
from adexplorer.lessons import answers, kinds
from adexplorer.lessons.model import Exercise, Explore, Lesson
from adexplorer.lessons.parser import LessonFormatError, Problem, parse_lesson


def lesson_files(paths: Iterable[Path], problems: list[Problem] | None = None) -> list[Path]:
    """The files to check: each file given, and the ``*.md`` files of each directory
    (a directory without any is a problem: a course's CI pointed at the wrong place
    must not pass with nothing checked)."""
    files: list[Path] = []
    for path in paths:
        if probe(path) == "directory":
            found = sorted(p for p in path.glob("*.md") if p.name.lower() != "readme.md")
            if not found and problems is not None:
                problems.append(Problem(path, 1, "no lesson files (*.md) in this directory"))
            files.extend(found)
        else:
            files.append(path)
    return files


def check_lesson(lesson: Lesson) -> list[Problem]:
    problems: list[Problem] = []
    for index, step in enumerate(lesson.steps):
        explore = lesson.explore_for(index)
        if step.explore is not None:
            try:
                inputs = compile_source(step.explore.program).graph.input_names
                misnamed = explore_problems(step.explore, inputs)
            except AdxError:
                misnamed = []  # prepare() below says what is wrong with the program
            problems.extend(Problem(lesson.path, step.explore.line, m) for m in misnamed)
            try:
                answers.prepared(step.explore)
            except AdxError as error:
                if not misnamed:  # a misspelt name is the reason: said above
                    # the problem line says what; the error's own "error: " would repeat it
                    where = error.render().removeprefix("error: ").replace("\n", "\n    ")
                    what = (
                        "a data file of 'at:' cannot be read"
                        if error.kind == "file"
                        else "the program does not run"
                    )
                    problems.append(Problem(lesson.path, step.explore.line, f"{what}: {where}"))
                continue
        for exercise in step.exercises:
            problems.extend(_check_exercise(lesson, exercise, explore))
    return problems


def _unknown_name(name: str, known: tuple[str, ...], where: str) -> str:
    match = closest(name, known)
    return (
        f"{where}: '{name}' is not an input of the program"
        + (f" (did you mean '{match}'?)" if match else "")
        + f"; the inputs are {', '.join(known) or 'none'}"
    )


def explore_problems(explore: Explore, inputs: tuple[str, ...]) -> list[str]:
    """What in an exploration names something the program does not have: ``at:`` and
    ``seed:`` names that are not inputs (``prepare`` would quietly ignore an ``at:``
    typo, and the step would run somewhere the prose does not say)."""
    found: list[str] = []
    if explore.at.strip():
        at = parse_at(
            explore.at, "at", ValueContext.lesson(explore.folder), program=explore.program
        )
        for name in at:
            if name not in inputs:
                found.append(_unknown_name(name, inputs, "'at:'"))
    seed = explore.seed.strip()
    # reverse mode's seed weights the outputs: answers.prepare checks those names
    if seed and seed not in inputs and explore.mode != "reverse":
        if "=" not in seed:
            found.append(_unknown_name(seed, inputs, "'seed:'"))
        else:
            for name in parse_at(seed, "seed"):
                if name not in inputs:
                    found.append(_unknown_name(name, inputs, "'seed:'"))
    if explore.pane == "swell" and explore.family != Explore.family:
        try:
            family_study(explore.family, "1:1")
        except AdxError as error:
            found.append(f"'family: {explore.family}' cannot be studied: {error.message}")
    return found


def query_problems(exercise: Exercise, explore: Explore | None) -> list[str]:
    """Misspelt names in a ``from:`` query's arguments (an input, or a node label)."""
    if not exercise.query or explore is None:
        return []
    query, args = answers.read_query(exercise.query)
    setup = answers.prepared(explore)
    found: list[str] = []
    for arg, word in zip(query.args, args, strict=True):
        if arg.meta == "NAME":
            name = word.partition("[")[0]
            if name not in setup.graph.input_names:
                found.append(
                    _unknown_name(name, setup.graph.input_names, f"'from: {exercise.query}'")
                )
        elif arg.meta == "NODE":
            labels = setup.graph.labels("griewank")
            if word not in labels:
                match = closest(word, labels)
                found.append(
                    f"'from: {exercise.query}': the program has no node '{word}'"
                    + (f" (did you mean '{match}'?)" if match else "")
                    + f"; its nodes are {', '.join(labels)}"
                )
    return found


def notes(lesson: Lesson) -> list[Problem]:
    """What is not a failure but deserves a look: answers no engine verified."""
    return [
        Problem(
            lesson.path,
            exercise.line,
            f"note: exercise '{exercise.id}' has a literal answer only (no 'from:'): "
            "not engine-verified",
        )
        for _, exercise in lesson.exercises()
        if not exercise.query
    ]


def _check_exercise(lesson: Lesson, exercise: Exercise, explore: Explore | None) -> list[Problem]:
    """What keeps this exercise from being played: its answer must compute, be one a
    student can type (a finite number; positive for an order of magnitude), and agree
    with the literal answer when both are given."""
    here = (lesson.path, exercise.line)
    if exercise.kind in kinds.CHECKERS:
        return [
            Problem(*here, f"exercise '{exercise.id}': {p}")
            for p in kinds.verify(exercise, explore)
        ]
    try:
        if exercise.kind in ("number", "order", "formula", "choice"):
            misspelt = query_problems(exercise, explore)
            if misspelt:
                return [Problem(*here, f"exercise '{exercise.id}': {m}") for m in misspelt]
        if exercise.kind == "choice":
            answers.correct_choice(exercise, explore)
            return []
        if exercise.kind == "formula":
            if exercise.query:  # the query must name a function of the inputs
                if explore is None:
                    raise AdxError("lesson", "a formula exercise needs an adx-explore block")
                answers.formula_target(exercise, explore)
            reference = exercise.answer or None
            if reference is None:
                return []  # checked against AD point by point when a student answers
            if explore is None:
                raise AdxError("lesson", "a formula exercise needs an adx-explore block")
            answers.formula_target(exercise, explore)  # the literal formula computes
            feedback = answers.check(exercise, explore, reference)
            if not feedback.correct and exercise.query:
                return [
                    Problem(
                        *here,
                        f"the literal formula {reference!r} disagrees with the engine "
                        f"({exercise.query})",
                    )
                ]
            return []
        want = answers.expected_number(exercise, explore)
        if exercise.answer and exercise.query:
            literal = answers.read_number(exercise.answer)
            verdict = ""
            if exercise.kind == "order":
                agree = literal > 0 and (
                    abs(math.log10(literal) - math.log10(want)) <= exercise.tolerance
                )
            else:  # the grader the player uses, with the literal as the response
                feedback = answers.check(exercise, explore, exercise.answer)
                agree, verdict = feedback.correct, f" (the grader says: {feedback.message})"
            if not agree:
                return [
                    Problem(
                        *here,
                        f"the literal answer {exercise.answer} disagrees with the engine: "
                        f"{exercise.query} = {want!r}{verdict}",
                    )
                ]
        shown = answers.reveal_text(exercise, explore)
        if exercise.kind == "number":
            feedback = answers.check(exercise, explore, shown)
            if not feedback.correct:
                return [
                    Problem(
                        *here,
                        f"exercise '{exercise.id}': the answer as the screen shows it, {shown}, "
                        f"is not accepted by the grader ({feedback.message}); lower 'digits:' "
                        "or ask for something the screen can show",
                    )
                ]
    except AdxError as error:
        return [Problem(*here, f"exercise '{exercise.id}': {error.message}")]
    return []


def check_paths(
    paths: Iterable[Path], extra: Callable[[Lesson], list[Problem]] | None = None
) -> tuple[list[Lesson], list[Problem]]:
    """Every lesson file in ``paths`` parsed and checked; ``extra`` adds checks a
    higher layer can make (the CLI's: the explorer set up as the player sets it up)."""
    lessons: list[Lesson] = []
    problems: list[Problem] = []
    files = lesson_files(paths, problems)
    for path in files:
        if probe(path) is None:
            problems.append(Problem(path, 1, "no such file or directory"))
            continue
        try:
            lesson = parse_lesson(path)
        except LessonFormatError as error:
            problems.extend(error.problems)
            continue
        lessons.append(lesson)
        problems.extend(check_lesson(lesson))
        if extra is not None:
            problems.extend(extra(lesson))
    ids: dict[str, Path] = {}
    for lesson in lessons:
        if lesson.id in ids:
            problems.append(
                Problem(lesson.path, 1, f"lesson id '{lesson.id}' is also used by {ids[lesson.id]}")
            )
        ids[lesson.id] = lesson.path
    known = set(ids)
    for lesson in lessons:
        for prerequisite in lesson.prerequisites:
            if prerequisite not in known and len(files) > 1:
                problems.append(
                    Problem(
                        lesson.path,
                        1,
                        f"prerequisite '{prerequisite}' is not among the lessons checked",
                    )
                )
    return lessons, problems
