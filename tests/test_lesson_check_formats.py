"""``adx lesson check``: every problem of a file in one run (each at its own line), and the
``--format json`` (schema adx.lesson-check/1) and ``--format github`` outputs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from adexplorer.cli.main import cli
from adexplorer.lessons.checker import escape_data, escape_property, github_command, shown_path
from adexplorer.lessons.parser import Problem
from tests.json_contract import assert_valid

#: A lesson with mistakes of many kinds, in the front matter, in explorations and in
#: exercises, both format mistakes and ones only running the engine finds.  Each
#: mistake's line carries a marker comment-free token found by ``_line``.
MISTAKES = """\
---
id: many-mistakes
title: A lesson with many mistakes
order: first
colour: blue
---

The intro.

## A step whose exploration has a format mistake

```adx-explore
program: x^2 + y
at: x=1, y=2
mode: forwrd
```

```adx-exercise
id: hidden
kind: number
question: Not checked: the exploration it uses is faulty.
from: gradient nowhere
```

## A step whose exercises are wrong

```adx-explore
program: sin(x) * z
at: x=1, z=2
```

```adx-exercise
id: badkind
kind: numbr
question: What is f?
answer: 3
```

```adx-exercise
id: misspelt
kind: number
question: What is the derivative?
from: gradient q
```

```adx-exercise
id: negative
kind: number
question: What is f?
from: value
tolerance: -1
```

```adx-exercise
id: disagrees
kind: number
question: What is f?
answer: 99
from: value
```

```adx-exercise
id: fine
kind: number
question: What is df/dz?
from: gradient z
```

## A step whose program does not run

```adx-explore
program: x +* 2
at: x=1
```

