"""Activity analysis: ``run(..., wrt=...)`` differentiates some inputs only, and those
inputs' derivatives are bit for bit the full run's."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from adexplorer.base.errors import AdxError
from adexplorer.cli.main import cli
from adexplorer.core.engines.reverse import active_nodes
from adexplorer.core.ir import Graph
from adexplorer.core.trace import Trace, run
from adexplorer.lang.lower import compile_source
from adexplorer.lessons.answers import prepare
from adexplorer.lessons.catalog import builtin
from tests.conftest import worked_examples
from tests.test_properties import expressions, points

NETWORK = """\
X: mat[{n},{d}]
Y: mat[{n},{o}]
W1: mat[{d},{h}]
b1: vec[{h}]
W2: mat[{h},{o}]
b2: vec[{o}]
h = relu(X @ W1 + b1)
p = h @ W2 + b2
return sum((p - Y)^2)
"""
PARAMETERS = ("W1", "b1", "W2", "b2")


def network(n: int = 4, d: int = 7, h: int = 5, o: int = 3) -> tuple[Graph, dict[str, np.ndarray]]:
    graph = compile_source(NETWORK.format(n=n, d=d, h=h, o=o)).graph
    rng = np.random.default_rng(7)
    values = {
        graph.nodes[i].name or "": rng.standard_normal(graph.nodes[i].shape) for i in graph.inputs
    }
    return graph, values


def same(a: object, b: object) -> bool:
    """Bit for bit: shape, and every entry (NaN where NaN)."""
    x, y = np.asarray(a), np.asarray(b)
    return x.shape == y.shape and x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True)


def derivatives(trace: Trace) -> list[dict[str, np.ndarray]]:
    return [trace.jacobian(k) for k in range(len(trace.graph.outputs))]


def check_subset(graph: Graph, values: dict, wrt: tuple[str, ...], modes: tuple[str, ...]) -> None:
    """The wrt run's derivatives are the full run's for those inputs, and its adjoint
    steps are the full run's steps that reach an active node, in the same order."""
    for mode in modes:
        full = run(graph, values, mode)
        some = run(graph, values, mode, wrt=wrt)
        assert some.wrt == tuple(n for n in graph.input_names if n in wrt)
        for whole, part in zip(derivatives(full), derivatives(some), strict=True):
            assert list(part) == [n for n in whole if n in wrt]
            for name in part:
                assert same(part[name], whole[name]), (mode, name)
        for a, b in zip(full.values, some.values, strict=True):
            assert same(a, b)
        if mode == "reverse":
            chosen = [i for i, n in zip(graph.inputs, graph.input_names, strict=True) if n in wrt]
            active = active_nodes(some.graph, chosen)
            for whole, part in zip(full.adjoint_sweeps, some.adjoint_sweeps, strict=True):
                kept = [s for s in whole.steps if s.source is None or active[s.node]]
                assert len(kept) == len(part.steps)
                for s, t in zip(kept, part.steps, strict=True):
                    assert (s.node, s.source, s.slot) == (t.node, t.source, t.slot)
                    assert same(s.contribution, t.contribution) and same(s.total, t.total)
                for index, adjoint in enumerate(part.adjoints):
                    if not active[index] and index not in part.seed:
                        assert adjoint is None  # never formed
        else:
            assert (
                len(some.tangent_sweeps)
                == sum(np.size(values[n]) if n in values else 1 for n in some.wrt or ())
                or not graph.inputs
            )


