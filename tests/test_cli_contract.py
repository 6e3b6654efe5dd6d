"""The exit-status contract, JSON for every kind of error, and output that fits any stream."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from adexplorer.cli import main as cli_main
from tests.json_contract import assert_valid_text
from tests.test_cli_eval import COMMAND


def adx(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["eval", "x", "--digits", "0"],
        ["eval", "x", "--mode", "bogus"],
        ["eval", "x", "--no-such-option"],
        ["fd", "x", "--scheme", "bogus"],
        ["swell", "--n", "1:3"],
    ],
)
def test_usage_errors_exit_2_and_are_json_with_json(args: list[str]) -> None:
    result = adx(*args, "--json")
    assert result.returncode == 2
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    error = assert_valid_text(lines[0])["error"]
    assert error["kind"] == "usage" and error["message"]
    assert "Traceback" not in result.stderr


def test_user_errors_exit_1_with_json() -> None:
    result = adx("eval", "x +", "--json")
    assert result.returncode == 1
    assert assert_valid_text(result.stdout)["error"]["kind"] == "parse"


def test_an_internal_error_is_reported_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("simulated bug")

    monkeypatch.setattr("adexplorer.cli.main.load", broken)
    with pytest.raises(SystemExit) as done:
        cli_main.main(["eval", "x", "--at", "x=1", "--json"])
    assert done.value.code == 3
    out, err = capsys.readouterr()
    assert json.loads(out)["error"] == {
        "kind": "internal",
        "message": "ZeroDivisionError: simulated bug",
        "line": None,
        "column": None,
        "hint": None,
    }
    assert "internal error" in err and "Traceback" not in err


@pytest.mark.parametrize("args", [[], ["explore", "x"], ["lesson", "open", "reverse-mode"]])
def test_the_explorer_refuses_a_non_terminal(args: list[str]) -> None:
    result = adx(*args)
    assert result.returncode == 2
    assert "is a terminal app" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
def test_non_unicode_streams_get_ascii_stand_ins(encoding: str) -> None:
    for args in (
        ["eval", "ln(x1) + x1*x2 - sin(x2)", "--at", "x1=2,x2=5"],
        ["fd", "sin(x)", "--at", "x=1", "--plot"],
        ["swell", "x*sin(x)"],
        ["eval", "x +"],
    ):
        result = subprocess.run(
            [*COMMAND, *args],
            capture_output=True,
            timeout=60,
            env={**os.environ, "PYTHONIOENCODING": encoding},
            check=False,
        )
        assert result.returncode in (0, 1), result.stderr
        assert result.stdout.isascii() and result.stderr.isascii()
        assert b"Traceback" not in result.stderr
    eval_out = adx("eval", "x*x", "--at", "x=2", PYTHONIOENCODING="ascii").stdout
    assert "v_bar" in eval_out


@pytest.mark.parametrize("columns", ["30", "50", "80"])
def test_no_number_is_cut_in_a_narrow_terminal_or_a_pipe(columns: str) -> None:
    result = adx(
        "eval",
        "ln(x1) + x1*x2 - sin(x2)",
        "--at",
        "x1=2,x2=5",
        "--digits",
        "17",
        COLUMNS=columns,
    )
    assert result.returncode == 0
    assert "…" not in result.stdout
    flat = "".join(ch for ch in result.stdout if ch not in " │┃\n")
    assert "11.652071455223084" in flat  # every digit, folded if need be
    fd = adx("fd", "sin(x)", "--at", "x=1", COLUMNS=columns)
    assert "…" not in fd.stdout


def test_help_documents_exit_statuses() -> None:
    text = " ".join(adx("eval", "--help").stdout.split())
    assert "Exit status: 0 success, 1 an error in the expression or the values," in text
    assert "3 a bug in adx" in text


@pytest.mark.parametrize(
    "args",
    [
        ["functions", "\udcff"],  # a byte that is not UTF-8, as Python holds it in argv
        ["eval", "x", "\x1b]52;c;aGk=\x07", "\udc80"],
        ["swell", "", "\x1b[31mred"],
    ],
)
def test_a_usage_error_quoting_odd_bytes_shows_them_as_escapes(args: list[str]) -> None:
    # Found by fuzzing: click quoted the argument raw, so a surrogate made the
    # usage message itself fail (a UnicodeEncodeError out of main) and an escape
    # sequence reached the terminal.
    from tests.fuzzing import Case, problems, run_case

    case = Case(tuple(args))
    outcome = run_case(case, Path("."))
    assert outcome.code == 2 and not problems(case, outcome)
    assert "Error:" in outcome.err and "\x1b" not in outcome.err
    if any("\udc80" <= ch <= "\udcff" for arg in args for ch in arg):
        assert "\\x" in outcome.err  # the byte, shown as an escape
    json_case = Case((*args, "--json"), json=True)
    outcome = run_case(json_case, Path("."))
    assert outcome.code == 2 and not problems(json_case, outcome)
