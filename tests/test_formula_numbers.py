"""A formula's numbers have the shape of its rule: a name whose value is 1 or 0 is still
written (``v̄1·v-1`` at v-1 = 1 reads ``1·1``), and ``v-1/v0^2`` with v-1 = 1 is not
read as a reciprocal."""

from __future__ import annotations

from adexplorer.core.formulas import FormulaRenderer
from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source


def _adjoint_formulas(source: str, at: dict[str, float]) -> list[tuple[str, str]]:
    graph = compile_source(source).graph
    trace = run(graph, at, "reverse")
    render = FormulaRenderer(trace.graph, trace.values)
    sweep = trace.adjoint_sweeps[0]
    return [
        (f.rule, f.numbers)
        for f in (render.adjoint(step, sweep.adjoints) for step in sweep.steps)
        if f.accumulate
    ]


def test_a_factor_of_one_is_written_where_the_rule_names_it() -> None:
    formulas = _adjoint_formulas("x*y + x/y", {"x": 1.0, "y": 1.0})
    assert ("v̄1·v0", "1·1") in formulas and ("v̄1·v-1", "1·1") in formulas
    assert ("-v̄2·v-1/v0^2", "-1·1/1^2") in formulas
    assert ("v̄2/v0", "1/1") in formulas
    assert ("v̄3", "1") in formulas  # a sum's partial is 1 whatever the values: not written


def test_a_tangent_factor_of_one_is_written_too() -> None:
    graph = compile_source("exp(x)*y").graph
    trace = run(graph, {"x": 0.0, "y": 2.0}, "forward", {"x": 1.0})
    render = FormulaRenderer(trace.graph, trace.values)
    sweep = trace.tangent_sweeps[0]
    formulas = [render.tangent(step, sweep.tangents) for step in sweep.steps]
    assert any(f.rule == "v1·v̇-1" and f.numbers == "1·1" for f in formulas), formulas
