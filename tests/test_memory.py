"""The memory model of evaluate, forward and reverse mode, against hand counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from adexplorer.core.checkpoint import CheckpointSpec, binomial_schedule, timeline
from adexplorer.core.memory import (
    ENTRY_BYTES,
    adjoint_peak,
    evaluate_peak,
    last_uses,
    live_entries,
    memory_figures,
    tape_entries,
)
from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source


def graph_of(source: str):  # type: ignore[no-untyped-def]
    return compile_source(source).graph


def chain(length: int, inner: str = "x") -> str:
    return "sin(" * length + inner + ")" * length


def test_survey_example_counted_by_hand() -> None:
    # v1 = ln x1, v2 = x1*x2, v3 = sin x2, v4 = v1 + v2, v5 = v4 - v3
    graph = graph_of("ln(x1) + x1*x2 - sin(x2)")
    assert [graph.nodes[i].op for i in graph.op_nodes] == ["log", "mul", "sin", "add", "sub"]
    # L(0) = {x1, x2}; L(1) = {x1, x2, v1}; x1 is last read by v2, x2 by v3, …
    assert live_entries(graph) == [2, 3, 3, 3, 2, 1]
    # during v2: x1, x2, v1 and v2 (4); during v3: x2, v1, v2, v3 (4)
    assert evaluate_peak(graph) == 4
    assert tape_entries(graph) == 7  # x1, x2, v1 … v5
    # adjoints: {v̄5} → {v̄4, v̄3} → {v̄3, v̄1, v̄2} → {v̄1, v̄2, x̄2} → {v̄1, x̄2, x̄1} → …
    assert adjoint_peak(graph, graph.outputs[0]) == 4
    figures = memory_figures(graph)
    assert (figures.evaluate.stored_values, figures.evaluate.peak_entries) == (4, 4)
    assert (figures.forward.stored_values, figures.forward.derivatives) == (4, 4)
    assert figures.forward.peak_entries == 8
    assert (figures.reverse.stored_values, figures.reverse.derivatives) == (7, 4)
    assert figures.reverse.peak_entries == 11
    assert figures.reverse.peak_bytes == 11 * ENTRY_BYTES == 88


def test_constants_are_not_counted() -> None:
    with_constants = memory_figures(graph_of("2*x + 3"))
    # x, v1 = 2*x, v2 = v1 + 3: the constants 2 and 3 are part of the program
    assert with_constants.reverse.stored_values == 3
    assert with_constants.evaluate.peak_entries == 2  # x and v1, then v1 and v2


def test_an_unused_input_is_held_at_the_start_only() -> None:
    graph = compile_source("sin(x)", extra_inputs=["y"]).graph
    assert live_entries(graph)[0] == 2  # x and y are given
    assert live_entries(graph)[1] == 1  # after step 1 only sin(x), the output
    assert last_uses(graph)[graph.input_index("y") or 0] == 1
    assert memory_figures(graph).reverse.stored_values == 3  # the tape keeps y as well


@pytest.mark.parametrize("length", [1, 2, 10, 100, 1000])
def test_chain_reverse_grows_linearly_forward_stays_constant(length: int) -> None:
    figures = memory_figures(graph_of(chain(length)))
    assert figures.evaluate.peak_entries == 2  # the value and the next one
    assert figures.forward.peak_entries == 4
    assert figures.reverse.stored_values == length + 1  # x and every sin
    assert figures.reverse.derivatives == 2
    assert figures.reverse.peak_entries == length + 3


def test_tensor_entries_and_bytes() -> None:
    graph = graph_of("W: mat[2,3]\nv: vec[3]\nreturn sum(sigmoid(W@v))")
    figures = memory_figures(graph)
    # W (6), v (3), W@v (2), sigmoid (2), sum (1)
    assert figures.reverse.stored_values == 14
    assert figures.reverse.stored_bytes == 14 * 8
    # during W@v: W, v and the product (11)
    assert figures.evaluate.peak_entries == 11
    # adjoints: s̄ (1) → sigmoid̄ (2) → (W@v)̄ (2) → W̄ (6) + v̄ (3) with (W@v)̄ still alive
    assert figures.reverse.derivatives == 2 + 6 + 3
    assert figures.reverse.peak_entries == 14 + 11


def test_jacobian_takes_the_largest_sweep() -> None:
    graph = graph_of("x: real\ny: real\na = sin(x)\nb = sin(y)*x*y\nreturn a, b")
    peaks = [adjoint_peak(graph, o) for o in graph.outputs]
    assert memory_figures(graph).reverse.derivatives == max(peaks)
    assert peaks[0] < peaks[1]


def test_program_without_operations() -> None:
    figures = memory_figures(graph_of("x"))
    assert figures.evaluate.peak_entries == 1
    assert figures.reverse.peak_entries == 2  # x and its adjoint


def test_every_trace_carries_the_figures() -> None:
    graph = graph_of("ln(x1) + x1*x2 - sin(x2)")
    for mode in ("evaluate", "forward", "reverse"):
        trace = run(graph, {"x1": 2, "x2": 5}, mode)
        assert trace.cost is not None and trace.cost.memory == memory_figures(graph)
        assert trace.checkpoint is None


@pytest.mark.parametrize("length", [1, 7, 40])
def test_a_schedule_that_tapes_everything_measures_the_model(length: int) -> None:
    """The checkpointed sweep measures memory by the same rules as the model: with
    every=K ≥ l it is plain reverse mode, and measures exactly the model's peak."""
    for source in (chain(length), f"x*{chain(length)} + exp(x)"):
        graph = graph_of(source)
        trace = run(graph, {"x": 0.3}, checkpoint=CheckpointSpec("every", length + 5))
        assert trace.checkpoint is not None
        assert trace.checkpoint.peak_entries == memory_figures(graph).reverse.peak_entries
        assert trace.checkpoint.schedule.recomputed == 0


def test_binomial_checkpointing_stores_less_on_a_long_chain() -> None:
    graph = graph_of(chain(200))
    trace = run(graph, {"x": 0.3}, checkpoint="snapshots=4")
    assert trace.checkpoint is not None
    # 4 snapshots of one entry, the value and the next (tape of one step), 2 adjoints
    assert trace.checkpoint.snapshot_entries_peak == 4
    assert trace.checkpoint.peak_entries <= 4 + 2 + 2 + 1
    assert trace.checkpoint.plain_peak_entries == 203


def test_the_numbers_in_docs_memory_md() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "memory.md").read_text()
    flat = " ".join(doc.split())
    graph = graph_of(chain(2000))
    plain = memory_figures(graph).reverse.peak_entries
    snapshots = run(graph, {"x": 0.5}, checkpoint="snapshots=4").checkpoint
    every = run(graph, {"x": 0.5}, checkpoint="every=44").checkpoint
    assert snapshots is not None and every is not None
    assert (
        f"`snapshots=4` holds at most {snapshots.peak_entries} entries against plain reverse "
        f"mode's {plain:,}, and recomputes {snapshots.schedule.recomputed:,} steps "
        f"(`every=44`: {every.peak_entries} entries, {every.schedule.recomputed:,} steps)"
    ) in flat
    assert "\n".join(timeline(binomial_schedule(6, 2))) in doc
    survey = memory_figures(graph_of("ln(x1) + x1*x2 - sin(x2)"))
    assert f"forward mode {survey.forward.peak_entries} entries" in flat
    assert f"reverse mode tapes {survey.reverse.stored_values} values" in flat
    assert f"{survey.reverse.peak_entries} entries, {survey.reverse.peak_bytes} bytes" in flat
