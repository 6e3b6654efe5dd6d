"""``adx lesson``: list, show, check and open lessons."""

from __future__ import annotations

import io
import itertools
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from adexplorer.base.errors import AdxError
from adexplorer.base.text import visible
from adexplorer.cli.common import fail, require_terminal

if TYPE_CHECKING:  # imported when used: `adx --help` need not load the lesson parser
    from adexplorer.lessons.checker import CheckResult
    from adexplorer.lessons.concealment import Hidden
    from adexplorer.lessons.model import Explore, Lesson
    from adexplorer.lessons.parser import Problem


@click.group("lesson")
def lesson_group() -> None:
    """Lessons: Markdown files with live explorations and exercises the engine checks.

    \b
    adx lesson list                 the built-in course (and --dir DIR for yours)
    adx lesson open forward-mode    play a lesson (by number, id or path)
    adx lesson open 1               the first lesson, as numbered by `adx lesson list`
    adx lesson show reverse-mode    print it in the terminal, with its trace tables
    adx lesson check lessons/       validate files for a course's CI
    """


def find_lesson(name_or_path: str) -> Lesson:
    """A lesson by its number in `adx lesson list`, its id, or its path.

    A number names a built-in lesson unless a file of that name exists (a path
    always wins, as it does for ids).
    """
    from adexplorer.base.files import probe
    from adexplorer.lessons.catalog import builtin, find

    if name_or_path.isascii() and name_or_path.isdigit() and probe(Path(name_or_path)) is None:
        course = builtin()
        number = int(name_or_path)
        if not 1 <= number <= len(course):
            raise AdxError(
                "usage",
                f"no lesson number {number}: the built-in course has lessons 1 to {len(course)}",
                hint="see `adx lesson list`; a lesson may also be named by id or path",
            )
        return course[number - 1]
    return find(name_or_path)


@lesson_group.command("list")
@click.option(
    "--dir",
    "directories",
    multiple=True,
    metavar="DIR",
    help="Also list the lessons in DIR.",
)
def list_command(directories: tuple[str, ...]) -> None:
    """The built-in course, with your progress, and any lessons in --dir."""
    from rich.table import Table

    from adexplorer.lessons.catalog import builtin, load_directory
    from adexplorer.lessons.progress import Progress
    from adexplorer.render.console import make_console

    try:
        lessons = builtin()
        course = len(lessons)  # numbered: `adx lesson open N` takes these numbers
        for directory in directories:
            lessons += load_directory(Path(directory))
        progress = Progress.load()
    except AdxError as error:
        fail(error, as_json=False)
    if progress.problem:
        click.echo(visible(f"warning: {progress.problem}"), err=True)
    if progress.notice:
        click.echo(visible(f"note: {progress.notice}"), err=True)
    table = Table(title="Lessons", title_justify="left")
    for name in ("#", "id", "title", "steps", "solved"):
        table.add_column(name, justify="right" if name in ("#", "steps", "solved") else "left")
    for position, lesson in enumerate(lessons, start=1):
        total = len(lesson.exercises())
        # only answers given to the exercises as they are now (an edited one starts afresh)
        solved = len(progress.solved(lesson.id, lesson.fingerprints()))
        # built-in lessons are numbered as `adx lesson open N` takes them; others by path
        number = str(position) if position <= course else ""
        table.add_row(number, lesson.id, lesson.title, str(len(lesson.steps)), f"{solved}/{total}")
    make_console().print(table)
    click.echo("Open one with: adx lesson open N (or ID, or PATH)")


