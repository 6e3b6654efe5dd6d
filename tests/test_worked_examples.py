"""Golden tests: the worked examples of the reference texts, to the last digit that matters."""

from __future__ import annotations

import numpy as np
import pytest

from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source
from tests.conftest import worked_examples

CASES = worked_examples()


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_value_and_gradient(case: dict, mode: str) -> None:
    graph = compile_source(case["expr"]).graph
    trace = run(graph, case["at"], mode)
    assert float(trace.output_value()) == pytest.approx(case["value"], rel=1e-14, abs=1e-14)
    grad = trace.gradient()
    assert set(grad) == set(case["gradient"])
    for name, expected in case["gradient"].items():
        assert float(grad[name]) == pytest.approx(expected, rel=1e-13, abs=1e-13), name


def test_survey_primal_trace_uses_griewank_numbering() -> None:
    case = next(c for c in CASES if c["id"] == "survey-ln")
    graph = compile_source(case["expr"]).graph
    trace = run(graph, case["at"], "evaluate")
    labels = graph.labels()
    got = {labels[s.node]: float(s.value) for s in trace.primal_steps}
    assert list(got) == list(case["primal_trace"]["values"])
    for label, expected in case["primal_trace"]["values"].items():
        assert got[label] == pytest.approx(expected, rel=1e-15), label


def test_survey_forward_tangent_wrt_x1() -> None:
    case = next(c for c in CASES if c["id"] == "survey-ln")
    graph = compile_source(case["expr"]).graph
    trace = run(graph, case["at"], "forward", seed={"x1": np.array(1.0)})
    assert float(trace.output_tangents()[0]) == pytest.approx(case["forward_tangent_wrt_x1"])


def test_survey_adjoint_of_x1_accumulates_two_contributions() -> None:
    """x1 fans out to ln(x1) and x1*x2, so its adjoint is the sum of two steps: 5 + 0.5."""
    graph = compile_source("ln(x1) + x1*x2 - sin(x2)").graph
    trace = run(graph, {"x1": 2, "x2": 5}, "reverse")
    steps = [s for s in trace.adjoint_sweeps[0].steps if s.node == 0]
    assert [float(s.contribution) for s in steps] == [5.0, 0.5]
    assert [float(s.total) for s in steps] == [5.0, 5.5]


def test_gauss_loglik_has_nine_entries_with_the_half_folded_in() -> None:
    """As in the text, -1/2 is one multiplication, so the list is w1..w9.

    adx numbers by level, so log(sigma), which needs only an input, comes
    right after y - mu (the text lists it later; both orders are valid).
    """
    graph = compile_source("-1/2*((y - mu)/sigma)^2 - log(sigma)").graph
    ops = [n.op for n in graph.nodes if not n.is_const]
    assert ops == ["input", "input", "input", "sub", "log", "div", "pow", "mul", "sub"]
    labels = [graph.labels("wengert")[n.index] for n in graph.nodes if not n.is_const]
    assert labels == [f"w{i}" for i in range(1, 10)]
    trace = run(graph, {"y": 1, "mu": 0, "sigma": 1}, "forward", seed={"mu": np.array(1.0)})
    tangents = [float(s.value) for s in trace.tangent_sweeps[0].steps]
    # the text's dual list at (1, 0, 1) is 0, 1, 0, -1, -1, -2, 1, 0, 1 with log last
    assert tangents == [0, 1, 0, -1, 0, -1, -2, 1, 1]
