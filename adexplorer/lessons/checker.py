"""``adx lesson check``: validate lesson files the way a course author's CI needs.

For every file: the format (with file and line), every program compiles, every
exercise's answer can be computed, and every literal answer agrees with the
engine.  All problems are collected, not just the first.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

from adexplorer.base.errors import AdxError
from adexplorer.base.files import probe
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
                answers.prepare(step.explore)
            except AdxError as error:
                where = error.render().replace("\n", "\n    ")
                problems.append(
                    Problem(lesson.path, step.explore.line, f"the program does not run: {where}")
                )
                continue
        for exercise in step.exercises:
            problems.extend(_check_exercise(lesson, exercise, explore))
    return problems


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
            if exercise.kind == "order":
                agree = literal > 0 and (
                    abs(math.log10(literal) - math.log10(want)) <= exercise.tolerance
                )
            else:
                agree = abs(literal - want) <= exercise.tolerance * max(1.0, abs(want))
            if not agree:
                return [
                    Problem(
                        *here,
                        f"the literal answer {exercise.answer} disagrees with the engine: "
                        f"{exercise.query} = {want!r}",
                    )
                ]
    except AdxError as error:
        return [Problem(*here, f"exercise '{exercise.id}': {error.message}")]
    return []


def check_paths(paths: Iterable[Path]) -> tuple[list[Lesson], list[Problem]]:
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
