"""Values from data files (--at X=@x.npy, @f.npz, .csv/.txt): numpy's loaders, float64,
shapes checked against the declarations, files read like program files (regular,
bounded, not writable by other accounts), and lesson paths confined to the lesson's folder."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from adexplorer.base.errors import AdxError
from adexplorer.base.value_files import ValueContext, read_values, write_npz
from adexplorer.lang.lower import lesson_values, parse_at
from adexplorer.lessons.checker import check_paths
from tests.test_cli_eval import adx

PROGRAM = "X: mat[2,3]\nb: vec[3]\nc: real\nreturn sum(X*X) + sum(b) + c"
SHAPES = {"X": (2, 3), "b": (3,), "c": ()}
X = np.arange(6.0).reshape(2, 3) / 7


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test in its own folder (relative paths start there), and never hanging."""
    monkeypatch.chdir(tmp_path)
    old = signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError()))
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def values(text: str, **kwargs: object) -> dict[str, np.ndarray]:
    parsed = parse_at(text, shapes=SHAPES, **kwargs)  # type: ignore[arg-type]
    return {name: value for name, (value, _) in parsed.items()}


def error_of(text: str, **kwargs: object) -> AdxError:
    with pytest.raises(AdxError) as caught:
        parse_at(text, **{"shapes": SHAPES, **kwargs})  # type: ignore[arg-type]
    caught.value.render()
    return caught.value


def test_npy_npz_csv_and_txt_are_read_exactly() -> None:
    np.save("x.npy", X)
    np.savez("all.npz", X=X, b=np.array([1.0, 2.0, 3.0]), other=np.ones(3))
    Path("x.csv").write_text("\n".join(",".join(repr(float(v)) for v in row) for row in X) + "\n")
    Path("b.txt").write_text("1 2\t3\n")
    assert np.array_equal(values("X=@x.npy")["X"], X)
    assert np.array_equal(values("X=@all.npz")["X"], X)  # the member named like the input
    assert np.array_equal(values("b=@all.npz:other")["b"], np.ones(3))
    assert np.array_equal(values("X = @x.csv")["X"], X)  # repr round-trips every float
    assert np.array_equal(values("b=@b.txt")["b"], [1.0, 2.0, 3.0])
    mixed = values("c=2, X=@x.npy, b=[1,1,1]")
    assert list(mixed) == ["c", "X", "b"] and mixed["c"] == 2


def test_integers_become_float64() -> None:
    np.save("b.npy", np.array([1, 2, 3], dtype=np.int32))
    got = values("b=@b.npy")["b"]
    assert got.dtype == np.float64 and np.array_equal(got, [1.0, 2.0, 3.0])


def test_a_bare_npz_binds_every_member_by_name() -> None:
    np.savez("start.npz", X=X, b=np.zeros(3))
    got = values("@start.npz, c=4")
    assert set(got) == {"X", "b", "c"} and np.array_equal(got["X"], X)
    np.savez("extra.npz", X=X, W9=np.zeros(3))
    error = error_of("@extra.npz")
    assert "'W9'" in error.message and "not an input" in error.message
    assert "extra.npz" in error.message


def test_a_one_row_text_file_fills_a_one_row_mat() -> None:
    Path("row.csv").write_text("1,2,3\n")
    got = parse_at("R=@row.csv", shapes={"R": (1, 3)})["R"][0]
    assert got.shape == (1, 3)


