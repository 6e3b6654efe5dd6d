"""``adx train``: the table and curve, JSON lines, --save, Ctrl-C, and its errors."""

from __future__ import annotations

import io
import json
import math
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result

import adexplorer.cli.train as train_cli
import adexplorer.core.training as training_module
from adexplorer import schemas
from adexplorer.cli.main import cli
from adexplorer.core.training import Training
from adexplorer.lang.lower import compile_source
from tests.json_contract import assert_valid_text
from tests.test_cli_eval import adx
from tests.train_helpers import PARAMETERS, ROOT

BOWL = "(x - 3)^2 + (y + 1)^2"
BOWL_AT = ("--at", "x=0,y=0")
SMALL = (
    "x: vec[2] = [0.5, -1]\nW: mat[2,2] = [[0.3, -0.2], [0.1, 0.4]]\nb: real = 0.2\n"
    "t: real = 1\nout = sum(tanh(W @ x)) + b\nreturn (out - t)^2"
)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["train", *args])


def json_lines(text: str) -> list[dict[str, Any]]:
    return [assert_valid_text(line) for line in text.strip().splitlines()]


def api_losses(source: str, bindings: dict[str, float], **settings: Any) -> list[float]:
    training = Training(compile_source(source).graph, bindings, **settings)
    return [r.loss for r in training.run()]


def test_the_human_output_in_a_pipe_has_a_table_a_curve_and_no_progress_bar() -> None:
    result = adx("train", BOWL, *BOWL_AT, "--lr", "0.1", "--steps", "40")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Training x, y of (x - 3)^2 + (y + 1)^2: 40 steps of w ← w − 0.1·∂L/∂w." in out
    assert "Loss per step" in out and "(20 steps not shown: --every K or --json shows them)" in out
    rows = [line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│")]
    assert rows == [*map(str, range(10)), "…", *map(str, range(30, 40))]
    assert "loss against step (log scale)" in out  # 10 → 3e-7 spans decades
    assert "loss 10 at step 0 → 2.7607e-7 at step 39" in out
    assert "after 40 updates: loss 1.76685e-7" in out
    assert "\x1b" not in out and "\x1b" not in result.stderr  # no bar, no colour in a pipe
    assert "/40" not in out  # the bar's "12/40"


def test_every_k_picks_the_rows_and_keeps_the_last() -> None:
    result = invoke(BOWL, *BOWL_AT, "--lr", "0.1", "--steps", "23", "--every", "5")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    rows = [line.split("│")[1].strip() for line in lines if line.startswith("│")]
    assert rows == ["0", "5", "10", "15", "20", "22"]
    assert "not shown" not in result.output


def test_json_lines_hold_every_step_exactly_then_the_summary() -> None:
    result = adx("train", SMALL, "--wrt", "W,b", "--lr", "0.3", "--steps", "12", "--json")
    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    steps, summary = lines[:-1], lines[-1]
    assert [s["kind"] for s in steps] == ["step"] * 12 and summary["kind"] == "summary"
    assert [s["step"] for s in steps] == list(range(12))
    # every digit: the very floats of the Python API
    assert [s["loss"] for s in steps] == api_losses(SMALL, {}, lr=0.3, steps=12, wrt=("W", "b"))
    assert set(steps[0]) == {"kind", "step", "loss", "gradient_norm", "update_norm"}
    assert summary["schema"] == "adx.train/1" and summary["status"] == "done"
    assert summary["wrt"] == ["W", "b"] and summary["fixed"] == ["x", "t"]
    assert summary["steps"] == summary["steps_done"] == summary["updates"] == 12
    assert summary["lr"] == 0.3 and summary["accumulate"] is False
    assert summary["first_loss"] == steps[0]["loss"] and summary["last_loss"] == steps[-1]["loss"]
    assert summary["final_loss"] < summary["last_loss"]
    assert summary["saved"] is None and summary["error"] is None and summary["warnings"] == []
    assert result.stderr == ""


def test_accumulate_is_the_running_sum_in_json_and_in_the_table() -> None:
    result = invoke(
        "(x - 3)^2", "--at", "x=0", "--lr", "0.1", "--steps", "4", "--accumulate", "--json"
    )
    assert result.exit_code == 0, result.output
    steps = json_lines(result.output)[:-1]
    # by hand: x 0 → 0.6 → 1.68 → 3.024, gradients −6, −4.8, −2.64, 0.048, summed as they come
    assert [s["gradient_norm"] for s in steps] == pytest.approx([6, 4.8, 2.64, 0.048], rel=1e-12)
    assert [s["update_norm"] for s in steps] == pytest.approx([6, 10.8, 13.44, 13.392], rel=1e-14)
    human = invoke("(x - 3)^2", "--at", "x=0", "--lr", "0.1", "--steps", "4", "--accumulate")
    assert "PyTorch's loop without zero_grad()" in human.output
    assert "‖Σ ∂L/∂w‖ (the update's)" in human.output and "13.392" in human.output


def test_save_writes_every_input_and_never_overwrites_without_force(tmp_path: Path) -> None:
    out = tmp_path / "trained.npz"
    result = invoke(SMALL, "--wrt", "W,b", "--lr", "0.3", "--steps", "5", "--save", str(out))
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # the line may wrap
    assert f"saved every input to {out} (W, b trained; x, t as given)" in said
    training = Training(compile_source(SMALL).graph, {}, lr=0.3, steps=5, wrt=("W", "b"))
    list(training.run())
    with np.load(out) as saved:
        assert sorted(saved.files) == ["W", "b", "t", "x"]
        for name in saved.files:
            np.testing.assert_array_equal(saved[name], training.values[name])
    before = out.read_bytes()
    again = invoke(SMALL, "--steps", "5", "--save", str(out), "--json")
    assert again.exit_code == 1
    (line,) = again.stdout.strip().splitlines()  # refused before training: one error object
    assert assert_valid_text(line)["error"]["kind"] == "file" and "--force" in again.output
    assert out.read_bytes() == before
    forced = invoke(SMALL, "--steps", "1", "--save", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    assert out.read_bytes() != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trained.npz"]  # no temporary left


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        ([SMALL, "--wrt", "W,bb"], 1, "did you mean 'b'?"),
        (["v: vec[2] = [1, 2]\nreturn v^2"], 1, "one scalar output"),
        ([SMALL, "--at", "z=1"], 1, "not an input"),
        ([BOWL, *BOWL_AT, "--lr", "0"], 2, "positive number"),
        ([BOWL, *BOWL_AT, "--lr", "nan"], 2, "positive number"),
        ([BOWL, *BOWL_AT, "--lr", "fast"], 2, "is not a valid float"),
        ([BOWL, *BOWL_AT, "--steps", "0"], 2, "--steps"),
        ([BOWL, *BOWL_AT, "--steps", "10001"], 1, "ADX_MAX_DESCENT_STEPS"),
        ([BOWL, *BOWL_AT, "--wrt", "x,,y"], 2, "empty name"),
        ([BOWL, *BOWL_AT, "--save", "out.txt"], 2, "does not end in .npz"),
        ([BOWL, *BOWL_AT, "--save", "/no/such/dir/out.npz"], 1, "no such folder"),
    ],
)
def test_errors_are_clear_and_follow_the_exit_statuses(
    args: list[str], code: int, words: str
) -> None:
    result = invoke(*args)
    assert result.exit_code == code, result.output
    assert words in result.output
    assert "Traceback" not in result.output


