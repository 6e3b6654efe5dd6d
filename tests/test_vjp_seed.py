"""Reverse mode with a cotangent seed: ȳᵀJ in one adjoint sweep, checked against the full
Jacobian; its errors, text and JSON; and ``--seed``/``--vector`` fuzzed on the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adexplorer.base.errors import AdxError
from adexplorer.cli.main import cli
from adexplorer.core.ir import Graph
from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source
from tests import fuzzing

TWO = "x: real\ny: real\nreturn x*y, x + sin(y)"
TENSOR = """\
W: mat[2,3]
v: vec[3]
s: real
h = sigmoid(W@v) * s
return h, sum(W*W) + dot(v, v) / s, transpose(W) @ h
"""
CONTROL = """\
x: real
y: real
p = 0
for i in range(3):
    if x > i:
        p = p*y + sin(x*i)
    else:
        p = p - x*y
return p, p*x
"""


def graph_of(source: str) -> Graph:
    return compile_source(source).graph


def expected_vjp(
    graph: Graph, values: dict[str, np.ndarray], cotangent: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """ȳᵀJ from the full Jacobian (one reverse sweep per output entry)."""
    full = run(graph, values, "reverse")
    result = {
        name: np.zeros(graph.nodes[i].shape)
        for name, i in zip(graph.input_names, graph.inputs, strict=True)
    }
    for k, out in enumerate(graph.output_names):
        if out not in cotangent:
            continue
        ybar = np.asarray(cotangent[out], dtype=np.float64)
        for name, jac in full.jacobian(k).items():
            result[name] = result[name] + np.tensordot(ybar, jac, axes=ybar.ndim)
    return result


def random_values(graph: Graph, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        name: rng.uniform(0.2, 1.5, graph.nodes[i].shape)
        for name, i in zip(graph.input_names, graph.inputs, strict=True)
    }


def test_two_outputs_one_sweep() -> None:
    graph = graph_of(TWO)
    trace = run(graph, {"x": 2, "y": 1}, "reverse", seed={"f1": 1, "f2": -2})
    assert trace.directional and len(trace.adjoint_sweeps) == 1
    sweep = trace.adjoint_sweeps[0]
    assert sweep.label == "seed"
    seeds = [s for s in sweep.steps if s.source is None]
    assert [float(s.contribution) for s in seeds] == [1.0, -2.0]
    vjp = trace.vjp()
    # ȳᵀJ = 1·(y, x) - 2·(1, cos y)
    assert float(vjp["x"]) == 1 - 2
    assert float(vjp["y"]) == pytest.approx(2 - 2 * np.cos(1.0), rel=1e-15)
    assert trace.cost is not None and trace.cost.sweeps == 1
    with pytest.raises(ValueError, match="no Jacobian"):
        trace.jacobian()


@pytest.mark.parametrize("source", [TWO, TENSOR, CONTROL])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_vjp_is_the_cotangent_times_the_full_jacobian(source: str, seed: int) -> None:
    graph = graph_of(source)
    rng = np.random.default_rng(seed)
    values = random_values(graph, rng)
    if "x" in values:
        values["x"] = np.asarray(0.5 + 0.9 * seed)  # both branches of the if
    names = graph.output_names
    # every output, or all but one (left out: 0)
    chosen = names if seed % 2 == 0 else names[1:]
    cotangent = {
        name: rng.normal(size=graph.nodes[graph.outputs[names.index(name)]].shape)
        for name in chosen
    }
    trace = run(graph, values, "reverse", seed=cotangent)
    expected = expected_vjp(graph, values, cotangent)
    got = trace.vjp()
    assert set(got) == set(graph.input_names)
    for name, value in expected.items():
        assert got[name].shape == value.shape
        np.testing.assert_allclose(got[name], value, rtol=1e-12, atol=1e-14)


def test_a_unit_cotangent_is_a_row_of_the_jacobian_bit_for_bit() -> None:
    graph = graph_of(TENSOR)
    values = random_values(graph, np.random.default_rng(7))
    full = run(graph, values, "reverse")
    trace = run(graph, values, "reverse", seed={"f2": 1})
    for name, row in full.jacobian(1).items():
        np.testing.assert_array_equal(trace.vjp()[name], row)


def test_a_scalar_cotangent_fills_a_tensor_output() -> None:
    graph = graph_of(TENSOR)
    values = random_values(graph, np.random.default_rng(8))
    filled = run(graph, values, "reverse", seed={"h": 2.0}).vjp()
    explicit = run(graph, values, "reverse", seed={"h": np.array([2.0, 2.0])}).vjp()
    for name in filled:
        np.testing.assert_array_equal(filled[name], explicit[name])


def test_wrt_forms_only_the_chosen_input_adjoints() -> None:
    graph = graph_of(TENSOR)
    values = random_values(graph, np.random.default_rng(9))
    cotangent = {"h": np.array([1.0, -1.0]), "f3": np.array([0.5, 0.0, 2.0])}
    full = run(graph, values, "reverse", seed=cotangent).vjp()
    only = run(graph, values, "reverse", seed=cotangent, wrt=["v"])
    assert set(only.vjp()) == {"v"}
    np.testing.assert_array_equal(only.vjp()["v"], full["v"])


def test_checkpointed_reverse_with_a_cotangent_is_the_plain_sweep() -> None:
    graph = graph_of("x: real\ny: real\nreturn sin(sin(sin(x*y))), cos(cos(x))")
    seed = {"f1": 3.0, "f2": -1.0}
    plain = run(graph, {"x": 0.7, "y": 1.3}, "reverse", seed=seed)
    checked = run(graph, {"x": 0.7, "y": 1.3}, "reverse", seed=seed, checkpoint="snapshots=1")
    assert checked.checkpoint is not None and len(checked.checkpoint.steps) == 1
    for name, value in plain.vjp().items():
        np.testing.assert_array_equal(checked.vjp()[name], value)
    assert [s.total for s in checked.adjoint_sweeps[0].steps] == [
        s.total for s in plain.adjoint_sweeps[0].steps
    ]


def test_one_node_returned_twice_gets_both_cotangents() -> None:
    graph = graph_of("x: real\na = x*x\nb = a\nreturn a, b")
    assert graph.outputs[0] == graph.outputs[1]
    trace = run(graph, {"x": 3}, "reverse", seed={"a": 1, "b": 10})
    assert float(trace.vjp()["x"]) == 11 * 6
    np.testing.assert_array_equal(
        trace.vjp()["x"], expected_vjp(graph, {"x": np.asarray(3.0)}, {"a": 1, "b": 10})["x"]
    )


@pytest.mark.parametrize(
    ("seed", "error"),
    [
        ({"x": 1}, "names outputs, and 'x' is an input"),
        ({"g": 1}, "'g' is not an output"),
        ({"f1": [1, 2]}, r"has shape vec\[2\], but the output .f1. is real"),
        ({}, "names no output"),
    ],
)
def test_bad_cotangents_are_clear_errors(seed: dict, error: str) -> None:
    with pytest.raises(AdxError, match=error) as caught:
        run(graph_of(TWO), {"x": 2, "y": 1}, "reverse", seed=seed)
    if "is an input" in error:
        assert "a forward-mode seed (a direction) names inputs" in (caught.value.hint or "")
        assert "the outputs are f1, f2" in (caught.value.hint or "")


def test_a_nonfinite_cotangent_or_vjp_is_a_warning() -> None:
    trace = run(graph_of(TWO), {"x": 2, "y": 1}, "reverse", seed={"f1": np.nan})
    assert trace.warnings == (
        "the cotangent for f1 is NaN, so the vector-Jacobian product is not finite",
    )
    at_zero = run(graph_of("sqrt(x)*y"), {"x": 0, "y": 1}, "reverse", seed={"f": 1})
    assert any("vector-Jacobian product is not finite for x" in w for w in at_zero.warnings)


def test_an_output_named_in_a_forward_seed_says_which_kind_is_wanted() -> None:
    with pytest.raises(AdxError, match="names inputs, and 'f1' is an output") as caught:
        run(graph_of(TWO), {"x": 2, "y": 1}, "forward", seed={"f1": 1})
    assert "a reverse-mode seed (a cotangent) names outputs" in (caught.value.hint or "")
    with pytest.raises(AdxError, match="not evaluate mode"):
        run(graph_of(TWO), {"x": 2, "y": 1}, "evaluate", seed={"f1": 1})


# -- the command line ------------------------------------------------------------------


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["eval", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_cli_reverse_seed_results() -> None:
    code, out, err = invoke(TWO, "--at", "x=2,y=1", "--mode", "reverse", "--seed", "f1=1,f2=-2")
    assert code == 0, err
    assert "Adjoint sweep (reverse order; seed: the cotangent ȳ, v̄1 = 1, v̄3 = -2)" in out
    assert "cotangent ȳ: f1 = 1, f2 = -2" in out
    assert "vjp ȳᵀJ for x = -1" in out and "vjp ȳᵀJ for y = 0.919395" in out
    assert "(by 1 reverse sweep, instead of 2 for the full Jacobian)" in out
    code, out, err = invoke(TWO, "--at", "x=2,y=1", "--mode", "reverse", "--seed", "f2=1")
    assert code == 0, err
    assert "other outputs 0" in out and "vjp ȳᵀJ for x = 1" in out


def test_cli_tensor_cotangent_and_wrt() -> None:
    at = ["--at", "W=[[1,2,3],[0,1,0]],v=[1,0,-1],s=2"]
    code, out, err = invoke(
        TENSOR, *at, "--mode", "reverse", "--seed", "h=[1,0],f3=[0,1,0]", "--wrt", "v"
    )
    assert code == 0, err
    assert "vjp ȳᵀJ for v = " in out and "vjp ȳᵀJ for W" not in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--mode", "reverse", "--seed", "x=1"], 1, "'x' is an input"),
        (["--mode", "reverse", "--seed", "ff1=1"], 1, "did you mean 'f1'?"),
        (["--mode", "forward", "--seed", "f1=1"], 1, "'f1' is an output"),
        (["--mode", "evaluate", "--seed", "f1=1"], 2, "evaluate mode differentiates nothing"),
        (["--mode", "reverse", "--seed", "f1=[1,2]"], 1, "has shape vec[2]"),
    ],
)
def test_cli_seed_misuse(args: list[str], code: int, message: str) -> None:
    got, _, err = invoke(TWO, "--at", "x=2,y=1", *args)
    assert got == code and message in err, err


def test_cli_reverse_seed_json_has_the_documented_keys() -> None:
    args = [TWO, "--at", "x=2,y=1", "--mode", "reverse", "--json"]
    code, base_out, _ = invoke(*args)
    seeded_code, out, _ = invoke(*args, "--seed", "f1=1,f2=-2")
    assert code == seeded_code == 0
    base, data = json.loads(base_out), json.loads(out)
    assert set(data) == (set(base) - {"jacobian"}) | {"cotangent", "vjp"}
    assert data["cotangent"] == {"f1": 1.0, "f2": -2.0}
    assert data["vjp"]["x"] == -1.0
    assert data["vjp"]["y"] == pytest.approx(2 - 2 * np.cos(1.0), rel=1e-15)
    sweeps = data["sweeps"]
    assert len(sweeps) == 1 and sweeps[0]["kind"] == "adjoint" and sweeps[0]["label"] == "seed"
    assert sweeps[0]["seed"] == {"v1": 1.0, "v3": -2.0}
    rows = {row["id"]: row for row in data["trace"]}
    assert rows["v-1"]["adjoint"] == -1.0
    assert [c["from"] for c in rows["v-1"]["contributions"]] == ["v3", "v1"]
    assert data["cost"]["sweeps"] == 1 and data["cost"]["sweep_kind"] == "adjoint"
    assert data["outputs"] == base["outputs"] and data["trace"][0]["primal"] == 2.0


def test_cli_tensor_cotangent_json() -> None:
    code, out, _ = invoke(
        "v: vec[2]\nreturn v*v",
        "--at",
        "v=[1,3]",
        "--mode",
        "reverse",
        "--seed",
        "f=[1,-1]",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["cotangent"] == {"f": [1.0, -1.0]} and data["vjp"] == {"v": [2.0, -6.0]}


# -- never a traceback ---------------------------------------------------------------

PROGRAMS = [
    (TWO, "x=2,y=1"),
    (TENSOR, "W=1,v=[1,0,2],s=2"),
    ("ln(x1) + x1*x2 - sin(x2)", "x1=2,x2=5"),
    ("v: vec[2]\nreturn v*v", "v=[1,3]"),
]
seed_names = st.sampled_from(["f", "f1", "h", "f2", "f3", "x", "y", "v", "W", "s", "x1", "g"])
seed_values = st.sampled_from(
    ["1", "-2", "0", "[1,0]", "[1,0,-1]", "[[1,2],[3,4]]", "1e308*10", "0/0", "[]", "pi", "x"]
)
seed_texts = (
    st.lists(st.tuples(seed_names, seed_values), min_size=1, max_size=3).map(
        lambda pairs: ",".join(f"{n}={v}" for n, v in pairs)
    )
    | fuzzing.bindings
)


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with fuzzing.fuzz_environment() as directory:
        yield directory


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    program=st.sampled_from(PROGRAMS),
    mode=st.sampled_from(["reverse", "forward", "evaluate", None]),
    seed=seed_texts,
    extra=st.sampled_from(
        [[], ["--json"], ["--vector"], ["--wrt", "x"], ["--checkpoint", "every=1"]]
    ),
)
def test_fuzzed_seeds_never_give_a_traceback(
    scratch: Path, program: tuple[str, str], mode: str | None, seed: str, extra: list[str]
) -> None:
    source, at = program
    argv = ["eval", source, "--at", at, "--seed", seed, *extra]
    if mode is not None:
        argv += ["--mode", mode]
    case = fuzzing.Case(tuple(argv), json="--json" in extra)
    outcome = fuzzing.run_case(case, scratch)
    found = fuzzing.problems(case, outcome)
    assert not found, f"{case.command_line()}\n-> {fuzzing.describe(found)}\n{outcome.err[-600:]}"


def test_a_jvp_result_names_the_seed_u_not_an_input_tangent() -> None:
    """With outputs named x and y, "ẋ = J·ẋ" read as an equation in x; J·u does not."""
    from click.testing import CliRunner

    from adexplorer.cli.main import cli

    polar = "r: real\nt: real\nreturn r*cos(t), r*sin(t)"
    args = ["eval", polar, "--at", "r=2,t=0.5", "--mode", "forward", "--seed", "r=1,t=0.5"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "J·ẋ" not in result.output and "= J·u =" in result.output