@pytest.mark.parametrize(
    ("make", "text", "words"),
    [
        (lambda: np.save("c.npy", np.ones(2, dtype=complex)), "b=@c.npy", "complex"),
        (lambda: np.save("o.npy", np.array([{}, 1], dtype=object)), "b=@o.npy", "Python objects"),
        (lambda: np.save("s.npy", np.array(["a", "b", "c"])), "b=@s.npy", "strings"),
        (lambda: np.save("t.npy", np.array([True, False, True])), "b=@t.npy", "booleans"),
        (lambda: np.save("d.npy", np.zeros((2, 2, 2))), "b=@d.npy", "3 axes"),
        (lambda: Path("g.npy").write_bytes(b"not numpy at all"), "b=@g.npy", "not a valid .npy"),
        (lambda: Path("h.npy").write_bytes(b"\x93NUMPY\x01\x00"), "b=@h.npy", "not a valid .npy"),
        (lambda: Path("g.npz").write_bytes(b"PK\x03\x04 broken"), "b=@g.npz", "not a valid .npz"),
        (lambda: Path("r.csv").write_text("1,2\n3\n"), "b=@r.csv", "not a table of numbers"),
        (lambda: Path("w.csv").write_text("1,x,3\n"), "b=@w.csv", "not a table of numbers"),
        (lambda: Path("e.txt").write_text("# nothing\n"), "b=@e.txt", "holds no numbers"),
        (lambda: Path("u.txt").write_bytes(b"\xff\xfe1 2 3"), "b=@u.txt", "not UTF-8"),
        (lambda: Path("x.json").write_text("[1,2,3]"), "b=@x.json", "what kind of data file"),
        (lambda: None, "b=@missing.npy", "no such data file: missing.npy"),
        (lambda: np.savez("m.npz", a=np.ones(3)), "b=@m.npz", "has no member 'b'"),
        (lambda: np.savez("m.npz", a=np.ones(3)), "b=@m.npz:aa", "did you mean 'a'"),
        (lambda: np.save("x.npy", np.ones(3)), "@x.npy", "not an .npz file"),
        (lambda: np.save("x.npy", np.ones(3)), "b=@x.npy:a", "only an .npz file has members"),
        (lambda: os.mkdir("dir.npy"), "b=@dir.npy", "a directory"),
        (lambda: os.mkfifo("pipe.npy"), "b=@pipe.npy", "named pipe"),
        (lambda: None, "b=@", "needs a file name"),
    ],
)
def test_bad_files_are_clear_errors_naming_the_file(make: object, text: str, words: str) -> None:
    make()  # type: ignore[operator]
    error = error_of(text)
    assert words in error.message or words in (error.hint or ""), error.render()
    assert error.span is not None and error.span.start == 0  # the caret is on the binding


def test_a_wrong_shape_names_the_file_the_input_and_both_shapes() -> None:
    np.save("w.npy", np.ones((3, 2)))
    error = error_of("X=@w.npy")
    for words in ("w.npy", "'X'", "mat[3,2]", "mat[2,3]", "(3, 2)", "(2, 3)"):
        assert words in error.message, error.message


def test_the_size_is_bounded_before_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    np.save("big.npy", np.zeros(20_000))
    monkeypatch.setenv("ADX_MAX_TENSOR_ENTRIES", "1000")
    error = error_of("b=@big.npy")
    assert "cannot read the data file big.npy" in error.message and "at most" in error.message
    np.savez_compressed("bomb.npz", b=np.zeros(20_000))  # tiny file, big member
    assert Path("bomb.npz").stat().st_size < 8 * 1000
    error = error_of("b=@bomb.npz")
    assert "unpacks to 160,128 bytes" in error.message


def test_files_another_account_can_write_are_refused(tmp_path: Path) -> None:
    np.save("x.npy", X)
    os.chmod("x.npy", 0o646)
    assert "writable by every account" in error_of("X=@x.npy").message
    shared = tmp_path / "shared"
    shared.mkdir()
    np.save(shared / "x.npy", X)
    os.chmod(shared, 0o777)
    assert "its folder is writable by every account" in error_of("X=@shared/x.npy").message
    os.chmod(shared, 0o1777)  # the sticky bit (as /tmp): nobody else may replace the file
    assert np.array_equal(values("X=@shared/x.npy")["X"], X)


