"""Vector forward mode: one sweep carrying every unit direction, checked against n scalar
sweeps (bit for bit), reverse mode and the cost model; its text, JSON and errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adexplorer.base.errors import AdxError
from adexplorer.cli.main import cli
from adexplorer.core.formulas import FormulaRenderer
from adexplorer.core.ir import Graph
from adexplorer.core.trace import Trace, run
from adexplorer.lang.lower import compile_source
from tests.test_properties import expressions, points

WORKED = json.loads(
    (Path(__file__).parent / "data" / "worked-examples.json").read_text(encoding="utf-8")
)["cases"]

TENSOR = """\
W: mat[2,3]
v: vec[3]
b: vec[2]
s: real
h = sigmoid(W@v + b) * s
return h, sum(W*W) + dot(v, v) / s, transpose(W) @ h
"""
BROADCASTS = """\
a: real
v: vec[3]
M: mat[2,3]
c: vec[2]
return (a + v) * M - a, mean(M / (1 + a*a)) + sum(where(v > 0, v*a, -v))
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


def assert_same_as_scalar_sweeps(trace: Trace, scalar: Trace, exact: bool = True) -> None:
    """The vector sweep's rows are the scalar sweeps' tangents: bit for bit, or (``exact``
    False, for tensor programs) to 1e-15.  A matrix product or a sum may add in another
    order when its tangent is laid out otherwise in memory (a transposed view in the
    scalar sweep, a row of a contiguous block here): BLAS and numpy's pairwise sums
    choose their order by layout, so the last bit can differ."""
    sweep = trace.vector_sweep
    assert sweep is not None
    assert [s.label for s in scalar.tangent_sweeps] == list(sweep.labels)
    for k, one in enumerate(scalar.tangent_sweeps):
        for node, tangent in enumerate(one.tangents):
            block = sweep.tangents[node]
            if tangent is None:
                assert block is None
                continue
            assert block is not None
            row = np.asarray(block[k])
            expected = np.broadcast_to(np.asarray(tangent), row.shape)
            where = f"node {node}, direction {k}"
            if exact:
                np.testing.assert_array_equal(row, expected, err_msg=where)
            else:
                # 1e-15 of the largest tangent of this node: a sum's rounding scales with it
                scale = max(1.0, float(np.max(np.abs(block), initial=0.0)))
                np.testing.assert_allclose(
                    row, expected, rtol=1e-15, atol=1e-15 * scale, err_msg=where
                )
    for k in range(len(trace.graph.outputs)):
        for name, jac in scalar.jacobian(k).items():
            if exact:
                np.testing.assert_array_equal(trace.jacobian(k)[name], jac)
            else:
                np.testing.assert_allclose(trace.jacobian(k)[name], jac, rtol=1e-15, atol=1e-15)


def random_values(graph: Graph, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        graph.input_names[k]: rng.uniform(0.2, 1.5, graph.nodes[i].shape)
        for k, i in enumerate(graph.inputs)
    }


@pytest.mark.parametrize("case", WORKED, ids=[c["id"] for c in WORKED])
def test_worked_examples_match_scalar_sweeps_and_the_gradient(case: dict) -> None:
    graph = graph_of(case["expr"])
    trace = run(graph, case["at"], "forward", vector=True)
    assert_same_as_scalar_sweeps(trace, run(graph, case["at"], "forward"))
    for name, value in case["gradient"].items():
        assert float(trace.gradient()[name]) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("source", [TENSOR, BROADCASTS, CONTROL])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tensor_and_control_flow_programs_match_scalar_sweeps(source: str, seed: int) -> None:
    graph = graph_of(source)
    values = random_values(graph, seed)
    if "x" in values:  # through both branches of the if, at various points
        values["x"] = np.asarray(0.5 + 1.2 * seed)
    trace = run(graph, values, "forward", vector=True)
    assert_same_as_scalar_sweeps(trace, run(graph, values, "forward"), exact=source == CONTROL)
    reverse = run(graph, values, "reverse")
    for k in range(len(graph.outputs)):
        for name, jac in reverse.jacobian(k).items():
            np.testing.assert_allclose(trace.jacobian(k)[name], jac, rtol=1e-12, atol=1e-14)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=expressions, point=points)
def test_random_expressions_match_scalar_sweeps(expr: str, point: dict) -> None:
    graph = graph_of(expr)
    at = {name: point[name] for name in graph.input_names}
    trace = run(graph, at, "forward", vector=True)
    assert_same_as_scalar_sweeps(trace, run(graph, at, "forward"))


