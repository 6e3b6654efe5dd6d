"""``adx lesson``: list, show, check and open lessons."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from adexplorer.base.errors import AdxError
from adexplorer.base.text import visible
from adexplorer.cli.common import fail, require_terminal


@click.group("lesson")
def lesson_group() -> None:
    """Lessons: Markdown files with live explorations and exercises the engine checks.

    \b
    adx lesson list                 the built-in course (and --dir DIR for yours)
    adx lesson open forward-mode    play a lesson (by id or by path)
    adx lesson show reverse-mode    print it in the terminal
    adx lesson check lessons/       validate files for a course's CI
    """


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
        for directory in directories:
            lessons += load_directory(Path(directory))
        progress = Progress.load()
    except AdxError as error:
        fail(error, as_json=False)
    if progress.problem:
        click.echo(visible(f"warning: {progress.problem}"), err=True)
    table = Table(title="Lessons", title_justify="left")
    for name in ("#", "id", "title", "steps", "solved"):
        table.add_column(name, justify="right" if name in ("#", "steps", "solved") else "left")
    for lesson in lessons:
        total = len(lesson.exercises())
        solved = len(progress.solved(lesson.id) & {ex.id for _, ex in lesson.exercises()})
        table.add_row(
            str(lesson.order), lesson.id, lesson.title, str(len(lesson.steps)), f"{solved}/{total}"
        )
    make_console().print(table)
    click.echo("Open one with: adx lesson open ID")


@lesson_group.command("show")
@click.argument("name_or_path")
@click.option(
    "--answers",
    "show_answers",
    is_flag=True,
    help="Also print each exercise's answer (for instructors).",
)
def show_command(name_or_path: str, show_answers: bool) -> None:
    """Print a lesson in the terminal, without the explorer."""
    from rich.markdown import Markdown
    from rich.panel import Panel
    from rich.text import Text

    from adexplorer.lessons import answers
    from adexplorer.lessons.catalog import find
    from adexplorer.render.console import make_console

    try:
        lesson = find(name_or_path)
    except AdxError as error:
        fail(error, as_json=False)
    console = make_console()

    def markdown(text: str) -> Markdown:
        # Links are shown with their address, never hidden behind their text.
        return Markdown(visible(text), hyperlinks=False)

    console.print(markdown(f"# {lesson.title}\n\n*{lesson.summary}*\n\n{lesson.intro}"))
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
        for exercise in step.exercises:
            body = Text(visible(exercise.question))
            for letter, choice in zip("abcdefghij", exercise.choices, strict=False):
                body.append(visible(f"\n  {letter}) {choice}"))
            if show_answers:
                try:
                    want = answers.expected(exercise, lesson.explore_for(index))
                    if exercise.kind == "choice":
                        k = answers.correct_choice(exercise, lesson.explore_for(index))
                        want = f"{'abcdefghij'[k]}) {exercise.choices[k]}"
                    body.append(visible(f"\nanswer: {want}"), style="green")
                except AdxError as error:
                    body.append(
                        visible(f"\nanswer cannot be computed: {error.message}"), style="red"
                    )
            console.print(
                Panel(body, title=f"exercise {exercise.id} ({exercise.kind})", title_align="left")
            )


@lesson_group.command("check")
# Paths are plain strings here: click.Path would os.stat() them and fail on a name
# no file can have (a NUL byte); the checker reports such a path as a problem.
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
def check_command(paths: tuple[str, ...]) -> None:
    """Validate lesson files (for course authors' CI); exit 1 with every problem listed."""
    from adexplorer.lessons.checker import check_paths

    lessons, problems = check_paths([Path(p) for p in paths])
    for problem in problems:
        click.echo(visible(str(problem)), err=True)
    exercises = sum(len(lesson.exercises()) for lesson in lessons)
    if problems:
        click.echo(
            f"{len(problems)} problem(s) in {len({p.path for p in problems})} file(s)", err=True
        )
        sys.exit(1)
    click.echo(
        f"{len(lessons)} lesson(s), {exercises} exercise(s): every program runs "
        "and every answer was verified by the engine"
    )


@lesson_group.command("open")
@click.argument("name_or_path")
def open_command(name_or_path: str) -> None:
    """Play a lesson: its steps beside a live explorer; answers are checked by the engine."""
    from adexplorer.lessons.catalog import find
    from adexplorer.lessons.progress import data_dir

    try:
        lesson = find(name_or_path)
        data_dir()  # a bad ADX_DATA_DIR is an error message here, not a traceback in the app
    except AdxError as error:
        fail(error, as_json=False)
    require_terminal("the lesson player")
    from adexplorer.tui.lesson_app import run_lesson

    run_lesson(lesson)
