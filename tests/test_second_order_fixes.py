"""Second-order fixes found by a new-user tester: memory and output that grow with n
(not n²), non-finite directions, and a Hessian at a point where f is undefined."""

from __future__ import annotations

import json
import tracemalloc
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from adexplorer.base.errors import AdxError
from adexplorer.cli.main import cli
from adexplorer.core.second_order import run_second_order
from adexplorer.core.trace import unit_seeds
from adexplorer.lang.lower import compile_source

WIDE = {"COLUMNS": "200"}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, env=WIDE)
    return result.exit_code, result.stdout, result.stderr


def squares(n: int) -> Any:
    return compile_source(f"v: vec[{n}]\nreturn sum(v*v)").graph


def test_hvp_memory_is_linear_in_n() -> None:
    n = 5000
    graph = squares(n)
    tracemalloc.start()
    try:
        trace = run_second_order(graph, {"v": np.ones(n)}, direction={"v": np.ones(n)})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_allclose(trace.hvp()["v"], 2 * np.ones(n))
    assert peak < 5_000_000  # n² one-hot directions would be 200 MB


def test_refusing_a_huge_hessian_allocates_nothing_big() -> None:
    n = 10_000
    graph = squares(n)
    tracemalloc.start()
    try:
        with pytest.raises(AdxError):
            run_second_order(graph, {"v": np.ones(n)})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000


def test_lazy_unit_directions_match_unit_seeds() -> None:
    graph = compile_source("W: mat[2,3]\nx: real\nreturn sum(W*W)*x").graph
    trace = run_second_order(graph, {"W": np.arange(6.0).reshape(2, 3), "x": 2.0})
    seeds = unit_seeds(graph, graph.inputs, graph.input_names)
    assert trace.entry_labels == tuple(label for label, _ in seeds)
    for sweep, (label, seed) in zip(trace.sweeps, seeds, strict=True):
        assert sweep.label == label
        for i, value in seed.items():
            np.testing.assert_array_equal(sweep.direction[i], value)


def squares_source(n: int) -> str:
    return f"v: vec[{n}] = 1\nreturn sum(v*v)"


@pytest.mark.parametrize("option", [["--hessian", "--wrt", "v"], ["--hvp", "v=1"]])
def test_second_order_text_stays_short_for_long_vectors(option: list[str]) -> None:
    counts = {}
    for n in (100, 1000):
        code, out, err = run("eval", squares_source(n), *option)
        assert code == 0, err
        counts[n] = len(out.splitlines())
        assert "1, 1, 1, 1, 1" not in out and "0, 0, 0, 0, 0" not in out
    assert counts[1000] < counts[100] * 1.5


def test_a_unit_direction_among_many_entries_is_named_not_listed() -> None:
    code, out, _ = run("eval", squares_source(100), "--hessian", "--wrt", "v")
    assert code == 0
    assert "along e_v[0]:" in out or "along e_v[0]\n" in out
    assert "e_v[0] = (" not in out


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (["--hvp", "x1=0/0"], "the direction for x1 is not a finite number"),
        (["--hvp", "x1=2^2000"], "the direction for x1 is not a finite number"),
        (["--mode", "forward", "--seed", "x1=1/0"], "the seed for x1 is not a finite number"),
        (["--mode", "reverse", "--seed", "f=0/0"], "the seed for f is not a finite number"),
    ],
)
def test_non_finite_directions_and_seeds_are_refused(args: list[str], what: str) -> None:
    code, _, err = run("eval", "x1*x2", "--at", "x1=1,x2=2", *args)
    assert code == 1
    assert what in err


def test_a_non_finite_direction_is_refused_from_python() -> None:
    graph = compile_source("x1*x2").graph
    with pytest.raises(AdxError, match="not a finite number"):
        run_second_order(graph, {"x1": 1.0, "x2": 2.0}, direction={"x1": np.inf})


@pytest.mark.parametrize("option", ["--hvp", "--at", "--seed"])
@pytest.mark.parametrize("word", ["nan", "inf", "Infinity"])
def test_nan_and_inf_are_not_taken_for_unknown_inputs(option: str, word: str) -> None:
    extra = ["--mode", "forward"] if option == "--seed" else []
    at = [] if option == "--at" else ["--at", "x1=1,x2=2"]
    code, _, err = run("eval", "x1*x2", *at, *extra, option, f"x1={word}")
    assert code == 1
    assert "values must be finite numbers" in err
    assert "declare it as an input" not in err


@pytest.mark.parametrize("text", ["x1", "x1=1,x2", "=1"])
def test_a_value_list_without_equals_says_name_value(text: str) -> None:
    code, _, err = run("eval", "x1*x2", "--at", "x1=1,x2=2", "--hvp", text)
    assert code == 1
    assert "expected NAME=VALUE" in err
    assert "operator" not in err


def test_a_hessian_where_f_is_undefined_is_not_called_symmetric() -> None:
    code, out, err = run("eval", "log(x)*y", "--at", "x=-1,y=2", "--hessian")
    assert code == 0
    assert "exactly symmetric" not in out
    assert "not meaningful" in " ".join(err.split())
    code, out, _ = run("eval", "log(x)*y", "--at", "x=-1,y=2", "--hessian", "--json")
    warnings = json.loads(out)["warnings"]
    assert any("the Hessian is not meaningful" in w for w in warnings)


def test_an_infinite_gradient_makes_h_u_not_meaningful() -> None:
    trace = run_second_order(
        compile_source("sqrt(x)*y").graph, {"x": 0.0, "y": 2.0}, direction={"x": 1.0}
    )
    assert not trace.defined
    assert any("the gradient of f is not finite" in w for w in trace.warnings)
    assert not any(" is not finite (a primitive" in w for w in trace.warnings)


def test_a_defined_point_keeps_its_symmetry_verdict() -> None:
    code, out, _ = run("eval", "ln(x1) + x1*x2 - sin(x2)", "--at", "x1=2,x2=5", "--hessian")
    assert code == 0 and "exactly symmetric" in out
    trace = run_second_order(compile_source("x1*x2").graph, {"x1": 1.0, "x2": 2.0})
    assert trace.defined and not trace.warnings


def test_one_reverse_sweep_is_not_compared_with_itself() -> None:
    code, out, _ = run("eval", "x*y", "--at", "x=1,y=2", "--mode", "reverse", "--seed", "f=1")
    assert code == 0
    assert "(by 1 reverse sweep)" in out and "instead of 1" not in out


def test_the_from_python_example_in_the_docs_runs() -> None:
    from pathlib import Path

    page = (Path(__file__).resolve().parent.parent / "docs" / "second-order.md").read_text()
    snippet = page.split("## From Python", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "docs/second-order.md", "exec"), namespace)  # our own docs only
    assert {k: float(v) for k, v in namespace["product"].items()} == {"x1": -0.25, "x2": 1.0}
    # H of ln(x1) + x1*x2 - sin(x2) is [[-1/x1², 1], [1, sin(x2)]]
    np.testing.assert_allclose(
        namespace["hessian"], [[-0.25, 1.0], [1.0, np.sin(5.0)]], rtol=1e-15, atol=0
    )
    assert float(namespace["gradient"]["x1"]) == pytest.approx(1 / 2 + 5, rel=1e-15)
    assert namespace["lines"][0] == "nested sweep 1 of 1: u = (x1: 1, x2: 0)"