def test_a_zero_tangent_times_an_infinite_partial_is_zero_as_in_scalar_sweeps() -> None:
    # sqrt'(0) is inf; direction y does not move x, so its row must be 0, not NaN
    graph = graph_of("sqrt(x) + x*y")
    trace = run(graph, {"x": 0, "y": 2}, "forward", vector=True)
    assert_same_as_scalar_sweeps(trace, run(graph, {"x": 0, "y": 2}, "forward"))
    assert float(trace.gradient()["y"]) == 0.0


def test_one_sweep_visits_each_node_once_with_all_directions() -> None:
    graph = graph_of(TENSOR)
    trace = run(graph, random_values(graph, 3), "forward", vector=True)
    sweep = trace.vector_sweep
    assert sweep is not None
    n = 6 + 3 + 2 + 1
    assert sweep.n == n and sweep.labels[:2] == ("W[0,0]", "W[0,1]") and sweep.labels[-1] == "s"
    visited = [s.node for s in sweep.steps]
    assert visited == sorted(set(visited))  # once each, in graph order
    assert visited == [node.index for node in graph.nodes if not node.is_const]
    for step in sweep.steps:
        assert step.value.shape == (n, *graph.nodes[step.node].shape)
    assert trace.tangent_sweeps == () and trace.cost is not None and trace.cost.sweeps == 1


def test_wrt_restricts_the_directions() -> None:
    graph = graph_of(TENSOR)
    values = random_values(graph, 4)
    trace = run(graph, values, "forward", vector=True, wrt=["v", "s"])
    assert trace.vector_sweep is not None and trace.vector_sweep.labels == (
        "v[0]",
        "v[1]",
        "v[2]",
        "s",
    )
    full = run(graph, values, "forward", vector=True)
    for k in range(3):
        assert set(trace.jacobian(k)) == {"v", "s"}
        for name in ("v", "s"):
            np.testing.assert_array_equal(trace.jacobian(k)[name], full.jacobian(k)[name])


def test_the_cost_model_counts_the_primal_once() -> None:
    graph = graph_of("ln(x1) + x1*x2 - sin(x2)")
    trace = run(graph, {"x1": 2, "x2": 5}, "forward", vector=True)
    cost = trace.cost
    assert cost is not None and cost.vector == 2
    assert cost.vector_sweep_cost() == cost.primal + cost.tangent + cost.tangent
    assert cost.scalar_sweeps_cost() == (cost.primal + cost.tangent).scaled(2)
    data = cost.as_json("forward")["vector"]
    assert isinstance(data, dict)
    assert data["saved"] == cost.primal.total  # n - 1 = 1 primal saved
    assert "vector" not in run(graph, {"x1": 2, "x2": 5}, "forward").cost.as_json("forward")  # type: ignore[union-attr]


def test_the_dual_number_text_has_n_parts() -> None:
    graph = graph_of("ln(x1) + x1*x2 - sin(x2)")
    trace = run(graph, {"x1": 2, "x2": 5}, "forward", vector=True)
    sweep = trace.vector_sweep
    assert sweep is not None
    render = FormulaRenderer(trace.graph, trace.values)
    texts = {
        render.labels[p.node]: render.vector_dual(p, s, sweep.tangents).text()
        for p, s in zip(trace.primal_steps, sweep.steps, strict=True)
    }
    assert texts["v-1"] == "v-1 = 2 + [1, 0]·ε"
    assert texts["v2"].endswith(
        "= (2 + [1, 0]·ε) · (5 + [0, 1]·ε) = 10 + ([1, 0]·5 + 2·[0, 1])·ε = 10 + [5, 2]·ε"
    )
    assert texts["v5"].endswith("= 11.6521 + [5.5, 1.71634]·ε")
    # the scalar dual number is unchanged
    scalar = run(graph, {"x1": 2, "x2": 5}, "forward", seed={"x1": 1})
    one = scalar.tangent_sweeps[0]
    assert (
        render.dual(scalar.primal_steps[3], one.steps[3], one.tangents).text().endswith("= 10 + 5ε")
    )


def test_vector_mode_refuses_a_seed_or_another_mode() -> None:
    graph = graph_of("x*y")
    with pytest.raises(AdxError, match="vector forward mode"):
        run(graph, {"x": 1, "y": 2}, "forward", seed={"x": 1}, vector=True)
    with pytest.raises(AdxError, match="vector forward mode"):
        run(graph, {"x": 1, "y": 2}, "reverse", vector=True)