def test_paths_start_from_the_context_folder(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    np.save(tmp_path / "data" / "x.npy", X)
    got = parse_at("X=@x.npy", context=ValueContext(tmp_path / "data"))["X"][0]
    assert np.array_equal(got, X)
    assert np.array_equal(values(f"X=@{tmp_path}/data/x.npy")["X"], X)  # absolute: fine here


def test_lesson_paths_stay_inside_the_lessons_folder(tmp_path: Path) -> None:
    lesson = tmp_path / "course"
    (lesson / "data").mkdir(parents=True)
    np.save(lesson / "data" / "x.npy", X)
    np.save(tmp_path / "secret.npy", X)
    (lesson / "link.npy").symlink_to(tmp_path / "secret.npy")
    got = lesson_values("X=@data/x.npy", lesson, PROGRAM)
    assert np.array_equal(got["X"], X)
    assert np.array_equal(lesson_values("X=@data/../data/x.npy", lesson, PROGRAM)["X"], X)
    for text, words in [
        ("X=@../secret.npy", "leads outside the lesson's folder"),
        ("X=@link.npy", "leads outside the lesson's folder"),
        (f"X=@{tmp_path}/secret.npy", "not inside the lesson's folder"),
        ("X=@~/secret.npy", "not inside the lesson's folder"),
    ]:
        with pytest.raises(AdxError) as caught:
            lesson_values(text, lesson, PROGRAM)
        assert words in caught.value.message, caught.value.render()
        assert caught.value.kind == "file"


LESSON = """---
id: data
title: Data next to a lesson
order: 1
---

Intro.

## A step

Prose.

```adx-explore
program: |
  X: mat[2,3]
  b: vec[3]
  return sum(X*X) + sum(b)
at: X=@{path}, b=[1,2,3]
```

```adx-exercise
id: f
kind: number
question: What is f?
answer: {answer}
from: value
```
"""


def write_lesson(folder: Path, path: str) -> Path:
    answer = float(np.sum(X * X) + 6)
    lesson = folder / "data.md"
    lesson.write_text(LESSON.format(path=path, answer=repr(answer)))
    return lesson


def test_a_lesson_reads_data_next_to_it_from_any_current_directory(tmp_path: Path) -> None:
    folder = tmp_path / "course"
    folder.mkdir()
    np.save(folder / "x.npy", X)
    lesson = write_lesson(folder, "x.npy")
    os.chdir("/")
    lessons, problems = check_paths([lesson])
    assert problems == [] and len(lessons) == 1


@pytest.mark.parametrize(
    ("path", "words"),
    [("missing.npy", "no such data file"), ("../x.npy", "leads outside the lesson's folder")],
)
def test_lesson_check_reports_a_bad_data_file_with_its_line(
    tmp_path: Path, path: str, words: str
) -> None:
    folder = tmp_path / "course"
    folder.mkdir()
    np.save(tmp_path / "x.npy", X)
    lesson = write_lesson(folder, path)
    _, problems = check_paths([lesson])
    assert problems, "a bad data file must be a problem"
    first = problems[0]
    explore_line = lesson.read_text().splitlines().index("```adx-explore") + 2  # its first line
    assert first.path == lesson and first.line == explore_line
    assert words in first.message and "data file" in first.message
    result = adx("lesson", "check", str(lesson))
    assert result.returncode == 1 and words in result.stdout + result.stderr


def test_eval_with_file_values_end_to_end(tmp_path: Path) -> None:
    program = tmp_path / "p.adx"
    program.write_text(PROGRAM)
    write_npz(Path("v.npz"), {"X": X, "b": np.ones(3), "c": np.float64(2)})
    result = adx("eval", "--json", str(program), "--at", "@v.npz")
    assert result.returncode == 0, result.stderr
    assert f"{float(np.sum(X * X) + 5)!r}" in result.stdout or '"value"' in result.stdout
    import json

    report = json.loads(result.stdout)
    assert report["outputs"][0]["value"] == pytest.approx(float(np.sum(X * X) + 5), rel=1e-15)
    result = adx("eval", str(program), "--at", "@v.npz", "--at", "X=@nope.npy")
    assert result.returncode == 1 and "no such data file: nope.npy" in result.stderr
    assert "Traceback" not in result.stderr


def test_read_values_returns_every_member() -> None:
    np.savez("two.npz", a=np.ones(2), b=np.zeros((2, 2)))
    got = read_values("two.npz")
    assert set(got) == {"a", "b"} and got["b"].shape == (2, 2)


@pytest.mark.parametrize("text", ["#", "x=1 #c", "x=1#", "x=[1,2] # two"])
def test_a_comment_in_a_value_is_named_with_a_caret(text: str) -> None:
    """'#' lexes as a comment, which a one-line value cannot hold (it raised IndexError)."""
    from adexplorer.lang.lower import parse_at

    with pytest.raises(AdxError) as caught:
        parse_at(text, "at")
    assert caught.value.message == "a value cannot hold a comment ('#')"
    assert caught.value.span is not None and text[caught.value.span.start] == "#"


@pytest.mark.parametrize(
    "content, declared, fits",
    [
        ("1\n2\n3\n", "mat[3,1]", True),
        ("1\n2\n3\n", "mat[1,3]", False),  # a column never fills a row
        ("1,2,3\n", "mat[1,3]", True),
        ("1,2,3\n", "mat[3,1]", False),
        ("1,2,3\n", "vec[3]", True),
        ("1\n2\n3\n", "vec[3]", True),
        ("\ufeff1,2\n3,4\n", "mat[2,2]", True),  # a BOM, as spreadsheets save
    ],
)
def test_a_text_file_keeps_its_orientation(
    tmp_path: Path, content: str, declared: str, fits: bool
) -> None:
    from adexplorer.lang.lower import compile_source, parse_at

    (tmp_path / "t.csv").write_text(content, encoding="utf-8")
    program = f"A: {declared} = 0\nreturn sum(A)"
    text = f"A=@{tmp_path / 't.csv'}"
    if fits:
        value = parse_at(text, "--at", program=program)["A"][0]
        assert np.shape(value) == compile_source(program).graph.nodes[0].shape
    else:
        with pytest.raises(AdxError, match="row"):
            parse_at(text, "--at", program=program)


@pytest.mark.parametrize(
    "content, words",
    [
        ("1,2,3\n4,5\n", "line 2 has 2 values where the lines before it have 3"),
        ("1,2,abc\n", "line 1, value 3: 'abc' is not a number"),
    ],
)
def test_a_malformed_table_is_described_in_adx_words(
    tmp_path: Path, content: str, words: str
) -> None:
    from adexplorer.lang.lower import parse_at

    (tmp_path / "t.csv").write_text(content)
    with pytest.raises(AdxError) as caught:
        parse_at(f"A=@{tmp_path / 't.csv'}", "--at", shapes={"A": (2, 3)})
    assert words in caught.value.message and "usecols" not in caught.value.message


def test_a_data_file_written_inside_a_program_points_to_at() -> None:
    from adexplorer.lang.lower import compile_source

    with pytest.raises(AdxError) as caught:
        compile_source("x: vec[3] = @ok.npy\nreturn sum(x)")
    assert caught.value.hint is not None and "--at x=@file.npy" in caught.value.hint


def test_a_data_file_over_the_size_limit_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adexplorer.lang.lower import parse_at

    np.save(tmp_path / "big.npy", np.zeros(10_000))
    monkeypatch.setenv("ADX_MAX_TENSOR_ENTRIES", "10")
    with pytest.raises(AdxError) as caught:
        parse_at(f"v=@{tmp_path / 'big.npy'}", "--at", shapes={"v": (10_000,)})
    assert "may be at most" in caught.value.message
    assert caught.value.hint is not None and "ADX_MAX_TENSOR_ENTRIES" in caught.value.hint
