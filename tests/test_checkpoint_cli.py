"""``adx eval --checkpoint`` and the memory figures, through the real entry point."""

from __future__ import annotations

import pytest

from adexplorer.core.checkpoint import optimal_advances
from adexplorer.core.memory import memory_figures
from adexplorer.lang.lower import compile_source
from tests.test_cli_eval import adx, adx_json

CHAIN = "sin(" * 6 + "x" + ")" * 6


def test_json_has_memory_of_each_mode() -> None:
    code, data, _ = adx_json("ln(x1) + x1*x2 - sin(x2)", "--at", "x1=2,x2=5")
    assert code == 0
    memory = data["memory"]
    assert memory["evaluate"] == {
        "stored_values": 4,
        "stored_bytes": 32,
        "derivatives": 0,
        "peak_entries": 4,
        "peak_bytes": 32,
    }
    assert memory["forward"]["peak_entries"] == 8
    assert memory["reverse"]["stored_values"] == 7
    assert memory["reverse"]["peak_bytes"] == 88
    assert "checkpoint" not in data  # only with --checkpoint
    # the fields that were there before are unchanged
    assert data["schema"] == "adx.eval/1" and data["cost"]["sweeps"] == 1


@pytest.mark.parametrize("spec", ["snapshots=2", "every=2"])
def test_json_checkpoint_schedule_and_counts(spec: str) -> None:
    code, data, _ = adx_json(CHAIN, "--at", "x=1", "--checkpoint", spec)
    assert code == 0
    _, plain, _ = adx_json(CHAIN, "--at", "x=1")
    assert data["gradient"] == plain["gradient"]
    assert data["sweeps"] == plain["sweeps"]  # the adjoint steps are the plain ones
    run = data["checkpoint"]
    kind, amount = spec.split("=")
    assert run["schedule"] == kind and run[kind] == int(amount)
    assert run["steps"] == 6 and run["sweeps"] == 1
    records = run["records"]
    recomputed = [r for r in records if r["kind"] == "recompute"]
    assert len(recomputed) == run["recomputed_steps"] == run["evaluations"] - 6
    assert [r["kind"] for r in records].count("evaluate") == 6
    assert {r["kind"] for r in records} >= {"snapshot", "restore", "adjoint", "recompute"}
    assert run["actions"][0] == ["snapshot", 0]
    assert run["plain_peak_entries"] == data["memory"]["reverse"]["peak_entries"] == 9
    assert run["peak_bytes"] == 8 * run["peak_entries"]
    if kind == "snapshots":
        assert run["recomputed_steps"] == run["optimal_advances"] == optimal_advances(6, 2)
        assert run["snapshots_peak"] <= 2
    else:
        assert run["optimal_advances"] is None
    assert any("│" in row for row in run["timeline"])


def test_text_output_shows_memory_and_timeline() -> None:
    result = adx("eval", CHAIN, "--at", "x=1", "--checkpoint", "snapshots=2")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "peak entries" in out and "peak bytes" in out and "values kept" in out
    assert "Checkpointed reverse sweep, snapshots=2" in out
    assert "6 steps, 14 evaluations: 8 recomputed (the optimum is 8)" in out
    assert "peak 6 entries (48 bytes); plain reverse: 9 (72 bytes)" in out
    assert "     1 │S--S--←" in out
    ours = out[out.index("Checkpointed") :]
    assert max(len(line) for line in ours.splitlines()) <= 80


def test_plain_output_shows_memory_of_each_mode() -> None:
    graph = compile_source("ln(x1) + x1*x2 - sin(x2)").graph
    figures = memory_figures(graph)
    out = adx("eval", "ln(x1) + x1*x2 - sin(x2)", "--at", "x1=2,x2=5").stdout
    row = next(line for line in out.splitlines() if "peak entries" in line)
    numbers = [int(w) for w in row.replace("│", " ").split() if w.isdigit()]
    assert numbers == [
        figures.evaluate.peak_entries,
        figures.forward.peak_entries,
        figures.reverse.peak_entries,
    ]
    assert "Checkpointed" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--checkpoint", "every=0"], "every must be at least 1"),
        (["--checkpoint", "snapshots=x"], "'x' is not a whole number"),
        (["--checkpoint", "often=2"], "unknown checkpointing schedule 'often'"),
        (["--checkpoint", "snapshots"], "has no '='"),
        (["--checkpoint", "every=2", "--mode", "forward"], "does not apply to forward mode"),
        (["--checkpoint", "every=2", "--mode", "evaluate"], "does not apply to evaluate mode"),
        (["--checkpoint", "every=2", "--wrt", "x"], "does not apply to forward mode"),
    ],
)
def test_bad_checkpoint_options_are_misuse_never_a_traceback(args: list[str], message: str) -> None:
    result = adx("eval", "sin(x)", "--at", "x=1", *args)
    assert result.returncode == 2
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    code, data, _ = adx_json("sin(x)", "--at", "x=1", *args)
    assert code == 2 and data["error"]["kind"] == "usage"
    assert message in data["error"]["message"]


def test_a_schedule_over_the_limit_is_a_user_error() -> None:
    chain = "sin(" * 8000 + "x" + ")" * 8000  # 32 million evaluations with one snapshot
    code, data, stderr = adx_json(chain, "--at", "x=1", "--checkpoint", "snapshots=1")
    assert code == 1 and "Traceback" not in stderr
    assert "more snapshots" in data["error"]["hint"]
