"""The symbolic differentiator and the swell counts."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations

from adexplorer.compare.swell import family_levels, family_study, measure, swell_study
from adexplorer.compare.symbolic import (
    ExprTable,
    differentiate,
    elided_text,
    from_graph,
    simplify,
    to_text,
)
from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source
from tests.test_properties import SYMPY_LOCALS, expressions, points


def symbolic_derivative(expr: str, wrt: str) -> tuple[ExprTable, int, int]:
    table = ExprTable()
    graph = compile_source(expr).graph
    f = from_graph(table, graph)[graph.outputs[0]]
    return table, f, differentiate(table, f, wrt)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=expressions, point=points)
def test_symbolic_derivative_agrees_with_ad_and_sympy(expr: str, point: dict) -> None:
    graph = compile_source(expr).graph
    at = {name: point[name] for name in graph.input_names}
    grad = run(graph, at, "reverse").gradient()
    symbols = {v: sp.Symbol(v, real=True) for v in "xyz"}
    f_sympy = parse_expr(
        expr,
        local_dict={**symbols, **SYMPY_LOCALS},
        transformations=(*standard_transformations, convert_xor),
    )
    for name in at:
        table, _, d = symbolic_derivative(expr, name)
        value = table.evaluate(simplify(table, d), at)
        assert value == pytest.approx(float(grad[name]), rel=1e-9, abs=1e-11)
        expected = float(
            sp.N(sp.diff(f_sympy, symbols[name]).subs({symbols[k]: v for k, v in at.items()}))
        )
        assert value == pytest.approx(expected, rel=1e-9, abs=1e-11)


@settings(max_examples=60, deadline=None)
@given(expr=expressions, point=points)
def test_printed_derivatives_parse_back_to_the_same_value(expr: str, point: dict) -> None:
    """The printer's parentheses are right: its text, compiled by adx, computes the same."""
    graph = compile_source(expr).graph
    name = graph.input_names[0]
    table, _, d = symbolic_derivative(expr, name)
    simple = simplify(table, d)
    text = to_text(table, simple)
    again = compile_source(text, extra_inputs=list(graph.input_names)).graph
    at = {k: point[k] for k in again.input_names}
    value = float(run(again, at, "evaluate").output_value())
    expected = table.evaluate(simple, {k: point[k] for k in graph.input_names})
    assert value == pytest.approx(expected, rel=1e-12, abs=1e-12) or (
        np.isnan(value) and np.isnan(expected)
    )


def test_naive_rules_without_simplification() -> None:
    table, f, d = symbolic_derivative("4*x*(1 - x)", "x")
    assert to_text(table, f) == "4*x*(1 - x)"
    assert to_text(table, d) == "(1 - x)*(x*0 + 4*1) + 4*x*(1*0 + (-1)*1)"
    assert to_text(table, simplify(table, d)) == "(1 - x)*4 + 4*x*(-1)"
    assert (table.tree_size(f), table.tree_size(d)) == (7, 23)


def _expanded_tree_size(table: ExprTable, root: int) -> int:
    """Brute force: walk every path of the expression as a tree, node by node."""
    count = 0
    stack = [root]
    while stack:
        e = stack.pop()
        count += 1
        stack.extend(table.args[e])
    return count


def _text_of_level(template: str, n: int) -> str:
    text = "x"
    for _ in range(n):
        text = template.replace("#", f"({text})")
    return text


@pytest.mark.parametrize("template", ["4*#*(1-#)", "sin(#)*cos(#)", "exp(#) + #^2", "#*# - x"])
def test_swell_sizes_match_brute_force_counts(template: str) -> None:
    rows = family_study(template, "1:6")
    table, levels = family_levels(template, 6)
    for row, f in zip(rows, levels, strict=True):
        assert row.sizes.f_tree == _expanded_tree_size(table, f)
        d = differentiate(table, f, "x")
        assert row.sizes.df_tree == _expanded_tree_size(table, d)
        assert row.sizes.simplified_tree == _expanded_tree_size(table, simplify(table, d))
        # and f's tree size from a completely separate route: compile the written-out text
        graph = compile_source(_text_of_level(template, row.n)).graph
        leaves = sum(1 for n in graph.nodes if n.is_op for a in n.args if not graph.nodes[a].is_op)
        assert row.sizes.f_tree == len(graph.op_nodes) + leaves


def test_logistic_map_swell_grows_geometrically_and_sharing_linearly() -> None:
    rows = family_study("4*#*(1-#)", "1:40")
    trees = [r.sizes.df_tree for r in rows]
    dags = [r.sizes.df_dag for r in rows]
    for n in range(10, 40):
        growth = trees[n] / trees[n - 1]
        assert growth > 1.9 and growth < 2.2, (n, growth)
    steps = {dags[n] - dags[n - 1] for n in range(5, 40)}
    assert len(steps) == 1  # the shared DAG grows by a constant per level
    assert rows[-1].sizes.df_tree == 400_222_232_510_461  # exact, from counting
    assert rows[-1].sizes.f_tree == 6_597_069_766_651
    assert rows[-1].sizes.ad_reverse < 300


def test_huge_derivatives_are_printed_with_the_middle_elided() -> None:
    table, levels = family_levels("4*#*(1-#)", 30)
    d = differentiate(table, levels[-1], "x")
    text, elided = elided_text(table, d, 200)
    assert elided and " … " in text and len(text) < 260
    assert text.startswith(elided_text(table, d, 10_000)[0][:50])


def test_swell_study_of_the_nutty_example() -> None:
    graph = compile_source("x1*sqrt(log(x1/sin(x2^2)))").graph
    result = swell_study(graph, "x2")
    assert result.sizes.df_tree > result.sizes.simplified_tree > result.sizes.f_tree
    assert result.sizes.df_dag < result.sizes.df_tree
    table = ExprTable()
    f = from_graph(table, graph)[graph.outputs[0]]
    sizes, _, simple = measure(table, f, "x2")
    assert table.evaluate(simple, {"x1": 2.0, "x2": 1.2}) == pytest.approx(-0.3768857156229457)
    assert sizes == result.sizes
