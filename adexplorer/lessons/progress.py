"""Progress through lessons, remembered between runs in the user's data directory.

The file is data, and checked like data: it is read only if it is a regular
file of bounded size, and its content must match the schema (``schema_problem``)
as well as be JSON.  A file that cannot be read, or has the wrong shape, is
reported and moved aside under a new name (``progress.json.corrupt-<time>``,
never overwriting an earlier one), never silently reset: the user can recover it.

Several adx processes may finish exercises at once.  Every change takes a lock
(``progress.json.lock``), re-reads the file, applies itself to what is on disk
and writes the result atomically (a temporary file renamed over the old one),
so no update is lost and a crash never leaves half a file.

The data directory is ``$ADX_DATA_DIR`` if set, else the platform's user data
directory for adexplorer (platformdirs: ``$XDG_DATA_HOME/adexplorer``, by
default ``~/.local/share/adexplorer`` on Linux); it is created with mode 0700.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs
from filelock import FileLock, Timeout

from adexplorer.base.errors import AdxError
from adexplorer.base.files import (
    MIB,
    probe,
    read_regular_text,
    reserve_new_file,
    write_atomically,
)

VERSION = 1
APP_NAME = "adexplorer"
MAX_PROGRESS_BYTES = 16 * MIB
LOCK_TIMEOUT = 10.0  # seconds; a lock is held only for one read-merge-write

Lessons = dict[str, dict[str, Any]]


def data_dir() -> Path:
    """``$ADX_DATA_DIR``, else the user data directory (platformdirs).

    Raises AdxError if the path, or the nearest part of it that exists, is not
    a directory (``ADX_DATA_DIR`` pointing at a file).
    """
    override = os.environ.get("ADX_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, False))
    existing = path
    # probe, not exists(): a name too long for the system raises from exists()
    while probe(existing) is None and existing != existing.parent:
        existing = existing.parent
    if probe(existing) not in (None, "directory"):
        where = "ADX_DATA_DIR" if override else "the data directory"
        raise AdxError(
            "file",
            f"{where} is {path}, but {existing} is a file, not a directory",
            hint="point ADX_DATA_DIR at a directory (adx creates it if it does not exist)",
        )
    return path


def ensure_directory(path: Path) -> None:
    """Create ``path`` (mode 0700: progress is private) if it does not exist yet."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError:
        raise AdxError("file", f"{path} is a file, not a directory") from None
    except OSError as error:
        raise AdxError(
            "file", f"cannot create the data directory {path}: {error.strerror}"
        ) from None


# ------------------------------------------------------------------ the schema


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def schema_problem(data: object) -> str | None:
    """What is wrong with ``data`` as a progress file, or None if it has the right shape::

    {"version": 1,
     "lessons": {LESSON_ID: {"step": N,
                             "exercises": {EXERCISE_ID: {"attempts": N, "correct": BOOL,
                                                         "revealed": BOOL}}}}}

    ``revealed`` (the student asked to see the answer) is optional: files written
    before it existed have none, and it is written only once it is true, so a file
    without reveals still reads in an older adx.
    """
    if not isinstance(data, dict):
        return "it is not a JSON object"
    version = data.get("version")
    if not (_whole(version) and version == VERSION):
        return f"its version is {version!r}, not {VERSION}"
    extra = sorted(set(data) - {"version", "lessons"})
    if extra:
        return f"unknown key {extra[0]!r}"
    lessons = data.get("lessons")
    if not isinstance(lessons, dict):
        return "'lessons' is not an object"
    for lesson_id, lesson in lessons.items():
        where = f"lessons[{lesson_id!r}]"
        if not isinstance(lesson, dict) or set(lesson) != {"step", "exercises"}:
            return f"{where} is not an object with 'step' and 'exercises'"
        if not _whole(lesson["step"]):
            return f"{where}['step'] is {lesson['step']!r}, not a whole number"
        exercises = lesson["exercises"]
        if not isinstance(exercises, dict):
            return f"{where}['exercises'] is not an object"
        for exercise_id, entry in exercises.items():
            here = f"{where}['exercises'][{exercise_id!r}]"
            if not isinstance(entry, dict) or not (
                {"attempts", "correct"} <= set(entry) <= {"attempts", "correct", "revealed"}
            ):
                return f"{here} is not an object with 'attempts', 'correct' (and 'revealed')"
            if not _whole(entry["attempts"]):
                return f"{here}['attempts'] is {entry['attempts']!r}, not a whole number"
            for flag in ("correct", "revealed"):
                if not isinstance(entry.get(flag, False), bool):
                    return f"{here}[{flag!r}] is {entry[flag]!r}, not true or false"
    return None


