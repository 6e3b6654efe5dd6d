"""The nested adjoint sweep (engine) and the text of its steps (nested_formulas)."""

from __future__ import annotations

import numpy as np
import pytest

from adexplorer.core.engines import NestedAdjointStep, evaluate, forward, nested_reverse
from adexplorer.core.engines.reverse import active_nodes, reverse
from adexplorer.core.nested_formulas import (
    NestedFormulaRenderer,
    barred_dotted,
    nested_trace_lines,
)
from adexplorer.core.second_order import run_second_order
from adexplorer.lang.lower import compile_source

WORKED = "ln(x1) + x1*x2 - sin(x2)"


def _sweep_inputs(source: str, at: dict, u: dict):  # type: ignore[no-untyped-def]
    graph = compile_source(source).graph
    ordered = [np.asarray(at[name], dtype=np.float64) for name in graph.input_names]
    values = [None] * len(graph.nodes)
    for node in graph.nodes:
        if node.is_const:
            values[node.index] = node.value
    for step in evaluate(graph, ordered):
        values[step.node] = step.value
    seed = {graph.input_index(k): np.asarray(v, dtype=np.float64) for k, v in u.items()}
    tangents = [None] * len(graph.nodes)
    for step in forward(graph, values, seed):
        tangents[step.node] = step.value
    return graph, values, tangents


# -- the engine ---------------------------------------------------------------------


def test_nested_steps_carry_the_first_order_steps_unchanged() -> None:
    graph, values, tangents = _sweep_inputs(WORKED, {"x1": 2.0, "x2": 5.0}, {"x1": 1.0})
    out = graph.outputs[0]
    nested = list(nested_reverse(graph, values, tangents, {out: 1.0}))
    plain = list(reverse(graph, values, {out: 1.0}))
    assert all(isinstance(s, NestedAdjointStep) for s in nested)
    assert [tuple(s[:5]) for s in nested] == [tuple(s) for s in plain]
    seed = nested[0]
    assert seed.source is None and float(seed.contribution_dot) == 0.0


def test_a_moving_cotangent_adds_its_vector_jacobian_product() -> None:
    """Seeded with ȳ̇ = s, the inputs' v̄̇ are H·u + s·∇f (the sweep is linear in ȳ̇)."""
    graph, values, tangents = _sweep_inputs(WORKED, {"x1": 2.0, "x2": 5.0}, {"x2": 1.0})
    out = graph.outputs[0]
    still = {s.node: s.total_dot for s in nested_reverse(graph, values, tangents, {out: 1.0})}
    moving = list(nested_reverse(graph, values, tangents, {out: 1.0}, {out: 3.0}))
    totals = {s.node: (s.total, s.total_dot) for s in moving}
    for i in graph.inputs:
        gradient, dot = totals[i]
        assert float(dot) == pytest.approx(float(still[i]) + 3.0 * float(gradient), rel=1e-15)


def test_inactive_nodes_get_no_nested_steps() -> None:
    graph, values, tangents = _sweep_inputs("a*b + sin(b)", {"a": 1.0, "b": 2.0}, {"b": 1.0})
    active = active_nodes(graph, [graph.input_index("a")])
    steps = list(nested_reverse(graph, values, tangents, {graph.outputs[0]: 1.0}, None, active))
    b = graph.input_index("b")
    assert all(s.node != b for s in steps)
    a_total = [s for s in steps if s.node == graph.input_index("a")][-1]
    # ∂²f/∂a∂b·u_b = 1: the tangent of b enters a's adjoint although b is inactive
    assert float(a_total.total_dot) == 1.0


# -- the text ---------------------------------------------------------------------------


def test_the_worked_example_reads_step_by_step() -> None:
    trace = run_second_order(
        compile_source(WORKED).graph, {"x1": 2.0, "x2": 5.0}, direction={"x1": 1.0, "x2": 0.0}
    )
    lines = nested_trace_lines(trace)
    assert lines[0] == "nested sweep 1 of 1: u = (x1: 1, x2: 0)"
    for expected in [
        "  v̇1 = v̇-1/v-1 = 1/2 = 0.5",
        "  v̇2 = v̇-1·v0 + v-1·v̇0 = 1·5 + 2·0 = 5",
        "  v̄5 = 1",
        "  v̄̇5 = 0",
        "  v̄0 += v̄3·cos(v0) = (-1)·cos(5) = -0.283662",
        "  v̄̇0 += v̄̇3·cos(v0) - v̄3·sin(v0)·v̇0 = 0·cos(5) - (-1)·sin(5)·0 = 0",
        "  v̄̇-1 += v̄̇2·v0 + v̄2·v̇0 = 0·5 + 1·0 = 0",
        "  v̄̇0 += v̄̇2·v-1 + v̄2·v̇-1 = 0·2 + 1·1 = 1",
        "  v̄̇-1 += v̄̇1/v-1 - v̄1·v̇-1/v-1^2 = 0/2 - 1·1/2^2 = -0.25",
        "gradient: x1 = 5.5, x2 = 1.71634",
        "H·u: x1 = -0.25, x2 = 1",
    ]:
        assert expected in lines, expected


