"""Cheap step records for tensors: references to read-only arrays, figures computed once
per graph, one test per array for NaN/inf, and rules made faster with the same numbers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra import numpy as hnp

from adexplorer.base.numbers import all_finite
from adexplorer.base.shapes import unbroadcast
from adexplorer.core import formulas
from adexplorer.core.memory import memory_figures
from adexplorer.core.primitives import PRIMITIVES, _step
from adexplorer.core.trace import Trace, count_cost, run
from adexplorer.lang.lower import compile_source
from tests.test_activity import PARAMETERS, network

PROGRAMS = [
    ("x1*x2 + sin(x1)", {"x1": 2.0, "x2": 5.0}),
    ("x: vec[3]\nA: mat[2,3]\nreturn A @ (x*x) + 1", None),
    ("x: vec[3]\ns = 0\nfor i in range(3):\n    s = s + x*s + 1\nreturn sum(s)", None),
    ("x: mat[2,3]\nreturn transpose(x) @ x", None),
]


def traces() -> list[Trace]:
    result = []
    for source, at in PROGRAMS:
        graph = compile_source(source).graph
        rng = np.random.default_rng(3)
        values = at or {
            graph.nodes[i].name or "": rng.standard_normal(graph.nodes[i].shape)
            for i in graph.inputs
        }
        for mode in ("evaluate", "forward", "reverse"):
            result.append(run(graph, values, mode))
        result.append(run(graph, values, "reverse", checkpoint="snapshots=1"))
    graph, values = network()
    result.append(run(graph, values, "reverse", wrt=PARAMETERS))
    result.append(run(graph, values, "forward", seed={"b2": np.ones(3)}))
    return result


def computed_arrays(trace: Trace) -> list[object]:
    """Every array the engines computed that the trace holds: values of operations,
    tangents and adjoints, contributions, and the derivatives folded from them."""
    graph = trace.graph
    found: list[object] = [s.value for s in trace.primal_steps if graph.nodes[s.node].is_op]
    for t_sweep in trace.tangent_sweeps:
        found += [s.value for s in t_sweep.steps if graph.nodes[s.node].is_op]
    for a_sweep in trace.adjoint_sweeps:
        for step in a_sweep.steps:
            found += [step.contribution, step.total]
    if trace.checkpoint is not None:
        for record in trace.checkpoint.steps:
            found += [getattr(s, "value", None) for s in record]
    for k in range(len(graph.outputs)):
        found += list(trace._jacobian.get(k, {}).values())
    return [a for a in found if isinstance(a, np.ndarray)]


@pytest.mark.parametrize("trace", traces(), ids=lambda t: f"{t.mode}-{t.graph.source[:12]}")
def test_what_the_engines_computed_is_read_only(trace: Trace) -> None:
    arrays = computed_arrays(trace)
    # scalars are numpy float64 scalars, immutable; every tensor program holds arrays
    assert arrays or all(node.shape == () for node in trace.graph.nodes)
    for array in arrays:
        assert not array.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            array[...] = 0.0


def test_the_callers_arrays_are_held_as_they_are() -> None:
    graph, values = network()
    trace = run(graph, values, "reverse", wrt=PARAMETERS)
    for name, value in values.items():
        assert trace.inputs[name] is value  # not copied
        assert value.flags.writeable  # and its flags are the caller's
    seed = {"b2": np.ones(3)}
    run(graph, values, "forward", seed=seed)
    assert seed["b2"].flags.writeable


def test_the_gradient_is_the_adjoints_themselves() -> None:
    graph, values = network()
    trace = run(graph, values, "reverse", wrt=PARAMETERS)
    sweep = trace.adjoint_sweeps[0]
    for name, gradient in trace.gradient().items():
        assert gradient is sweep.adjoints[graph.input_index(name) or 0]


def test_a_large_network_run_copies_no_input() -> None:
    """No record holds a copy of X or W1: the steps of the primal sweep hold the very arrays."""
    graph, values = network(64, 200, 20, 10)
    trace = run(graph, values, "reverse", wrt=PARAMETERS)
    by_node = {s.node: s.value for s in trace.primal_steps}
    for name in ("X", "W1"):
        assert by_node[graph.input_index(name) or 0] is values[name]


def test_records_make_no_text() -> None:
    """Formulas and substituted numbers are made when a view asks, never by a run."""
    graph, values = network()

    class Refuse:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("a run rendered a formula")

    original = formulas.FormulaRenderer
    formulas.FormulaRenderer = Refuse  # type: ignore[misc, assignment]
    try:
        run(graph, values, "reverse")
        run(graph, values, "forward", seed={"W1": np.ones((7, 5))})
    finally:
        formulas.FormulaRenderer = original  # type: ignore[misc]
    step = run(graph, values, "reverse").adjoint_sweeps[0].steps[1]
    assert not any(isinstance(v, str) for v in step)


def test_cost_and_memory_are_computed_once_per_graph() -> None:
    graph, values = network()
    first = run(graph, values, "reverse", wrt=PARAMETERS)
    second = run(graph, values, "reverse")
    assert first.cost is second.cost  # the same object: nothing counted again
    assert count_cost(graph, 1) is first.cost
    assert memory_figures(graph) is first.cost.memory  # type: ignore[union-attr]
    evaluated = run(graph, values, "evaluate")
    assert evaluated.cost is not None and evaluated.cost.sweeps == 0
    assert evaluated.cost.memory is memory_figures(graph)
    # a graph made from another starts afresh
    other = dataclasses.replace(graph, rules={})
    assert other.memo == {}
    assert memory_figures(other) == memory_figures(graph)


def test_a_program_with_a_loop_still_counts_each_tape() -> None:
    graph = compile_source("x: real\ns = x\nfor i in range(3):\n    s = s*x\nreturn s").graph
    one = run(graph, {"x": 2.0})
    two = run(graph, {"x": 3.0})
    assert one.cost == two.cost and float(two.gradient()["x"]) == 4 * 27.0


# ------------------------------------------------------------------ all_finite


@pytest.mark.parametrize("size", [1, 2, 7, 63, 64, 65, 1000])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_all_finite_finds_one_bad_entry_anywhere(size: int, bad: float) -> None:
    for position in {0, size // 2, size - 1}:
        x = np.linspace(-1.0, 1.0, size)
        x[position] = bad
        assert not all_finite(x)
        assert not all_finite(x.reshape(1, size))
        assert all_finite(np.delete(x, position))


def test_all_finite_on_scalars_and_other_arrays() -> None:
    assert all_finite(1.0) and all_finite(np.float64(-2.0)) and all_finite(np.array(3.0))
    assert not all_finite(float("nan")) and not all_finite(np.array(np.inf))
    assert all_finite(np.zeros(0)) and all_finite(np.array([1, 2]))
    assert not all_finite(np.array([1.0, np.inf], dtype=np.float32))
    big = np.full(100, 1e200)  # the sum of squares overflows: the exact test decides
    assert all_finite(big)
    big[50] = np.nan
    assert not all_finite(big)
    strided = np.arange(20.0).reshape(4, 5)[:, ::2]
    assert all_finite(strided)
    corner = np.arange(20.0).reshape(4, 5)
    corner[3, 4] = -np.inf
    assert not all_finite(corner.T)


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=9)))
def test_all_finite_is_numpys_isfinite_all(x: np.ndarray) -> None:
    assert all_finite(x) == bool(np.isfinite(x).all())


# ------------------------------------------------------------------ same numbers

RNG = np.random.default_rng(11)


def samples(shape: tuple[int, ...]) -> np.ndarray:
    x = RNG.standard_normal(shape)
    flat = x.reshape(-1)
    if flat.size >= 4:  # the awkward values too: signed zeros, infinities, NaN
        flat[:4] = [0.0, -0.0, np.inf, np.nan]
    return x


def old_unbroadcast(value: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """unbroadcast as it was written before its fast paths."""
    if np.shape(value) == shape:
        return value
    extra = value.ndim - len(shape)
    if extra > 0:
        value = value.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and value.shape[i] != 1)
    if stretched:
        value = value.sum(axis=stretched, keepdims=True)
    return np.asarray(value, dtype=np.float64).reshape(shape)


def bits(a: object, b: object) -> bool:
    x, y = np.asarray(a), np.asarray(b)
    return x.shape == y.shape and x.tobytes() == y.tobytes()


@pytest.mark.parametrize(
    ("big", "small"),
    [
        ((4, 5), (5,)),
        ((4, 5), (1, 5)),
        ((4, 5), (4, 1)),
        ((4, 5), ()),
        ((3,), ()),
        ((2, 3), (2, 3)),
    ],
)
def test_unbroadcast_gives_the_same_bits(big: tuple, small: tuple) -> None:
    value = samples(big)
    new, old = unbroadcast(value, small), old_unbroadcast(value, small)
    assert bits(new, old) and type(new) is type(old)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf - inf, on purpose
@pytest.mark.parametrize(("a", "b"), [((4, 5), (5,)), ((4, 5), (4, 5)), ((), ()), ((3,), ())])
@pytest.mark.parametrize("name", ["add", "sub"])
def test_add_and_sub_pass_the_adjoint_through_with_the_same_bits(
    name: str, a: tuple, b: tuple
) -> None:
    x, y = samples(a), samples(b)
    if x.ndim == 0:
        x, y = np.float64(x), np.float64(y)
    out = PRIMITIVES[name].evaluate(x, y)
    ct = samples(np.shape(out)) if np.ndim(out) else np.float64(0.75)
    slot0 = PRIMITIVES[name].vjp[0]((x, y), out, ct)
    old = old_unbroadcast(np.asarray(1.0 * ct, dtype=np.float64), np.shape(x))
    assert bits(slot0, old)
    slot1 = PRIMITIVES[name].vjp[1]((x, y), out, ct)
    sign = 1.0 if name == "add" else -1.0
    assert bits(slot1, old_unbroadcast(np.asarray(sign * ct, dtype=np.float64), np.shape(y)))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 0^-1 and NaN, on purpose
def test_relu_sum_mean_and_pow_rules_give_the_same_bits() -> None:
    a = samples((6, 7))
    ct = samples((6, 7))
    relu = PRIMITIVES["relu"]
    assert bits(relu.vjp[0]((a,), relu.evaluate(a), ct), _step(a) * ct)
    assert bits(relu.jvp[0]((a,), relu.evaluate(a), ct), _step(a) * ct)
    for name, scale in (("sum", 1.0), ("mean", 1 / a.size)):
        rule = PRIMITIVES[name].vjp[0]
        c = np.float64(-1.25)
        old = np.broadcast_to(c * scale if name == "sum" else c / a.size, a.shape)
        assert bits(rule((a,), np.sum(a), c), old.astype(np.float64))
    power = PRIMITIVES["pow"]
    for exponent in (np.float64(2.0), np.asarray(3.0), np.asarray(0.5), np.float64(0.0)):
        out = power.evaluate(a, exponent)
        new = power.vjp[0]((a, exponent), out, ct)
        partial = np.where(np.asarray(exponent) == 0, 0.0, exponent * np.power(a, exponent - 1.0))
        assert bits(new, partial * ct)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_the_network_gradient_is_the_same_through_every_path(mode: str) -> None:
    """With wrt, without, and checkpointed: one set of numbers."""
    graph, values = network(5, 6, 4, 2)
    reference = run(graph, values, mode).gradient()
    for options in ({"wrt": PARAMETERS}, {"checkpoint": "every=2"} if mode == "reverse" else {}):
        other = run(graph, values, mode, **options).gradient()  # type: ignore[arg-type]
        for name, value in other.items():
            assert bits(value, reference[name]), (options, name)
