"""Progress is keyed by the lesson's id and each exercise's fingerprint: an edited exercise
does not claim old answers, unchanged ones keep theirs, and version 1 files are upgraded."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
from pathlib import Path

from adexplorer.lessons.model import exercise_fingerprint
from adexplorer.lessons.parser import parse_lesson
from adexplorer.lessons.progress import MAX_VERSIONS, VERSION, Progress, schema_problem

ROOT = Path(__file__).resolve().parent.parent
FORWARD = ROOT / "lessons" / "05-forward-mode.md"


def _copy(tmp_path: Path, edit: tuple[str, str] | None = None) -> Path:
    """The forward-mode lesson copied to ``tmp_path``, with one text replaced (once)."""
    text = FORWARD.read_text(encoding="utf-8")
    if edit is not None:
        old, new = edit
        assert text.count(old) >= 1, old
        text = text.replace(old, new, 1)
    path = tmp_path / "lesson.md"
    path.write_text(text, encoding="utf-8")
    return path


def _first_answered(path: Path) -> tuple[str, str]:
    """The id of the lesson's first exercise with a literal answer, and that line."""
    lesson = parse_lesson(path)
    for _, exercise in lesson.exercises():
        if exercise.answer:
            return exercise.id, f"answer: {exercise.answer}"
    raise AssertionError("the lesson has no literal answer to edit")


def test_fingerprints_are_per_exercise_and_follow_what_grades(tmp_path: Path) -> None:
    lesson = parse_lesson(_copy(tmp_path))
    prints = lesson.fingerprints()
    assert len(prints) == len(lesson.exercises()) >= 2
    assert len(set(prints.values())) == len(prints)  # each exercise has its own
    # a stable hash: parsing again gives the same
    assert parse_lesson(FORWARD).fingerprints() == prints
    step, exercise = lesson.exercises()[0]
    explore = lesson.explore_for(lesson.steps.index(step))

    base = exercise_fingerprint(exercise, explore)
    for change in (
        {"answer": exercise.answer + "1"},
        {"query": exercise.query + " "},
        {"kind": "order" if exercise.kind != "order" else "number"},
        {"tolerance": exercise.tolerance * 2 + 1},
        {"question": exercise.question + "?"},
    ):
        assert exercise_fingerprint(dataclasses.replace(exercise, **change), explore) != base
    # help around the exercise does not decide grading: editing it keeps progress
    for change in ({"hints": ("look again",)}, {"explain": "because"}, {"line": 999}):
        assert exercise_fingerprint(dataclasses.replace(exercise, **change), explore) == base
    assert explore is not None
    moved = dataclasses.replace(explore, program=explore.program + " + 0")
    assert exercise_fingerprint(exercise, moved) != base  # another program: another answer


def test_editing_an_exercise_voids_its_mark_and_keeps_the_others(tmp_path: Path) -> None:
    original = _copy(tmp_path)
    lesson = parse_lesson(original)
    prints = lesson.fingerprints()
    store = Progress.load(tmp_path / "progress.json")
    for exercise_id, fingerprint in prints.items():
        store.record(lesson.id, exercise_id, True, fingerprint)
    assert Progress.load(store.path).solved(lesson.id, prints) == set(prints)

    edited_id, answer_line = _first_answered(original)
    edited_dir = tmp_path / "edited"
    edited_dir.mkdir()
    edited = parse_lesson(_copy(edited_dir, (answer_line, answer_line + "1")))
    assert edited.id == lesson.id
    new_prints = edited.fingerprints()
    assert {k for k in prints if prints[k] != new_prints[k]} == {edited_id}

    again = Progress.load(store.path)
    assert again.solved(edited.id, new_prints) == set(prints) - {edited_id}
    assert again.attempts(edited.id, edited_id, new_prints[edited_id]) == 0
    assert again.attempts(edited.id, edited_id, prints[edited_id]) == 1
    # a wrong answer to the edited exercise starts its entry afresh: no ✓ carried over
    again.record(edited.id, edited_id, False, new_prints[edited_id])
    entry = Progress.load(store.path).lessons[edited.id]["exercises"][edited_id]
    old_version = {"attempts": 1, "correct": True, "hash": prints[edited_id]}
    assert entry == {
        "attempts": 1,
        "correct": False,
        "earlier": [old_version],  # the other version's mark is kept, not erased
        "hash": new_prints[edited_id],
    }
    assert edited_id not in Progress.load(store.path).solved(edited.id, new_prints)
    # a reveal on the old version does not show as revealed on the new one
    again.reveal(edited.id, edited_id, prints[edited_id])
    assert again.revealed(edited.id, new_prints) == set()
    assert again.revealed(edited.id, prints) == {edited_id}


