"""The node-by-node check and deliberately broken rules (node_check, broken_rules)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adexplorer.base.errors import AdxError
from adexplorer.base.shapes import Shape
from adexplorer.compare.broken_rules import parse_broken_rule, with_broken_rule
from adexplorer.compare.node_check import check_nodes
from adexplorer.core.engines.finite_diff import gradient as fd_gradient
from adexplorer.core.formulas import FormulaRenderer
from adexplorer.core.primitives import PRIMITIVES
from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source
from tests.helpers import CONDITION_SLOTS, all_cases, sample, single_op_graph

SURVEY = "ln(x1) + x1*x2 - sin(x2)"
AT = {"x1": 2.0, "x2": 5.0}


def _inputs(name: str, shapes: tuple[Shape, ...], seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    prim = PRIMITIVES[name]
    return {n: sample(prim, k, s, rng) for k, (n, s) in enumerate(zip("abc", shapes, strict=False))}


@pytest.mark.parametrize(("name", "shapes"), all_cases(), ids=lambda v: str(v))
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_every_primitive_rule_agrees_with_finite_differences(
    name: str, shapes: tuple[Shape, ...], seed: int
) -> None:
    graph = single_op_graph(PRIMITIVES[name], shapes)
    check = check_nodes(graph, _inputs(name, shapes, seed))
    assert check.partials, "every argument slot is checked"
    statuses = [p.status for p in check.partials]
    if name in CONDITION_SLOTS:
        # a condition of 0 (false) is a jump, since any move makes it true: the central
        # difference (0) agrees with the rule, the one-sided ones may call it a kink
        slot = CONDITION_SLOTS[name]
        assert statuses[slot] in ("ok", "kink"), check.partials
        statuses[slot] = "ok"
    assert statuses == ["ok"] * len(check.partials), check.partials


ELEMENTWISE = sorted(
    (name, slot)
    for name, prim in PRIMITIVES.items()
    if prim.partials is not None
    for slot in range(prim.arity)
)


@pytest.mark.parametrize(("name", "slot"), ELEMENTWISE, ids=lambda v: str(v))
def test_a_broken_rule_is_found_at_its_node_and_nowhere_else(name: str, slot: int) -> None:
    prim = PRIMITIVES[name]
    which = " " + "abc"[slot] if prim.arity >= 2 else ""
    rule = parse_broken_rule(f"{name}{which}: 7.25")  # no rule is the constant 7.25 here
    graph = single_op_graph(prim, ((),) * prim.arity)
    broken = with_broken_rule(graph, rule)
    check = check_nodes(broken, _inputs(name, ((),) * prim.arity, 3))
    assert check.wrong_nodes == (prim.arity,)  # the one operation node
    assert [p.slot for p in check.wrong] == [slot]  # only the broken partial
    assert check.wrong[0].rule == pytest.approx(7.25)


def test_the_broken_sine_in_the_survey_example() -> None:
    graph = compile_source(SURVEY).graph
    broken = with_broken_rule(graph, parse_broken_rule("sin: -cos(u)"))
    # both sweeps use the broken rule: they agree with each other, not with the function
    reverse = run(broken, AT, "reverse").gradient()
    forward = run(broken, AT, "forward").jacobian()
    central = fd_gradient(graph, AT, 1e-6)
    assert float(reverse["x2"]) == pytest.approx(float(forward["x2"]), rel=1e-15)
    assert float(reverse["x2"]) == pytest.approx(2 + np.cos(5.0), rel=1e-15)  # x1 + cos, not - cos
    assert float(central["x2"]) == pytest.approx(2 - np.cos(5.0), rel=1e-8)
    assert float(reverse["x1"]) == pytest.approx(5.5)  # the rest of the graph is untouched
    check = check_nodes(broken, AT)
    labels = broken.labels()
    assert [labels[i] for i in check.wrong_nodes] == ["v3"]
    assert broken.source_text(check.wrong_nodes[0]) == "sin(x2)"
    assert [g.name for g in check.gradient if g.wrong] == ["x2"]
    assert check_nodes(graph, AT).ok  # and the table's own rules pass
    # the table is not changed: the same program without the override is right
    assert float(run(graph, AT, "reverse").gradient()["x2"]) == pytest.approx(2 - np.cos(5.0))


def test_the_trace_shows_the_broken_rule() -> None:
    broken = with_broken_rule(compile_source(SURVEY).graph, parse_broken_rule("sin: -cos(u)"))
    trace = run(broken, AT, "reverse")
    renderer = FormulaRenderer(broken, trace.values)
    texts = [
        renderer.adjoint(s, trace.adjoint_sweeps[0].adjoints) for s in trace.adjoint_sweeps[0].steps
    ]
    assert "-v̄3·cos(v0)" in [f.rule for f in texts]  # the table says v̄3·cos(v0)


def test_breaking_one_partial_of_a_binary_primitive() -> None:
    graph = compile_source(SURVEY).graph
    right = with_broken_rule(graph, parse_broken_rule("mul b: a"))  # the true rule
    assert check_nodes(right, AT).ok
    wrong = with_broken_rule(graph, parse_broken_rule("mul b: 2*a"))
    check = check_nodes(wrong, AT)
    assert [(broken.node, broken.slot) for broken in check.wrong] == [(3, 1)]
    assert float(run(wrong, AT, "reverse").gradient()["x2"]) == pytest.approx(2 * 2 - np.cos(5.0))


def test_the_output_y_may_appear_in_the_formula() -> None:
    graph = compile_source("tanh(x)").graph
    right = with_broken_rule(graph, parse_broken_rule("tanh: 1 - y^2"))
    assert check_nodes(right, {"x": 0.7}).ok
    wrong = with_broken_rule(graph, parse_broken_rule("tanh: 1 - y"))
    assert not check_nodes(wrong, {"x": 0.7}).ok


def test_kinks_and_domain_edges_are_reported_not_judged() -> None:
    graph = compile_source("relu(x) + sqrt(y) + abs(z)").graph
    check = check_nodes(graph, {"x": 0.0, "y": 0.0, "z": 0.0})
    statuses = {graph.nodes[p.node].op: p.status for p in check.partials}
    assert statuses["relu"] == "kink"  # relu'(0) = 0, the differences say 1/2
    assert statuses["abs"] == "ok"  # abs'(0) = 0 is what central differences give too
    assert statuses["sqrt"] == "undefined"
    assert check.ok


def test_vector_and_matrix_blocks_name_the_entry_that_differs() -> None:
    graph = compile_source(
        "W: mat[2,2] = [[1, 2], [3, 4]]; x: vec[2] = [0.5, -1]; sum(tanh(W @ x))"
    ).graph
    values = dict(graph.defaults)
    assert check_nodes(graph, values).ok
    broken = with_broken_rule(graph, parse_broken_rule("tanh: 1 + y^2"))
    check = check_nodes(broken, values)
    (wrong,) = check.wrong
    assert graph.nodes[wrong.node].op == "tanh"
    assert np.shape(wrong.rule) == (2, 2) and len(wrong.worst) == 2
    out = np.tanh(np.array([[1, 2], [3, 4]]) @ np.array([0.5, -1]))
    np.testing.assert_allclose(np.diag(wrong.estimate), 1 - out**2, rtol=1e-6)


@pytest.mark.parametrize(
    ("spec", "message", "column"),
    [
        ("sin -cos(u)", "needs a ':'", 1),
        ("sn: 1", "no primitive 'sn'", 1),
        ("sin: cos(x)", "not 'x'", 10),
        ("mul c: a", "not 'c'", 5),
        ("matmul: 1", "not elementwise", 1),
        ("sin:", "needs a formula", 5),
        ("sin: cos(u", "never closed", 11),
    ],
)
def test_a_bad_break_says_what_and_where(spec: str, message: str, column: int) -> None:
    with pytest.raises(AdxError) as caught:
        parse_broken_rule(spec)
    assert message in caught.value.message
    assert caught.value.column == column
    assert "^" in caught.value.render()


def test_breaking_a_primitive_the_program_does_not_use_is_an_error() -> None:
    with pytest.raises(AdxError, match="no exp to break"):
        with_broken_rule(compile_source(SURVEY).graph, parse_broken_rule("exp: y"))


def test_the_check_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADX_MAX_TRACE_ENTRIES", "100")
    graph = compile_source("v: vec[20] = 1; sum(v * v)").graph
    with pytest.raises(AdxError, match="ADX_MAX_TRACE_ENTRIES"):
        check_nodes(graph, dict(graph.defaults))
