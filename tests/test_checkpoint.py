"""Checkpointing: schedules against the binomial optimum and a brute force, and
checkpointed sweeps against plain reverse mode, bit for bit."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adexplorer.base.errors import AdxError
from adexplorer.core.checkpoint import (
    CheckpointSpec,
    action_passes,
    beta,
    binomial_schedule,
    describe,
    every_schedule,
    optimal_advances,
    parse_checkpoint,
    planned_evaluations,
    repetitions,
    timeline,
    validate,
)
from adexplorer.core.engines.steps import AdjointStep, PrimalStep, RecomputeStep, SnapshotStep
from adexplorer.core.ir import Graph
from adexplorer.core.primitives import PRIMITIVES
from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source
from adexplorer.lessons.answers import prepare
from adexplorer.lessons.catalog import builtin
from tests.test_properties import expressions, points
from tests.test_scale import hundred_thousand_operation_program

# ------------------------------------------------------------------ the optimum


@functools.cache
def brute_force(steps: int, snapshots: int) -> int:
    """The fewest advances to reverse ``steps`` steps from a snapshot of state 0,
    holding at most ``snapshots`` snapshots (state 0's included), by trying every
    first split: advance j steps, store state j (if a snapshot is free), reverse
    the right part with one snapshot fewer, restore state 0, reverse the left part.
    Without a free snapshot, advance to l-1, reverse step l, restore, repeat.
    Counted: advances only; each step is evaluated once more, taped, when reversed."""
    if steps <= 1:
        return 0
    best = (steps - 1) + brute_force(steps - 1, snapshots)
    if snapshots >= 2:
        for j in range(1, steps):
            best = min(best, j + brute_force(steps - j, snapshots - 1) + brute_force(j, snapshots))
    return best


def formula(steps: int, snapshots: int) -> int:
    """t·l − β(s+1, t−1) with β(s, t−1) < l ≤ β(s, t), written out independently."""
    if steps <= 1:
        return 0
    t = next(t for t in range(steps + 1) if math.comb(snapshots + t, snapshots) >= steps)
    return t * steps - math.comb(snapshots + t, snapshots + 1)


PAIRS = [(steps, s) for steps in range(1, 61) for s in range(1, 8)]


@pytest.mark.parametrize(("steps", "snapshots"), PAIRS)
def test_formula_schedule_and_brute_force_agree(steps: int, snapshots: int) -> None:
    schedule = binomial_schedule(steps, snapshots)
    validate(schedule)
    assert schedule.snapshots_peak <= snapshots
    assert schedule.advances == brute_force(steps, snapshots) == formula(steps, snapshots)
    assert schedule.advances == optimal_advances(steps, snapshots) == schedule.optimum
    # every step is taped exactly once, just before it is reversed
    assert schedule.recomputed == schedule.advances


def test_known_values() -> None:
    # one snapshot: l(l-1)/2; enough snapshots: l-1 (each state stored once, each step
    # evaluated again when taped); β(3, 3) = 20 steps with 3 snapshots and t = 3
    assert optimal_advances(10, 1) == 45
    assert optimal_advances(10, 9) == 9
    assert repetitions(20, 3) == 3 and beta(3, 3) == 20
    assert optimal_advances(20, 3) == 3 * 20 - beta(4, 2) == 45
    assert optimal_advances(1000, 4) == binomial_schedule(1000, 4).advances


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 400), st.integers(1, 12))
def test_random_binomial_schedules_are_valid_and_optimal(steps: int, snapshots: int) -> None:
    schedule = binomial_schedule(steps, snapshots)
    validate(schedule)  # each step from the state before it, reversed once, in order
    assert schedule.snapshots_peak <= snapshots
    reversed_steps = [a.step for a in schedule.actions if a.kind == "reverse"]
    assert reversed_steps == list(range(steps, 0, -1))
    assert schedule.advances == formula(steps, snapshots)
    if steps <= 150:
        assert schedule.advances == brute_force(steps, snapshots)
    spec = CheckpointSpec("snapshots", snapshots)
    assert schedule.evaluations == planned_evaluations(spec, steps)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 300), st.integers(1, 40))
def test_random_every_schedules(steps: int, every: int) -> None:
    schedule = every_schedule(steps, every)
    validate(schedule)
    last_segment = (steps - 1) // every * every
    assert schedule.recomputed == last_segment
    assert schedule.snapshots_peak == last_segment // every
    assert schedule.evaluations == planned_evaluations(CheckpointSpec("every", every), steps)


def test_every_schedule_in_words() -> None:
    assert describe(every_schedule(5, 2).actions) == (
        "snapshot 0, advance 1, advance 2, snapshot 2, advance 3, advance 4, tape 5, "
        "reverse 5, restore 2, drop 2, tape 3, tape 4, reverse 4, reverse 3, "
        "restore 0, drop 0, tape 1, tape 2, reverse 2, reverse 1"
    )


def test_validate_catches_broken_schedules() -> None:
    good = binomial_schedule(6, 2)
    broken = [
        good.actions[:-1],  # step 1 never reversed
        tuple(a for a in good.actions if a.kind != "restore"),
        tuple(a for a in good.actions if a.kind != "snapshot"),
    ]
    for actions in broken:
        with pytest.raises(ValueError):
            validate(type(good)(good.spec, good.steps, actions))
    too_many = binomial_schedule(20, 4)
    with pytest.raises(ValueError, match="more than 3 snapshots"):
        validate(type(too_many)(CheckpointSpec("snapshots", 3), 20, too_many.actions))


# ------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("every=0", "at least 1"),
        ("snapshots=0", "at least 1"),
        ("snapshots=x", "not a whole number"),
        ("every=-2", "must be at least 1"),
        ("every=1.5", "not a whole number"),
        ("often=3", "unknown checkpointing schedule"),
        ("every", "no '='"),
        ("", "no '='"),
    ],
)
def test_bad_specs_say_what_is_valid(text: str, message: str) -> None:
    with pytest.raises(AdxError, match=message) as caught:
        parse_checkpoint(text)
    assert "every=K" in (caught.value.hint or "")


def test_good_specs() -> None:
    assert parse_checkpoint(" Every = 3 ") == CheckpointSpec("every", 3)
    assert str(parse_checkpoint("snapshots=12")) == "snapshots=12"


# ------------------------------------------------------------------ bit for bit


def chain(length: int) -> str:
    return "sin(" * length + "x" + ")" * length


def shortened(program: str, lines: int) -> str:
    """The first lines of a long program, returning the last value they assign."""
    kept = program.splitlines()[:lines]
    return "\n".join([*kept, "return " + kept[-1].split("=")[0].strip()])


def corpus() -> list[tuple[str, Graph, dict[str, object]]]:
    """Every program of the built-in lessons at its point, and programs of the tests:
    the survey example, fan-out, tensors, a Jacobian, long chains, about 2,000 operations."""
    cases: list[tuple[str, Graph, dict[str, object]]] = []
    seen: set[str] = set()
    for lesson in builtin():
        for step in lesson.steps:
            if step.explore is None or step.explore.program in seen:
                continue
            seen.add(step.explore.program)
            setup = prepare(step.explore)
            cases.append((f"{lesson.id}:{step.line}", setup.graph, dict(setup.values)))
    programs = [
        ("ln(x1) + x1*x2 - sin(x2)", {"x1": 2, "x2": 5}),
        ("x*x*x + exp(x)/x", {"x": 0.7}),
        ("sqrt(x) + abs(y) + relu(y)", {"x": 0.0, "y": -1.0}),
        ("W: mat[2,3]\nv: vec[3]\nreturn sum(sigmoid(W@v))", {"W": [[1, 2, 3], [-1, 0.5, 2]]}),
        ("v: vec[3]\nreturn v*sin(v) + 2", {"v": [0.1, 0.2, 0.3]}),
        ("x: real\ny: real\na = sin(x)*y\nb = exp(x - y)\nreturn a, b", {"x": 0.3, "y": 1.2}),
        (chain(60), {"x": 0.5}),
        (chain(300), {"x": 1.5}),
        ("x", {"x": 2.0}),
        (shortened(hundred_thousand_operation_program(), 800), {}),
    ]
    for source, values in programs:
        lowered = compile_source(source)
        graph = lowered.graph
        if "v" in [graph.nodes[i].name for i in graph.inputs] and "v" not in values:
            values = {**values, "v": [0.5, -1.0, 2.0]}
        cases.append((source[:30], graph, values))
    return cases


CORPUS = corpus()
SPECS = ["every=1", "every=3", "every=7", "snapshots=1", "snapshots=2", "snapshots=5"]


@pytest.mark.parametrize(("name", "graph", "values"), CORPUS, ids=[c[0] for c in CORPUS])
def test_gradients_bit_for_bit_equal_to_plain_reverse(
    name: str, graph: Graph, values: dict[str, object]
) -> None:
    plain = run(graph, values, "reverse")  # type: ignore[arg-type]
    steps = len(graph.op_nodes)
    for spec in SPECS:
        if spec == "snapshots=1" and steps > 400:
            continue  # quadratic: 2,000 steps would be 2,000,000 evaluations
        trace = run(graph, values, "reverse", checkpoint=spec)  # type: ignore[arg-type]
        for k in range(len(graph.outputs)):
            for input_name, expected in plain.jacobian(k).items():
                got = trace.jacobian(k)[input_name]
                assert np.array_equal(got, expected, equal_nan=True), (name, spec, input_name)
        # the adjoint steps themselves: same nodes, same contributions, same order
        for a, b in zip(plain.adjoint_sweeps, trace.adjoint_sweeps, strict=True):
            assert len(a.steps) == len(b.steps)
            for x, y in zip(a.steps, b.steps, strict=True):
                assert (x.node, x.source, x.slot) == (y.node, y.source, y.slot)
                assert np.array_equal(x.total, y.total, equal_nan=True)


def test_recompute_steps_are_present_marked_and_in_order() -> None:
    graph = compile_source(chain(6)).graph
    trace = run(graph, {"x": 1.0}, checkpoint="snapshots=2")
    assert trace.checkpoint is not None
    record = trace.checkpoint.steps[0]
    kinds = [type(s).__name__ for s in record]
    recomputed = [s for s in record if isinstance(s, RecomputeStep)]
    assert len(recomputed) == trace.checkpoint.schedule.recomputed == optimal_advances(6, 2) + 0
    # first evaluations are primal steps, one per operation; recomputations repeat a value
    firsts = [s for s in record if isinstance(s, PrimalStep)]
    assert [s.node for s in firsts] == list(graph.op_nodes)
    for step in recomputed:
        assert np.array_equal(step.value, trace.values[step.node])
    # interleaved: a recomputation comes after the first adjoint step, and an adjoint
    # step after the last recomputation
    first_adjoint = kinds.index("AdjointStep")
    assert any(isinstance(s, RecomputeStep) for s in record[first_adjoint:])
    last_recompute = max(i for i, s in enumerate(record) if isinstance(s, RecomputeStep))
    assert any(isinstance(s, AdjointStep) for s in record[last_recompute:])
    # the taped ones are the evaluations just before each reversal
    assert any(s.taped for s in recomputed) and any(not s.taped for s in recomputed)
    snapshots = [s for s in record if isinstance(s, SnapshotStep)]
    assert {s.action for s in snapshots} == {"store", "restore", "drop"}


def test_every_sweep_of_a_jacobian_follows_the_schedule() -> None:
    graph = compile_source("v: vec[3]\nreturn sin(v)*v").graph
    trace = run(graph, {"v": [0.1, 0.2, 0.3]}, checkpoint="every=1")
    assert trace.checkpoint is not None
    assert len(trace.checkpoint.steps) == len(trace.adjoint_sweeps) == 3


def test_checkpoint_needs_reverse_mode() -> None:
    graph = compile_source("sin(x)").graph
    for mode in ("forward", "evaluate"):
        with pytest.raises(AdxError, match="reverse mode"):
            run(graph, {"x": 1}, mode, checkpoint="every=2")


def test_a_quadratic_schedule_is_refused_before_it_runs() -> None:
    graph = compile_source(chain(8000)).graph
    with pytest.raises(AdxError, match="more snapshots") as caught:
        run(graph, {"x": 1}, checkpoint="snapshots=1")
    assert "ADX_MAX_TRACE_ENTRIES" in (caught.value.hint or "")


# ------------------------------------------------------------------ the timeline


def test_timeline_one_row_per_pass() -> None:
    schedule = every_schedule(10, 3)
    rows = timeline(schedule)
    passes = action_passes(schedule)
    assert passes[0] == 0 and max(passes) == 3 == len(rows[1:5]) - 1
    assert [a.kind for a, p in zip(schedule.actions, passes, strict=True) if p == 1][:2] == [
        "restore",
        "drop",
    ]
    assert rows[1:5] == [
        "     1 │S--S--S---←",
        "     2 │      R←←←",
        "     3 │   R←←←",
        "     4 │R←←←",
    ]
    rows = timeline(binomial_schedule(3, 1))
    assert rows[1:4] == ["     1 │S--←", "     2 │R→←", "     3 │R←"]


def test_timeline_of_a_program_without_operations() -> None:
    assert timeline(binomial_schedule(0, 2)) == [
        "  no operations: nothing to store or recompute, the seed is the whole sweep"
    ]


@pytest.mark.parametrize("steps", [10, 100, 10_000])
def test_timeline_stays_within_80_columns_and_a_screen(steps: int) -> None:
    for schedule in (binomial_schedule(steps, 3), every_schedule(steps, 7)):
        rows = timeline(schedule)
        assert len(rows) <= 22
        assert max(len(r) for r in rows) <= 80


@settings(max_examples=60, deadline=None)
@given(
    expressions,
    points,
    st.sampled_from(["every=1", "every=2", "every=5", "snapshots=1", "snapshots=2", "snapshots=3"]),
)
def test_random_programs_bit_for_bit(source: str, point: dict[str, float], spec: str) -> None:
    graph = compile_source(source).graph
    values = {name: point[name] for name in graph.input_names}
    plain = run(graph, values, "reverse")
    trace = run(graph, values, "reverse", checkpoint=spec)
    for name, expected in plain.gradient().items():
        assert np.array_equal(trace.gradient()[name], expected, equal_nan=True)
    assert trace.checkpoint is not None
    validate(trace.checkpoint.schedule)


def test_operations_count_the_recomputations() -> None:
    graph = compile_source(chain(30)).graph
    plain = run(graph, {"x": 1.0})
    assert plain.cost is not None
    sin_primal = PRIMITIVES["sin"].cost(((),), (), (True,)).primal
    for spec in ("every=4", "snapshots=3", "every=100"):
        trace = run(graph, {"x": 1.0}, checkpoint=spec)
        checkpoint = trace.checkpoint
        assert checkpoint is not None
        assert checkpoint.plain_operations == plain.cost.primal + plain.cost.adjoint
        extra = sin_primal.scaled(checkpoint.schedule.recomputed)
        assert checkpoint.operations == checkpoint.plain_operations + extra
