"""Edge cases that once crashed `adx fd` and `adx swell`: now a clear error or a result."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from adexplorer.cli.main import cli


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fd", "1+2"], "has no inputs"),
        (["fd", "exp(x)", "--at", "x=1e200"], "f is +inf at this point"),
        (["fd", "log(x)", "--at", "x=-1"], "log is defined for positive numbers only"),
        (["fd", "x^3", "--at", "x=1e150"], "too large for a float64"),
        (["swell", "sum(x)"], "is a tensor operation"),
        (["swell", "transpose(x)*1"], "is a tensor operation"),
        (["swell", "--family", "sum(#)"], "sum at 'sum(#)'"),
        (["swell", "--family", "#", "--variable", "1x"], "is not a name"),
        # found by fuzzing: START/STOP overflowed to inf, COUNT was int(inf)
        (["fd", "x", "--at", "x=1", "--steps", "2:1e-320"], "over adx's limit of 64"),
        (["fd", "x", "--at", "x=1", "--steps", "1e308:1e-308"], "617 step sizes"),
        (["fd", "x", "--at", "x=1", "--steps", "1:1e-5:inf"], "is a whole number, not inf"),
        (["fd", "x", "--at", "x=1", "--steps", "1:1e-5:2.5"], "is a whole number, not 2.5"),
    ],
)
def test_clear_errors_in_human_and_json_mode(args: list[str], message: str) -> None:
    code, out, err = run(*args)
    assert code == 1 and message in err, err
    code, out, _ = run(*args, "--json")
    assert code == 1
    assert message in json.loads(out)["error"]["message"] + (json.loads(out)["error"]["hint"] or "")


@pytest.mark.parametrize("point", ["x=1e200", "x=1e-300", "x=0", "x=-1e150"])
def test_fd_far_from_one_is_finite_json(point: str) -> None:
    code, out, err = run("fd", "x", "--at", point, "--json", "--plot")
    assert code == 0, err
    data = json.loads(out)  # strict JSON: no NaN or Infinity
    assert data["exact"] == 1.0


def test_fd_mixed_second_far_out_stays_json() -> None:
    code, out, err = run("fd", "x*y", "--at", "x=1e150,y=1e150", "--second", "x,y", "--json")
    assert code == 0, err
    assert json.loads(out)["mixed_second"]["exact"] == 1.0


def test_fd_plot_when_every_error_is_zero() -> None:
    code, out, err = run("fd", "2*x", "--at", "x=1", "--plot")
    assert code == 0, err
    assert "errors of exactly 0" in out


def test_swell_counts_with_hundreds_of_digits() -> None:
    code, out, err = run("swell", "--family", "#*#*#*#*#", "--n", "1:80")
    assert code == 0, err
    assert "rounded (--json gives every digit)" in out
    code, out, _ = run("swell", "--family", "#*#*#*#*#", "--n", "1:80", "--json")
    sizes = json.loads(out)["levels"][-1]["sizes"]
    assert len(str(sizes["df_tree"])) > 50  # exact integers in JSON


def test_swell_plot_of_sizes_past_the_float_range() -> None:
    # Found while fuzzing: the naive tree of #*#*#*#*# at n = 500 has 350 digits, and
    # float(size) for the log axis raised OverflowError (exit 3).
    code, out, err = run("swell", "--family", "#*#*#*#*#*#*#*#*#*#", "--n", "340:345", "--plot")
    assert code == 0, err
    powers = [int(k) for k in re.findall(r"\b1e(\d+)\b", out)]
    assert max(powers) > 308  # the y axis is labelled in powers of ten past 1e308


@pytest.mark.parametrize(
    ("expr", "steps"),
    [("1e308*sin(x)", "1e1:1e-16"), ("1.79e308*sin(x)", "4.7,3,1e-3")],
)
def test_fd_errors_near_the_float_limit(expr: str, steps: str) -> None:
    # Errors near 1.8e308 rounded up to 1e309 on the plot's axis (10.0 ** 309:
    # OverflowError), and estimate − exact could overflow to inf.
    code, out, err = run("fd", expr, "--at", "x=0.01", "--steps", steps, "--plot")
    assert code == 0, err
    code, out, _ = run("fd", expr, "--at", "x=0.01", "--steps", steps, "--json")
    rows = json.loads(out)["schemes"]["forward"]["rows"]
    assert all(r["abs_error"] is None or r["abs_error"] < 1.8e308 for r in rows)


def test_fd_mixed_second_with_a_step_whose_square_underflows() -> None:
    # Found by hand: --second with h = 5e-324 divided by 4h² = 0 (ZeroDivisionError, exit 3).
    code, out, err = run(
        "fd", "x*y", "--at", "x=1,y=2", "--second", "x,y", "--steps", "5e-324,1e-3"
    )
    assert code == 0, err
    code, out, _ = run(
        "fd", "x*y", "--at", "x=1,y=2", "--second", "x,y", "--steps", "5e-324,1e-3", "--json"
    )
    rows = json.loads(out)["mixed_second"]["rows"]
    assert rows[0]["estimate"] is None and rows[1]["estimate"] == pytest.approx(1.0)


def test_swell_plot_of_a_family_with_empty_ad_traces() -> None:
    # Found by the fuzz suite: f = x has no AD lines, and 0 on a log axis was a
    # math domain error (exit 3).
    code, out, err = run("swell", "--plot", "--family", "#")
    assert code == 0, err
    assert "expression swell" in out


def test_fd_plot_when_no_step_gives_a_finite_estimate() -> None:
    # Found by fuzzing: with every estimate overflowing there was nothing on the log
    # axes and plotext failed (TypeError: 'NoneType' object is not iterable).
    code, out, err = run(
        "fd", "x*y", "--wrt", "y", "--steps", "1e47", "--plot", "--at", "x=-1e308,y=0"
    )
    assert code == 0, err
    assert "no plot: no step size gave a finite estimate" in out


def test_an_interrupt_while_the_command_line_loads_exits_130_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C in adx's first few tenths of a second (loading click, numpy, the commands)."""
    import builtins
    import sys

    from adexplorer.cli import entry

    real_import = builtins.__import__

    def interrupted(name: str, *args: object, **kwargs: object) -> object:
        if name == "adexplorer.cli.main":
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", interrupted)
    monkeypatch.delitem(sys.modules, "adexplorer.cli.main", raising=False)
    with pytest.raises(SystemExit) as exit_:
        entry.run()
    assert exit_.value.code == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_the_console_script_is_the_guarded_entry() -> None:
    text = (Path(__file__).parent.parent / "pyproject.toml").read_text()
    assert 'adx = "adexplorer.cli.entry:run"' in text
