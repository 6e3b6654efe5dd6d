"""Progress through lessons, remembered between runs in the user's data directory.

The file is data, and checked like data: it is read only if it is a regular
file of bounded size, and its content must match the schema (``schema_problem``)
as well as be JSON.  A file that cannot be read, or has the wrong shape, is
reported and moved aside under a new name (``progress.json.corrupt-<time>``,
never overwriting an earlier one), never silently reset: the user can recover it.

Each exercise's entry carries the fingerprint of the exercise it was earned on
(``hash``: :func:`adexplorer.lessons.model.exercise_fingerprint`, a hash of its
question, answer, query, tolerance… and of the exploration the answer comes from).
A solved or revealed mark counts only while the lesson's exercise has that same
fingerprint: an author who edits an exercise's answer or program does not leave
students with a ✓ earned on another question, and the lesson's other exercises
keep theirs (a hash per exercise, not per lesson: fixing a typo in one exercise
must not wipe a whole lesson's progress).  The first attempt at a changed exercise
starts a fresh entry for its new fingerprint; the entry of the version it replaces
moves to the entry's ``earlier`` list (the most recently used first, at most
:data:`MAX_VERSIONS` versions per exercise in all, the oldest dropped).  So a student
who works in an edited copy of a lesson (the same lesson id) and in the built-in one
keeps the marks of both; answering one version never erases the other's mark.

Files of version 1 (before fingerprints) are read as they are: their entries have
no hash and count for the exercise of the same id until the lesson is opened in the
player, which stamps them with the current fingerprints (``adopt``).  The first
load upgrades such a file to version 2, after copying it to
``progress.json.v1-<time>`` (an older adx can still use the copy); ``notice`` says so.

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
    RefusedFile,
    folder_below,
    probe,
    read_regular_text,
    reserve_new_file,
    serve_dir,
    write_atomically,
)

VERSION = 2
#: The versions read: 1 (no fingerprints), upgraded on load, and the current one.
READ_VERSIONS = (1, 2)
APP_NAME = "adexplorer"
MAX_PROGRESS_BYTES = 16 * MIB
LOCK_TIMEOUT = 10.0  # seconds; a lock is held only for one read-merge-write
#: The versions (fingerprints) of one exercise whose marks are kept: the entry's own and
#: up to this many minus one in its ``earlier`` list (bounded: an author editing an
#: exercise again and again must not grow the file without end).
MAX_VERSIONS = 4

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
    served = serve_dir()  # adx serve: progress only in plain folders inside the served one
    if served is not None:
        try:
            folder_below(path, served)
        except RefusedFile as refused:
            raise AdxError(
                "file",
                f"lesson progress cannot be kept in {path}: {refused}",
                hint="adx serve keeps progress in DIR/.adx-progress: remove the link",
            ) from None
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

    {"version": 2,
     "lessons": {LESSON_ID: {"step": N,
                             "exercises": {EXERCISE_ID: {"attempts": N, "correct": BOOL,
                                                         "revealed": BOOL, "hash": HEX,
                                                         "earlier": [VERSION, ...]}}}}}

    ``revealed`` (the student asked to see the answer) is optional: files written
    before it existed have none, and it is written only once it is true.  ``hash``
    (the exercise's fingerprint) is in every entry version 2 writes and in none of
    version 1's.  ``earlier`` (optional, version 2 only) holds the entries of other
    versions of the exercise, each like the entry itself without ``earlier``, with a
    ``hash``, at most ``MAX_VERSIONS - 1`` of them.
    """
    if not isinstance(data, dict):
        return "it is not a JSON object"
    version = data.get("version")
    if not (_whole(version) and version in READ_VERSIONS):
        return f"its version is {version!r}, not {' or '.join(map(str, READ_VERSIONS))}"
    keys = {"attempts", "correct", "revealed"} | ({"hash"} if version >= 2 else set())
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
            problem = _entry_problem(entry, here, keys | ({"earlier"} if version >= 2 else set()))
            if problem is not None:
                return problem
            earlier = entry.get("earlier", [])
            if not isinstance(earlier, list) or len(earlier) >= MAX_VERSIONS:
                return f"{here}['earlier'] is not a list of at most {MAX_VERSIONS - 1} entries"
            for k, older in enumerate(earlier):
                problem = _entry_problem(older, f"{here}['earlier'][{k}]", keys)
                if problem is None and "hash" not in older:
                    problem = f"{here}['earlier'][{k}] has no 'hash'"
                if problem is not None:
                    return problem
    return None


