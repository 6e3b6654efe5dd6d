"""Finding lessons: the built-in course (shipped in the wheel), directories, and single files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from adexplorer.base.errors import AdxError, did_you_mean
from adexplorer.base.files import probe
from adexplorer.base.resources import lessons_dir
from adexplorer.lessons.model import Lesson
from adexplorer.lessons.parser import LessonFormatError, parse_lesson


def load_directory(directory: Path) -> list[Lesson]:
    """Every lesson in ``directory``, in course order (a broken file raises with its problems)."""
    kind = probe(directory)
    if kind != "directory":
        missing = kind is None
        raise AdxError(
            "file",
            f"no such directory: {directory}" if missing else f"{directory} is not a directory",
            hint="--dir takes a directory of lesson files (*.md)",
        )
    lessons = []
    for path in sorted(directory.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        try:
            lessons.append(parse_lesson(path))
        except LessonFormatError as error:
            raise error.as_adx_error() from None
    return sorted(lessons, key=lambda lesson: (lesson.order, lesson.id))


def builtin() -> list[Lesson]:
    return load_directory(lessons_dir())


def find(name_or_path: str, directories: Iterable[Path] = ()) -> Lesson:
    """A lesson by file path, or by id in the built-in course and the given directories."""
    path = Path(name_or_path)
    kind = probe(path)
    if path.suffix == ".md" or kind is not None:
        if kind is None:
            raise AdxError("file", f"no such lesson file: {name_or_path}")
        try:  # parse_lesson refuses directories, FIFOs and devices with a clear message
            return parse_lesson(path)
        except LessonFormatError as error:
            raise error.as_adx_error() from None
    candidates = builtin()
    for directory in directories:
        candidates += load_directory(Path(directory))
    for lesson in candidates:
        if lesson.id == name_or_path or lesson.path.stem == name_or_path:
            return lesson
    ids = [lesson.id for lesson in candidates]
    raise AdxError(
        "usage",
        f"no lesson called '{name_or_path}'",
        hint=did_you_mean(name_or_path, ids) or "see `adx lesson list`",
    )
