"""The lesson player reads progress by exercise fingerprint: after an author edits one
exercise, the player shows it open again and keeps the others' marks."""

from __future__ import annotations

import json
from pathlib import Path

from adexplorer.lessons.parser import parse_lesson
from adexplorer.lessons.progress import Progress
from adexplorer.tui.lesson_app import LessonApp
from adexplorer.tui.widgets.lesson_panel import OPEN, REVEALED, SOLVED
from tests.test_lesson_player import PROBE


async def test_an_edited_exercise_is_open_again_and_the_others_keep_their_marks(
    tmp_path: Path,
) -> None:
    path = tmp_path / "probe.md"
    path.write_text(PROBE)
    lesson = parse_lesson(path)
    prints = lesson.fingerprints()
    store = Progress.load(tmp_path / "progress.json")
    store.record(lesson.id, "tangent-v2", True, prints["tangent-v2"])
    store.reveal(lesson.id, "out", prints["out"])

    app = LessonApp(lesson, Progress.load(store.path))
    async with app.run_test(size=(120, 40)):
        statuses = {ex.id: app._status(ex) for _, ex in lesson.exercises()}
    assert statuses["tangent-v2"] == SOLVED and statuses["out"] == REVEALED

    # the author changes what the first exercise asks for (its query)
    path.write_text(PROBE.replace("from: tangent v2", "from: tangent v3"))
    edited = parse_lesson(path)
    app = LessonApp(edited, Progress.load(store.path))
    async with app.run_test(size=(120, 40)):
        statuses = {ex.id: app._status(ex) for _, ex in edited.exercises()}
        tangent = next(ex for _, ex in edited.exercises() if ex.id == "tangent-v2")
        assert app._box_for(tangent).status == OPEN
    assert statuses["tangent-v2"] == OPEN and statuses["out"] == REVEALED


async def test_the_player_stamps_a_version_1_files_marks(tmp_path: Path) -> None:
    path = tmp_path / "probe.md"
    path.write_text(PROBE)
    lesson = parse_lesson(path)
    progress_file = tmp_path / "progress.json"
    old = {
        "version": 1,
        "lessons": {lesson.id: {"step": 0, "exercises": {"out": {"attempts": 1, "correct": True}}}},
    }
    progress_file.write_text(json.dumps(old))
    app = LessonApp(lesson, Progress.load(progress_file))
    assert app.progress.notice is not None  # upgraded, a copy kept
    async with app.run_test(size=(120, 40)):
        assert app._status(next(ex for _, ex in lesson.exercises() if ex.id == "out")) == SOLVED
    saved = json.loads(progress_file.read_text())
    assert saved["version"] == 2
    assert saved["lessons"][lesson.id]["exercises"]["out"]["hash"] == lesson.fingerprints()["out"]
    assert len(list(tmp_path.glob("progress.json.v1-*"))) == 1
