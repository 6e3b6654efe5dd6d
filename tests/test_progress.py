"""Saved progress is data: checked against its schema, set aside (never overwritten) when bad,
and shared safely by several adx processes at once."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest

from adexplorer.base.errors import AdxError
from adexplorer.lessons import progress as progress_module
from adexplorer.lessons.progress import Progress, data_dir, schema_problem
from tests.test_cli_eval import adx

GOOD = {
    "version": 1,
    "lessons": {"tiny": {"step": 2, "exercises": {"dx": {"attempts": 3, "correct": True}}}},
}


def _with(change: str) -> object:
    data = json.loads(json.dumps(GOOD))
    node = data  # walk to the key to change
    keys, _, value = change.partition("=")
    *parents, last = keys.split("/")
    for key in parents:
        node = node[key]
    node[last] = json.loads(value)
    return data


WRONG_SHAPES = {
    "a list": [1, 2],
    "a string": "progress",
    "no version": {"lessons": {}},
    "version 3": {"version": 3, "lessons": {}},
    "version true": {"version": True, "lessons": {}},
    "lessons a list": {"version": 1, "lessons": []},
    "extra key": {"version": 1, "lessons": {}, "owner": "me"},
    "step a string": _with('lessons/tiny/step="two"'),
    "step negative": _with("lessons/tiny/step=-1"),
    "step a float": _with("lessons/tiny/step=1.5"),
    "exercises a list": _with("lessons/tiny/exercises=[]"),
    "attempts null": _with("lessons/tiny/exercises/dx/attempts=null"),
    "attempts true": _with("lessons/tiny/exercises/dx/attempts=true"),
    "correct a string": _with('lessons/tiny/exercises/dx/correct="yes"'),
    "entry a number": _with("lessons/tiny/exercises/dx=1"),
    "lesson missing exercises": _with('lessons/tiny={"step": 0}'),
}


def test_the_good_shape_passes_the_schema() -> None:
    assert schema_problem(GOOD) is None
    assert schema_problem({"version": 1, "lessons": {}}) is None


@pytest.mark.parametrize("data", WRONG_SHAPES.values(), ids=WRONG_SHAPES.keys())
def test_a_file_of_the_wrong_shape_is_set_aside_with_a_message(
    tmp_path: Path, data: object
) -> None:
    path = tmp_path / "progress.json"
    text = json.dumps(data)
    path.write_text(text)
    progress = Progress.load(path)  # never a crash
    assert progress.lessons == {}
    assert progress.problem is not None
    assert "could not be read" in progress.problem and "moved to" in progress.problem
    assert "not an adx progress file" in progress.problem
    (aside,) = tmp_path.glob("progress.json.corrupt-*")
    assert aside.read_text() == text and not path.exists()
    progress.record("tiny", "dx", True)  # and a fresh file starts
    assert Progress.load(path).solved("tiny") == {"dx"}


def test_the_message_says_what_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    path.write_text(json.dumps(WRONG_SHAPES["correct a string"]))
    problem = Progress.load(path).problem or ""
    assert "lessons['tiny']['exercises']['dx']['correct'] is 'yes', not true or false" in problem


def test_set_aside_files_never_overwrite_each_other(tmp_path: Path) -> None:
    """Three bad files in the same second: three files set aside, each with its content."""
    path = tmp_path / "progress.json"
    for k in range(3):
        path.write_text(f"{{bad {k}")
        assert Progress.load(path).problem is not None
    aside = sorted(tmp_path.glob("progress.json.corrupt-*"))
    assert len(aside) == 3
    assert sorted(p.read_text() for p in aside) == ["{bad 0", "{bad 1", "{bad 2"]


def test_a_progress_file_that_is_a_fifo_is_set_aside_not_waited_on(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    os.mkfifo(path)
    progress = Progress.load(path)
    assert progress.problem is not None and "named pipe" in progress.problem
    assert progress.lessons == {} and not path.exists()


def test_deeply_nested_json_is_a_bad_file_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    path.write_text("[" * 200_000)
    assert Progress.load(path).problem is not None


def test_a_stale_copy_does_not_overwrite_another_process_update(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    first, second = Progress.load(path), Progress.load(path)
    first.record("tiny", "a", True)
    second.record("tiny", "b", False)  # second has never seen 'a': it re-reads before writing
    second.set_step("tiny", 3)
    first.record("tiny", "a", False)
    final = Progress.load(path)
    assert final.lessons["tiny"]["exercises"] == {
        "a": {"attempts": 2, "correct": True},
        "b": {"attempts": 1, "correct": False},
    }
    assert final.lessons["tiny"]["step"] == 3
    assert first.lessons == final.lessons  # each update also refreshes the copy in memory


WORKERS, ANSWERS = 4, 25


def _answer_many(path: str, worker: int, barrier: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    progress = Progress.load(Path(path))
    for k in range(ANSWERS):
        progress.record("race", "shared", k % 2 == 0)
        progress.record("race", f"worker-{worker}", False)


def test_concurrent_writers_lose_no_update(tmp_path: Path) -> None:
    """4 processes × 25 answers each (plus one of their own): every answer is counted."""
    path = tmp_path / "progress.json"
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
    exercises = Progress.load(path).lessons["race"]["exercises"]
    assert exercises["shared"] == {"attempts": WORKERS * ANSWERS, "correct": True}
    for w in range(WORKERS):
        assert exercises[f"worker-{w}"] == {"attempts": ANSWERS, "correct": False}
    leftovers = {p.name for p in tmp_path.iterdir()} - {"progress.json", "progress.json.lock"}
    assert leftovers == set()  # no temporary file left behind


# ------------------------------------------------------------------ the data directory


def test_the_data_directory_follows_the_platform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ADX_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "adexplorer"
    monkeypatch.setenv("ADX_DATA_DIR", str(tmp_path / "mine"))
    assert data_dir() == tmp_path / "mine"


def test_the_data_directory_is_created_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    where = tmp_path / "new" / "adx"
    monkeypatch.setenv("ADX_DATA_DIR", str(where))
    progress = Progress.load()
    assert not where.exists()  # reading creates nothing
    progress.record("tiny", "dx", True)
    assert where.stat().st_mode & 0o777 == 0o700
    assert (where / "progress.json").exists()


@pytest.mark.parametrize("below", [False, True], ids=["the file", "below the file"])
def test_adx_data_dir_pointing_at_a_file_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, below: bool
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("not a directory")
    monkeypatch.setenv("ADX_DATA_DIR", str(afile / "sub" if below else afile))
    with pytest.raises(AdxError) as info:
        Progress.load()
    assert info.value.kind == "file" and "is a file, not a directory" in info.value.message
    assert afile.read_text() == "not a directory"
    result = adx("lesson", "list")
    assert result.returncode == 1
    assert "is a file, not a directory" in result.stderr and "Traceback" not in result.stderr
    result = adx("lesson", "open", "cost")
    assert result.returncode == 1
    assert "is a file, not a directory" in result.stderr and "Traceback" not in result.stderr


def test_a_locked_file_is_an_error_message_after_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from filelock import FileLock

    path = tmp_path / "progress.json"
    monkeypatch.setattr(progress_module, "LOCK_TIMEOUT", 0.2)
    holder = FileLock(f"{path}.lock", thread_local=False)
    with holder, pytest.raises(AdxError, match="stayed locked"):
        Progress.load(path).record("tiny", "dx", True)


# ------------------------------------------------------------------ reveals


def test_a_reveal_is_recorded_as_revealed_not_solved(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    progress = Progress.load(path)
    for _ in range(3):
        progress.record("tiny", "dx", False)
    progress.reveal("tiny", "dx")
    again = Progress.load(path)
    assert again.problem is None
    assert again.revealed("tiny") == {"dx"}
    assert again.solved("tiny") == set()
    assert again.attempts("tiny", "dx") == 3
    assert again.attempts("tiny", "other") == 0 and again.attempts("nope", "dx") == 0
    saved = json.loads(path.read_text())
    assert saved["lessons"]["tiny"]["exercises"]["dx"] == {
        "attempts": 3,
        "correct": False,
        "revealed": True,
    }
    # revealing an exercise never tried creates it with no attempts
    again.reveal("tiny", "fresh")
    assert Progress.load(path).revealed("tiny") == {"dx", "fresh"}
    assert Progress.load(path).attempts("tiny", "fresh") == 0


def test_a_file_from_before_reveals_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    path.write_text(json.dumps(GOOD))
    old = Progress.load(path)
    assert old.problem is None and old.solved("tiny") == {"dx"}
    assert old.revealed("tiny") == set() and old.attempts("tiny", "dx") == 3
    old.record("tiny", "dy", True)  # no 'revealed' key is written until a reveal
    assert "revealed" not in json.loads(path.read_text())["lessons"]["tiny"]["exercises"]["dy"]


@pytest.mark.parametrize("value", ['"yes"', "1", "null"])
def test_revealed_must_be_true_or_false(value: str) -> None:
    data = _with(f"lessons/tiny/exercises/dx/revealed={value}")
    assert "'revealed'" in (schema_problem(data) or "")


def test_unknown_exercise_keys_are_still_refused() -> None:
    data = _with("lessons/tiny/exercises/dx/hinted=true")
    assert schema_problem(data) is not None