def test_a_json_error_is_one_object() -> None:
    result = adx("train", SMALL, "--wrt", "Q", "--json")
    assert result.returncode == 1
    (line,) = result.stdout.strip().splitlines()
    assert assert_valid_text(line)["error"]["kind"] == "usage"


def test_a_diverging_descent_stops_names_the_step_and_saves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "w.npz"
    result = invoke("x^4", "--at", "x=3", "--lr", "1", "--steps", "50", "--save", str(out))
    assert result.exit_code == 1
    assert "the loss is inf at step 5" in result.output and "diverged" in result.output
    assert "try a smaller learning rate, e.g. --lr 0.1" in result.output
    assert "Loss per step" in result.output  # what was computed is still shown
    assert "nothing saved" in result.output and not out.exists()
    lines = json_lines(invoke("x^4", "--at", "x=3", "--lr", "1", "--steps", "50", "--json").stdout)
    summary = lines[-1]
    assert summary["status"] == "diverged" and summary["steps_done"] == 6
    assert summary["updates"] == 5 and lines[-2]["loss"] is None  # inf is null in JSON
    assert "at step 5" in summary["error"]["message"] and summary["final_loss"] is None


def test_ctrl_c_keeps_what_was_computed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = training_module.loss_and_gradient
    calls = 0

    def interrupted(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(training_module, "loss_and_gradient", interrupted)
    out = tmp_path / "w.npz"
    result = invoke(SMALL, "--wrt", "W,b", "--lr", "0.3", "--steps", "100", "--save", str(out))
    assert result.exit_code == 130
    assert "interrupted at step 3: 3 of 100 steps done" in result.output
    assert "Loss per step" in result.output and "saved every input" in result.output
    training = Training(compile_source(SMALL).graph, {}, lr=0.3, steps=3, wrt=("W", "b"))
    list(training.run())
    with np.load(out) as saved:
        np.testing.assert_array_equal(saved["W"], training.values["W"])


def test_a_real_sigint_stops_cleanly_with_status_130(tmp_path: Path) -> None:
    """SIGINT to a running adx train --json: the steps so far, a summary, exit 130."""
    out = tmp_path / "w.npz"
    # SIGINT as a terminal sends it, whatever the test runner's own signal handling
    start = (
        "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "from adexplorer.cli.main import main; main(sys.argv[1:])"
    )
    args = ["train", SMALL, "--lr", "0.01", "--steps", "10000", "--json", "--save", str(out)]
    process = subprocess.Popen(
        [sys.executable, "-c", start, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # the first step is done: training is under way
    process.send_signal(signal.SIGINT)
    rest, errors = process.communicate(timeout=60)
    assert process.returncode == 130, errors
    lines = json_lines(first + rest)
    summary = lines[-1]
    assert summary["status"] == "interrupted" and "interrupted at step" in errors
    assert summary["steps_done"] == len(lines) - 1 == summary["updates"] < 10000
    assert "Traceback" not in errors
    with np.load(out) as saved:
        assert sorted(saved.files) == ["W", "b", "t", "x"]


def test_the_progress_bar_shows_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    def run(terminal: bool) -> str:
        monkeypatch.setattr(sys.stdout, "isatty", lambda: terminal, raising=False)
        buffer = io.StringIO()
        console = Console(file=buffer, force_terminal=terminal, width=80)
        training = Training(compile_source(BOWL).graph, {"x": 0.0, "y": 0.0}, lr=0.1, steps=3)
        train_cli._run_with_progress(training, console)
        assert training.updates == 3
        return buffer.getvalue()

    assert run(terminal=False) == ""
    shown = run(terminal=True)
    assert "training" in shown and "3/3" in shown


def test_help_lists_train_with_examples() -> None:
    assert "train" in CliRunner().invoke(cli, ["--help"]).output
    text = CliRunner().invoke(cli, ["train", "--help"]).output
    assert "adx train examples/network.adx --wrt W1,b1,W2,b2 --lr 1e-4 --steps 500" in text
    assert "--accumulate" in text and "zero_grad()" in text and "130" in text


def test_the_network_trains_from_the_command_line(tmp_path: Path) -> None:
    """The README's two commands: adx values --save, then adx train --at @start.npz."""
    golden = json.loads((ROOT / "tests/data/torch_losses.json").read_text())["losses"]
    network = str(ROOT / "examples" / "network.adx")
    start = tmp_path / "start.npz"
    saved = CliRunner().invoke(cli, ["values", network, "--save", str(start)])
    assert saved.exit_code == 0, saved.output
    result = invoke(
        network,
        "--at",
        f"@{start}",
        "--wrt",
        ",".join(PARAMETERS),
        "--lr",
        "1e-4",
        "--steps",
        "5",
        "--json",
    )
    assert result.exit_code == 0, result.output
    lines = json_lines(result.output)
    assert [s["loss"] for s in lines[:-1]] == pytest.approx(golden[:5], rel=1e-12)
    assert lines[-1]["fixed"] == ["X", "Y"] and lines[-1]["wrt"] == list(PARAMETERS)


def test_json_schema_md_documents_exactly_the_fields() -> None:
    # the schema's fields (docs/json-schema.md's tables are generated from them)
    definitions = schemas.load("train")["$defs"]
    result = invoke(BOWL, *BOWL_AT, "--lr", "0.1", "--steps", "2", "--json")
    step, summary = json_lines(result.output)[0], json_lines(result.output)[-1]
    assert set(step) == set(definitions["step"]["properties"])
    assert set(summary) == set(definitions["summary"]["properties"])


def test_the_loss_curve_is_logarithmic_only_when_the_losses_span_decades() -> None:
    from adexplorer.render.plots import loss_plot

    assert "(log scale)" in loss_plot([1000.0, 10.0, 1.0], color=False)
    linear = loss_plot([200.0, 150.0, 120.0, 180.0], color=False)
    assert "(log scale)" not in linear and "200" in linear
    assert "(1 non-finite loss not drawn)" in loss_plot([5.0, 50.0, math.inf], color=False)
    assert loss_plot([math.nan], color=False) == "(no plot: no finite loss)"
    ticks = loss_plot([float(k + 1) for k in range(500)], color=False).splitlines()[-2]
    assert ticks.split() == ["0", "100", "200", "300", "400"]  # whole steps