@lesson_group.command("show")
@click.argument("name_or_path")
@click.option(
    "--answers",
    "show_answers",
    is_flag=True,
    help="Also print each exercise's answer (for instructors).",
)
@click.option(
    "--no-trace",
    "no_trace",
    is_flag=True,
    help="Do not print each exploration's trace tables.",
)
def show_command(name_or_path: str, show_answers: bool, no_trace: bool) -> None:
    """Print a lesson in the terminal, with each exploration's trace as `adx eval` prints it.

    A trace is printed once per distinct program, values and mode (a later step exploring
    the same one refers back to it), and what the step's exercises ask for is shown as
    ``?``, as the lesson player hides it while they are open.
    """
    from rich.markdown import Markdown
    from rich.panel import Panel
    from rich.text import Text

    from adexplorer.lessons import answers
    from adexplorer.render.console import make_console

    try:
        lesson = find_lesson(name_or_path)
    except AdxError as error:
        fail(error, as_json=False)
    console = make_console()

    def markdown(text: str) -> Markdown:
        # Links are shown with their address, never hidden behind their text.
        return Markdown(visible(text), hyperlinks=False)

    console.print(markdown(f"# {lesson.title}\n\n*{lesson.summary}*\n\n{lesson.intro}"))
    printed: dict[tuple[object, ...], int] = {}  # a trace printed already: its step's number
    for index, step in enumerate(lesson.steps):
        console.print(markdown(f"## {index + 1}. {step.title}\n\n{step.prose}"))
        if step.explore is not None:
            e = step.explore
            details = f"{e.program.strip()}\nat {e.at or 'defaults'} · mode {e.mode}" + (
                f" · seed {e.seed}" if e.seed else ""
            )
            console.print(
                Panel(
                    Text(visible(details)),
                    title="explore (adx lesson open runs it)",
                    title_align="left",
                )
            )
            if not no_trace:
                mask = _concealed(lesson, index)
                key = (e.program.strip(), e.at, e.folder, e.mode, e.seed, e.broken_rule, mask)
                if key in printed:
                    console.print(
                        Text(f"(the same trace as in step {printed[key]} above)", style="dim")
                    )
                else:
                    printed[key] = index + 1
                    _print_exploration(e, mask)
        for exercise in step.exercises:
            body = Text(visible(exercise.question))
            for letter, choice in zip("abcdefghij", exercise.choices, strict=False):
                body.append(visible(f"\n  {letter}) {choice}"))
            if show_answers:
                try:  # as the player reveals it (numbers at the 6 digits the screen shows)
                    want = answers.reveal_text(exercise, lesson.explore_for(index))
                    body.append(visible(f"\nanswer: {want}"), style="green")
                except AdxError as error:
                    body.append(
                        visible(f"\nanswer cannot be computed: {error.message}"), style="red"
                    )
            note = answers.precision_note(exercise)
            if note:
                body.append(f"\n({note})", style="dim")
            console.print(
                Panel(body, title=f"exercise {exercise.id} ({exercise.kind})", title_align="left")
            )


def _concealed(lesson: Lesson, index: int) -> Hidden | None:
    """What the exercises played with step ``index``'s exploration hide: its own and those
    of the following steps that have none of their own (the player keeps it for them)."""
    from adexplorer.lessons.concealment import hidden_for_all

    exercises = list(lesson.steps[index].exercises)
    for step in lesson.steps[index + 1 :]:
        if step.explore is not None:
            break
        exercises.extend(step.exercises)
    return hidden_for_all(exercises, lesson.steps[index].explore)


def _print_exploration(explore: Explore, mask: Hidden | None = None) -> None:
    """The trace tables the explorer shows for this step, printed as `adx eval` prints them
    (``mask``: the cells the step's exercises hide, shown as ``?``)."""
    from rich.text import Text

    from adexplorer.core.second_order import run_second_order
    from adexplorer.core.trace import run
    from adexplorer.lessons import answers
    from adexplorer.render.console import make_console
    from adexplorer.render.second_order import print_second_order
    from adexplorer.render.trace_tables import print_trace

    try:
        setup = answers.prepare(explore)
        if explore.mode in ("hvp", "hessian"):  # the nested sweeps, as the explorer shows them
            direction = setup.seed if explore.mode == "hvp" else None
            second = run_second_order(setup.graph, setup.values, direction=direction)
            print_second_order(
                second, numbering="griewank", digits=6, mask=mask or None, seed=setup.seed
            )
            return
        if explore.mode == "vector":  # every unit direction in one sweep
            trace = run(setup.graph, setup.values, "forward", vector=True)
        elif explore.mode == "reverse":  # a cotangent, if one is given
            trace = run(setup.graph, setup.values, "reverse", setup.cotangent or None)
        else:
            trace = run(setup.graph, setup.values, "forward", setup.seed)
    except AdxError as error:
        make_console().print(
            Text(visible(f"(this step's program does not run: {error.message})"), style="red")
        )
        return
    print_trace(trace, numbering="griewank", digits=6, wrt=None, mask=mask or None)


def wants_json(args: list[str]) -> bool:
    """Whether ``adx lesson check``'s arguments ask for ``--format json`` (before any ``--``)."""
    args = args[: args.index("--")] if "--" in args else args
    return "--format=json" in args or any(
        word == "--format" and following == "json" for word, following in itertools.pairwise(args)
    )


