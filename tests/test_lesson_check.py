"""``adx lesson check``, ``show`` and ``open N``: the checker agrees with the player."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from adexplorer.cli.main import cli
from adexplorer.lessons.catalog import builtin

HEAD = "---\nid: t\ntitle: T\n---\n\n## S\n\n"
SURVEY = "```adx-explore\nprogram: ln(x1) + x1*x2 - sin(x2)\nat: x1=2, x2=5\n{extra}```\n\n"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def lesson(tmp_path: Path, exercise: str = "", extra: str = "") -> Path:
    path = tmp_path / "t.md"
    body = HEAD + SURVEY.format(extra=extra)
    if exercise:
        body += f"```adx-exercise\n{exercise}\n```\n"
    path.write_text(body, encoding="utf-8")
    return path


def check(path: Path) -> tuple[int, str]:
    code, out, err = run("lesson", "check", str(path))
    return code, out + err


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ("at: x1=2, xx2=5\n", "'at:': 'xx2' is not an input of the program (did you mean 'x2'?)"),
        ("mode: forward\nseed: x3\n", "'seed:': 'x3' is not an input"),
        ("mode: forward\nseed: x1=1, y2=1\n", "'seed:': 'y2' is not an input"),
        ("step: 99\n", "step: 99 is past the end"),
    ],
)
def test_an_exploration_the_player_cannot_set_up_fails(
    tmp_path: Path, extra: str, words: str
) -> None:
    # 'at:' is given twice in the first case: the block keeps the second
    path = tmp_path / "t.md"
    text = HEAD + "```adx-explore\nprogram: ln(x1) + x1*x2 - sin(x2)\n" + extra + "```\n"
    if not extra.startswith("at:"):
        text = text.replace("sin(x2)\n", "sin(x2)\nat: x1=2, x2=5\n")
    path.write_text(text, encoding="utf-8")
    code, output = check(path)
    assert code == 1 and words in output, output
    assert "t.md:9:" in output  # the explore block's first line


def test_step_end_and_a_step_within_the_trace_pass(tmp_path: Path) -> None:
    for step in ("end", "12", "0"):
        assert check(lesson(tmp_path, extra=f"step: {step}\n"))[0] == 0


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("gradient xx1", "'xx1' is not an input of the program (did you mean 'x1'?)"),
        ("adjoint v9", "the program has no node 'v9'"),
        ("tangent v-3", "the program has no node 'v-3' (did you mean"),
    ],
)
def test_misspelt_query_arguments(tmp_path: Path, query: str, words: str) -> None:
    code, output = check(lesson(tmp_path, f"id: e\nkind: number\nquestion: q\nfrom: {query}"))
    assert code == 1 and words in output, output


def test_a_literal_is_graded_by_the_players_grader(tmp_path: Path) -> None:
    exercise = "id: e\nkind: number\nquestion: q\nfrom: gradient x2\nanswer: {}"
    # 1.71634 is ∂f/∂x2 = 2 - cos 5 = 1.7163378… to 6 digits: the old 1e-6 check refused it
    assert check(lesson(tmp_path, exercise.format("1.71634")))[0] == 0
    code, output = check(lesson(tmp_path, exercise.format("1.7164")))
    assert code == 1 and "disagrees with the engine" in output and "not quite" in output
    code, output = check(lesson(tmp_path, exercise.format("1.7") + "\ndigits: 3"))
    assert code == 1 and "at least 3 significant digits" in output


def test_digits_the_screen_cannot_show_fail(tmp_path: Path) -> None:
    """The screen shows 6 significant digits: asking for 8 cannot be answered from it."""
    code, output = check(
        lesson(tmp_path, "id: e\nkind: number\nquestion: q\nfrom: gradient x2\ndigits: 8")
    )
    assert code == 1 and "as the screen shows it, 1.71634" in output, output


def test_literal_only_answers_are_a_note_not_a_failure(tmp_path: Path) -> None:
    code, output = check(lesson(tmp_path, "id: e\nkind: number\nquestion: q\nanswer: 0.5"))
    assert code == 0, output
    assert "note: exercise 'e' has a literal answer only" in output
    assert "not engine-verified" in output and "not failures" in output


def test_the_built_in_course_passes() -> None:
    code, output = check(Path(__file__).parent.parent / "lessons")
    assert code == 0, output
    assert "accepted by the grader" in output


def test_show_prints_each_explorations_trace(tmp_path: Path) -> None:
    path = lesson(tmp_path, "id: e\nkind: number\nquestion: q\nfrom: gradient x2")
    code, out, _ = run("lesson", "show", str(path))
    assert code == 0
    assert "Primal trace" in out and "Adjoint sweep" in out
    # the trace's results as `adx eval` prints them, but what the exercise asks is "?",
    # as the player hides it while the exercise is open
    assert "∂/∂x1 = 5.5" in out and "∂/∂x2 = ?" in out and "1.71634" not in out
    assert "to at least 3 significant digits" in out  # the precision note
    code, out, _ = run("lesson", "show", str(path), "--no-trace")
    assert code == 0 and "Primal trace" not in out
    code, out, _ = run("lesson", "show", str(path), "--no-trace", "--answers")
    assert code == 0 and "answer: 1.71634" in out  # as the player reveals it


def test_show_prints_a_trace_once_and_hides_nothing_unasked(tmp_path: Path) -> None:
    path = lesson(tmp_path, "id: e\nkind: number\nquestion: q\nanswer: 0.5")
    text = path.read_text(encoding="utf-8")
    again = "## Again\n\nThe same exploration.\n\n" + SURVEY.format(extra="")
    path.write_text(
        text
        + "\n"
        + again
        + "## Other\n\nAnother point.\n\n"
        + SURVEY.format(extra="").replace("x2=5", "x2=6"),
        encoding="utf-8",
    )
    code, out, _ = run("lesson", "show", str(path))
    assert code == 0, out
    assert out.count("Primal trace") == 2  # the repeated exploration is printed once
    assert "(the same trace as in step 1 above)" in out
    assert "∂/∂x2 = 1.71634" in out  # a literal-only exercise hides nothing


def test_open_and_show_take_the_number_adx_lesson_list_shows() -> None:
    course = builtin()
    code, out, _ = run("lesson", "list")
    assert code == 0
    first = next(line for line in out.splitlines() if course[0].id in line)
    assert first.split()[1] == "1"  # the '#' column
    code, out, _ = run("lesson", "show", "1", "--no-trace")
    assert code == 0 and course[0].title.split()[0] in out
    code, _, err = run("lesson", "open", "1")  # found; refused only because this is no terminal
    assert code == 2 and "terminal" in err
    for number in ("0", str(len(course) + 1)):
        code, _, err = run("lesson", "open", number)
        assert code == 1
        assert (
            f"no lesson number {number}: the built-in course has lessons 1 to {len(course)}" in err
        )


def test_a_file_named_like_a_number_is_a_path(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = lesson(tmp_path)
    monkeypatch.chdir(tmp_path)
    path.rename(tmp_path / "3")
    code, out, _ = run("lesson", "show", "3", "--no-trace")
    assert code == 0
    assert out.split()[0] == "T"  # the file's title, not built-in lesson 3's
    assert builtin()[2].title not in out
