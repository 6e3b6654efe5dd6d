"""Limits: defaults, overrides by environment variable, and clear errors when exceeded."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from adexplorer.base.errors import AdxError
from adexplorer.base.limits import LIMITS, check, limit
from adexplorer.cli.main import cli


def test_defaults_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    assert limit("fd_steps") == LIMITS["fd_steps"].default
    monkeypatch.setenv("ADX_MAX_FD_STEPS", "100")
    assert limit("fd_steps") == 100
    monkeypatch.setenv("ADX_MAX_FD_STEPS", "many")
    with pytest.raises(AdxError, match="is not a whole number"):
        limit("fd_steps")


def test_exceeding_names_the_limit_and_the_variable() -> None:
    with pytest.raises(AdxError) as caught:
        check("family_levels", 10_000)
    assert "10,000 levels, over adx's limit of 500" in caught.value.message
    assert "ADX_MAX_FAMILY_LEVELS=10000" in (caught.value.hint or "")


def test_many_reverse_sweeps_are_refused_before_they_run() -> None:
    result = CliRunner().invoke(cli, ["eval", "x: vec[3000]; return sin(x)*2", "--at", "x=1"])
    assert result.exit_code == 1
    assert "ADX_MAX_TRACE_ENTRIES" in result.stderr
    assert "3,000 sweeps" in result.stderr


def test_the_limit_can_be_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADX_MAX_FD_STEPS", "80")
    result = CliRunner().invoke(cli, ["fd", "sin(x)", "--at", "x=1", "--steps", "1e-1:1e-8:70"])
    assert result.exit_code == 0, result.stderr
    monkeypatch.delenv("ADX_MAX_FD_STEPS")
    result = CliRunner().invoke(cli, ["fd", "sin(x)", "--at", "x=1", "--steps", "1e-1:1e-8:70"])
    assert result.exit_code == 1 and "ADX_MAX_FD_STEPS" in result.stderr


@pytest.mark.parametrize("size", ["100000000000000000000", "20000000"])
@pytest.mark.parametrize("command", [["eval"], ["fd"], ["eval", "--wrt", "T"]])
def test_an_input_over_the_tensor_limit_is_refused_before_it_is_filled(
    command: list[str], size: str
) -> None:
    # Found by fuzzing: `--at T=1` for a vec[1e20] input was np.full → ValueError
    # (numpy's maximum dimension), exit 3; vec[2e7] filled 160 MB before any check.
    # `--wrt T` made its seed, np.ones(vec[1e20]), before the values were checked.
    program = f"T: vec[{size}]; return sum(T)"
    result = CliRunner().invoke(cli, [command[0], program, *command[1:], "--at", "T=1"])
    assert result.exit_code == 1, result.output
    assert "entries of one vector or matrix" in result.stderr
    assert "ADX_MAX_TENSOR_ENTRIES" in result.stderr


def test_a_default_over_the_tensor_limit_is_a_clear_error() -> None:
    # adx eval 'T: vec[100000000000000000000] = 3; return T'  → exit 3 (ValueError:
    # Maximum allowed dimension exceeded); vec[99999999] = 3 fills 800 MB.
    from adexplorer.lang.lower import compile_source

    with pytest.raises(AdxError, match="entries of one vector or matrix"):
        compile_source("T: vec[100000000000000000000] = 3; return T")


def test_a_long_family_template_is_refused_before_hours_of_work() -> None:
    # Found while fuzzing: 200 terms of sin(#)*# over --n 1:500 ran for more than ten
    # minutes (each level is differentiated afresh: levels × nodes); now refused at once.
    template = "+".join(["sin(#)*#"] * 200)
    result = CliRunner().invoke(cli, ["swell", "--family", template, "--n", "1:500"])
    assert result.exit_code == 1
    assert "ADX_MAX_FAMILY_WORK" in result.stderr and "measure fewer levels" in result.stderr
    # the documented examples stay well inside it, at the most levels allowed
    for example in ("4*#*(1-#)", "#*#*#*#*#"):
        assert (
            CliRunner().invoke(cli, ["swell", "--family", example, "--n", "499:500"]).exit_code == 0
        )


@pytest.mark.parametrize("command", [["eval", "--at", "x=1"], ["fd", "--at", "x=1"], ["swell"]])
def test_the_nodes_limit_is_enforced_before_any_trace(
    monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    # docs/limits.md promised ADX_MAX_NODES, and nothing checked it: a 1 MB program of
    # 500,000 nodes ran for minutes (and drawing its tables for far longer).
    monkeypatch.setenv("ADX_MAX_NODES", "1000")
    program = "+".join(["sin(x)"] * 600)
    result = CliRunner().invoke(cli, [command[0], program, *command[1:]])
    assert result.exit_code == 1
    assert "operations and inputs in one program" in result.stderr
    assert "ADX_MAX_NODES" in result.stderr


def test_the_compiler_stops_at_the_nodes_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    from adexplorer.lang.lower import compile_source

    monkeypatch.setenv("ADX_MAX_NODES", "1000")
    with pytest.raises(AdxError, match="ADX_MAX_NODES"):
        compile_source("+".join(["sin(x)"] * 600))


def test_the_values_of_every_node_count_against_the_trace_limit() -> None:
    # Found while fuzzing by hand: 60 products of a mat[1000,1000] in --mode evaluate
    # (no sweeps, so no trace check) kept 60,000,000 numbers: 333 s and 12 GB as JSON.
    # Now refused before anything runs, in every mode.
    program = "W: mat[1000,1000]; return sum(" + "@".join(["W"] * 60) + ")"
    for mode in ("evaluate", "forward", "reverse"):
        result = CliRunner().invoke(
            cli,
            ["eval", program, "--at", "W=0.001", "--mode", mode, "--seed", "W=1"][
                : 6 if mode != "forward" else 8
            ],
        )
        assert result.exit_code == 1, result.output
        assert "ADX_MAX_TRACE_ENTRIES" in result.stderr and "60,000,001" in result.stderr


def test_a_big_matrix_is_summarized_in_tables_not_printed_whole() -> None:
    # A mat[1000,1000] value as one 10 MB table cell took rich many minutes to fold.
    import time

    start = time.perf_counter()
    result = CliRunner().invoke(
        cli, ["eval", "W: mat[1000,1000]; return sum(W@W)", "--at", "W=0.001", "--mode", "evaluate"]
    )
    assert result.exit_code == 0 and time.perf_counter() - start < 20
    assert "at W = mat[1000,1000] [0.001, 0.001, 0.001, …] min 0.001 max 0.001" in " ".join(
        result.stdout.split()
    )
    assert len(result.stdout) < 50_000