class CheckCommand(click.Command):
    """``adx lesson check``: with ``--format json`` a usage error (no PATH, an unknown
    option) is one ``{"error": …}`` object on stdout, as the ``--json`` commands print
    theirs, still with exit status 2; a program reading stdout never gets nothing."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        as_json = wants_json(args)
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            if not as_json:
                raise
            from adexplorer.cli.common import report_json_error

            error.ctx = error.ctx or ctx
            report_json_error("usage", error.format_message())
            shown = io.StringIO()  # and on stderr as every usage error is shown
            error.show(file=shown)
            click.echo(visible(shown.getvalue()), err=True, nl=False)
            sys.exit(error.exit_code)


@lesson_group.command("check", cls=CheckCommand)
# Paths are plain strings here: click.Path would os.stat() them and fail on a name
# no file can have (a NUL byte); the checker reports such a path as a problem.
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text: for people (problems on stderr); json: one adx.lesson-check/1 object on "
    "stdout (`adx schema lesson-check`); github: GitHub Actions annotations on stdout.",
)
def check_command(paths: tuple[str, ...], output_format: str) -> None:
    """Validate lesson files (for course authors' CI); exit 1 with every problem listed.

    Every problem of every file is reported in one run, each at its own line: a file
    with format mistakes is still checked in its sound parts.  Answers given only as
    literals are notes (not failures).

    \b
    In a GitHub Actions workflow, each problem becomes an annotation on its line:
      - name: Check the lessons
        run: adx lesson check --format github lessons/
    """
    from adexplorer.base.text import json_dumps
    from adexplorer.lessons.checker import check_files, check_json, github_command

    result = check_files([Path(p) for p in paths], extra=player_problems)
    if output_format == "json":
        click.echo(json_dumps(check_json(result)))
    elif output_format == "github":
        for problem in [*result.problems, *result.notes]:
            click.echo(github_command(problem))
    if output_format != "text":
        click.echo(_summary(result), err=True)
        sys.exit(0 if result.ok else 1)
    for problem in result.problems:
        click.echo(visible(str(problem)), err=True)
    for remark in result.notes:
        click.echo(visible(str(remark)), err=True)
    if not result.ok:
        click.echo(_summary(result), err=True)
        sys.exit(1)
    click.echo(_summary(result))


def _summary(result: CheckResult) -> str:
    """The closing line: how many problems in how many files, or what was verified."""
    remarks = len(result.notes)
    unverified = (
        f"; {remarks} literal-only answer(s) are not engine-verified (see the notes, not failures)"
        if remarks
        else ""
    )
    errors = [p for p in result.problems if p.severity == "error"]
    if errors:
        return f"{len(errors)} problem(s) in {len({p.path for p in errors})} file(s)" + unverified
    exercises = sum(len(lesson.exercises()) for lesson in result.lessons)
    verified = "every computed answer was verified by the engine and accepted by the grader"
    return (
        f"{len(result.lessons)} lesson(s), {exercises} exercise(s): every program runs, "
        f"{verified}{unverified}"
    )


def player_problems(lesson: Lesson, faulty: frozenset[int] = frozenset()) -> list[Problem]:
    """What would go wrong when the player sets each step's explorer up (as
    ``tui.lesson_app.session_for_exploration`` does): a seed the explorer refuses, a
    ``step:`` past the end of the trace, anything that would raise.  Steps whose
    ``adx-explore`` block has format problems (``faulty``) are left out."""
    from adexplorer.explorer.session import Session
    from adexplorer.lang.lower import lesson_values
    from adexplorer.lessons import answers
    from adexplorer.lessons.parser import Problem
    from adexplorer.tui.lesson_app import set_exploration_mode

    problems: list[Problem] = []
    for step in lesson.steps:
        explore = step.explore
        if explore is None or step.line in faulty:
            continue
        try:
            answers.prepare(explore)
        except AdxError:
            continue  # the checker reported it: the program does not run
        try:
            at = lesson_values(explore.at, explore.folder, explore.program)
            session = Session.start(explore.program, at)
            if session.error is not None:
                raise session.error
            set_exploration_mode(session, explore)
            frames = len(session.frames)
        except AdxError as error:
            problems.append(
                Problem(
                    lesson.path,
                    explore.line,
                    f"the explorer cannot be set up for this step: {error.message}",
                )
            )
            continue
        except Exception as error:  # a bug the player would meet: fail the file, don't crash
            problems.append(
                Problem(
                    lesson.path,
                    explore.line,
                    f"setting the explorer up for this step fails "
                    f"({type(error).__name__}: {error}); adx lesson open would too",
                )
            )
            continue
        if explore.step != "end" and int(explore.step) > frames:
            problems.append(
                Problem(
                    lesson.path,
                    explore.line,
                    f"step: {explore.step} is past the end: in {explore.mode} mode this trace "
                    f"has {frames} steps (write a number from 0 to {frames}, or 'end')",
                )
            )
    return problems


@lesson_group.command("open")
@click.argument("name_or_path")
def open_command(name_or_path: str) -> None:
    """Play a lesson (by number in `adx lesson list`, id or path): its steps beside a live
    explorer; answers are checked by the engine."""
    from adexplorer.base.files import probe, serve_dir
    from adexplorer.lessons.progress import data_dir

    served = serve_dir()  # a session of adx serve: a lesson file only from that folder
    try:
        if served is not None and (
            name_or_path.endswith(".md") or probe(Path(name_or_path)) is not None
        ):
            from adexplorer.cli.serve import served_path

            served_path(name_or_path, served, "lesson file")
        lesson = find_lesson(name_or_path)
        data_dir()  # a bad ADX_DATA_DIR is an error message here, not a traceback in the app
    except AdxError as error:
        fail(error, as_json=False)
    if served is None:  # served, the terminal is textual-serve's, over pipes
        require_terminal("the lesson player")
    from adexplorer.tui.lesson_app import run_lesson

    run_lesson(lesson)
