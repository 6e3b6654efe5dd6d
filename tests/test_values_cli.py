"""``adx values``: summaries of linear size, --save writes an .npz that round-trips bit for
bit (and that numpy's default_rng rebuilds), and --at @file.npz reads it back; plus
fuzzing: parse_at on any text raises nothing but AdxError."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adexplorer.base.errors import AdxError
from adexplorer.lang.lower import parse_at
from tests.test_cli_eval import adx
from tests.test_random_values import NETWORK, numpy_network


@pytest.fixture
def network(tmp_path: Path) -> Path:
    path = tmp_path / "network.adx"
    path.write_text(NETWORK)
    return path


def test_save_round_trips_bit_for_bit_and_numpy_rebuilds_it(network: Path, tmp_path: Path) -> None:
    saved = tmp_path / "start.npz"
    result = adx("values", str(network), "--save", str(saved))
    assert result.returncode == 0, result.stderr
    assert "saved 6 values" in result.stdout
    expected = numpy_network()
    with np.load(saved, allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted(expected)
        for name, value in expected.items():
            assert archive[name].dtype == np.float64
            assert np.array_equal(archive[name], value), name
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left
    # read back: the same values, the same loss as from the defaults
    back = adx("values", str(network), "--at", f"@{saved}", "--json")
    again = adx("values", str(network), "--json")
    assert back.returncode == 0, back.stderr
    first, second = json.loads(back.stdout), json.loads(again.stdout)
    assert [i["from"] for i in first["inputs"]] == ["--at"] * 6
    for a, b in zip(first["inputs"], second["inputs"], strict=True):
        assert {k: v for k, v in a.items() if k != "from"} == {
            k: v for k, v in b.items() if k != "from"
        }
    loss_saved = json.loads(adx("eval", str(network), "--at", f"@{saved}", "--json").stdout)
    loss_default = json.loads(adx("eval", str(network), "--json").stdout)
    assert loss_saved["outputs"][0]["value"] == loss_default["outputs"][0]["value"]


def test_summaries_are_small_and_right(network: Path) -> None:
    result = adx("values", str(network), "--json")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout) < 5_000  # a summary, never the 64,000 entries of X
    report = json.loads(result.stdout)
    assert report["schema"] == "adx.values/1" and report["saved"] is None
    x = numpy_network()["X"]
    (entry,) = [i for i in report["inputs"] if i["name"] == "X"]
    assert entry["type"] == "mat[64,1000]" and entry["shape"] == [64, 1000]
    assert entry["entries"] == 64_000 and entry["from"] == "default"
    assert entry["first"] == x.reshape(-1)[:3].tolist()
    assert entry["min"] == x.min() and entry["max"] == x.max()
    assert math.isclose(entry["mean"], x.mean(), rel_tol=1e-12)
    assert math.isclose(entry["norm"], float(np.linalg.norm(x)), rel_tol=1e-12)
    human = adx("values", str(network), columns=80)
    assert human.returncode == 0 and len(human.stdout) < 2_000
    assert "mat[1000,100]" in human.stdout and "…" in human.stdout


def test_save_refuses_to_overwrite_unless_forced(network: Path, tmp_path: Path) -> None:
    saved = tmp_path / "start.npz"
    saved.write_bytes(b"keep me")
    result = adx("values", str(network), "--save", str(saved))
    assert result.returncode == 1 and "exists" in result.stderr and "--force" in result.stderr
    assert saved.read_bytes() == b"keep me"
    forced = adx(
        "values", str(network), "--save", str(saved), "--force", "--at", "X=normal(seed=9)"
    )
    assert forced.returncode == 0, forced.stderr
    with np.load(saved) as archive:
        assert np.array_equal(archive["X"], np.random.default_rng(9).standard_normal((64, 1000)))


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--save", "start.txt"], "does not end in .npz"),
        (["--at", "X=@nothing.npy"], "no such data file: nothing.npy"),
        (["--at", "X=normal(seed=-3)"], "whole number from 0"),
        (["--at", "Q=1"], "not an input"),
        # pathlib raises RuntimeError for the home of an account that does not exist
        (["--at", "X=@~nosuchuser-adx/x.npy"], "no such data file: ~nosuchuser-adx/x.npy"),
    ],
)
def test_errors_are_clear_and_exit_1(network: Path, args: list[str], words: str) -> None:
    result = adx("values", str(network), *args)
    assert result.returncode == 1, result.stdout
    assert words in result.stderr and "Traceback" not in result.stderr
    as_json = adx("values", str(network), *args, "--json")
    assert json.loads(as_json.stdout)["error"]["message"]


def test_an_expression_with_a_shaped_random_value(tmp_path: Path) -> None:
    result = adx("values", "sum(W*W)", "--at", "W=normal(seed=7, shape=[3,4])", "--json")
    assert result.returncode == 0, result.stderr
    (entry,) = json.loads(result.stdout)["inputs"]
    w = np.random.default_rng(7).standard_normal((3, 4))
    assert entry["type"] == "mat[3,4]" and entry["first"] == w.reshape(-1)[:3].tolist()


def test_values_is_in_the_help(network: Path) -> None:
    result = adx("--help")
    assert "values" in result.stdout
    help_text = adx("values", "--help").stdout
    assert "--save start.npz" in help_text and "default_rng" in help_text


# ------------------------------------------------------------------- fuzzing

FRAGMENTS = [
    "x",
    "W",
    "b",
    "=",
    "@",
    ",",
    ":",
    "(",
    ")",
    "[",
    "]",
    "normal",
    "uniform",
    "seed",
    "shape",
    "1",
    "-2",
    "0.5",
    "1e400",
    "/",
    "sqrt(",
    "x.npy",
    "f.npz",
    "f.npz:W",
    "t.csv",
    "t.txt",
    "../",
    "/",
    "~",
    " ",
    "\n",
    "\0",
    "\\",
    "..",
    "nan",
    "pi",
    ".",
    "e",
    "2**53",
    "=@",
]


@pytest.fixture
def data_folder(tmp_path: Path) -> Path:
    np.save(tmp_path / "x.npy", np.ones((2, 2)))
    np.savez(tmp_path / "f.npz", W=np.ones((2, 2)), b=np.zeros(3), x=np.ones(2))
    (tmp_path / "t.csv").write_text("1,2\n3,4\n")
    (tmp_path / "t.txt").write_text("1 2 3\n")
    return tmp_path


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pieces=st.lists(st.sampled_from(FRAGMENTS), max_size=14), free=st.text(max_size=12))
def test_parse_at_on_any_text_raises_only_adx_errors(
    data_folder: Path, pieces: list[str], free: str
) -> None:
    from adexplorer.base.value_files import ValueContext

    text = "".join(pieces) + free
    old = os.getcwd()
    os.chdir(data_folder)
    try:
        for kwargs in (
            {},
            {"shapes": {"W": (2, 2), "b": (3,), "x": ()}},
            {"program": "W: mat[2,2]\nb: vec[3]\nreturn sum(W) + sum(b)"},
            {"context": ValueContext.lesson(data_folder)},
        ):
            try:
                parse_at(text, **kwargs)  # type: ignore[arg-type]
            except AdxError as error:
                error.render()
                error.to_json()
    finally:
        os.chdir(old)
