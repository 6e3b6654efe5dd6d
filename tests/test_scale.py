"""No recursion on the size of the input: deep nesting and long programs work."""

from __future__ import annotations

import numpy as np
import pytest

from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source
from adexplorer.lang.printer import format_program


def test_ten_thousand_deep_nested_expression() -> None:
    depth = 10_000
    expr = "sin(" * depth + "x" + ")" * depth
    graph = compile_source(expr).graph
    assert len(graph.op_nodes) == depth
    trace = run(graph, {"x": 0.5}, "reverse")
    value, derivative = 0.5, 1.0
    for _ in range(depth):
        derivative *= np.cos(value)
        value = np.sin(value)
    assert float(trace.output_value()) == pytest.approx(value)
    assert float(trace.gradient()["x"]) == pytest.approx(derivative)
    forward = run(graph, {"x": 0.5}, "forward")
    assert float(forward.gradient()["x"]) == pytest.approx(derivative)


def test_ten_thousand_deep_parentheses_and_powers() -> None:
    depth = 10_000
    graph = compile_source("(" * depth + "x" + ")" * depth + "^2").graph
    assert float(run(graph, {"x": 3}, "reverse").gradient()["x"]) == 6.0
    chain = "x" + "^1" * 5_000  # right-associative: x^(1^(1^…))
    assert float(run(compile_source(chain).graph, {"x": 2}, "evaluate").output_value()) == 2.0


def test_ten_thousand_term_sum() -> None:
    terms = 10_000
    expr = " + ".join(f"{k % 7 + 1}*x{k % 10}" for k in range(terms))
    graph = compile_source(expr).graph
    at = {f"x{j}": float(j) for j in range(10)}
    grad = run(graph, at, "reverse").gradient()
    for j in range(10):
        expected = sum(k % 7 + 1 for k in range(terms) if k % 10 == j)
        assert float(grad[f"x{j}"]) == expected


def hundred_thousand_operation_program() -> str:
    """40,000 lines of 2.5 operations each on average: exactly 100,000 operations."""
    lines = ["x: real = 0.3", "y: real = 0.7", "a0 = x * y + 1 + y"]
    templates = (
        "a{p} * 0.999 + sin(x)",
        "a{p} - 0.5 * y",
        "tanh(a{p}) * y",
        "a{p} + x * 0.001 * a{p}",
    )
    for k in range(1, 40_000):
        lines.append(f"a{k} = " + templates[k % 4].format(p=k - 1))
    lines.append("return a39999")
    return "\n".join(lines)


def test_hundred_thousand_operation_program() -> None:
    graph = compile_source(hundred_thousand_operation_program()).graph
    assert len(graph.op_nodes) == 100_000
    trace = run(graph, {}, "reverse")
    grad = trace.gradient()
    assert np.isfinite(float(grad["x"])) and np.isfinite(float(grad["y"]))
    text = format_program(graph)  # the printer walks it without recursion too
    assert text.count("\n") == 100_000 + 3