def test_hessian_sweeps_are_named_by_their_unit_direction() -> None:
    trace = run_second_order(compile_source(WORKED).graph, {"x1": 2.0, "x2": 5.0})
    lines = nested_trace_lines(trace, 1)
    assert lines[0] == "nested sweep 2 of 2: e_x2 = (x1: 0, x2: 1)"
    assert lines[-1] == "H·e_x2 (column 2 of H): x1 = 1, x2 = -0.958924"


def test_tensor_steps_show_bilinear_and_broadcast_rules() -> None:
    source = "A: mat[2,2]\nx: vec[2]\nb: real\nreturn sum(sin(A @ x) * b)"
    graph = compile_source(source).graph
    at = {"A": [[1.0, 2.0], [3.0, 4.0]], "x": [0.5, -1.0], "b": 2.0}
    trace = run_second_order(graph, at, direction={"A": np.eye(2), "x": [1.0, 1.0], "b": 1.0})
    renderer = NestedFormulaRenderer(trace)
    sweep = trace.sweeps[0]
    texts = [renderer.adjoint_dot(step, sweep).text() for step in sweep.steps]
    assert any(t.startswith("v̄̇-2 += v̄̇1 @ v-1ᵀ + v̄1 @ v̇-1ᵀ = ") for t in texts), texts
    assert any(t.startswith("v̄̇-1 += v-2ᵀ @ v̄̇1 + v̇-2ᵀ @ v̄1 = ") for t in texts), texts
    # b was broadcast over the vector: its adjoint and adjoint tangent sum the copies
    assert any(t.startswith("v̄̇0 += Σ(v̄̇3·v2 + v̄3·v̇2) = ") for t in texts), texts
    # each text's result is the step's number
    labels = graph.labels()
    last = sweep.steps[-1]
    formula = renderer.adjoint_dot(last, sweep)
    assert formula.target == barred_dotted(labels[last.node])


def test_the_dual_view_of_an_adjoint_step() -> None:
    trace = run_second_order(
        compile_source(WORKED).graph, {"x1": 2.0, "x2": 5.0}, direction={"x1": 1.0}
    )
    renderer = NestedFormulaRenderer(trace)
    sweep = trace.sweeps[0]
    assert (
        renderer.adjoint_dual(sweep.steps[-1]).text() == "v̄-1 + v̄̇-1ε += 0.5 − 0.25ε = 5.5 − 0.25ε"
    )
    assert renderer.adjoint_dual(sweep.steps[0]).text() == "v̄5 + v̄̇5ε = 1 + 0ε"
    assert barred_dotted("v3") == "v\u0304\u03073"


def test_a_renderer_from_a_graph_needs_its_values() -> None:
    graph = compile_source(WORKED).graph
    with pytest.raises(ValueError, match="values"):
        NestedFormulaRenderer(graph)


def test_the_second_order_page_shows_what_the_engine_prints() -> None:
    from pathlib import Path

    page = (Path(__file__).parent.parent / "docs" / "second-order.md").read_text("utf-8")
    example = page[page.index("## Worked example") :]
    block = example.split("```\n")[1].rstrip("\n")
    trace = run_second_order(
        compile_source(WORKED).graph, {"x1": 2.0, "x2": 5.0}, direction={"x1": 1.0, "x2": 0.0}
    )
    assert block == "\n".join(nested_trace_lines(trace))
    hessian = run_second_order(compile_source(WORKED).graph, {"x1": 2.0, "x2": 5.0}).cost
    figures = (
        f"{hessian.hessian_nested.total} operations by nested sweeps,\n"
        f"{hessian.hessian_central.total} by central and {hessian.hessian_forward.total} by "
        "forward differences"
    )
    assert figures in page