def test_two_versions_of_a_lesson_keep_their_own_marks(tmp_path: Path) -> None:
    """Answering an exercise in an edited copy (same lesson id, another answer) keeps the
    built-in version's mark, and the other way round, however the versions alternate."""
    original = _copy(tmp_path)
    lesson = parse_lesson(original)
    edited_id, answer_line = _first_answered(original)
    edited_dir = tmp_path / "edited"
    edited_dir.mkdir()
    edited = parse_lesson(_copy(edited_dir, (answer_line, answer_line + "1")))
    built_in, copy = lesson.fingerprints(), edited.fingerprints()
    assert built_in[edited_id] != copy[edited_id]
    other = next(k for k in built_in if k != edited_id)

    store = Progress.load(tmp_path / "progress.json")
    store.record(lesson.id, edited_id, True, built_in[edited_id])
    store.record(lesson.id, other, True, built_in[other])
    assert Progress.load(store.path).solved(lesson.id, built_in) == {edited_id, other}
    # the copy's version: a wrong answer, then a right one; the built-in's ✓ stays
    store.record(lesson.id, edited_id, False, copy[edited_id])
    store.record(lesson.id, edited_id, True, copy[edited_id])
    again = Progress.load(store.path)
    assert again.solved(lesson.id, built_in) == {edited_id, other}
    assert again.solved(lesson.id, copy) == {edited_id, other}
    assert again.attempts(lesson.id, edited_id, built_in[edited_id]) == 1
    assert again.attempts(lesson.id, edited_id, copy[edited_id]) == 2
    # back to the built-in one: its attempts go on from where they were, the copy's stay
    again.record(lesson.id, edited_id, False, built_in[edited_id])
    last = Progress.load(store.path)
    assert last.attempts(lesson.id, edited_id, built_in[edited_id]) == 2
    assert last.attempts(lesson.id, edited_id, copy[edited_id]) == 2
    assert last.solved(lesson.id, copy) == last.solved(lesson.id, built_in) == {edited_id, other}
    assert schema_problem(json.loads(store.path.read_text())) is None


def test_versions_kept_per_exercise_are_bounded_oldest_dropped(tmp_path: Path) -> None:
    store = Progress.load(tmp_path / "progress.json")
    prints = [f"{k:016x}" for k in range(MAX_VERSIONS + 2)]
    for fingerprint in prints:
        store.record("l", "e", True, fingerprint)
    data = json.loads(store.path.read_text())
    assert schema_problem(data) is None
    entry = data["lessons"]["l"]["exercises"]["e"]
    assert len(entry["earlier"]) == MAX_VERSIONS - 1
    kept = {fingerprint for fingerprint in prints if store.attempts("l", "e", fingerprint)}
    assert kept == set(prints[-MAX_VERSIONS:])  # the newest ones; the oldest dropped
    assert store.solved("l", {"e": prints[0]}) == set()
    assert store.solved("l", {"e": prints[-2]}) == {"e"}
    # a file with too many versions, or an earlier version without a hash, is not ours
    too_many = json.loads(json.dumps(data))
    too_many["lessons"]["l"]["exercises"]["e"]["earlier"].append(entry)
    assert "'earlier'" in (schema_problem(too_many) or "")
    unhashed = json.loads(json.dumps(data))
    del unhashed["lessons"]["l"]["exercises"]["e"]["earlier"][0]["hash"]
    assert "no 'hash'" in (schema_problem(unhashed) or "")


