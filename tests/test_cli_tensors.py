"""``adx eval``, ``check`` and ``fd`` on tensors: summaries in the tables, all entries in --json."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from adexplorer.base.numbers import format_scalar
from adexplorer.cli.main import cli
from tests.test_tui_tensors import NETWORK

AT = "X=1,Y=0.5,W1=0.001,b1=0,W2=0.01,b2=0"
WIDE = {"COLUMNS": "400"}  # so that no cell is folded across lines


def network_file(tmp_path: Path) -> Path:
    path = tmp_path / "net.adx"
    path.write_text(NETWORK)
    return path


def test_eval_on_the_network_prints_summaries_in_little_space(tmp_path: Path) -> None:
    narrow = CliRunner().invoke(cli, ["eval", str(network_file(tmp_path)), "--at", AT])
    assert narrow.exit_code == 0, narrow.output
    assert len(narrow.output.encode()) < 20_000  # it was 300 KB: every matrix in full
    result = CliRunner().invoke(cli, ["eval", str(network_file(tmp_path)), "--at", AT], env=WIDE)
    out = result.output
    # X @ W1 with X = 1 and W1 = 0.001 is 1 everywhere: 64·100 ones, norm 80
    assert "mat[64,100] [1, 1, 1, …] min 1 max 1 norm 80" in out
    assert "X = mat[64,1000] [1, 1, 1, …] min 1 max 1 norm 253" in out  # √64000 = 252.98
    # the loss: 64·10·(1 − 0.5)² = 160; ∂f/∂b2 = 2·64·0.5 = 64 each: 10 entries, in full
    assert "value  f = 160" in out and "∂/∂b2 = [64, 64, 64, 64, 64, 64, 64, 64, 64, 64]" in out
    # ∂f/∂W2 = hᵀ·2(p − Y) = 64 everywhere: norm 64·√1000
    norm = format_scalar(64 * np.sqrt(1000), 4)
    assert f"∂/∂W2 = mat[100,10] [64, 64, 64, …] min 64 max 64 norm {norm}" in out


def test_eval_json_keeps_every_entry(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["eval", str(network_file(tmp_path)), "--at", AT, "--json"])
    assert result.exit_code == 0
    report = json.loads(result.output)
    text = json.dumps(report)
    assert "norm" not in text and "min 1" not in text  # no summary in the JSON
    assert np.array(report["inputs"]["X"]).shape == (64, 1000)
    assert np.allclose(np.array(report["gradient"]["W2"]), np.full((100, 10), 64.0), rtol=1e-12)


def test_check_and_fd_headers_summarize(tmp_path: Path) -> None:
    path = tmp_path / "small.adx"
    path.write_text("x: vec[20]\nW: mat[4,5]\nreturn sum(x^2) + sum(W @ [1,2,3,4,5])\n")
    for command in ("check", "fd"):
        result = CliRunner().invoke(cli, [command, str(path), "--at", "x=0.5,W=0.1"], env=WIDE)
        assert result.exit_code == 0, result.output
        assert "x = vec[20] [0.5, 0.5, 0.5, …] min 0.5 max 0.5 norm 2.236" in result.output
        assert "W = mat[4,5] [0.1, 0.1, 0.1, …]" in result.output
