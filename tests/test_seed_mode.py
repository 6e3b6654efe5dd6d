"""`adx eval --seed` without --mode: a seed naming outputs is a cotangent (reverse mode)."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

from adexplorer.cli.main import cli

SURVEY = "ln(x1) + x1*x2 - sin(x2)"


def eval_json(*args: str) -> dict:
    result = CliRunner().invoke(cli, ["eval", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_seed_naming_the_output_runs_reverse_mode() -> None:
    report = eval_json(SURVEY, "--at", "x1=2,x2=5", "--seed", "f=2")
    assert report["mode"] == "reverse"
    # ȳᵀJ with ȳ = 2: twice the gradient (5.5, 2 - cos 5)
    vjp = report["vjp"]
    assert np.isclose(vjp["x1"], 11.0) and np.isclose(vjp["x2"], 2 * (2 - np.cos(5.0)))


def test_a_seed_naming_inputs_still_runs_forward_mode() -> None:
    report = eval_json(SURVEY, "--at", "x1=2,x2=5", "--seed", "x2=1")
    assert report["mode"] == "forward"


def test_several_outputs_named_run_one_reverse_sweep() -> None:
    report = eval_json("return x*y, x + sin(y)", "--at", "x=2,y=1", "--seed", "f1=1,f2=-2")
    assert report["mode"] == "reverse"
    assert np.isclose(report["vjp"]["x"], -1.0)
    assert np.isclose(report["vjp"]["y"], 2 - 2 * np.cos(1.0))