def _read(path: Path) -> tuple[Lessons | None, str | None]:
    """(lessons, None) from a good file, ({}, None) if there is none, (None, why) if it is bad."""
    try:
        text = read_regular_text(path, MAX_PROGRESS_BYTES, what="progress file")
    except FileNotFoundError:
        return {}, None
    except (OSError, UnicodeDecodeError) as error:
        return None, str(error)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        return None, f"it is not JSON: {error}"
    problem = schema_problem(data)
    if problem is not None:
        return None, f"it is not an adx progress file: {problem}"
    lessons: Lessons = data["lessons"]
    return lessons, None


# ------------------------------------------------------------------ progress


@dataclass
class Progress:
    path: Path
    lessons: Lessons = field(default_factory=dict)
    problem: str | None = None  # set when a bad file was found and moved aside

    @classmethod
    def load(cls, path: Path | None = None) -> Progress:
        """Read the progress file; a bad one is moved aside and reported (``problem``)."""
        path = Path(path) if path is not None else data_dir() / "progress.json"
        progress = cls(path)
        lessons, why = _read(path)
        if lessons is None:
            try:
                with progress._lock():  # another adx may have just rewritten it: look again
                    lessons, why = _read(path)
                    if lessons is None:
                        progress.problem = progress._set_aside(why or "")
            except (OSError, Timeout, AdxError) as error:
                message = error.message if isinstance(error, AdxError) else str(error)
                progress.problem = (
                    f"the progress file {path} could not be read ({why}); "
                    f"it could not be moved aside ({message})"
                )
        progress.lessons = lessons or {}
        return progress

    def _lock(self) -> FileLock:
        ensure_directory(self.path.parent)
        return FileLock(f"{self.path}.lock", timeout=LOCK_TIMEOUT, mode=0o600)

    def _set_aside(self, why: str) -> str:
        """Move the bad file to a new name (the lock is held); the message for the user."""
        try:
            aside = reserve_new_file(self.path.parent, f"{self.path.name}.corrupt")
            try:
                os.replace(self.path, aside)
            except OSError:
                aside.unlink(missing_ok=True)
                raise
            where = f"it was moved to {aside}"
        except OSError as error:
            where = f"it could not be moved aside ({error.strerror or error})"
        return f"the progress file {self.path} could not be read ({why}); {where}"

    def _update(self, change: Callable[[Lessons], None]) -> None:
        """Lock, re-read what is on disk, apply ``change`` to it, write it back atomically.

        Re-reading under the lock is what keeps other processes' updates: this
        object's own copy may be stale.
        """
        try:
            with self._lock():
                lessons, why = _read(self.path)
                if lessons is None:
                    self.problem = self._set_aside(why or "")
                    lessons = {}
                change(lessons)
                text = json.dumps({"version": VERSION, "lessons": lessons}, indent=1)
                write_atomically(self.path, text)
        except Timeout:
            raise AdxError(
                "file",
                f"the progress file {self.path} stayed locked for {LOCK_TIMEOUT:g} s "
                f"(another adx is writing it, or {self.path}.lock cannot be locked)",
            ) from None
        except OSError as error:
            raise AdxError(
                "file", f"cannot save progress to {self.path}: {error.strerror or error}"
            ) from None
        self.lessons = lessons

    def record(self, lesson_id: str, exercise_id: str, correct: bool) -> None:
        """Count one attempt at an exercise (and whether it was right), on disk at once."""

        def change(lessons: Lessons) -> None:
            exercises = lessons.setdefault(lesson_id, _new_lesson())["exercises"]
            entry = exercises.setdefault(exercise_id, {"attempts": 0, "correct": False})
            entry["attempts"] += 1
            entry["correct"] = entry["correct"] or correct

        self._update(change)

    def reveal(self, lesson_id: str, exercise_id: str) -> None:
        """Record that the answer was revealed: the exercise is then done but not solved."""

        def change(lessons: Lessons) -> None:
            exercises = lessons.setdefault(lesson_id, _new_lesson())["exercises"]
            entry = exercises.setdefault(exercise_id, {"attempts": 0, "correct": False})
            entry["revealed"] = True

        self._update(change)

    def revealed(self, lesson_id: str) -> set[str]:
        """The exercises whose answer was revealed (solved ones too, if solved after)."""
        exercises = self.lessons.get(lesson_id, {}).get("exercises", {})
        return {k for k, v in exercises.items() if v.get("revealed")}

    def attempts(self, lesson_id: str, exercise_id: str) -> int:
        """How many answers were judged for this exercise (right or wrong)."""
        entry = self.lessons.get(lesson_id, {}).get("exercises", {}).get(exercise_id, {})
        return int(entry.get("attempts", 0))

    def set_step(self, lesson_id: str, step: int) -> None:
        def change(lessons: Lessons) -> None:
            lessons.setdefault(lesson_id, _new_lesson())["step"] = step

        self._update(change)

    def solved(self, lesson_id: str) -> set[str]:
        exercises = self.lessons.get(lesson_id, {}).get("exercises", {})
        return {k for k, v in exercises.items() if v.get("correct")}


def _new_lesson() -> dict[str, Any]:
    return {"step": 0, "exercises": {}}