def subsets(names: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Each input alone, every input but one, and all of them."""
    result = [(n,) for n in names]
    result += [tuple(m for m in names if m != n) for n in names if len(names) > 2]
    result.append(names)
    return list(dict.fromkeys(r for r in result if r))


def lesson_setups() -> list[tuple[str, Graph, dict]]:
    cases = []
    for lesson in builtin():
        for k, step in enumerate(lesson.steps):
            if step.explore is None:
                continue
            setup = prepare(step.explore)
            cases.append((f"{lesson.path.stem}#{k}", setup.graph, dict(setup.values)))
    return cases


LESSONS = lesson_setups()


@pytest.mark.parametrize("case", LESSONS, ids=[c[0] for c in LESSONS])
def test_lesson_programs_bit_for_bit(case: tuple[str, Graph, dict]) -> None:
    _, graph, values = case
    modes = ("reverse", "forward") if sum(np.size(v) for v in values.values()) <= 64 else ()
    for wrt in subsets(graph.input_names):
        check_subset(graph, values, wrt, modes or ("reverse",))


@pytest.mark.parametrize("case", worked_examples(), ids=lambda c: c["id"])
def test_worked_examples_bit_for_bit(case: dict) -> None:
    graph = compile_source(case["expr"]).graph
    for wrt in subsets(graph.input_names):
        check_subset(graph, case["at"], wrt, ("reverse", "forward"))


@settings(max_examples=80, deadline=None)
@given(expressions, points, st.data())
def test_random_programs_bit_for_bit(source: str, point: dict, data: st.DataObject) -> None:
    graph = compile_source(source).graph
    values = {name: point[name] for name in graph.input_names}
    wrt = data.draw(st.sets(st.sampled_from(graph.input_names), min_size=1))
    check_subset(graph, values, tuple(sorted(wrt)), ("reverse", "forward"))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 5), st.integers(1, 6), st.integers(1, 5), st.integers(1, 4), st.data())
def test_random_networks_bit_for_bit(n: int, d: int, h: int, o: int, data: st.DataObject) -> None:
    graph = compile_source(NETWORK.format(n=n, d=d, h=h, o=o)).graph
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    values = {
        graph.nodes[i].name or "": rng.standard_normal(graph.nodes[i].shape) for i in graph.inputs
    }
    names = graph.input_names
    wrt = data.draw(st.sets(st.sampled_from(names), min_size=1))
    check_subset(graph, values, tuple(sorted(wrt)), ("reverse",))


def test_the_data_adjoint_is_never_formed() -> None:
    """For the network, X̄ = z̄·W1ᵀ (64×1000 at full size) is exactly what wrt saves."""
    graph, values = network()
    trace = run(graph, values, "reverse", wrt=PARAMETERS)
    x, y = graph.input_index("X"), graph.input_index("Y")
    sweep = trace.adjoint_sweeps[0]
    assert all(s.node not in (x, y) for s in sweep.steps)
    assert sweep.adjoints[x] is None and sweep.adjoints[y] is None
    assert set(trace.gradient()) == set(PARAMETERS)
    full = run(graph, values, "reverse")
    assert len(sweep.steps) == len(full.adjoint_sweeps[0].steps) - 2


def test_the_network_matches_hand_written_backpropagation() -> None:
    graph, v = network(8, 12, 6, 3)
    trace = run(graph, v, "reverse", wrt=PARAMETERS)
    z = v["X"] @ v["W1"] + v["b1"]
    hidden = np.maximum(z, 0.0)
    d = hidden @ v["W2"] + v["b2"] - v["Y"]
    p_bar = 2.0 * d
    z_bar = (p_bar @ v["W2"].T) * (z > 0)
    expected = {"W1": v["X"].T @ z_bar, "b1": z_bar.sum(0), "W2": hidden.T @ p_bar}
    expected["b2"] = p_bar.sum(0)
    assert float(trace.output_value()) == pytest.approx(float((d * d).sum()), rel=1e-14)
    for name, value in expected.items():
        np.testing.assert_allclose(trace.gradient()[name], value, rtol=1e-12, atol=1e-14)


def test_a_single_name_may_be_a_string() -> None:
    graph = compile_source("x*y + sin(x)").graph
    assert run(graph, {"x": 1, "y": 2}, wrt="y").wrt == ("y",)
    assert list(run(graph, {"x": 1, "y": 2}, wrt="y").gradient()) == ["y"]


def test_an_unused_input_gets_a_zero_gradient() -> None:
    graph = compile_source("x: real\ny: real\nreturn 2*x").graph
    for mode in ("reverse", "forward"):
        trace = run(graph, {"x": 1, "y": 2}, mode, wrt=["y"])
        assert float(trace.gradient()["y"]) == 0.0
    # the seed step is the whole reverse sweep: nothing depends on y
    trace = run(graph, {"x": 1, "y": 2}, "reverse", wrt=["y"])
    assert [s.source for s in trace.adjoint_sweeps[0].steps] == [None]


@pytest.mark.parametrize(
    ("wrt", "words"),
    [
        (["W3"], "'W3' is not an input"),
        (["W1", "w1"], "'w1' is not an input"),
        ([], "names no input"),
        ([3], "3 is not an input"),
    ],
)
def test_unknown_names_are_errors_that_list_the_inputs(wrt: list, words: str) -> None:
    graph, values = network()
    for mode in ("reverse", "forward", "evaluate"):
        with pytest.raises(AdxError) as caught:
            run(graph, values, mode, wrt=wrt)
        assert words in caught.value.message
        assert "X, Y, W1, b1, W2, b2" in (caught.value.hint or "")


def test_a_seed_and_wrt_together_are_an_error() -> None:
    graph = compile_source("x*y").graph
    with pytest.raises(AdxError, match="not both"):
        run(graph, {"x": 1, "y": 2}, "forward", seed={"x": 1.0}, wrt=["x"])


def test_checkpointed_sweeps_with_wrt_are_the_plain_ones() -> None:
    graph, values = network()
    plain = run(graph, values, "reverse", wrt=["W2", "b1"])
    for spec in ("every=2", "snapshots=2"):
        trace = run(graph, values, "reverse", checkpoint=spec, wrt=["W2", "b1"])
        assert list(trace.gradient()) == ["b1", "W2"]
        for name, value in plain.gradient().items():
            assert same(trace.gradient()[name], value)
        assert [(s.node, s.source) for s in trace.adjoint_sweeps[0].steps] == [
            (s.node, s.source) for s in plain.adjoint_sweeps[0].steps
        ]


def test_non_scalar_outputs_give_their_jacobian_for_the_chosen_inputs() -> None:
    graph = compile_source("x: vec[3]\ny: vec[3]\nreturn x*y + sin(x)").graph
    values = {"x": np.array([1.0, 2.0, 3.0]), "y": np.array([-1.0, 0.5, 2.0])}
    check_subset(graph, values, ("y",), ("reverse", "forward"))
    trace = run(graph, values, "reverse", wrt=["y"])
    assert np.array_equal(trace.jacobian()["y"], np.diag(values["x"]))


def test_cli_reverse_mode_with_wrt_forms_only_the_adjoints_that_lead_to_it() -> None:
    expr, at = "x1*x2 + sin(x1) + x2^2", "x1=1.5,x2=-0.75"
    runner = CliRunner()
    args = ["eval", expr, "--at", at, "--mode", "reverse", "--json"]
    some = json.loads(runner.invoke(cli, [*args, "--wrt", "x2"]).output)
    full = json.loads(runner.invoke(cli, args).output)
    assert some["gradient"] == {"x2": full["gradient"]["x2"]}
    adjoints = {row["id"]: row.get("adjoint") for row in some["trace"]}
    everything = {row["id"]: row.get("adjoint") for row in full["trace"]}
    assert adjoints["v-1"] is None and adjoints["v2"] is None  # x1 and sin(x1): not formed
    assert everything["v-1"] is not None
    for node in ("v0", "v1", "v3", "v4", "v5"):
        assert adjoints[node] == everything[node]
    steps = some["sweeps"][0]["steps"]
    assert {s["id"] for s in steps} == {"v5", "v4", "v3", "v1", "v0"}
    # forward mode with --wrt keeps seeding that input with 1 (one directional sweep)
    forward = json.loads(
        runner.invoke(cli, ["eval", expr, "--at", at, "--wrt", "x2", "--json"]).output
    )
    assert forward["mode"] == "forward" and forward["seed"] == {"x2": 1.0}
    assert forward["cost"]["sweeps"] == 1


def test_activity_is_computed_once_per_graph_and_inputs() -> None:
    graph, _ = network()
    chosen = [graph.input_index("W1") or 0]
    assert active_nodes(graph, chosen) is active_nodes(graph, chosen)
    flags = active_nodes(graph, chosen)
    on_path = [graph.labels()[i] for i, f in enumerate(flags) if f]
    assert on_path == ["v-3", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8"]


def test_every_pair_of_network_parameters() -> None:
    graph, values = network()
    for pair in itertools.combinations(graph.input_names, 2):
        check_subset(graph, values, pair, ("reverse",))
