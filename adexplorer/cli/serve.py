"""``adx serve``: the explorer (or a lesson) in a browser, one session per tab, for a class.

Everything is checked here, before the server starts: the folder (``--dir``),
the program and its values (the same errors as ``adx explore``), the lesson.
Each browser tab then gets its own ``adx explore`` or ``adx lesson open``
process, started from an argument list (never a shell) with ``ADX_SERVE_DIR``
set, so that it reads and writes files only in the served folder
(docs/serve.md).  textual-serve is an optional extra, imported only here.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
from pathlib import Path

import click

from adexplorer.base.errors import AdxError
from adexplorer.base.files import RefusedFile, expand_home, probe
from adexplorer.base.text import visible
from adexplorer.cli.common import SOURCE_RULE, ExpressionFriendlyCommand, fail

#: Kept in step with adexplorer.serve.server (which needs textual-serve to import).
DEFAULT_MAX_SESSIONS = 8
MAX_SESSIONS_LIMIT = 64
#: A program read from standard input is passed to each session as one argument:
#: well under Linux's limit on one argument (128 KiB).
MAX_ARGUMENT_BYTES = 100_000
#: What the serve extra brings (textual-serve and what it needs).
_EXTRA_MODULES = {"textual_serve", "aiohttp", "aiohttp_jinja2", "jinja2"}
MISSING_EXTRA = (
    "adx serve needs textual-serve, an optional extra that is not installed.\n"
    "Install it with:  pip install 'adexplorer[serve]'"
)

SERVE_EPILOG = f"""\b
Examples:
  adx serve                                  the explorer on http://127.0.0.1:8000
  adx serve 'ln(x1) + x1*x2 - sin(x2)' --at x1=2,x2=5
  adx serve --lesson reverse-mode            a built-in lesson, by id or number
  adx serve --lesson week3.md --dir class --port 8080
  adx serve program.adx --at W=@start.npz --dir . --max-sessions 30
  adx serve --host 0.0.0.0 --dir class       reachable from other machines (a warning)

{SOURCE_RULE}

\b
Files: a served session reads and writes files only in --dir (default: the
current folder): `@file` values name files there, exports are written there,
each browser's lesson progress is kept in DIR/.adx-progress/<its id>.  SOURCE
and --lesson files are read from DIR (a relative path names a file in DIR) and
must lie inside it; built-in lessons are named by id or number.  SOURCE - reads
the program from standard input once, before serving.  See docs/serve.md.
"""


def served_path(text: str, folder: Path, what: str, *, must_exist: bool = True) -> Path:
    """The resolved path ``text`` names, if it lies inside ``folder`` and exists; else
    an AdxError that says which folder, or which path was tried.

    A relative ``text`` is read from ``folder`` (not from the current folder), as
    ``@file`` values are: ``adx serve --lesson week3.md --dir class`` serves
    ``class/week3.md``.
    """
    path = expand_home(Path(text))
    if not path.is_absolute():
        path = folder / path
    resolved = Path(os.path.realpath(path))
    if resolved != folder and folder not in resolved.parents:
        raise AdxError(
            "file",
            f"the {what} {visible(text)} is outside {visible(str(folder))}, the only folder "
            "a served session may read",
            hint="copy it into that folder, or give --dir a folder that holds it",
        )
    if must_exist and probe(resolved) is None:
        raise AdxError(
            "file",
            f"no such file: {visible(str(path))}",
            hint=f"a relative {what} is read from the served folder (--dir)",
        )
    return resolved


def confine_source(expr_or_file: str) -> None:
    """In a served session (``ADX_SERVE_DIR``), refuse a program file outside the folder."""
    from adexplorer.base.files import inside_serve_dir
    from adexplorer.cli.common import is_file_argument

    if expr_or_file == "-" or not is_file_argument(expr_or_file):
        return
    try:
        inside_serve_dir(expand_home(Path(expr_or_file)))
    except RefusedFile as refused:
        raise AdxError("file", f"cannot read {visible(expr_or_file)}: {refused}") from None


def _folder(directory: str) -> Path:
    kind = probe(Path(directory))
    if kind != "directory":
        raise AdxError(
            "file",
            f"no such folder: {visible(directory)}"
            if kind is None
            else f"{visible(directory)} is not a folder",
            hint="--dir names the folder a served session may read and write",
        )
    return Path(os.path.realpath(directory))


def _explore_argv(expr_or_file: str | None, at: tuple[str, ...], folder: Path) -> list[str]:
    """Check the program and its values as `adx explore` would; the child's arguments."""
    from adexplorer.cli.common import is_file_argument, load, parse_values, read_source

    argv = ["explore"]
    for text in at:
        argv += ["--at", text]
    if expr_or_file is None:
        if at:
            from adexplorer.explorer.session import DEFAULT_SOURCE

            parse_values(at, "--at", program=DEFAULT_SOURCE)
            load(DEFAULT_SOURCE, at)  # a value for a name that is not an input
        return argv
    given = expr_or_file
    if expr_or_file == "-":
        # read once, here; every session gets the text itself as its program
        given, _ = read_source("-")
        if is_file_argument(given) or len(given.encode("utf-8")) > MAX_ARGUMENT_BYTES:
            raise AdxError(
                "usage",
                "adx serve cannot pass this program from standard input to its sessions "
                + ("(it reads like a file name)" if is_file_argument(given) else "(too long)"),
                hint="save it as a .adx file in the served folder and name that file",
            )
    elif is_file_argument(expr_or_file):
        # read_source says "no such file: <the path tried>" for a missing one
        given = str(served_path(expr_or_file, folder, "program file", must_exist=False))
    source, _ = read_source(given)
    parse_values(at, "--at", program=source)
    # and, unlike adx explore (where it could be fixed in the editor), a program that
    # does not compile: every tab of the class would open on the same error
    load(given, at)
    return [*argv, "--", given]


