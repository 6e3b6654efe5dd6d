"""Lesson files are data: adx reads only the regular file it was given, of bounded size.

A named pipe, a device (or a symlink to one) or a huge file is refused with a
clear file:line message, never read: no hang, no memory filled.  Nothing in a
lesson makes adx open another path.
"""

from __future__ import annotations

import builtins
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from adexplorer.base.errors import AdxError
from adexplorer.base.files import MIB, RefusedFile, read_regular_text, reserve_new_file
from adexplorer.base.limits import limit
from adexplorer.lessons.catalog import find, load_directory
from adexplorer.lessons.checker import check_paths
from adexplorer.lessons.parser import LessonFormatError, parse_lesson
from tests.test_cli_eval import adx
from tests.test_lessons import GOOD

MAX_LESSON_BYTES = limit("lesson_bytes")


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """Opening a FIFO for reading blocks until a writer comes: fail instead of hanging."""

    def timeout(signum: int, frame: object) -> None:
        raise TimeoutError("adx blocked on a file it should have refused")

    old = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _refused(path: Path, words: str) -> None:
    with pytest.raises(LessonFormatError) as info:
        parse_lesson(path)
    (problem,) = info.value.problems
    assert problem.path == path and problem.line == 1
    assert "not read as a lesson" in problem.message and words in problem.message, problem


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    _refused(fifo, "a named pipe (FIFO), not a regular file")


def test_a_symlink_to_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "zeros.md"
    link.symlink_to("/dev/zero")
    _refused(link, "a character device, not a regular file")


def test_a_device_itself_is_refused() -> None:
    with pytest.raises(RefusedFile, match="character device"):
        read_regular_text(Path("/dev/zero"), MIB)


def test_a_symlink_to_a_regular_lesson_is_read(tmp_path: Path) -> None:
    (tmp_path / "real.md").write_text(GOOD)
    link = tmp_path / "link.md"
    link.symlink_to(tmp_path / "real.md")
    assert parse_lesson(link).id == "tiny"


def test_a_directory_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "folder.md"
    folder.mkdir()
    _refused(folder, "a directory, not a regular file")


def test_an_oversize_lesson_is_refused_with_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.md"
    big.write_text(GOOD + "x" * MAX_LESSON_BYTES)
    _refused(big, "a lesson may be at most 1 MiB")
    exactly = tmp_path / "exactly.md"
    exactly.write_text(GOOD + "\n" + "y" * (MAX_LESSON_BYTES - len(GOOD.encode()) - 1))
    assert exactly.stat().st_size == MAX_LESSON_BYTES
    assert parse_lesson(exactly).id == "tiny"  # the limit itself is allowed


def test_a_file_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "latin1.md"
    path.write_bytes(GOOD.replace("Intro.", "Caf\xe9.").encode("latin-1"))
    with pytest.raises(LessonFormatError, match="cannot read the file"):
        parse_lesson(path)


def test_special_files_in_a_course_folder_are_problems_not_hangs(tmp_path: Path) -> None:
    (tmp_path / "01-good.md").write_text(GOOD)
    os.mkfifo(tmp_path / "02-pipe.md")
    (tmp_path / "03-zeros.md").symlink_to("/dev/zero")
    _, problems = check_paths([tmp_path])
    assert sorted((p.path.name, p.line) for p in problems) == [
        ("02-pipe.md", 1),
        ("03-zeros.md", 1),
    ]
    with pytest.raises(AdxError, match="named pipe"):
        load_directory(tmp_path)
    with pytest.raises(AdxError, match="character device"):
        find(str(tmp_path / "03-zeros.md"))


def test_adx_lesson_check_and_open_refuse_special_files(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    result = adx("lesson", "check", str(fifo))
    assert result.returncode == 1 and f"{fifo}:1: not read as a lesson" in result.stderr
    link = tmp_path / "zeros.md"
    link.symlink_to("/dev/zero")
    result = adx("lesson", "open", str(link))
    assert result.returncode == 1 and "character device" in result.stderr
    assert "Traceback" not in result.stderr


SNEAKY = GOOD.replace(
    "Some prose.",
    "Some prose. ![secret](SECRET) [link](file://SECRET) <img src='SECRET'>\n\n"
    '<!-- #include "SECRET" -->\n\n{% include SECRET %}\n\n```{include} SECRET\n```\n',
)


def test_a_lesson_never_makes_adx_open_another_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Links, images, include directives of other tools: text, never followed."""
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    path = tmp_path / "lesson.md"
    path.write_text(SNEAKY.replace("SECRET", str(secret)))
    check_paths([path])  # warm up: the grammar file is read once, on first use
    opened: list[str] = []
    real_os_open, real_open = os.open, builtins.open

    def spy_os_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(os.fspath(file))
        return real_os_open(file, *args, **kwargs)

    def spy_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(file, str | os.PathLike):
            opened.append(os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy_os_open)
    monkeypatch.setattr(builtins, "open", spy_open)
    lessons, problems = check_paths([path])
    assert problems == [] and len(lessons) == 1
    assert opened == [str(path)]
    assert str(secret) in lessons[0].steps[0].prose  # it is prose, shown as text


def test_reserved_names_never_collide(tmp_path: Path) -> None:
    """Names for set-aside and exported files: exclusive creates, never an overwrite."""
    first = reserve_new_file(tmp_path, "export", ".json")
    first.write_text("earlier")
    names = [first] + [reserve_new_file(tmp_path, "export", ".json") for _ in range(5)]
    assert len(set(names)) == 6 and all(p.parent == tmp_path for p in names)
    assert all(p.name.startswith("export-") and p.name.endswith(".json") for p in names)
    assert first.read_text() == "earlier"
    assert all(p.stat().st_size == 0 for p in names[1:])
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in names)


@pytest.mark.parametrize(
    "args",
    [
        ["lesson", "check", "a\x00b.md"],
        ["lesson", "check", "x" * 5000],
        ["lesson", "list", "--dir", "a\x00b"],
        ["lesson", "list", "--dir", "x" * 5000],
        ["lesson", "show", "x" * 5000],
        ["eval", "./a\x00b.adx"],
    ],
)
def test_a_name_no_file_can_have_is_a_clear_error(args: list[str]) -> None:
    # Found by fuzzing: click.Path and Path.exists() raised ValueError (a NUL byte)
    # or OSError (a name too long) instead of saying there is no such file.
    from tests.fuzzing import Case, problems, run_case

    case = Case(tuple(args))
    outcome = run_case(case, Path("."))
    assert outcome.code == 1 and not problems(case, outcome), outcome
    assert "no such" in outcome.err or "NUL byte" in outcome.err or "no lesson" in outcome.err


def test_a_directory_without_lessons_is_a_problem_not_a_pass(tmp_path: Path) -> None:
    # A course's CI pointed at the wrong folder must not pass with nothing checked.
    result = adx("lesson", "check", str(tmp_path))
    assert result.returncode == 1
    assert f"{tmp_path}:1: no lesson files (*.md) in this directory" in result.stderr


def test_lesson_list_dir_must_be_a_directory(tmp_path: Path) -> None:
    for target, message in ((tmp_path / "none", "no such directory"), ("/dev/null", "not a dir")):
        result = adx("lesson", "list", "--dir", str(target))
        assert result.returncode == 1 and message in result.stderr, result.stderr


def test_the_lesson_player_refuses_a_non_terminal() -> None:
    # As the explorer does: it is a terminal app, never drawn into a pipe.
    result = adx("lesson", "open", "forward-mode")
    assert result.returncode == 2 and "is a terminal app" in result.stderr
    assert result.stdout == ""