def test_the_trace_limit_counts_n_entries_per_value(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = graph_of("x: vec[50]\nreturn sum(sin(x)*x)")
    monkeypatch.setenv("ADX_MAX_TRACE_ENTRIES", "1000")
    with pytest.raises(AdxError) as caught:
        run(graph, {"x": np.ones(50)}, "forward", vector=True)
    assert "50 directions" in (caught.value.hint or "")
    monkeypatch.setenv("ADX_MAX_TRACE_ENTRIES", "100000")
    assert run(graph, {"x": np.ones(50)}, "forward", vector=True).vector_sweep is not None


# -- the command line ------------------------------------------------------------------


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["eval", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_cli_vector_table_results_and_cost() -> None:
    code, out, err = invoke(
        "ln(x1) + x1*x2 - sin(x2)", "--at", "x1=2,x2=5", "--mode", "forward", "--vector"
    )
    assert code == 0, err
    assert "Vector tangent sweep (1 sweep carrying 2 directions: x1, x2" in out
    assert "[1, 0]·5 + 2·[0, 1]" in out
    assert "gradient ∂/∂x2 = 1.71634" in out
    assert "(by 1 vector forward sweep carrying 2 directions)" in out
    assert "one vector sweep: 66 operations" in out and "2 scalar sweeps: 86" in out
    assert "Tangent sweep 1" not in out


def test_cli_vector_with_wrt_and_many_directions() -> None:
    code, out, err = invoke("x: vec[6]\nreturn sum(x*x)", "--at", "x=[1,2,3,4,5,6]", "--vector")
    assert code == 0, err
    assert "value (6 directions)" in out  # one column with the n-vector
    code, out, err = invoke("x*y + y", "--at", "x=1,y=2", "--vector", "--wrt", "y")
    assert code == 0, err
    assert "1 direction: y" in out and "∂/∂y = 2" in out and "∂/∂x" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vector", "--seed", "x=1"], "not both"),
        (["--vector", "--mode", "reverse"], "does not apply to reverse mode"),
        (["--vector", "--mode", "evaluate"], "does not apply to evaluate mode"),
    ],
)
def test_cli_vector_misuse_is_a_usage_error(args: list[str], message: str) -> None:
    code, _, err = invoke("x*y", "--at", "x=1,y=2", *args)
    assert code == 2 and message in err


def test_cli_vector_json_has_the_documented_keys() -> None:
    base_code, base, _ = invoke(
        "ln(x1) + x1*x2 - sin(x2)", "--at", "x1=2,x2=5", "--mode", "forward", "--json"
    )
    code, out, _ = invoke(
        "ln(x1) + x1*x2 - sin(x2)", "--at", "x1=2,x2=5", "--mode", "forward", "--vector", "--json"
    )
    assert code == base_code == 0
    data, scalar = json.loads(out), json.loads(base)
    assert set(data) == set(scalar) | {"vector"}  # every existing key is still there
    assert data["gradient"] == scalar["gradient"]
    vector = data["vector"]
    assert vector["directions"] == ["x1", "x2"]
    assert vector["seed"] == {"v-1": [1.0, 0.0], "v0": [0.0, 1.0]}
    steps = {s["id"]: s for s in vector["steps"]}
    assert steps["v2"]["value"] == [5.0, 2.0]
    assert steps["v2"]["formula"] == "v̇2 = v̇-1·v0 + v-1·v̇0 = [1, 0]·5 + 2·[0, 1] = [5, 2]"
    assert steps["v2"]["dual"].endswith("= 10 + [5, 2]·ε")
    assert steps["v5"]["value"] == [5.5, 1.7163378145367738]
    assert data["sweeps"] == []  # one vector sweep, not scalar ones
    cost = data["cost"]
    assert cost["sweeps"] == 1 and cost["sweep_kind"] == "tangent"
    assert set(cost["vector"]) == {"directions", "vector_sweep", "scalar_sweeps", "saved"}
    assert cost["vector"]["vector_sweep"]["total"] == 66
    assert cost["vector"]["scalar_sweeps"]["total"] == 86


def test_cli_vector_json_of_a_tensor_program_nests_n_first() -> None:
    code, out, _ = invoke(
        "W: mat[2,2]\nreturn W@W", "--at", "W=[[1,2],[3,4]]", "--vector", "--json"
    )
    assert code == 0
    data = json.loads(out)
    steps = {s["id"]: s for s in data["vector"]["steps"]}
    value = np.array(steps["v1"]["value"])
    assert value.shape == (4, 2, 2)
    W = np.array([[1.0, 2], [3, 4]])
    E = np.zeros((2, 2))
    E[0, 1] = 1  # direction W[0,1]
    np.testing.assert_array_equal(value[1], E @ W + W @ E)


