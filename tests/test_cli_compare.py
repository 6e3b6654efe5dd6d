"""``adx fd`` and ``adx swell`` through the real entry point."""

from __future__ import annotations

import json

import pytest

from tests.test_cli_eval import adx


def run_json(*args: str) -> tuple[int, dict]:
    result = adx(*args, "--json")
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout + result.stderr
    return result.returncode, json.loads(lines[0])


def test_fd_json_contract() -> None:
    code, data = run_json("fd", "x1*sqrt(log(x1/sin(x2^2)))", "--at", "x1=2,x2=1.2", "--wrt", "x2")
    assert code == 0
    assert data["schema"] == "adx.fd/1"
    assert data["exact"] == pytest.approx(-0.3768857156229457)
    assert set(data["schemes"]) == {"forward", "backward", "central", "complex"}
    central = data["schemes"]["central"]
    assert len(central["rows"]) == 16 and central["evaluations_per_gradient"] == 4
    assert {r["regime"] for r in central["rows"]} == {"truncation", "round-off"}
    assert 1e-8 <= central["best"]["h"] <= 1e-4
    assert data["gradient_cost"] == {"n_inputs": 2, "reverse_sweeps": 1}


def test_fd_human_output_with_plot_and_second() -> None:
    result = adx("fd", "exp(x)*y^2", "--at", "x=0.5,y=2", "--second", "x,y", "--plot", columns=100)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Best step against theory" in out and "√ε" in out
    assert "Mixed partial" in out and "four-point" in out
    assert "|error| of d/dx against h" in out  # the plot's title
    assert "\x1b[" not in out  # no colour codes when not writing to a terminal


def test_fd_complex_step_refusal_is_explained() -> None:
    code, data = run_json("fd", "abs(x) + x^2", "--at", "x=0.3", "--scheme", "complex")
    assert code == 0
    assert data["schemes"]["complex"]["applicable"] is False
    assert "not analytic" in data["schemes"]["complex"]["reason"]


@pytest.mark.parametrize(
    "args",
    [
        ["fd", "x^2", "--at", "x=1", "--steps", "0:1e-3"],
        ["fd", "x^2", "--at", "x=1", "--steps", "-1e-2"],
        ["fd", "x^2", "--at", "x=1", "--wrt", "y"],
        ["swell", "--family", "x + 1"],
        ["swell", "--family", "#^2", "--n", "1:100000"],
        ["swell", "x^2", "--wrt", "y"],
        ["swell", "v: vec[2]\nreturn sum(v)"],
    ],
)
def test_comparison_user_errors_exit_1(args: list[str]) -> None:
    result = adx(*args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("error:") and "Traceback" not in result.stderr


def test_swell_needs_exactly_one_of_expression_and_family() -> None:
    assert adx("swell").returncode == 2
    assert adx("swell", "x^2", "--family", "#^2").returncode == 2


def test_swell_json_for_an_expression() -> None:
    code, data = run_json("swell", "log(x)*sin(x)^2")
    assert code == 0 and data["schema"] == "adx.swell/1"
    entry = data["derivatives"][0]
    assert entry["wrt"] == "x"
    assert entry["sizes"]["df_tree"] > entry["sizes"]["simplified_tree"]
    assert not entry["derivative_elided"]


def test_swell_family_json_has_exact_integers() -> None:
    code, data = run_json("swell", "--family", "4*#*(1-#)", "--n", "1:40")
    assert code == 0
    last = data["levels"][-1]
    assert last["n"] == 40 and last["sizes"]["df_tree"] == 400_222_232_510_461


def test_swell_family_human_output_and_plot() -> None:
    result = adx("swell", "--family", "4*#*(1-#)", "--n", "1:40", "--plot")
    assert result.returncode == 0
    assert "400,222,232,510,461" in result.stdout
    assert "expression swell: size against level n" in result.stdout