def _lesson_argv(name_or_path: str, folder: Path) -> tuple[list[str], str]:
    """Check the lesson; the child's arguments and the lesson's title."""
    from adexplorer.cli.lesson import find_lesson
    from adexplorer.lessons.progress import data_dir

    named = name_or_path
    # a file if adx lesson open would take it for one (catalog.find's rule), in DIR
    relative = folder / expand_home(Path(name_or_path))
    if name_or_path.endswith(".md") or probe(relative) is not None:
        named = str(served_path(name_or_path, folder, "lesson file"))
        # built-in lessons are checked by adx's own tests; a file, here, before serving
        _check_lesson_file(Path(named))
    lesson = find_lesson(named)
    data_dir()  # a .adx-progress that is a file: said now, not in every tab
    return ["lesson", "open", "--", named], lesson.title


def _check_lesson_file(path: Path) -> None:
    """Refuse a lesson file that ``adx lesson check`` fails, with its problems."""
    from adexplorer.cli.lesson import player_problems
    from adexplorer.lessons.checker import check_files

    result = check_files([path], extra=player_problems)
    if result.ok:
        return
    problems = [p for p in result.problems if p.severity == "error"]
    listed = "\n".join("  " + visible(str(problem)).replace("\n", "\n  ") for problem in problems)
    raise AdxError(
        "file",
        f"the lesson file {visible(str(path))} does not pass adx lesson check "
        f"({len(problems)} problem(s)):\n{listed}",
        hint=f"fix them (adx lesson check {visible(str(path))} lists them) and serve it again",
    )