def test_lesson_list_counts_only_answers_to_the_exercises_as_they_are(
    tmp_path: Path, monkeypatch: object
) -> None:
    from tests.test_cli_eval import adx

    data = tmp_path / "data"
    monkeypatch.setenv("ADX_DATA_DIR", str(data))  # type: ignore[attr-defined]
    original = _copy(tmp_path)
    lesson = parse_lesson(original)
    store = Progress.load(data / "progress.json")
    for exercise_id, fingerprint in lesson.fingerprints().items():
        store.record(lesson.id, exercise_id, True, fingerprint)
    total = len(lesson.exercises())
    # the built-in forward-mode lesson is this very file: all solved
    row = next(line for line in adx("lesson", "list").stdout.splitlines() if lesson.id in line)
    assert f"{total}/{total}" in row
    _, answer_line = _first_answered(original)
    course = tmp_path / "course"
    course.mkdir()
    _copy(course, (answer_line, answer_line + "1"))
    out = adx("lesson", "list", "--dir", str(course)).stdout.splitlines()
    rows = [line for line in out if lesson.id in line]
    assert len(rows) == 2
    assert f"{total}/{total}" in rows[0] and f"{total - 1}/{total}" in rows[1]


V1 = {
    "version": 1,
    "lessons": {
        "forward-mode": {
            "step": 1,
            "exercises": {
                "a": {"attempts": 3, "correct": True},
                "b": {"attempts": 1, "correct": False, "revealed": True},
            },
        }
    },
}


def test_a_version_1_file_is_upgraded_with_a_copy_kept(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    path.write_text(json.dumps(V1), encoding="utf-8")
    progress = Progress.load(path)
    assert progress.problem is None
    assert progress.notice is not None and "upgraded" in progress.notice
    copies = sorted(tmp_path.glob("progress.json.v1-*"))
    assert len(copies) == 1 and str(copies[0]) in progress.notice
    assert json.loads(copies[0].read_text()) == V1  # the old file, byte for byte readable
    upgraded = json.loads(path.read_text())
    assert upgraded["version"] == VERSION and schema_problem(upgraded) is None
    assert upgraded["lessons"] == V1["lessons"]  # nothing lost
    # unstamped entries count for the exercise of that id until adopted
    prints = {"a": "1" * 16, "b": "2" * 16}
    assert progress.solved("forward-mode", prints) == {"a"}
    assert progress.revealed("forward-mode", prints) == {"b"}
    progress.adopt("forward-mode", prints)
    stamped = json.loads(path.read_text())["lessons"]["forward-mode"]["exercises"]
    assert stamped["a"]["hash"] == "1" * 16 and stamped["b"]["hash"] == "2" * 16
    # once stamped, an edit voids it
    assert Progress.load(path).solved("forward-mode", {"a": "3" * 16, "b": "2" * 16}) == set()
    # a second load neither upgrades again nor copies again
    assert Progress.load(path).notice is None
    assert len(list(tmp_path.glob("progress.json.v1-*"))) == 1


def test_a_hash_must_be_text() -> None:
    bad = {
        "version": 2,
        "lessons": {
            "l": {"step": 0, "exercises": {"e": {"attempts": 1, "correct": True, "hash": 5}}}
        },
    }
    assert "'hash'" in (schema_problem(bad) or "")
    v1_with_hash = json.loads(json.dumps(bad).replace('"version": 2', '"version": 1'))
    v1_with_hash["lessons"]["l"]["exercises"]["e"]["hash"] = "ab"
    assert schema_problem(v1_with_hash) is not None  # version 1 had no hashes


WORKERS, ANSWERS = 4, 15


def _answer_many(path: str, worker: int, barrier: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    progress = Progress.load(Path(path))
    for k in range(ANSWERS):
        progress.record("race", "shared", k % 2 == 0, "f" * 16)
        progress.record("race", f"worker-{worker}", False, "e" * 16)


def test_concurrent_writers_with_fingerprints_lose_no_update(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    path.write_text(json.dumps(V1), encoding="utf-8")  # and the upgrade races too
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WORKERS)
    processes = [
        context.Process(target=_answer_many, args=(str(path), w, barrier)) for w in range(WORKERS)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    lessons = Progress.load(path).lessons
    assert lessons["forward-mode"] == V1["lessons"]["forward-mode"]
    exercises = lessons["race"]["exercises"]
    assert exercises["shared"] == {"attempts": WORKERS * ANSWERS, "correct": True, "hash": "f" * 16}
    for w in range(WORKERS):
        assert exercises[f"worker-{w}"] == {"attempts": ANSWERS, "correct": False, "hash": "e" * 16}
    assert len(list(tmp_path.glob("progress.json.v1-*"))) == 1  # upgraded once
