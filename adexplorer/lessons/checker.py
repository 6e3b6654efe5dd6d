"""``adx lesson check``: validate lesson files the way a course author's CI needs.

For every file: the format (with file and line), every program compiles and
runs at its point, the names in ``at:``, ``seed:`` and query arguments exist
(with the closest one when not), every exercise's answer can be computed, and
the grader the player uses accepts both the answer as the screen shows it (6
significant digits) and the author's literal answer.  All problems are collected,
not just the first: a file with format problems is still checked in its sound
parts (``parser.read_lesson``), so one run lists everything wrong with it, each
at its own line.  Answers given only as literals (no ``from:``) are *notes*
(:func:`notes`, severity ``notice``): not a failure, but nothing checked them.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from adexplorer.base.errors import AdxError, closest
from adexplorer.base.files import probe
from adexplorer.base.text import visible
from adexplorer.base.value_files import ValueContext
from adexplorer.compare.swell import family_study
from adexplorer.lang.lower import compile_source, parse_at
from adexplorer.lessons import answers, kinds
from adexplorer.lessons.model import Exercise, Explore, Lesson
from adexplorer.lessons.parser import ParsedLesson, Problem, read_lesson

#: A check a higher layer adds (the CLI's: the explorer set up as the player sets it up):
#: given a lesson and the lines of its faulty parts (``ParsedLesson.faulty``) to leave out.
ExtraCheck = Callable[[Lesson, frozenset[int]], list[Problem]]


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


def sound_steps(lesson: Lesson, faulty: frozenset[int] = frozenset()) -> list[bool]:
    """Per step: whether the exploration in force there is free of format problems
    (a faulty ``adx-explore`` block spoils its step and the following steps without one)."""
    sound: list[bool] = []
    for step in lesson.steps:
        if step.line in faulty:
            sound.append(False)
        elif step.explore is not None or not sound:
            sound.append(True)
        else:
            sound.append(sound[-1])
    return sound


def check_lesson(lesson: Lesson, faulty: frozenset[int] = frozenset()) -> list[Problem]:
    """What keeps the lesson's programs and exercises from working; the parts in
    ``faulty`` (lines, see ``ParsedLesson``) have format problems and are left out.

    An exploration with an error still has its exercises checked where their answers
    do not need the faulty part: with a bad ``seed:``, those whose answer is the same
    whatever the seed.  Each exercise that cannot be checked gets one warning saying
    so (it is checked once the exploration is fixed)."""
    problems: list[Problem] = []
    sound = sound_steps(lesson, faulty)
    # ``broken``: the line of the exploration in force when it has an error; ``usable``
    # then is that exploration without its seed when only the seed is wrong (``seedless``)
    usable: Explore | None = None
    seedless = False
    broken = 0
    for index, step in enumerate(lesson.steps):
        if not sound[index]:
            if step.line in faulty:
                broken = step.line  # its adx-explore block has format problems
            problems.extend(_not_checked(lesson, step.exercises, faulty, broken, "step"))
            continue  # its format problems are reported: what they spoil would repeat them
        explore = lesson.explore_for(index)
        if step.explore is not None:
            usable, seedless, broken = explore, False, 0
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
                usable, broken = _without_seed(step.explore), step.explore.line
                seedless = usable is not None
        for exercise in step.exercises:
            if exercise.line in faulty:
                continue
            if broken and (usable is None or not _seed_free(exercise, usable)):
                problems.extend(_not_checked(lesson, [exercise], faulty, broken, "exploration"))
            else:  # no exploration at all is checked too (it may need none)
                problems.extend(_check_exercise(lesson, exercise, usable if seedless else explore))
    return problems


def _not_checked(
    lesson: Lesson, exercises: Iterable[Exercise], faulty: frozenset[int], line: int, what: str
) -> list[Problem]:
    """One warning per exercise that cannot be checked until the exploration it is
    played with (at ``line``) is fixed: the author knows more may come then."""
    where = (
        f"the adx-explore block of the step at line {line} has format problems"
        if what == "step"
        else f"its exploration at line {line} has an error"
    )
    return [
        Problem(
            lesson.path,
            exercise.line,
            f"exercise '{exercise.id}' (line {exercise.line}) not checked: {where}",
            severity="warning",
        )
        for exercise in exercises
        if exercise.line not in faulty and line
    ]


def _without_seed(explore: Explore) -> Explore | None:
    """The exploration with its ``seed:`` left out, when the seed is all that is wrong
    with it (the rest names real inputs and runs); else None."""
    if not explore.seed.strip():
        return None
    variant = dataclasses.replace(explore, seed="")
    try:
        inputs = compile_source(variant.program).graph.input_names
        if explore_problems(variant, inputs):
            return None
        answers.prepared(variant)
    except AdxError:
        return None
    return variant


#: Weights no lesson is likely to use, so that two seeds give different tangents.
_PROBE_WEIGHTS = (0.6180339887, -1.4142135623, 2.7182818284, -0.5772156649)


def _seed_free(exercise: Exercise, explore: Explore) -> bool:
    """Whether the exercise's answer is the same for different seeds of ``explore``
    (then a wrong ``seed:`` does not keep it from being checked)."""
    graph = answers.prepared(explore).graph
    names = graph.output_names if explore.mode == "reverse" else graph.input_names
    weights = zip(names, _PROBE_WEIGHTS * (len(names) // len(_PROBE_WEIGHTS) + 1), strict=False)
    # weighted, and the default (the first input; reverse mode: ȳ = 1), and the last input
    probes = [", ".join(f"{name}={weight}" for name, weight in weights), ""]
    if explore.mode != "reverse" and names:
        probes.append(names[-1])
    seen: set[str] = set()
    for seed in probes:
        try:
            seen.add(answers.reveal_text(exercise, dataclasses.replace(explore, seed=seed)))
        except AdxError:
            return False  # it needs a seed of some kind: not decided without the real one
    return len(seen) == 1


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
    """What is not a failure but deserves a look (severity ``notice``): answers no
    engine verified."""
    return [
        Problem(
            lesson.path,
            exercise.line,
            f"exercise '{exercise.id}' has a literal answer only (no 'from:'): not engine-verified",
            severity="notice",
        )
        for _, exercise in lesson.exercises()
        if not exercise.query
    ]


def _check_exercise(lesson: Lesson, exercise: Exercise, explore: Explore | None) -> list[Problem]:
    """What keeps this exercise from being played: its answer must compute, be one a
    student can type (a finite number; positive for an order of magnitude), and agree
    with the literal answer when both are given."""
    here = (lesson.path, exercise.line)
    found: list[Problem] = []
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
            if not agree:  # said, and the answer as shown is checked too
                found.append(
                    Problem(
                        *here,
                        f"the literal answer {exercise.answer} disagrees with the engine: "
                        f"{exercise.query} = {want!r}{verdict}",
                    )
                )
        shown = answers.reveal_text(exercise, explore)
        if exercise.kind == "number":
            feedback = answers.check(exercise, explore, shown)
            if not feedback.correct:
                found.append(
                    Problem(
                        *here,
                        f"exercise '{exercise.id}': the answer as the screen shows it, {shown}, "
                        f"is not accepted by the grader ({feedback.message}); lower 'digits:' "
                        "or ask for something the screen can show",
                    )
                )
    except AdxError as error:
        found.append(Problem(*here, f"exercise '{exercise.id}': {error.message}"))
    return found


@dataclass
class CheckResult:
    """What ``adx lesson check`` found: the files looked at, the lessons read from them
    (those with format problems too, checked in their sound parts), every problem
    (errors: the check fails) and the notes (notices: it does not)."""

    files: list[Path] = field(default_factory=list)
    lessons: list[Lesson] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


def check_files(paths: Iterable[Path], extra: ExtraCheck | None = None) -> CheckResult:
    """Every lesson file in ``paths`` read and checked, all of each file's problems
    in one run; ``extra`` adds checks a higher layer can make."""
    result = CheckResult()
    problems = result.problems
    files = lesson_files(paths, problems)
    result.files = files
    clean: list[Lesson] = []  # lessons without format problems
    parsed_files: dict[Path, ParsedLesson] = {}  # where each lesson's front-matter keys are
    for path in files:
        if probe(path) is None:
            problems.append(Problem(path, 1, "no such file or directory"))
            continue
        parsed = read_lesson(path)
        problems.extend(parsed.problems)
        lesson = parsed.lesson
        if lesson is None:
            continue
        result.lessons.append(lesson)
        parsed_files[lesson.path] = parsed
        if not parsed.problems:
            clean.append(lesson)
        problems.extend(check_lesson(lesson, parsed.faulty))
        if extra is not None:
            problems.extend(extra(lesson, parsed.faulty))
        result.notes.extend(note for note in notes(lesson) if note.line not in parsed.faulty)
    ids: dict[str, Path] = {}
    for lesson in result.lessons:
        if not lesson.id:
            continue  # a missing id is reported with the front matter
        if lesson.id in ids:
            problems.append(
                Problem(
                    lesson.path,
                    parsed_files[lesson.path].line_of("id"),
                    f"lesson id '{lesson.id}' is also used by {ids[lesson.id]}",
                )
            )
        else:
            ids[lesson.id] = lesson.path
    problems.extend(prerequisite_problems(result.lessons, parsed_files, set(ids)))
    # each file's problems together, in the order of their lines
    order = {path: rank for rank, path in enumerate(dict.fromkeys(p.path for p in problems))}
    problems.sort(key=lambda p: (order[p.path], p.line, p.column or 0))
    return result


def _ids_in(folder: Path, cache: dict[Path, set[str]]) -> set[str]:
    """The ids of the lesson files in ``folder`` (those that can be read far enough)."""
    key = Path(os.path.abspath(folder))
    if key not in cache:
        found: set[str] = set()
        if probe(folder) == "directory":
            for path in sorted(folder.glob("*.md")):
                if path.name.lower() != "readme.md":
                    lesson = read_lesson(path).lesson
                    if lesson is not None and lesson.id:
                        found.add(lesson.id)
        cache[key] = found
    return cache[key]


def prerequisite_problems(
    lessons: list[Lesson], parsed: dict[Path, ParsedLesson], checked: set[str]
) -> list[Problem]:
    """Each prerequisite that names no known lesson, at its line.  Known are the lessons
    checked, those in the lesson's own folder, and the built-in course: so a file gets
    the same answer checked alone or with its folder."""
    from adexplorer.base.resources import lessons_dir

    cache: dict[Path, set[str]] = {}
    found: list[Problem] = []
    for lesson in lessons:
        if not lesson.prerequisites:
            continue
        known = checked | _ids_in(lesson.path.parent, cache) | _ids_in(lessons_dir(), cache)
        for prerequisite in lesson.prerequisites:
            if prerequisite in known:
                continue
            match = closest(prerequisite, sorted(known))
            found.append(
                Problem(
                    lesson.path,
                    parsed[lesson.path].line_of(f"prerequisite:{prerequisite}", "prerequisites"),
                    f"prerequisite '{prerequisite}' is not a known lesson id (not among the "
                    "lessons checked, in this lesson's folder or in the built-in course)"
                    + (f"; did you mean '{match}'?" if match else ""),
                )
            )
    return found


def check_paths(
    paths: Iterable[Path], extra: ExtraCheck | None = None
) -> tuple[list[Lesson], list[Problem]]:
    """Every lesson file in ``paths`` parsed and checked: the lessons read and every
    problem (see :func:`check_files`)."""
    result = check_files(paths, extra)
    return result.lessons, result.problems


# ------------------------------------------------------------------ output for machines

CHECK_SCHEMA = "adx.lesson-check/1"
#: The title of every GitHub annotation (shown above its message in a pull request).
ANNOTATION_TITLE = "adx lesson check"


def shown_path(path: Path, cwd: Path | None = None) -> str:
    """``path`` relative to ``cwd`` (the current directory) when it is inside it, else as
    given: GitHub matches annotations to files by their path in the repository."""
    try:
        here = os.path.abspath(cwd if cwd is not None else os.getcwd())
        absolute = os.path.abspath(path)
        if os.path.commonpath([here, absolute]) == here:
            return Path(os.path.relpath(absolute, here)).as_posix()
    except (ValueError, OSError):  # a NUL byte, another drive: keep it as given
        pass
    return str(path)


def _problem_json(problem: Problem, cwd: Path | None) -> dict[str, object]:
    item: dict[str, object] = {
        "file": visible(shown_path(problem.path, cwd)),
        "line": problem.line,
    }
    if problem.column:
        item["column"] = problem.column
    item["severity"] = problem.severity
    item["message"] = visible(problem.message)
    return item


def check_json(result: CheckResult, cwd: Path | None = None) -> dict[str, object]:
    """The ``adx.lesson-check/1`` object (``adexplorer/schemas/lesson-check-1.schema.json``):
    every text in it is plain (control characters shown as escapes)."""
    errors: dict[Path, int] = {}
    for problem in result.problems:
        if problem.severity == "error":
            errors[problem.path] = errors.get(problem.path, 0) + 1
    lessons = {lesson.path: lesson for lesson in result.lessons}
    files: list[dict[str, object]] = []
    for path in dict.fromkeys([*result.files, *(p.path for p in result.problems)]):
        lesson = lessons.get(path)
        files.append(
            {
                "file": visible(shown_path(path, cwd)),
                "lesson": visible(lesson.id) if lesson is not None and lesson.id else None,
                "exercises": len(lesson.exercises()) if lesson is not None else 0,
                "errors": errors.get(path, 0),
            }
        )
    return {
        "schema": CHECK_SCHEMA,
        "ok": result.ok,
        "files": files,
        "problems": [_problem_json(p, cwd) for p in result.problems],
        "notes": [_problem_json(p, cwd) for p in result.notes],
        "summary": {
            "files": len(files),
            "lessons": len(result.lessons),
            "exercises": sum(len(lesson.exercises()) for lesson in result.lessons),
            "errors": sum(errors.values()),
            "notes": len(result.notes),
        },
    }


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as the runner reads it back."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (``file=…``): also ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_command(problem: Problem, cwd: Path | None = None) -> str:
    """One GitHub Actions workflow command (``::error file=…,line=…::message``) that shows
    ``problem`` as an annotation on its file and line."""
    command = {"error": "error", "warning": "warning"}.get(problem.severity, "notice")
    properties = [("file", visible(shown_path(problem.path, cwd))), ("line", str(problem.line))]
    if problem.column:
        properties.append(("col", str(problem.column)))
    properties.append(("title", ANNOTATION_TITLE))
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{command} {joined}::{escape_data(visible(problem.message))}"