```adx-exercise
id: after-broken
kind: number
question: Not checked: its program does not run.
from: value
```
"""


def _line(text: str, needle: str, nth: int = 1) -> int:
    """The 1-based line of the ``nth`` line of ``text`` that starts with ``needle``."""
    found = [k + 1 for k, line in enumerate(text.splitlines()) if line.startswith(needle)]
    return found[nth - 1]


#: What each mistake is reported as: the start of the line it is on, and words of its message.
EXPECTED = [
    ("order: first", "'order' must be a whole number"),
    ("colour: blue", "unknown key 'colour'"),
    ("mode: forwrd", "did you mean 'forward'?"),
    ("kind: numbr", "kind must be one of"),
    ("id: misspelt", "'q' is not an input of the program"),
    ("tolerance: -1", "tolerance must be a number 0 or more"),
    ("id: disagrees", "the literal answer 99 disagrees with the engine"),
    ("program: x +* 2", "the program does not run"),
]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def mistakes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "lessons" / "03-mistakes.md"
    path.parent.mkdir()
    path.write_text(MISTAKES, encoding="utf-8")
    return path


def test_every_mistake_of_a_file_is_reported_in_one_run_at_its_line(mistakes: Path) -> None:
    code, out, err = run("lesson", "check", str(mistakes))
    assert code == 1 and out == ""
    reported = [line for line in err.splitlines() if line.startswith(f"{mistakes}:")]
    places = [(int(line.split(":")[1]), line) for line in reported]
    expected = [(_line(MISTAKES, start), words) for start, words in EXPECTED]
    assert len(expected) >= 5
    for line, words in expected:
        assert any(at == line and words in text for at, text in places), (line, words, err)
    # nothing else: a faulty block's dependants are not reported again (no cascade),
    # only one warning each that they are not checked yet (more may come once it is fixed)
    errors = [line for line in reported if ": warning: " not in line]
    assert len(errors) == len(expected), err
    warnings = [(at, text) for at, text in places if ": warning: " in text]
    assert warnings == [
        (
            _line(MISTAKES, "id: hidden"),
            f"{mistakes}:{_line(MISTAKES, 'id: hidden')}: warning: exercise 'hidden' (line "
            f"{_line(MISTAKES, 'id: hidden')}) not checked: the adx-explore block of the step "
            f"at line {_line(MISTAKES, '## A step whose exploration')} has format problems",
        ),
        (
            _line(MISTAKES, "id: after-broken"),
            f"{mistakes}:{_line(MISTAKES, 'id: after-broken')}: warning: exercise 'after-broken' "
            f"(line {_line(MISTAKES, 'id: after-broken')}) not checked: its exploration at line "
            f"{_line(MISTAKES, 'program: x +* 2')} has an error",
        ),
    ], err
    assert "nowhere" not in err and "'fine'" not in err
    assert [at for at, _ in places] == sorted(at for at, _ in places)  # in the file's order
    assert err.splitlines()[-1] == f"{len(expected)} problem(s) in 1 file(s)"


def test_json_lists_every_problem_and_follows_its_schema(mistakes: Path) -> None:
    code, out, err = run("lesson", "check", "--format", "json", "lessons")
    assert code == 1
    report = json.loads(out)
    assert_valid(report)
    assert report["schema"] == "adx.lesson-check/1" and report["ok"] is False
    assert report["files"] == [
        {"file": "lessons/03-mistakes.md", "lesson": "many-mistakes", "exercises": 7, "errors": 8}
    ]
    errors = [p for p in report["problems"] if p["severity"] == "error"]
    got = [(p["file"], p["line"], p["severity"]) for p in errors]
    want = [("lessons/03-mistakes.md", _line(MISTAKES, s), "error") for s, _ in EXPECTED]
    assert got == want
    # the exercises not checked yet: a warning each (not counted as errors)
    unchecked = [(p["line"], p["severity"]) for p in report["problems"] if p not in errors]
    assert unchecked == [
        (_line(MISTAKES, "id: hidden"), "warning"),
        (_line(MISTAKES, "id: after-broken"), "warning"),
    ]
    for problem, (_, words) in zip(errors, EXPECTED, strict=True):
        assert words in problem["message"]
    assert report["notes"] == []  # the literal-only exercise is faulty: not noted
    assert report["summary"] == {
        "files": 1,
        "lessons": 1,
        "exercises": 7,
        "errors": 8,
        "notes": 0,
    }
    assert "8 problem(s) in 1 file(s)" in err


def test_json_of_a_passing_course_says_ok_with_its_notes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    good = MISTAKES.split("## A step whose exercises are wrong")[0].split("## A step")[0]
    good = good.replace("order: first\ncolour: blue\n", "")
    good += (
        "## A step\n\n```adx-explore\nprogram: sin(x) * z\nat: x=1, z=2\n```\n\n"
        "```adx-exercise\nid: lit\nkind: number\nquestion: f?\nanswer: 1.683\n```\n\n"
        "```adx-exercise\nid: dz\nkind: number\nquestion: df/dz?\nfrom: gradient z\n```\n"
    )
    Path("good.md").write_text(good, encoding="utf-8")
    code, out, _ = run("lesson", "check", "--format", "json", "good.md")
    report = json.loads(out)
    assert_valid(report)
    assert code == 0 and report["ok"] is True and report["problems"] == []
    assert [(n["line"], n["severity"]) for n in report["notes"]] == [
        (_line(good, "id: lit"), "notice")
    ]
    assert report["summary"]["exercises"] == 2 and report["summary"]["notes"] == 1
    code, out, _ = run("lesson", "check", "--format", "github", "good.md")
    assert code == 0
    assert out.splitlines() == [
        f"::notice file=good.md,line={_line(good, 'id: lit')},title=adx lesson check::"
        "exercise 'lit' has a literal answer only (no 'from:'): not engine-verified"
    ]


def test_an_unreadable_file_is_in_the_json_too(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.md"
    code, out, _ = run("lesson", "check", "--format", "json", str(missing))
    report = json.loads(out)
    assert_valid(report)
    assert code == 1 and report["ok"] is False
    assert report["files"] == [
        {"file": str(missing), "lesson": None, "exercises": 0, "errors": 1}
    ]  # outside the current directory: the path as given


COMMAND = re.compile(
    r"^::(error|warning|notice) file=([^,:]+),line=(\d+)(?:,col=(\d+))?,"
    r"title=adx lesson check::(.+)$"
)


def test_github_annotations_one_per_problem_at_its_line(mistakes: Path) -> None:
    code, out, err = run("lesson", "check", "--format", "github", str(mistakes))
    assert code == 1
    lines = [line for line in out.splitlines() if not line.startswith("::warning ")]
    assert len(lines) == len(EXPECTED)
    warned = [line for line in out.splitlines() if line.startswith("::warning ")]
    assert [int(m.group(3)) for w in warned if (m := COMMAND.match(w))] == [
        _line(MISTAKES, "id: hidden"),
        _line(MISTAKES, "id: after-broken"),
    ]
    for text, (start, words) in zip(lines, EXPECTED, strict=True):
        match = COMMAND.match(text)
        assert match, text
        kind, file, line, _, message = match.groups()
        assert (kind, file, int(line)) == (
            "error",
            "lessons/03-mistakes.md",
            _line(MISTAKES, start),
        )
        assert words in message.replace("%0A", "\n").replace("%25", "%")
    # a message of several lines stays one command
    broken = lines[-1]
    assert "%0A" in broken and "\n" not in broken
    assert "8 problem(s)" in err


def test_github_escaping_follows_the_workflow_command_rules(tmp_path: Path) -> None:
    assert escape_data("100% a\r\nb: c, d") == "100%25 a%0D%0Ab: c, d"
    assert escape_property("100% a\r\nb: c, d") == "100%25 a%0D%0Ab%3A c%2C d"
    problem = Problem(Path("a:b,c%.md"), 3, "100% wrong\nnext: a, b", column=7)
    assert github_command(problem) == (
        "::error file=a%3Ab%2Cc%25.md,line=3,col=7,title=adx lesson check::"
        "100%25 wrong%0Anext: a, b"
    )
    # a carriage return from a lesson is shown as an escape (plain text), never sent raw
    assert "\r" not in github_command(Problem(Path("x.md"), 1, "a\rb"))
    note = Problem(Path("x.md"), 1, "look", severity="notice")
    warning = Problem(Path("x.md"), 2, "hmm", severity="warning")
    assert github_command(note).startswith("::notice file=x.md,line=1,")
    assert github_command(warning).startswith("::warning file=x.md,line=2,")


def test_paths_are_relative_to_the_current_directory_when_inside_it(tmp_path: Path) -> None:
    inside = tmp_path / "course" / "lessons" / "01.md"
    assert shown_path(inside, tmp_path / "course") == "lessons/01.md"
    assert shown_path(Path("lessons/01.md"), tmp_path) == "lessons/01.md"
    outside = tmp_path / "elsewhere.md"
    assert shown_path(outside, tmp_path / "course") == str(outside)
    assert shown_path(Path("bad\0name.md"), tmp_path) == "bad\0name.md"  # kept, not a crash


def test_lesson_text_is_shown_plain_in_every_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = MISTAKES.replace("kind: numbr", "kind: numb\x1b[31mr\x07")
    Path("esc.md").write_text(text, encoding="utf-8")
    for fmt in ("text", "json", "github"):
        _, out, err = run("lesson", "check", "--format", fmt, "esc.md")
        assert "\x1b" not in out + err and "\x07" not in out + err, fmt
        shown = out + err if fmt != "json" else json.dumps(json.loads(out), ensure_ascii=False)
        assert "\\x1b" in shown, fmt


def test_the_help_shows_the_formats_and_a_github_step() -> None:
    code, out, _ = run("lesson", "check", "--help")
    assert code == 0
    assert "[text|json|github]" in out or "text|json|github" in out
    assert "adx lesson check --format github lessons/" in out


def test_the_built_in_course_passes_in_json(monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(__file__).resolve().parent.parent
    monkeypatch.chdir(root)
    code, out, _ = run("lesson", "check", "--format", "json", "lessons")
    report = json.loads(out)
    assert_valid(report)
    assert code == 0 and report["ok"] is True and report["problems"] == []
    files = sorted(p.name for p in (root / "lessons").glob("*.md") if p.name != "README.md")
    assert [f["file"] for f in report["files"]] == [f"lessons/{name}" for name in files]
    assert all(f["lesson"] and f["errors"] == 0 for f in report["files"])
    assert report["summary"]["exercises"] == sum(f["exercises"] for f in report["files"]) > 0


def test_a_file_without_front_matter_still_has_its_steps_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    body = MISTAKES.split("---\n", 2)[2]  # the front matter removed
    Path("bare.md").write_text(body, encoding="utf-8")
    code, out, _ = run("lesson", "check", "--format", "json", "bare.md")
    report = json.loads(out)
    assert_valid(report)
    lines = [(p["line"], p["message"]) for p in report["problems"]]
    assert code == 1 and lines[0][0] == 1 and "starts with front matter" in lines[0][1]
    assert any(
        line == _line(body, "program: x +* 2") and "does not run" in message
        for line, message in lines
    )
    assert any(line == _line(body, "kind: numbr") for line, _ in lines)


def test_a_yaml_error_has_its_column_and_the_body_is_still_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = MISTAKES.replace("title: A lesson with many mistakes", "title: [unclosed")
    Path("yaml.md").write_text(text, encoding="utf-8")
    code, out, _ = run("lesson", "check", "--format", "json", "yaml.md")
    report = json.loads(out)
    assert_valid(report)
    first = report["problems"][0]
    assert code == 1 and "not valid YAML" in first["message"]
    assert isinstance(first.get("column"), int) and first["column"] >= 1
    assert any("does not run" in p["message"] for p in report["problems"])
    _, out, _ = run("lesson", "check", "--format", "github", "yaml.md")
    assert f",col={first['column']}," in out.splitlines()[0]
