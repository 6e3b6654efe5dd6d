"""``adx eval … --hvp u`` and ``--hessian``: the nested trace on the command line and in JSON.

Numbers are checked against sympy and against central differences of AD gradients
(an independent computation: first-order reverse sweeps at shifted points), the
printed cost against the cost model, and the JSON keys against docs/json-schema.md.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from adexplorer import schemas
from adexplorer.cli.main import cli
from adexplorer.core.second_order import run_second_order
from adexplorer.core.trace import run as run_trace
from adexplorer.lang.lower import compile_source

ROOT = Path(__file__).resolve().parent.parent
SURVEY = "ln(x1) + x1*x2 - sin(x2)"
WIDE = {"COLUMNS": "200"}


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env or WIDE)
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str) -> dict[str, Any]:
    code, out, err = run(*args, "--json")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 1  # one JSON object
    data = json.loads(lines[0])
    assert isinstance(data, dict)
    return data


def sympy_hessian(source: str, point: dict[str, float]) -> np.ndarray:
    names = [sp.Symbol(n) for n in point]
    expr = sp.sympify(source.replace("^", "**").replace("ln(", "log("))
    hessian = sp.hessian(expr, names).subs(dict(zip(names, point.values(), strict=True)))
    return np.array(hessian.evalf(), dtype=float)


def gradient_differences(
    source: str, point: dict[str, Any], direction: dict[str, Any], h: float = 1e-5
) -> dict[str, np.ndarray]:
    """(∇f(x + h·u) − ∇f(x − h·u)) / 2h by first-order reverse sweeps."""
    shapes = {k: np.shape(v) for k, v in point.items()}
    graph = compile_source(source, extra_inputs=list(point), input_shapes=shapes).graph
    grads = []
    for sign in (1.0, -1.0):
        shifted = {
            k: np.asarray(v, dtype=float) + sign * h * np.asarray(direction.get(k, 0.0))
            for k, v in point.items()
        }
        grads.append(run_trace(graph, shifted, "reverse").gradient())
    return {k: (grads[0][k] - grads[1][k]) / (2 * h) for k in grads[0]}


# ----------------------------------------------------------------- the worked example


def test_hvp_of_the_worked_example() -> None:
    data = run_json("eval", SURVEY, "--at", "x1=2,x2=5", "--hvp", "x1=1,x2=0")
    assert data["schema"] == "adx.eval/1" and data["mode"] == "reverse"
    second = data["second_order"]
    assert second["kind"] == "hvp"
    assert second["direction"] == {"x1": 1.0, "x2": 0.0}
    expected = sympy_hessian(SURVEY, {"x1": 2.0, "x2": 5.0}) @ np.array([1.0, 0.0])
    assert [second["hvp"]["x1"], second["hvp"]["x2"]] == pytest.approx(expected, rel=1e-15)
    assert second["gradient"] == pytest.approx({"x1": 5.5, "x2": 2 - np.cos(5.0)}, rel=1e-15)
    assert second["gradient"] == data["gradient"]
    (sweep,) = second["sweeps"]
    assert sweep["label"] == "u" and sweep["direction"] == {"v-1": 1.0, "v0": 0.0}
    seed, *steps = sweep["steps"]
    assert seed["from"] is None and seed["total"] == 1.0 and seed["total_dot"] == 0.0
    # the last step: v̄-1 += v̄1/v-1, and its tangent by the quotient rule
    last = steps[-1]
    assert last["id"] == "v-1" and last["from"] == "v1" and last["slot"] == 0
    assert last["rule"] == "v̄-1 += v̄1/v-1 = 1/2 = 0.5"
    assert last["second_rule"] == "v̄̇-1 += v̄̇1/v-1 - v̄1·v̇-1/v-1^2 = 0/2 - 1·1/2^2 = -0.25"
    assert last["contribution_dot"] == -0.25 and last["total_dot"] == -0.25
    tangents = {s["id"]: s["value"] for s in sweep["tangent_steps"]}
    assert tangents == {
        "v-1": 1.0,
        "v0": 0.0,
        "v1": 0.5,
        "v2": 5.0,
        "v3": 0.0,
        "v4": 5.5,
        "v5": 5.5,
    }
    # every running total is the sum of the contributions so far
    for key in ("", "_dot"):
        totals: dict[str, float] = {}
        for step in sweep["steps"]:
            totals[step["id"]] = totals.get(step["id"], 0.0) + step["contribution" + key]
            assert step["total" + key] == pytest.approx(totals[step["id"]], abs=1e-15)


def test_hessian_of_the_worked_example_against_sympy() -> None:
    data = run_json("eval", SURVEY, "--at", "x1=2,x2=5", "--hessian")
    second = data["second_order"]
    assert second["kind"] == "hessian" and second["direction"] is None
    hessian = second["hessian"]
    assert hessian["labels"] == ["x1", "x2"]
    expected = sympy_hessian(SURVEY, {"x1": 2.0, "x2": 5.0})
    assert np.array(hessian["matrix"]) == pytest.approx(expected, rel=1e-15)
    assert hessian["symmetry_error"] == 0.0
    assert [s["label"] for s in second["sweeps"]] == ["x1", "x2"]
    cost = second["cost"]["hessian"]
    assert cost["nested_sweeps"] == 2 and cost["central_difference_gradients"] == 4
    assert cost["forward_difference_gradients"] == 3


def test_human_output_of_the_hessian() -> None:
    code, out, err = run("eval", SURVEY, "--at", "x1=2,x2=5", "--hessian")
    assert code == 0, err
    assert "Primal trace" in out
    assert "Tangent sweep 1 of 2, along e_x1 = (x1: 1, x2: 0)" in out
    assert "Nested adjoint sweep 2 of 2, along e_x2 = (x1: 0, x2: 1)" in out
    assert "v̄̇-1 += rule" not in out  # the header names the column once: v̄̇ += rule
    assert "v̄̇1/v-1 - v̄1·v̇-1/v-1^2" in out
    assert "= 0·cos(5) - (-1)·sin(5)·1 = -0.958924" in out
    matrix = re.search(r"│ x1 │ +(\S+) │ +(\S+) │\n│ x2 │ +(\S+) │ +(\S+) │", out)
    assert matrix, out
    assert [float(v) for v in matrix.groups()] == pytest.approx(
        sympy_hessian(SURVEY, {"x1": 2.0, "x2": 5.0}).ravel(), rel=1e-5
    )
    assert "max |H − Hᵀ| = 0 (exactly symmetric)" in out
    # the cost, as the cost model counts it
    graph = compile_source(SURVEY).graph
    cost = run_second_order(graph, {"x1": 2.0, "x2": 5.0}).cost
    assert f"H (2×2) by 2 nested sweeps: {cost.hessian_nested.total:,} operations" in out
    assert f"4 gradient evaluations, {cost.hessian_central.total:,} operations" in out
    assert f"by forward differences: 3, {cost.hessian_forward.total:,}" in out
    assert f"one nested sweep {cost.nested_sweep.total:,}" in out


def test_human_output_of_hvp() -> None:
    code, out, err = run("eval", SURVEY, "--at", "x1=2,x2=5", "--hvp", "x1=1,x2=0")
    assert code == 0, err
    assert "Nested adjoint sweep along u = (x1: 1, x2: 0)" in out
    assert "H·u row x1: -0.25" in out and "H·u row x2: 1" in out
    assert "gradient ∂f/∂x1 = 5.5" in out
    graph = compile_source(SURVEY).graph
    cost = run_second_order(graph, {"x1": 2.0, "x2": 5.0}, direction={"x1": 1.0}).cost
    assert f"H·u by 1 nested sweep: {cost.total.total:,} operations" in out
    assert f"2 gradient evaluations, {2 * cost.gradient.total:,} operations" in out


# ----------------------------------------------------------------- tensors and --wrt


NET = "sum(sigmoid(W@v))"
NET_AT = ("--at", "W=[[1,2],[3,4]]", "--at", "v=[0.5,-1]")


def test_hessian_over_tensor_entries_with_wrt() -> None:
    data = run_json("eval", NET, *NET_AT, "--hessian", "--wrt", "W,v")
    hessian = data["second_order"]["hessian"]
    assert hessian["labels"] == ["W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]", "v[0]", "v[1]"]
    matrix = np.array(hessian["matrix"])
    assert matrix.shape == (6, 6)
    assert data["second_order"]["wrt"] == ["W", "v"]
    point = {"W": [[1.0, 2.0], [3.0, 4.0]], "v": [0.5, -1.0]}
    for k, label in enumerate(hessian["labels"]):
        name, _, rest = label.partition("[")
        direction: dict[str, Any] = {n: np.zeros(np.shape(v)) for n, v in point.items()}
        direction[name][tuple(int(i) for i in rest.rstrip("]").split(","))] = 1.0
        column = gradient_differences(NET, point, direction)
        expected = np.concatenate([column["W"].ravel(), column["v"].ravel()])
        assert matrix[:, k] == pytest.approx(expected, abs=1e-8)
    assert np.max(np.abs(matrix - matrix.T)) <= 1e-15


def test_wrt_restricts_the_hessian() -> None:
    data = run_json("eval", NET, *NET_AT, "--hessian", "--wrt", "v")
    second = data["second_order"]
    assert second["hessian"]["labels"] == ["v[0]", "v[1]"]
    assert list(second["gradient"]) == ["v"]
    full = run_json("eval", NET, *NET_AT, "--hessian")["second_order"]["hessian"]
    assert np.array(second["hessian"]["matrix"]) == pytest.approx(
        np.array(full["matrix"])[4:, 4:], rel=1e-15
    )


def test_hvp_against_central_differences_of_gradients() -> None:
    data = run_json("eval", NET, *NET_AT, "--hvp", "W=[[1,0],[0,-1]],v=[0.25,2]")
    hvp = data["second_order"]["hvp"]
    point = {"W": [[1.0, 2.0], [3.0, 4.0]], "v": [0.5, -1.0]}
    expected = gradient_differences(
        NET, point, {"W": np.array([[1.0, 0.0], [0.0, -1.0]]), "v": np.array([0.25, 2.0])}
    )
    assert np.array(hvp["W"]) == pytest.approx(expected["W"], abs=1e-8)
    assert np.array(hvp["v"]) == pytest.approx(expected["v"], abs=1e-8)


def test_a_large_hessian_shows_a_bounded_view() -> None:
    code, out, err = run(
        "eval", "sum(sin(v)*v)", "--at", "v=normal(seed=1, shape=[12])", "--hessian"
    )
    assert code == 0, err
    assert "(8 more nested sweeps not shown; --json lists them all)" in out
    assert "first 8 of 12 rows and columns (--json has all of them)" in out
    data = run_json("eval", "sum(sin(v)*v)", "--at", "v=normal(seed=1, shape=[12])", "--hessian")
    assert len(data["second_order"]["sweeps"]) == 12
    assert np.array(data["second_order"]["hessian"]["matrix"]).shape == (12, 12)


def test_huge_n_hits_a_limit_with_a_clear_error() -> None:
    code, out, err = run("eval", "sum(v*v)", "--at", "v=normal(seed=1, shape=[5000])", "--hessian")
    assert code == 1
    assert "trace_entries" in err or "ADX_MAX_TRACE_ENTRIES" in err, err
    assert "give one direction" in err and "Traceback" not in err
    code, out, _ = run(
        "eval", "sum(v*v)", "--at", "v=normal(seed=1, shape=[5000])", "--hessian", "--json"
    )
    assert code == 1 and "ADX_MAX_TRACE_ENTRIES" in json.loads(out)["error"]["message"] + (
        json.loads(out)["error"]["hint"] or ""
    )


def test_a_program_with_if_is_differentiated_on_its_tape(tmp_path: Path) -> None:
    program = tmp_path / "branch.adx"
    program.write_text("x: real = 1.5\ny: real = 2\nif x > 0:\n    return x^2*y\nreturn -x*y^3\n")
    code, out, err = run("eval", str(program), "--hessian")
    assert code == 0, err
    assert "control flow (this run's tape)" in out and "x > 0 is true" in out
    data = run_json("eval", str(program), "--at", "x=-1", "--hessian")
    # the else path: f = -x·y³, H = [[0, -3y²], [-3y², -6xy]] at (-1, 2)
    assert data["second_order"]["hessian"]["matrix"] == [[0.0, -12.0], [-12.0, 12.0]]
    assert data["control_flow"] is not None


# ----------------------------------------------------------------- documented keys


def test_json_keys_are_the_documented_ones() -> None:
    # the schema's fields (docs/json-schema.md's tables are generated from them)
    definitions = schemas.load("eval")["$defs"]
    top = set(definitions["second_order"]["properties"])
    step_keys = set(definitions["nested_step"]["properties"])
    cost_keys = set(definitions["second_order_cost"]["properties"])
    hvp = run_json("eval", SURVEY, "--at", "x1=2,x2=5", "--hvp", "x1=1")["second_order"]
    hessian = run_json("eval", SURVEY, "--at", "x1=2,x2=5", "--hessian")["second_order"]
    assert set(hvp) == top - {"hessian"}
    assert set(hessian) == top - {"hvp"}
    assert set(hessian["hessian"]) == {"labels", "matrix", "symmetry_error"}
    for sweep in (*hvp["sweeps"], *hessian["sweeps"]):
        assert set(sweep) == {"label", "direction", "tangent_steps", "steps"}
        for step in sweep["steps"]:
            assert set(step) == step_keys
        for step in sweep["tangent_steps"]:
            assert set(step) == {"id", "value", "formula"}
    assert set(hvp["cost"]) == cost_keys
    page = (ROOT / "docs" / "json-schema.md").read_text()
    assert "`second_order`" in page.split("## Success", 1)[1].split("### `trace` rows", 1)[0]


# ----------------------------------------------------------------- usage errors


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--hvp", "x1=1", "--mode", "forward"], "does not combine with --mode forward"),
        (["--hessian", "--mode", "evaluate"], "does not combine with --mode evaluate"),
        (["--hvp", "x1=1", "--seed", "x1=1"], "--hvp takes the direction u itself"),
        (["--hessian", "--seed", "x1=1"], "use --hvp x=1,y=0 instead"),
        (["--hessian", "--checkpoint", "every=2"], "Leave --checkpoint out"),
        (["--hvp", "x1=1", "--hessian"], "not both"),
        (["--hvp", "x1=1", "--wrt", "x1"], "use --hessian --wrt"),
        (["--hessian", "--vector"], "Leave --vector out"),
    ],
)
def test_usage_errors_say_what_to_do(extra: list[str], message: str) -> None:
    code, _, err = run("eval", SURVEY, "--at", "x1=2,x2=5", *extra)
    assert code == 2 and message in " ".join(err.split()), err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x*[1, 2]", "--at", "x=1", "--hessian"], "need one scalar output"),
        (["2", "--hessian"], "has no inputs"),
        (["x1*x2", "--at", "x1=1,x2=2", "--hvp", ""], "the text is empty"),
        (["x1*x2", "--at", "x1=1,x2=2", "--hvp", "x3=1"], "'x3' is not an input"),
        (["x1*x2", "--at", "x1=1,x2=2", "--hessian", "--wrt", "x3"], "'x3' is not an input"),
        (["x1*x2", "--at", "x1=1,x2=2", "--hessian", "--wrt", "x1,"], "an input name is missing"),
        (["sum(v)", "--at", "v=[1,2]", "--hvp", "v=[1,2,3]"], "shape"),
    ],
)
def test_errors_in_what_was_written(args: list[str], message: str) -> None:
    code, out, err = run("eval", *args)
    assert code == 1 and message in err, err
    code, out, _ = run("eval", *args, "--json")
    error = json.loads(out)["error"]
    assert code == 1 and message in error["message"] + (error["hint"] or "")


def test_usage_errors_in_json_mode_are_json() -> None:
    from tests.test_cli_eval import adx

    result = adx(
        "eval", SURVEY, "--at", "x1=2,x2=5", "--hvp", "x1=1", "--mode", "forward", "--json"
    )
    assert result.returncode == 2
    assert "does not combine" in json.loads(result.stdout)["error"]["message"]


# ----------------------------------------------------------------- never a traceback


@settings(max_examples=120, deadline=None)
@given(
    st.text(alphabet="x12y=,[]()0123456789.e-+*/ _@inafpsnorml", min_size=0, max_size=24),
    st.booleans(),
)
def test_hvp_values_never_crash(text: str, as_json: bool) -> None:
    args = ["eval", "x1*x2^2 + sum(v*v)", "--at", "x1=2,x2=5,v=[1,2]", "--hvp", text]
    result = CliRunner().invoke(cli, [*args, "--json"] if as_json else args)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        text,
        result.exception,
    )
    assert result.exit_code in (0, 1, 2), (text, result.output)
    if as_json and result.stdout.strip():
        json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("args", "message", "hint"),
    [
        (
            ["sum(v)", "--at", "v=[1,2]", "--hvp", "v=[1,2,3]"],
            "--hvp v=[1,2,3]: the direction for 'v' has shape vec[3], but 'v' is vec[2]",
            "give v a direction of shape vec[2]",
        ),
        (
            ["x1*x2", "--at", "x1=1,x2=2", "--hvp", "x3=1"],
            "--hvp x3=1: the direction u names inputs, and 'x3' is not an input",
            "--hvp gives the direction u by input",
        ),
        (
            ["x1*x2", "--at", "x1=1,x2=2", "--hessian", "--wrt", "x1,x3"],
            "--wrt x1,x3: 'x3' is not an input of this function",
            "the inputs are x1, x2",
        ),
        (
            ["sum(v*v)", "--at", "v=normal(seed=1, shape=[5000])", "--hessian"],
            "over adx's limit",
            "give one direction with --hvp NAME=VALUE,... (H·u, one nested sweep), or "
            "differentiate fewer inputs with --hessian --wrt NAME,...",
        ),
    ],
)
def test_errors_name_the_option_that_was_typed(args: list[str], message: str, hint: str) -> None:
    """Errors in what --hvp or --wrt was given say so in the options' words, not the
    Python API's (no "seed", no bare "wrt")."""
    code, _, err = run("eval", *args)
    text = " ".join(err.split())
    assert code == 1 and message in text and hint in text, err
    assert "seed" not in text and " wrt" not in text.replace("--wrt", ""), err


def test_an_overflowed_hessian_is_reported_without_numpy_noise() -> None:
    """inf − inf in the symmetry check is NaN: no RuntimeWarning on stderr, no claim of
    "rounding differences", and the warning's grammar fits two results."""
    code, out, err = run("eval", "exp(x*y)", "--at", "x=1000,y=1", "--hessian")
    assert code == 0 and "RuntimeWarning" not in err, err
    # f itself overflowed: the symmetry line and a warning say H means nothing here
    assert "symmetry: not meaningful (f or its gradient is not finite here)" in out
    assert "rounding differences" not in out
    assert "the Hessian is not meaningful here" in " ".join(err.split())
    code, out, err = run("eval", "exp(x*y)", "--at", "x=1000,y=1", "--hessian", "--json")
    assert code == 0 and "RuntimeWarning" not in err, err
    assert json.loads(out)["second_order"]["hessian"]["symmetry_error"] is None