# -- random tensor programs -------------------------------------------------------------

TENSOR_INPUTS = "a: real\nu: vec[2]\nv: vec[3]\nw: vec[3]\nM: mat[2,3]\n"
LEAVES = {(): ["a", "0.5", "a"], (2,): ["u"], (3,): ["v", "w"], (2, 3): ["M"]}
UNARY_TEMPLATES = ["sin({})", "sigmoid({})", "tanh({})", "({})^2", "exp(tanh({}))", "-({})"]
BINARY_TEMPLATES = ["({}) + ({})", "({}) - ({})", "({}) * ({})", "({}) / (1 + ({})^2)"]
#: Argument shapes that broadcast to each shape (both orders are drawn).
BROADCASTING = {
    (): [((), ())],
    (2,): [((2,), (2,)), ((2,), ())],
    (3,): [((3,), (3,)), ((3,), ())],
    (2, 3): [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 3), ())],
}


@st.composite
def typed_expression(draw: st.DrawFn, shape: tuple[int, ...], depth: int = 3) -> str:
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(LEAVES[shape]))
    choices = ["unary", "binary", "where"]
    if shape == ():
        choices += ["sum", "mean", "dot"]
    if shape == (2,):
        choices += ["M@"]
    if shape == (3,):
        choices += ["@M", "MT@"]
    kind = draw(st.sampled_from(choices))

    def sub(s: tuple[int, ...]) -> str:
        return draw(typed_expression(s, depth - 1))

    if kind == "unary":
        return draw(st.sampled_from(UNARY_TEMPLATES)).format(sub(shape))
    if kind == "binary":
        left, right = draw(st.sampled_from(BROADCASTING[shape]))
        if draw(st.booleans()):
            left, right = right, left
        return draw(st.sampled_from(BINARY_TEMPLATES)).format(sub(left), sub(right))
    if kind == "where":
        return f"where({sub(shape)} > 0, {sub(shape)}, {sub(())})"
    if kind in ("sum", "mean"):
        return f"{kind}({sub(draw(st.sampled_from([(2,), (3,), (2, 3)])))})"
    if kind == "dot":
        return f"dot({sub((3,))}, {sub((3,))})"
    if kind == "M@":
        return f"({sub((2, 3))}) @ ({sub((3,))})"
    if kind == "@M":
        return f"({sub((2,))}) @ ({sub((2, 3))})"
    return f"transpose({sub((2, 3))}) @ ({sub((2,))})"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=st.sampled_from([(), (2,), (3,), (2, 3)]).flatmap(typed_expression),
    second=st.sampled_from([(), (2, 3)]).flatmap(typed_expression),
    seed=st.integers(0, 2**16),
)
def test_random_tensor_programs_match_scalar_sweeps(first: str, second: str, seed: int) -> None:
    graph = graph_of(f"{TENSOR_INPUTS}return {first}, {second}")
    rng = np.random.default_rng(seed)
    values = {
        name: rng.uniform(-1.5, 1.5, graph.nodes[i].shape)
        for name, i in zip(graph.input_names, graph.inputs, strict=True)
    }
    trace = run(graph, values, "forward", vector=True)
    assert_same_as_scalar_sweeps(trace, run(graph, values, "forward"), exact=False)


def test_a_vector_sweep_over_the_limit_names_the_wrt_option() -> None:
    big = ["--at", "v=normal(seed=1, shape=[5000])"]
    result = CliRunner().invoke(cli, ["eval", "sum(v*v)", *big, "--mode", "forward", "--vector"])
    text = " ".join(result.output.split())
    assert result.exit_code == 1 and "restrict the directions to one input with --wrt" in text


def test_the_vector_table_title_says_where_each_direction_is() -> None:
    """Up to four directions are columns (∂/∂x1, ∂/∂x2): the title says so, not "row k"."""
    few = CliRunner().invoke(
        cli, ["eval", "x1*x2", "--at", "x1=1,x2=2", "--mode", "forward", "--vector"]
    )
    text = " ".join(few.output.split())
    assert few.exit_code == 0 and "one column per direction" in text and "row k" not in text
    many = CliRunner().invoke(
        cli, ["eval", "sum(v*v)", "--at", "v=[1,2,3,4,5,6]", "--mode", "forward", "--vector"]
    )
    assert many.exit_code == 0 and "row k for direction k" in " ".join(many.output.split())