def _entry_problem(entry: object, here: str, keys: set[str]) -> str | None:
    """What is wrong with one exercise entry (``keys``: those it may have), or None."""
    if not isinstance(entry, dict) or not ({"attempts", "correct"} <= set(entry) <= keys):
        optional = ", ".join(repr(k) for k in sorted(keys - {"attempts", "correct"}))
        return f"{here} is not an object with 'attempts', 'correct' (and {optional})"
    if not isinstance(entry.get("hash", ""), str) or len(entry.get("hash", "")) > 64:
        return f"{here}['hash'] is {entry['hash']!r}, not a fingerprint (text)"
    if not _whole(entry["attempts"]):
        return f"{here}['attempts'] is {entry['attempts']!r}, not a whole number"
    for flag in ("correct", "revealed"):
        if not isinstance(entry.get(flag, False), bool):
            return f"{here}[{flag!r}] is {entry[flag]!r}, not true or false"
    return None


def _read_versioned(path: Path) -> tuple[Lessons | None, str | None, int]:
    """(lessons, None, version) from a good file, ({}, None, VERSION) if there is none,
    (None, why, 0) if it is bad."""
    try:
        text = read_regular_text(path, MAX_PROGRESS_BYTES, what="progress file")
    except FileNotFoundError:
        return {}, None, VERSION
    except (OSError, UnicodeDecodeError) as error:
        return None, str(error), 0
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        return None, f"it is not JSON: {error}", 0
    problem = schema_problem(data)
    if problem is not None:
        return None, f"it is not an adx progress file: {problem}", 0
    lessons: Lessons = data["lessons"]
    return lessons, None, data["version"]


def _read(path: Path) -> tuple[Lessons | None, str | None]:
    """(lessons, None) from a good file, ({}, None) if there is none, (None, why) if it is bad."""
    lessons, why, _ = _read_versioned(path)
    return lessons, why


def _matches(entry: dict[str, Any], fingerprint: str | None) -> bool:
    """Whether an entry belongs to the exercise as it is now: it was earned under the same
    fingerprint, or it has none (version 1, not yet adopted), or none is asked for."""
    return fingerprint is None or entry.get("hash", fingerprint) == fingerprint


def _version(entry: dict[str, Any], fingerprint: str | None) -> dict[str, Any] | None:
    """The part of an exercise's entry earned under ``fingerprint``: the entry itself or
    one of its ``earlier`` versions; None if no version has that fingerprint."""
    if _matches(entry, fingerprint):
        return entry
    earlier: list[dict[str, Any]] = entry.get("earlier", [])
    return next((older for older in earlier if older.get("hash") == fingerprint), None)


# ------------------------------------------------------------------ progress


