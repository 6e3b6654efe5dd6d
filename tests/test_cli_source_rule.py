"""How ``adx`` decides whether its argument is an expression, a file or standard input."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.json_contract import assert_valid_text
from tests.test_cli_eval import COMMAND


def adx_in(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        input=stdin,
        timeout=60,
        check=False,
    )


def test_a_long_expression_is_never_probed_as_a_file(tmp_path: Path) -> None:
    expression = " + ".join(f"sin(x*{k})" for k in range(60))  # far over 255 bytes
    result = adx_in(tmp_path, "eval", expression, "--at", "x=1", "--json")
    assert result.returncode == 0, result.stderr
    assert assert_valid_text(result.stdout)["source"] == expression


def test_a_file_named_like_the_expression_does_not_replace_it(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("x^3\n")
    as_expression = assert_valid_text(adx_in(tmp_path, "eval", "x", "--at", "x=2", "--json").stdout)
    assert as_expression["value"] == 2.0
    as_file = assert_valid_text(adx_in(tmp_path, "eval", "./x", "--at", "x=2", "--json").stdout)
    assert as_file["value"] == 8.0


def test_division_is_not_a_path(tmp_path: Path) -> None:
    result = adx_in(tmp_path, "eval", "x/y", "--at", "x=1,y=4", "--json")
    assert assert_valid_text(result.stdout)["value"] == 0.25


def test_standard_input(tmp_path: Path) -> None:
    result = adx_in(tmp_path, "eval", "-", "--at", "x=3", "--json", stdin="x^2\n")
    assert result.returncode == 0, result.stderr
    assert assert_valid_text(result.stdout)["value"] == 9.0


def test_a_missing_adx_file_says_so(tmp_path: Path) -> None:
    result = adx_in(tmp_path, "eval", "nothere.adx")
    assert result.returncode == 1
    assert "no such file: nothere.adx" in result.stderr


def test_a_file_that_fails_as_expression_gets_a_hint(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "p.txt").write_text("x^2\n")
    result = adx_in(tmp_path, "eval", "d/p.txt")
    assert result.returncode == 1
    assert "write ./d/p.txt" in result.stderr


@pytest.mark.parametrize("kind", ["fifo", "device", "directory", "binary", "huge"])
def test_files_that_are_not_programs_are_refused(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "prog.adx"
    expected = "not a regular file"  # "it is a FIFO, not a regular file"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "device":
        target.symlink_to("/dev/zero")
    elif kind == "directory":
        target.mkdir()
        expected = "it is a directory"
    elif kind == "binary":
        target.write_bytes(b"x\xff\xfe^2")
        expected = "not UTF-8 text"
    else:
        with target.open("wb") as handle:
            handle.truncate(11 * 1024 * 1024)
        expected = "a program may be at most 10 MiB"
    result = adx_in(tmp_path, "eval", "prog.adx")
    assert result.returncode == 1
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_free_names_take_the_shape_of_their_values(tmp_path: Path) -> None:
    result = adx_in(tmp_path, "eval", "sum(v*v)", "--at", "v=[1,2,3]", "--json")
    data = assert_valid_text(result.stdout)
    assert data["value"] == 14.0 and data["gradient"] == {"v": [2.0, 4.0, 6.0]}
    result = adx_in(tmp_path, "eval", "dot(v,v) + x", "--at", "v=[1,2]", "--at", "x=1", "--json")
    assert assert_valid_text(result.stdout)["gradient"] == {"v": [2.0, 4.0], "x": 1.0}


def test_tensor_sizes_are_bounded(tmp_path: Path) -> None:
    result = adx_in(tmp_path, "eval", "W: mat[100000,100000]; return sum(W)")
    assert result.returncode == 1
    assert "over adx's limit" in result.stderr and "ADX_MAX_TENSOR_ENTRIES" in result.stderr
    outer = "a: mat[20000,1]; b: mat[1,20000]; return sum(a@b)"
    result = adx_in(tmp_path, "eval", outer)
    assert result.returncode == 1 and "400,000,000 entries" in result.stderr
