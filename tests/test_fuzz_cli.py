"""Never a traceback, always bounded: every command-line surface, fuzzed.

Each test draws cases from ``tests/fuzzing.py`` (expressions from the grammar
and junk, odd ``--at`` values and options, lesson files with odd front matter
and exercises, students' responses, bytes that are not UTF-8) and runs
``main()`` itself in this process, so the exit-status net is part of what is
tested.  A case passes if adx answers with a result or a clear error: exit 0, 1
or 2, no "internal error" (exit 3), no traceback, no exception out of
``main()``, no raw escape character, within a time budget, and with
``--json`` exactly one strict JSON object on stdout.

The runs are derandomized (the same cases every time, so CI is stable) and
bounded; ``python tools/fuzz.py --minutes 10`` runs the same strategies for
longer, with fresh seeds.  Failures whose root is in the language layer are
listed in ``fuzzing.KNOWN_LANG_ISSUES`` with a strict xfail test each.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import fuzzing
from tests.fuzzing import Case, describe, known_issue, problems, run_case

#: Seconds one case may take (the slowest legitimate ones, deep expressions printed as
#: tables, take a few seconds on a shared CI machine).
BUDGET = 30.0


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
    )


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    # A family's work at the default limit takes up to ~30 s; a tenth of it keeps each
    # case to seconds and still tests the refusal (tools/fuzz.py runs the defaults).
    with fuzzing.fuzz_environment(ADX_MAX_FAMILY_WORK="150000") as directory:
        yield directory


def assert_contract(case: Case, directory: Path) -> None:
    outcome = run_case(case, directory, timeout=2 * BUDGET)
    found = problems(case, outcome, budget=BUDGET)
    if found and known_issue(found):
        return  # a known language-layer issue: see fuzzing.KNOWN_LANG_ISSUES
    assert not found, f"\n{case.command_line()}\n-> {describe(found)}\nstderr: {outcome.err[-600:]}"


@fuzz_settings(600)
@given(case=fuzzing.eval_cases())
def test_eval(scratch: Path, case: Case) -> None:
    assert_contract(case, scratch)


@fuzz_settings(400)
@given(case=fuzzing.fd_cases())
def test_fd(scratch: Path, case: Case) -> None:
    assert_contract(case, scratch)


@fuzz_settings(400)
@given(case=fuzzing.swell_cases())
def test_swell(scratch: Path, case: Case) -> None:
    assert_contract(case, scratch)


@fuzz_settings(30)
@given(case=fuzzing.functions_cases())
def test_functions(scratch: Path, case: Case) -> None:
    assert_contract(case, scratch)


@fuzz_settings(200)
@given(case=fuzzing.top_level_cases())
def test_command_words_and_junk(scratch: Path, case: Case) -> None:
    assert_contract(case, scratch)


@fuzz_settings(500)
@given(case=fuzzing.lesson_cases())
def test_lesson_show_and_check_on_generated_files(scratch: Path, case: Case) -> None:
    assert_contract(case, scratch)


@fuzz_settings(150)
@given(case=fuzzing.lesson_misc_cases())
def test_lesson_commands_on_odd_names_and_paths(scratch: Path, case: Case) -> None:
    assert_contract(case, scratch)


def _with_json(case: Case) -> Case:
    return Case((*case.argv, "--json"), case.files, case.stdin, json=True)


@fuzz_settings(400)
@given(
    case=st.one_of(fuzzing.eval_cases(), fuzzing.fd_cases(), fuzzing.swell_cases()).map(_with_json)
)
def test_json_mode_is_one_strict_json_object_on_every_path(scratch: Path, case: Case) -> None:
    assert_contract(case, scratch)


@fuzz_settings(800)
@given(case=fuzzing.grader_cases)
def test_the_grader_answers_any_response_with_feedback(case: fuzzing.GraderCase) -> None:
    found, seconds = fuzzing.grade(case, timeout=2 * BUDGET)
    if found and known_issue(found):
        return
    assert not found, f"\n{case.reproducer()}\n-> {describe(found)}"
    assert seconds < BUDGET


@fuzz_settings(300)
@given(text=fuzzing.lesson_texts(rate=25))
def test_a_lesson_that_check_passes_can_be_played(scratch: Path, text: str) -> None:
    """`adx lesson check` passing a file means every answer computes, is one a student
    can type, is accepted by the grader, and odd responses get feedback."""
    found, _ = fuzzing.lesson_round_trip(text.encode("utf-8", "surrogateescape"), scratch)
    assert not found, f"\n{text}\n-> {describe(found)}"


# ------------------------------------------------------------------ bytes that are not UTF-8

#: Arguments as Python holds them when they are not UTF-8 (surrogateescape).
NOT_UTF8 = ["x\udcff", "\udcc3\udca9", "sin(\udcff)", "x\udc80+1", "\udcff.adx", "./\udcff"]


@pytest.mark.parametrize("text", NOT_UTF8)
@pytest.mark.parametrize(
    "argv",
    [
        ["eval", "{}"],
        ["eval", "x", "--at", "x={}"],
        ["eval", "x", "--at", "x=1", "--wrt", "{}"],
        ["eval", "x", "--at", "x=1", "--seed", "{}=1"],
        ["eval", "x", "--at", "x=1", "--mode", "{}"],
        ["fd", "{}", "--at", "x=1"],
        ["fd", "x", "--at", "x=1", "--steps", "{}"],
        ["fd", "x*y", "--at", "x=1,y=2", "--second", "x,{}"],
        ["swell", "{}"],
        ["swell", "--family", "{}#"],
        ["swell", "--family", "#", "--variable", "{}"],
        ["swell", "--family", "#", "--n", "{}"],
        ["lesson", "show", "{}"],
        ["lesson", "check", "{}"],
        ["lesson", "list", "--dir", "{}"],
        ["functions", "{}"],
        ["{}"],
    ],
)
@pytest.mark.parametrize("json", [False, True])
def test_arguments_that_are_not_utf8(scratch: Path, argv: list[str], text: str, json: bool) -> None:
    args = [a.replace("{}", text) for a in argv]
    if json and args[0] in ("eval", "fd", "swell"):
        args.append("--json")
    assert_contract(Case(tuple(args), json=json and args[0] in ("eval", "fd", "swell")), scratch)


@pytest.mark.parametrize(
    "content",
    [
        b"x\xff + 1",
        b"\xef\xbb\xbfx + 1",  # a byte-order mark
        b"x: real = 2 # \xc3\n return x",
        b"\x00",
        b"\xc0\xaf",
        b"x\r\n\r\n",
        b"",
    ],
)
@pytest.mark.parametrize("how", ["file", "stdin"])
def test_programs_that_are_not_utf8(scratch: Path, content: bytes, how: str) -> None:
    for command in (["eval", "--at", "x=1"], ["fd", "--at", "x=1"], ["swell"]):
        if how == "file":
            case = Case((*command, "{dir}/p.adx"), files=(("p.adx", content),))
        else:
            case = Case((*command, "-"), stdin=content)
        assert_contract(case, scratch)
        assert_contract(_with_json(case), scratch)


@pytest.mark.parametrize(
    "content",
    [
        b"---\nid: a\xff\ntitle: T\n---\n## S\n",
        b"---\nid: a\ntitle: T\n---\n## S\xc3\n",
        b"\xff\xfe-\x00-\x00-\x00",  # UTF-16
        b"---\nid: a\ntitle: T\n---\n## S\n```adx-explore\nprogram: x\xff\n```\n",
    ],
)
@pytest.mark.parametrize("command", [["check"], ["show"], ["show", "--answers"]])
def test_lesson_files_that_are_not_utf8(scratch: Path, content: bytes, command: list[str]) -> None:
    case = Case(("lesson", *command, "{dir}/bad.md"), files=(("bad.md", content),))
    assert_contract(case, scratch)


# ------------------------------------------------------------------ the environment

LESSON = b"""---
id: env
title: Env
---
## S
```adx-explore
program: x^2
at: x=3
```
```adx-exercise
id: e
kind: number
question: q?
from: descent 3
```
"""


@pytest.mark.parametrize("value", ["abc", "0", "1", "99999999999999999999999"])
@pytest.mark.parametrize(
    "variable",
    [
        "PROGRAM_BYTES",
        "LESSON_BYTES",
        "NODES",
        "TENSOR_ENTRIES",
        "TRACE_ENTRIES",
        "FD_STEPS",
        "FAMILY_LEVELS",
        "FAMILY_WORK",
        "DESCENT_STEPS",
    ],
)
def test_limits_set_to_anything_in_the_environment(
    scratch: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    # Found this way: ADX_MAX_LESSON_BYTES=abc made `adx lesson check` exit 3.
    monkeypatch.setenv(f"ADX_MAX_{variable}", value)
    files = (("env.md", LESSON),)
    for argv in (
        ["eval", "x^2", "--at", "x=1"],
        ["eval", "-", "--at", "x=1", "--json"],
        ["fd", "sin(x)", "--at", "x=1", "--json"],
        ["swell", "--family", "4*#*(1-#)", "--n", "1:20"],
        ["lesson", "check", "{dir}/env.md"],
        ["lesson", "show", "--answers", "{dir}/env.md"],
    ):
        case = Case(tuple(argv), files=files, stdin=b"x^2", json="--json" in argv)
        assert_contract(case, scratch)


@pytest.mark.parametrize("value", ["", "/dev/null", "x" * 5000, "{dir}/data/\udcff", "{dir}/a\nb"])
def test_odd_data_directories(scratch: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    # Found this way: an ADX_DATA_DIR too long for the system made `adx lesson list` exit 3.
    monkeypatch.setenv("ADX_DATA_DIR", value.replace("{dir}", str(scratch)))
    assert_contract(Case(("lesson", "list")), scratch)