@click.command("serve", cls=ExpressionFriendlyCommand, epilog=SERVE_EPILOG)
@click.argument("expr_or_file", metavar="[EXPR_OR_FILE]", required=False)
@click.option(
    "--at",
    "at",
    multiple=True,
    metavar="NAME=VALUE,...",
    help="Input values, as for adx explore; @file values name files in --dir.",
)
@click.option(
    "--lesson",
    metavar="NAME_OR_PATH",
    help="Serve a lesson instead of the explorer: a built-in one by id or number, or a "
    "lesson file inside --dir.",
)
@click.option(
    "--dir",
    "directory",
    default=".",
    show_default="the current folder",
    metavar="DIR",
    help="The only folder a session reads or writes: @file values, exports, progress.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address to listen on.  Anything but a loopback address lets every machine "
    "that can reach this one use the explorer, without a password (a warning is printed).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--max-sessions",
    type=click.IntRange(1, MAX_SESSIONS_LIMIT),
    default=DEFAULT_MAX_SESSIONS,
    show_default=True,
    help=f"Browser tabs served at once (each runs its own adx; at most {MAX_SESSIONS_LIMIT}). "
    "A tab over the cap is told the server is full.",
)
def serve_command(
    expr_or_file: str | None,
    at: tuple[str, ...],
    lesson: str | None,
    directory: str,
    host: str,
    port: int,
    max_sessions: int,
) -> None:
    """Serve the explorer (or a lesson) to browsers: one session per tab, for a class.

    Needs the optional extra: pip install 'adexplorer[serve]'.  Listens on
    127.0.0.1 unless --host says otherwise; stop it with Ctrl-C.
    """
    try:
        from adexplorer.serve.server import ClassroomServer, child_environment, is_loopback
    except ImportError as missing:
        if (missing.name or "").partition(".")[0] not in _EXTRA_MODULES:
            raise  # not the extra: a bug, reported as one
        click.echo(MISSING_EXTRA, err=True)
        sys.exit(1)
    if lesson is not None and (expr_or_file is not None or at):
        raise click.UsageError("--lesson serves a lesson: give it without a program or --at")
    try:
        folder = _folder(directory)
        environment = child_environment(folder)
        # This process checks what each session will read, under the same confinement.
        os.environ.update(environment)
        if lesson is not None:
            argv, title = _lesson_argv(lesson, folder)
            title = f"AD Explorer: {title}"
        else:
            argv, title = _explore_argv(expr_or_file, at, folder), "AD Explorer"
    except AdxError as error:
        fail(error, as_json=False)
    command = [sys.executable, "-m", "adexplorer", *argv]
    server = ClassroomServer(
        command,
        environment=environment,
        folder=folder,
        host=host,
        port=port,
        title=title,
        max_sessions=max_sessions,
        lesson=lesson is not None,
    )
    try:
        server.bind()  # before saying where it listens
    except OSError as error:
        fail(_bind_error(host, port, error), as_json=False)
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(
        f"adx serve: {visible(title)} on http://{visible(shown_host)}:{port}/ (Ctrl-C stops it)"
    )
    click.echo(f"adx serve: sessions read and write files only in {visible(str(folder))}")
    click.echo(f"adx serve: at most {max_sessions} session(s) at once (--max-sessions)")
    if not is_loopback(host):
        click.echo(
            f"adx serve: warning: listening on {visible(host)}, not on this machine only: "
            f"everyone who can reach port {port} can use the explorer, with no password, "
            f"and read and write files in {visible(str(folder))}.",
            err=True,
        )
    sys.stdout.flush()
    server.serve()


def _bind_error(host: str, port: int, error: OSError) -> AdxError:
    """Why the address could not be taken, with the hint that fits the cause."""
    if isinstance(error, socket.gaierror):
        hint = (
            "--host takes an address of this machine (127.0.0.1, ::1, 0.0.0.0 for every "
            "interface) or a name that resolves to one"
        )
    elif error.errno == errno.EADDRINUSE:
        hint = "another program is using the port: choose another with --port"
    elif error.errno == errno.EADDRNOTAVAIL:
        hint = f"{visible(host)} is not an address of this machine: see --host"
    elif error.errno == errno.EACCES:
        hint = "ports below 1024 need administrator rights: choose another with --port"
    else:
        hint = "check --host and --port"
    return AdxError(
        "usage",
        f"cannot listen on {visible(host)}:{port}: {error.strerror or error}",
        hint=hint,
    )
