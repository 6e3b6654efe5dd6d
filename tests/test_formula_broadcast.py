"""Adjoint rules of broadcast arguments say that the copies are summed back."""

from __future__ import annotations


def test_a_broadcast_arguments_adjoint_shows_the_sum_over_the_copies() -> None:
    """b̄ = Σrows Z̄ for a bias added to every row; Σ for a scalar spread over a vector;
    a reduction (sum) keeps its own rule."""
    from adexplorer.core.formulas import FormulaRenderer
    from adexplorer.core.trace import run
    from adexplorer.lang.lower import compile_source

    graph = compile_source(
        "X: mat[2,3] = 1\nb: vec[3] = 0.5\nc: real = 2\nreturn sum(c*(X + b))"
    ).graph
    trace = run(graph, {}, "reverse")
    sweep = trace.adjoint_sweeps[0]
    renderer = FormulaRenderer(trace.graph, trace.values, digits=6)
    rules = {}
    for step in sweep.steps:
        if step.source is not None:
            formula = renderer.adjoint(step, sweep.adjoints)
            rules[(trace.graph.nodes[step.node].name, trace.graph.nodes[step.source].op)] = (
                formula.rule
            )
    assert rules[("b", "add")].startswith("Σrows(")
    assert rules[("c", "mul")].startswith("Σ(")
    assert not any(rule.startswith("Σ") for (name, op), rule in rules.items() if op == "sum")