@dataclass
class Progress:
    path: Path
    lessons: Lessons = field(default_factory=dict)
    problem: str | None = None  # set when a bad file was found and moved aside
    notice: str | None = None  # set when a version 1 file was upgraded (its copy kept)

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
        if lessons and _read_versioned(path)[2] < VERSION:
            progress._upgrade()
        return progress

    def _upgrade(self) -> None:
        """Rewrite a version 1 file as version 2 (its entries as they are, without hashes),
        after copying it aside; the copy's name is in ``notice``."""
        try:
            with self._lock():
                lessons, _, version = _read_versioned(self.path)
                if lessons is None or version >= VERSION:
                    return  # another adx upgraded (or replaced) it meanwhile
                copy = self._keep_copy(version)
                write_atomically(self.path, _dump(lessons))
                self.lessons = lessons
                self.notice = (
                    f"the progress file {self.path} was upgraded to version {VERSION} "
                    f"(answers are now tied to each exercise's content); the version "
                    f"{version} file is kept at {copy}"
                )
        except (OSError, Timeout, AdxError) as error:
            message = error.message if isinstance(error, AdxError) else str(error)
            self.notice = (
                f"the progress file {self.path} is of version 1 and could not be upgraded "
                f"({message}); it is read as it is"
            )

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

    def _keep_copy(self, version: int) -> Path:
        """Copy the file (of an older ``version``; the lock is held) to a new name."""
        copy = reserve_new_file(self.path.parent, f"{self.path.name}.v{version}")
        write_atomically(copy, self.path.read_bytes())
        return copy

    def _update(self, change: Callable[[Lessons], None]) -> None:
        """Lock, re-read what is on disk, apply ``change`` to it, write it back atomically.

        Re-reading under the lock is what keeps other processes' updates: this
        object's own copy may be stale.
        """
        try:
            with self._lock():
                lessons, why, version = _read_versioned(self.path)
                if lessons is None:
                    self.problem = self._set_aside(why or "")
                    lessons = {}
                elif version < VERSION and lessons:  # load() could not upgrade it: now
                    self.notice = f"the version {version} progress file is kept at " + str(
                        self._keep_copy(version)
                    )
                change(lessons)
                write_atomically(self.path, _dump(lessons))
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

    def record(
        self, lesson_id: str, exercise_id: str, correct: bool, fingerprint: str | None = None
    ) -> None:
        """Count one attempt at an exercise (and whether it was right), on disk at once.

        ``fingerprint``: the exercise's (``Lesson.fingerprints()``); an entry earned
        under another one is started afresh.  None keeps whatever hash the entry has.
        """

        def change(lessons: Lessons) -> None:
            entry = _entry(lessons, lesson_id, exercise_id, fingerprint)
            entry["attempts"] += 1
            entry["correct"] = entry["correct"] or correct

        self._update(change)

    def reveal(self, lesson_id: str, exercise_id: str, fingerprint: str | None = None) -> None:
        """Record that the answer was revealed: the exercise is then done but not solved."""

        def change(lessons: Lessons) -> None:
            _entry(lessons, lesson_id, exercise_id, fingerprint)["revealed"] = True

        self._update(change)

    def adopt(self, lesson_id: str, fingerprints: dict[str, str]) -> None:
        """Stamp this lesson's entries that have no fingerprint (from a version 1 file)
        with the exercises' current ones: from now on an edit of the exercise voids them.
        Writes only if there is something to stamp."""

        def unstamped(lessons: Lessons) -> list[dict[str, Any]]:
            exercises = lessons.get(lesson_id, {}).get("exercises", {})
            return [
                entry
                for exercise_id, entry in exercises.items()
                if "hash" not in entry and exercise_id in fingerprints
            ]

        if not unstamped(self.lessons):
            return

        def change(lessons: Lessons) -> None:
            exercises = lessons.get(lesson_id, {}).get("exercises", {})
            for exercise_id, entry in exercises.items():
                if "hash" not in entry and exercise_id in fingerprints:
                    entry["hash"] = fingerprints[exercise_id]

        self._update(change)

    def _current(
        self, lesson_id: str, fingerprints: dict[str, str] | None
    ) -> dict[str, dict[str, Any]]:
        """The lesson's entries that belong to its exercises as they are now."""
        exercises: dict[str, dict[str, Any]] = self.lessons.get(lesson_id, {}).get("exercises", {})
        if fingerprints is None:
            return exercises
        asked = {k: e for k, e in exercises.items() if k in fingerprints}
        current = {k: _version(entry, fingerprints[k]) for k, entry in asked.items()}
        return {k: version for k, version in current.items() if version is not None}

    def revealed(self, lesson_id: str, fingerprints: dict[str, str] | None = None) -> set[str]:
        """The exercises whose answer was revealed (solved ones too, if solved after);
        with ``fingerprints``, only those revealed on the exercise as it is now."""
        return {k for k, v in self._current(lesson_id, fingerprints).items() if v.get("revealed")}

    def attempts(self, lesson_id: str, exercise_id: str, fingerprint: str | None = None) -> int:
        """How many answers were judged for this exercise (right or wrong), as it is now."""
        entry = self.lessons.get(lesson_id, {}).get("exercises", {}).get(exercise_id, {})
        version = _version(entry, fingerprint)
        return int(version.get("attempts", 0)) if version is not None else 0

    def set_step(self, lesson_id: str, step: int) -> None:
        def change(lessons: Lessons) -> None:
            lessons.setdefault(lesson_id, _new_lesson())["step"] = step

        self._update(change)

    def solved(self, lesson_id: str, fingerprints: dict[str, str] | None = None) -> set[str]:
        """The exercises answered right; with ``fingerprints`` (``Lesson.fingerprints()``),
        only those answered on the exercise as it is now."""
        return {k for k, v in self._current(lesson_id, fingerprints).items() if v.get("correct")}


def _entry(
    lessons: Lessons, lesson_id: str, exercise_id: str, fingerprint: str | None
) -> dict[str, Any]:
    """The entry to update: created if missing.  If it was earned under another
    fingerprint (another version of the exercise), that version moves to ``earlier``
    and the one for ``fingerprint`` takes its place: taken back from ``earlier`` if it
    is there, else started afresh (the old attempts were at another question)."""
    exercises = lessons.setdefault(lesson_id, _new_lesson())["exercises"]
    entry: dict[str, Any] = exercises.setdefault(exercise_id, {"attempts": 0, "correct": False})
    if not _matches(entry, fingerprint):
        earlier: list[dict[str, Any]] = entry.pop("earlier", [])
        replaced = dict(entry)
        wanted = next((e for e in earlier if e.get("hash") == fingerprint), None)
        kept = [replaced] if _earned(replaced) else []
        kept += [e for e in earlier if e is not wanted]
        entry.clear()
        entry.update(wanted or {"attempts": 0, "correct": False})
        if kept:  # the most recently used first; the oldest dropped
            entry["earlier"] = kept[: MAX_VERSIONS - 1]
    if fingerprint is not None:
        entry["hash"] = fingerprint
    return entry


def _earned(entry: dict[str, Any]) -> bool:
    """Whether an entry records anything (an attempt or a reveal) worth keeping."""
    return bool(entry.get("attempts") or entry.get("correct") or entry.get("revealed"))


def _dump(lessons: Lessons) -> str:
    return json.dumps({"version": VERSION, "lessons": lessons}, indent=1)


def _new_lesson() -> dict[str, Any]:
    return {"step": 0, "exercises": {}}
