"""The ``adx eval`` contract, exercised through the real entry point in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.json_contract import assert_valid_text

ADX = shutil.which("adx", path=str(Path(sys.executable).parent))
COMMAND = [ADX] if ADX else [sys.executable, "-m", "adexplorer"]


def adx(*args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


def adx_json(*args: str) -> tuple[int, dict[str, Any], str]:
    # options go before a "--" (after it everything is the expression)
    args_list = list(args)
    cut = args_list.index("--") if "--" in args_list else len(args_list)
    result = adx("eval", *args_list[:cut], "--json", *args_list[cut:])
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout  # exactly one JSON object
    return result.returncode, assert_valid_text(lines[0]), result.stderr


def test_survey_example_json_contract() -> None:
    code, data, _ = adx_json("ln(x1) + x1*x2 - sin(x2)", "--at", "x1=2,x2=5")
    assert code == 0
    assert data["schema"] == "adx.eval/1"
    assert data["mode"] == "reverse"
    assert data["inputs"] == {"x1": 2.0, "x2": 5.0}
    assert data["value"] == pytest.approx(11.652071455223084, rel=1e-15)
    assert data["gradient"]["x1"] == pytest.approx(5.5)
    assert data["gradient"]["x2"] == pytest.approx(1.7163378145367738)
    rows = {row["id"]: row for row in data["trace"]}
    assert list(rows) == ["v-1", "v0", "v1", "v2", "v3", "v4", "v5"]
    assert rows["v3"]["op"] == "sin" and rows["v3"]["args"] == ["v0"]
    assert rows["v3"]["source"] == "sin(x2)"
    contributions = rows["v-1"]["contributions"]
    assert [c["from"] for c in contributions] == ["v2", "v1"]
    assert [c["value"] for c in contributions] == [5.0, 0.5]
    assert rows["v-1"]["adjoint"] == 5.5
    assert data["cost"]["reverse_bound"] == 4.0 and data["cost"]["forward_bound"] == 2.5
    assert data["cost"]["jacobian_forward_sweeps"] == 2
    assert data["cost"]["jacobian_reverse_sweeps"] == 1
    assert data["warnings"] == []
    sweep = data["sweeps"][0]
    assert sweep["kind"] == "adjoint" and sweep["steps"][0]["from"] is None


def test_forward_mode_full_gradient_reports_n_sweeps() -> None:
    code, data, _ = adx_json("x*y + sin(x)", "--at", "x=0.5,y=4.2", "--mode", "forward")
    assert code == 0
    assert data["gradient"] == pytest.approx({"x": 5.077582561890373, "y": 0.5})
    assert data["cost"]["sweeps"] == 2 and data["cost"]["sweep_kind"] == "tangent"
    assert set(data["trace"][-1]["tangents"]) == {"x", "y"}


def test_forward_mode_with_wrt_is_one_directional_sweep() -> None:
    code, data, _ = adx_json("x1*x2 + sin(x1)", "--at", "x1=1.5,x2=-0.75", "--wrt", "x2")
    assert code == 0
    assert data["mode"] == "forward"
    assert data["tangent"] == 1.5
    assert "gradient" not in data
    assert data["trace"][2]["tangent_formula"] == "v̇1 = v̇-1·v0 + v-1·v̇0 = 0·(-0.75) + 1.5·1 = 1.5"


def test_seed_with_inputs_left_out_seeds_them_with_zero() -> None:
    code, data, _ = adx_json(
        "-1/2*((y - mu)/sigma)^2 - log(sigma)",
        "--at",
        "y=1,mu=0,sigma=1",
        "--mode",
        "forward",
        "--seed",
        "mu=1",
    )
    assert code == 0
    assert data["tangent"] == 1.0
    assert data["seed"] == {"mu": 1.0}


def test_directional_seed_vector() -> None:
    code, data, _ = adx_json(
        "x1*x2", "--at", "x1=2,x2=3", "--mode", "forward", "--seed", "x1=1,x2=0.5"
    )
    assert code == 0 and data["tangent"] == 3 * 1 + 2 * 0.5


def test_vectors_matrices_and_jacobian() -> None:
    code, data, _ = adx_json("W @ v", "--at", "W=[[1,2],[3,4]]", "--at", "v=[1,1]")
    # free names in an expression take the shapes of their values (issue "never a
    # traceback": the --help example sum(sigmoid(W@v)) must work without declarations)
    assert code == 0 and data["value"] == [3.0, 7.0]
    code, data, _ = adx_json("W @ v", "--at", "W=[[1,2],[3,4]]", "--at", "v=[1,1,1]")
    assert code == 1 and data["error"]["kind"] == "type"  # shapes that do not fit
    with_types = "W: mat[2,2]\nv: vec[2]\nreturn tanh(W @ v)"
    code, data, _ = adx_json(with_types, "--at", "W=[[1,2],[3,4]]", "--at", "v=[0.1,0.2]")
    assert code == 0
    assert "jacobian" in data and "gradient" not in data
    assert len(data["jacobian"]["f"]["W"]) == 2  # shape out + in = (2, 2, 2)
    assert len(data["jacobian"]["f"]["W"][0][0]) == 2
    assert data["cost"]["sweeps"] == 2  # one reverse sweep per output entry


def test_nan_and_inf_become_null_with_warnings() -> None:
    code, data, _ = adx_json("ln(x) + 1", "--at", "x=-1")
    assert code == 0
    assert data["value"] is None
    assert any("'ln(x)'" in w and "log" in w for w in data["warnings"])
    assert any("null" in w for w in data["warnings"])
    human = adx("eval", "1/x", "--at", "x=0")
    assert human.returncode == 0
    assert "division by zero" in human.stderr and "warning" in human.stderr


def test_program_file_with_defaults_and_at_override(tmp_path: Path) -> None:
    program = tmp_path / "survey.adx"
    program.write_text("x1: real = 2\nx2: real = 5\nf = ln(x1) + x1*x2 - sin(x2)\nreturn f\n")
    code, data, _ = adx_json(str(program))
    assert code == 0 and data["value"] == pytest.approx(11.652071455223084)
    code, data, _ = adx_json(str(program), "--at", "x2=1")
    assert code == 0 and data["inputs"]["x2"] == 1.0


@pytest.mark.parametrize(
    ("args", "kind"),
    [
        (["x +", "--at", "x=1"], "parse"),
        (["", "--at", "x=1"], "parse"),
        (["x*y", "--at", "x=1"], "input"),  # missing input y
        (["x", "--at", "x=[1,"], "parse"),  # malformed --at
        (["x", "--at", "x"], "parse"),
        (["x", "--at", "pi=3,x=1"], "input"),  # pi cannot be rebound
        (["sinn(x)", "--at", "x=1"], "name"),
        (["x", "--at", "x=1", "--wrt", "y"], "usage"),
        (["missing-file.adx"], "file"),
        (["x: real\nreturn x", "--at", "z=1,x=1"], "input"),  # z is not an input
    ],
)
def test_user_errors_exit_1_with_a_json_error_object(args: list[str], kind: str) -> None:
    code, data, stderr = adx_json(*args)
    assert code == 1
    assert data["error"]["kind"] == kind
    assert data["error"]["message"]
    assert "line" in data["error"] and "column" in data["error"]
    assert "Traceback" not in stderr and stderr.startswith("error:")


def test_parse_error_shows_position_and_caret() -> None:
    result = adx("eval", "ln(x1) + * x2", "--at", "x1=1,x2=2")
    assert result.returncode == 1
    assert "1:10" in result.stderr
    assert "1 | ln(x1) + * x2\n             ^" in result.stderr
    _, data, _ = adx_json("ln(x1) + * x2", "--at", "x1=1,x2=2")
    assert (data["error"]["line"], data["error"]["column"]) == (1, 10)


@pytest.mark.parametrize(
    "args",
    [["x", "--bogus"], ["x", "--at"], ["x", "--mode", "sideways"], ["x", "--digits", "0"], []],
)
def test_command_line_misuse_exits_2(args: list[str]) -> None:
    assert adx("eval", *args).returncode == 2


def test_wrt_and_seed_together_is_misuse() -> None:
    assert adx("eval", "x", "--at", "x=1", "--wrt", "x", "--seed", "x=1").returncode == 2


def test_expressions_starting_with_minus() -> None:
    for args in (
        ["-x^2", "--at", "x=3"],
        ["--at", "x=3", "--", "-x^2"],
        ["--at", "x=3", "-x^2"],
        ["-x", "--at", "x=3"],
    ):
        code, data, _ = adx_json(*args)
        assert code == 0, args
        assert data["value"] in (-9.0, -3.0)


def test_unused_bound_input_gets_zero_gradient_and_warning() -> None:
    code, data, _ = adx_json("x^2", "--at", "x=3,y=2")
    assert code == 0
    assert data["gradient"] == {"x": 6.0, "y": 0.0}
    assert any("y is not used" in w for w in data["warnings"])
    human = adx("eval", "x^2", "--at", "x=3,y=2")
    assert "y is not used" in human.stderr and "y is not used" not in human.stdout


def test_human_output_shows_traces_fan_out_results_and_cost() -> None:
    result = adx("eval", "ln(x1) + x1*x2 - sin(x2)", "--at", "x1=2,x2=5", "--digits", "4")
    assert result.returncode == 0
    out = result.stdout
    assert "Primal trace" in out and "Adjoint sweep" in out
    assert "v̄-1" in out and "fan-out" in out and "2 of 2" in out
    assert "gradient ∂/∂x1 = 5.5" in out and "1.716" in out
    assert "bound ≈ 2.5" in out and "bound ≈ 4" in out


def test_wengert_numbering() -> None:
    _, data, _ = adx_json("x1*x2 + sin(x1)", "--at", "x1=1,x2=2", "--numbering", "wengert")
    assert [row["id"] for row in data["trace"]] == ["w1", "w2", "w3", "w4", "w5"]


def test_eval_does_not_import_textual_or_rich_for_json() -> None:
    probe = (
        "import sys\n"
        "from adexplorer.cli.main import main\n"
        "sys.argv = ['adx', 'eval', 'ln(x1)+x1*x2-sin(x2)', '--at', 'x1=2,x2=5', '--json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('textual' in sys.modules, 'rich' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "False False"


def test_functions_lists_every_primitive_with_its_rules() -> None:
    result = adx("functions", columns=250)
    assert result.returncode == 0
    for name in ("sin", "softplus", "matmul", "relu'(0) = 0"):
        assert name in result.stdout


def test_python_dash_m_works() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "adexplorer", "eval", "x^2", "--at", "x=3", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and assert_valid_text(result.stdout)["gradient"] == {"x": 6.0}


def test_a_program_in_an_unknown_accounts_home_is_no_such_file() -> None:
    result = adx("eval", "~nosuchuser-adx/f.adx", "--at", "x=1")
    assert result.returncode == 1, result.stderr
    assert "no such file: ~nosuchuser-adx/f.adx" in result.stderr
