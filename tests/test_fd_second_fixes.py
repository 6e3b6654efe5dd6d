"""``adx fd --second`` fixes: warnings at kinks and branch boundaries, no false
"polynomial" explanation, the real input names in the formulas, usage errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from adexplorer.cli.main import cli, main

KINK = "abs(x)*y + relu(y)^2"
BRANCH = "where(x>y, x^2*y, y^3)"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def flat(text: str) -> str:
    return " ".join(text.split())


def test_a_kink_is_warned_and_not_called_a_polynomial() -> None:
    code, out, err = run("fd", KINK, "--at", "x=0,y=0", "--second", "y,y")
    assert code == 0, err
    assert "relu" in err and "kink" in err
    assert "polynomial" not in out
    assert "not twice differentiable" in flat(out)


def test_a_branch_boundary_is_warned_in_text_and_json() -> None:
    code, out, err = run("fd", BRANCH, "--at", "x=1,y=1", "--second", "x,y")
    assert code == 0, err
    assert "boundary" in err
    assert "polynomial" not in out
    code, out, _ = run("fd", BRANCH, "--at", "x=1,y=1", "--second", "x,y", "--json")
    mixed = json.loads(out)["mixed_second"]
    assert any("boundary" in w for w in mixed["warnings"])


def test_a_real_polynomial_is_still_explained() -> None:
    code, out, _ = run("fd", "x^2*y", "--at", "x=1,y=2", "--second", "x,y")
    assert code == 0
    assert "polynomial" in flat(out)


def test_formulas_use_the_real_names() -> None:
    code, out, _ = run("fd", "b^2*a + a^3", "--at", "a=1,b=2", "--second", "a,a")
    assert code == 0
    assert "[f(a+h) - 2f(a) + f(a-h)] / h²" in out
    code, out, _ = run("fd", "b^2*a", "--at", "a=1,b=2", "--second", "b,a", "--json")
    assert code == 0
    mixed = json.loads(out)["mixed_second"]
    assert mixed["formula"] == "[f(b+h,a+h) - f(b+h,a-h) - f(b-h,a+h) + f(b-h,a-h)] / (4h²)"
    assert "the b entry of one nested sweep along e_a" in mixed["exact_source"]
    assert mixed["exact"] == 4.0  # ∂²(b²a)/∂b∂a = 2b


def test_second_usage_errors_exit_2_with_an_example() -> None:
    for value in ("", "x", "x,y,z", ",y"):
        code, _, err = run("fd", "x*y", "--at", "x=1,y=2", "--second", value)
        assert code == 2, value
        assert "--second x,y" in err


def test_a_second_usage_error_is_json_with_json(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["fd", "x*y", "--at", "x=1,y=2", "--second", "x", "--json"])
    assert done.value.code == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["kind"] == "usage" and "takes two input names" in error["message"]


def test_a_pure_partial_does_not_depend_on_the_first_input() -> None:
    code, out, err = run("fd", "sqrt(x)*y", "--at", "x=0,y=2", "--second", "y,y")
    assert code == 0, err
    assert "∂²f/∂y²" in out


def test_an_unknown_second_name_is_shortened() -> None:
    name = "q" * 100_000
    code, out, err = run("fd", "x*y", "--at", "x=1,y=2", "--second", f"x,{name}")
    assert code != 0
    assert len(out) + len(err) < 2000
