"""Programs with if/elif/else and for: parsing, checking every path, taping a run.

The semantics under test are those of operator-overloading AD: the graph is the
tape of one run (the branch taken, every iteration unrolled), its derivative is
the derivative of that path, and a run at other inputs records its own tape.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adexplorer.base.errors import AdxError
from adexplorer.cli.main import cli
from adexplorer.core.engines import finite_diff
from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source
from adexplorer.lang.structure import Assign, For, If, Return, program_structure

PIECEWISE = """\
x: real = -1.5
if x > 0:
    y = x + 1
elif x == 0:
    y = 1
else:
    y = 1 - x
return y
"""

HORNER = """\
x: real = 0.5
p = 0
for i in range(4):
    p = p*x + (4 - i)
return p
"""


def _grad(graph, **values):  # type: ignore[no-untyped-def]
    trace = run(graph, {k: np.array(v) for k, v in values.items()}, "reverse")
    return float(trace.output_value()), {k: float(v) for k, v in trace.gradient().items()}


# -- the tape follows the branch taken ------------------------------------------------


def test_each_branch_is_taped_and_differentiated_at_its_own_inputs() -> None:
    graph = compile_source(PIECEWISE).graph
    assert graph.dynamic
    assert _grad(graph, x=-1.5) == (2.5, {"x": -1.0})
    assert _grad(graph, x=2.0) == (3.0, {"x": 1.0})
    assert _grad(graph, x=0.0) == (1.0, {"x": 0.0})
    taken = [run(graph, {"x": np.array(x)}, "evaluate").graph.decisions[0] for x in (-1, 0, 2)]
    assert [(d.taken, d.taken_line) for d in taken] == [("else", 6), ("elif", 4), ("if", 2)]


def test_the_tape_holds_only_the_operations_performed() -> None:
    negative = run(compile_source(PIECEWISE).graph, {"x": np.array(-1.5)}, "evaluate").graph
    assert [n.op for n in negative.nodes if n.is_op] == ["sub"]
    assert negative.nodes[negative.outputs[0]].line == 7


def test_a_loop_is_unrolled_and_each_row_knows_its_iteration() -> None:
    graph = compile_source(HORNER).graph
    ops = [n for n in graph.nodes if n.is_op]
    assert [n.op for n in ops] == ["mul", "add"] * 4
    assert [dict(n.context)["i"] for n in ops] == [0, 0, 1, 1, 2, 2, 3, 3]
    assert {n.line for n in ops} == {4}
    (loop,) = graph.decisions
    assert (loop.kind, loop.line, loop.iterations) == ("for", 3, 4)
    value, grad = _grad(graph, x=0.5)
    assert value == pytest.approx(4 * 0.125 + 3 * 0.25 + 2 * 0.5 + 1)
    assert grad["x"] == pytest.approx(12 * 0.25 + 6 * 0.5 + 2)


def test_nested_loops_and_a_branch_inside_a_loop() -> None:
    source = """\
x: real = 0.3
s = 0
for i in range(3):
    for j in range(2):
        if i > j:
            s = s + x*i
        else:
            s = s - x
return s
"""
    graph = compile_source(source).graph
    ifs = [d for d in graph.decisions if d.kind == "if"]
    assert [dict(d.context) for d in ifs] == [{"i": i, "j": j} for i in range(3) for j in range(2)]
    # s = x·(Σ_{i>j} i) − x·(number of i ≤ j) = x·(1 + 2 + 2) − 3x = 2x
    value, grad = _grad(graph, x=0.3)
    assert value == pytest.approx(0.6)
    assert grad["x"] == pytest.approx(2.0)


def test_range_with_start_and_step_and_augmented_assignment() -> None:
    source = "x: real\ns = 0\nfor i in range(1, 7, 2):\n    s += x*i\n    s *= 1\nreturn s\n"
    graph = compile_source(source).graph
    assert _grad(graph, x=2.0) == (18.0, {"x": 9.0})  # (1 + 3 + 5)·x
    ops = [n for n in graph.nodes if n.is_op]
    assert [dict(n.context)["i"] for n in ops if n.op == "add"] == [1, 3, 5]
    assert graph.source_text(ops[1].index) == "s += x*i"
    (loop,) = [s for s in program_structure(source).statements if isinstance(s, For)]
    assert (loop.count, loop.start, loop.step, list(loop.values)) == (3, 1, 2, [1, 3, 5])
    (assign, _) = loop.body
    assert isinstance(assign, Assign) and assign.value.text == "s + (x*i)"
    empty = compile_source("x: real\ns = x\nfor i in range(5, 1):\n    s = s*x\nreturn s").graph
    assert empty.decisions[0].iterations == 0


def test_return_inside_a_branch_ends_the_run() -> None:
    source = "x: real\nif x < 0:\n    return -x\nreturn x^2\n"
    graph = compile_source(source).graph
    assert _grad(graph, x=-2.0) == (2.0, {"x": -1.0})
    assert _grad(graph, x=3.0) == (9.0, {"x": 6.0})


def test_forward_and_reverse_agree_on_every_path() -> None:
    graph = compile_source(PIECEWISE).graph
    for x in (-2.0, 0.7, 3.0):
        at = {"x": np.array(x)}
        forward = run(graph, at, "forward").jacobian()["x"]
        reverse = run(graph, at, "reverse").gradient()["x"]
        assert float(forward) == float(reverse)


# -- boundaries -----------------------------------------------------------------------


def test_a_tie_warns_and_finite_differences_see_the_jump() -> None:
    source = "x: real = 0\nif x > 0:\n    y = x\nelse:\n    y = -x\nreturn y\n"
    lowered = compile_source(source)
    assert any("exactly on its boundary" in w for w in lowered.warnings)
    trace = run(lowered.graph, {"x": np.array(0.0)}, "reverse")
    assert any("line 2" in w and "boundary" in w for w in trace.warnings)
    f = finite_diff.function_of(lowered.graph)
    h = 1e-4
    forward = (f({"x": np.array(h)}) - f({"x": np.array(0.0)})) / h
    backward = (f({"x": np.array(0.0)}) - f({"x": np.array(-h)})) / h
    assert float(forward) == pytest.approx(1.0)  # the right-hand branch, y = x
    assert float(backward) == pytest.approx(-1.0)  # the left-hand branch, y = -x
    assert float(trace.gradient()["x"]) == -1.0  # AD: the branch taken at x = 0 (else)


def test_where_chooses_entry_by_entry_and_passes_the_chosen_adjoint() -> None:
    source = "v: vec[3]\nreturn sum(where(v > 0, v^2, -v))\n"
    graph = compile_source(source).graph
    at = {"v": np.array([-1.0, 2.0, 0.5])}
    trace = run(graph, at, "reverse")
    assert float(trace.output_value()) == pytest.approx(1 + 4 + 0.25)
    np.testing.assert_allclose(trace.gradient()["v"], [-1.0, 4.0, 1.0])
    assert not graph.dynamic  # an elementwise choice needs no retaping


# -- the static structure ------------------------------------------------------------


def test_the_structure_lists_blocks_branches_and_loops() -> None:
    structure = program_structure(HORNER)
    assert structure.has_control_flow
    loop = structure.statements[2]
    assert isinstance(loop, For) and (loop.var, loop.count, loop.line) == ("i", 4, 3)
    (body,) = loop.body
    assert isinstance(body, Assign) and body.value.text == "p*x + (4 - i)"
    piecewise = program_structure(PIECEWISE)
    branch = piecewise.statements[1]
    assert isinstance(branch, If)
    assert [(b.keyword, b.line) for b in branch.branches] == [("if", 2), ("elif", 4), ("else", 6)]
    assert [b.condition.text if b.condition else None for b in branch.branches] == [
        "x > 0",
        "x == 0",
        None,
    ]
    assert isinstance(piecewise.statements[-1], Return)
    assert piecewise.lines() == (1, 2, 3, 4, 5, 6, 7, 8)


def test_every_branch_is_checked_even_when_it_does_not_run() -> None:
    source = "x: real = 1\nif x > 0:\n    y = x\nelse:\n    y = x @ x\nreturn y\n"
    with pytest.raises(AdxError) as error:
        compile_source(source)
    assert error.value.span is not None and error.value.span.line == 5


# -- clear errors, never a traceback ------------------------------------------------------

ERRORS = [
    ("x: real\nfor i in range(3):\n    break\nreturn x", "no break", 3),
    ("x: real\nfor i in range(3):\n    continue\nreturn x", "no continue", 3),
    ("x: real\nif x = 0:\n    y = 1\nreturn y", "compares with '=='", 2),
    ("x: real\nwhile x > 0:\n    x = 1\nreturn x", "no while loops", 2),
    ("x: real\nif x > 0:\n    y = 1\nelse if x < 0:\n    y = 2\nreturn y", "elif", 4),
    ("x: real\nfor i in range(3):\n    s += x\nreturn s", "has no value yet", 3),
    ("x: real\nfor i in range(1, 2, 3, 4):\n    y = i\nreturn y", "1 to 3 numbers", 2),
    ("x: real\nfor i in range(1, 5, 0):\n    y = i\nreturn y", "step must not be 0", 2),
    ("x: real\nx += 1\nreturn x", "is an input", 2),
    ("if x > 0\n    y = 1\n", "must end with ':'", 1),
    ("if x > 0:\ny = 1\n", "a block is empty", 2),
    ("else:\n    y = 1\n", "must follow an `if` block", 1),
    ("a < b < c", "comparisons do not chain", 1),
    ("if x:\n    y = 1\n  z = 2\nz", "indentation matches no block", 3),
    ("x: real\nfor i in range(x):\n    y = i\nreturn y", "must be a constant", 2),
    ("for i in range(2.5):\n    y = i\ny", "whole number", 1),
    ("for i in foo(3):\n    y = i\ny", "range(…) only", 1),
    ("v: vec[2]\nif v > 0:\n    y = 1\nelse:\n    y = 2\nreturn y", "must be one number", 2),
    ("x: real\nif x > 0:\n    z: real\nreturn x", "declared at the top", 3),
    ("x: real\nif x > 0:\n    return x\nelse:\n    return x, x\n", "same number", 5),
    ("x: real\nif x > 0:\n    return x\n    y = 2\nreturn x", "nothing may follow", 4),
    ("x: real\nif x > 0:\n    y = x\nelse:\n    y = [1, 2]\nreturn y", "on one path", 5),
]


@pytest.mark.parametrize(("source", "message", "line"), ERRORS)
def test_mistakes_get_a_message_and_a_line(source: str, message: str, line: int) -> None:
    with pytest.raises(AdxError) as error:
        compile_source(source)
    assert message in str(error.value.message) + str(error.value.hint)
    assert error.value.span is not None and error.value.span.line == line


def test_a_name_missing_on_this_path_says_which_line_did_not_run() -> None:
    source = "x: real\nif x > 0:\n    y = x\nreturn y\n"
    graph = compile_source(source).graph  # taped at the default 1: fine
    with pytest.raises(AdxError, match=r"line 3\) did not run"):
        run(graph, {"x": np.array(-1.0)}, "reverse")


def test_a_loop_over_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADX_MAX_LOOP_ITERATIONS", "50")
    with pytest.raises(AdxError, match="ADX_MAX_LOOP_ITERATIONS"):
        compile_source("x: real\ns = 0\nfor i in range(51):\n    s = s + x\nreturn s")


KEYWORDS = [
    "if ",
    "elif ",
    "else",
    "for ",
    " in ",
    "range(",
    ":",
    "\n",
    "    ",
    "\t",
    " and ",
    " or ",
]
JUNK = st.lists(
    st.sampled_from(
        [*KEYWORDS, "x", "y", "i", "0", "2", " > ", " == ", " = ", "return ", "(", ")"]
    ),
    max_size=25,
).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=JUNK)
def test_junk_with_keywords_and_indentation_is_an_adx_error_or_a_program(text: str) -> None:
    try:
        lowered = compile_source(text)
    except AdxError as error:
        assert error.message
        return
    run(lowered.graph, {n: np.array(0.5) for n in lowered.graph.input_names}, "reverse")


# -- random programs: forward, reverse and differences agree on the path taken -----------

BODIES = ["s = s + {e}", "s = s*{e}", "s = sin(s) + {e}", "s = s - {e}*i"]
TERMS = ["x", "x*y", "tanh(y)", "x^2", "cos(x*i)"]


@st.composite
def loop_programs(draw):  # type: ignore[no-untyped-def]
    count = draw(st.integers(0, 5))
    body = draw(st.lists(st.sampled_from(BODIES), min_size=1, max_size=3))
    terms = draw(st.lists(st.sampled_from(TERMS), min_size=len(body), max_size=len(body)))
    threshold = draw(st.sampled_from(["0", "0.5", "-1"]))
    lines = ["x: real", "y: real", "s = 1", f"for i in range({count}):"]
    lines += ["    " + b.format(e=t) for b, t in zip(body, terms, strict=True)]
    lines += [
        f"    if s > {threshold}:",
        "        s = s*0.5",
        "    else:",
        "        s = s + y",
        "return s",
    ]
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=loop_programs(),
    x=st.floats(-1.5, 1.5),
    y=st.floats(-1.5, 1.5),
)
def test_random_loop_programs_forward_reverse_and_differences_agree(
    source: str, x: float, y: float
) -> None:
    graph = compile_source(source).graph
    at = {"x": np.array(x), "y": np.array(y)}
    reverse = run(graph, at, "reverse")
    forward = run(graph, at, "forward")
    assert reverse.graph.decisions == forward.graph.decisions
    ties = any(d.ties for d in reverse.graph.decisions)
    for name in ("x", "y"):
        r = float(reverse.gradient()[name])
        assert r == pytest.approx(float(forward.jacobian()[name]), rel=1e-12, abs=1e-12)
        if ties or not np.isfinite(r):
            continue
        h = 1e-6
        direction = {"x": np.array(0.0), "y": np.array(0.0), name: np.array(1.0)}
        f = finite_diff.function_of(graph)
        plus = f({k: at[k] + h * direction[k] for k in at})
        minus = f({k: at[k] - h * direction[k] for k in at})
        if run(graph, {k: at[k] + h * direction[k] for k in at}, "evaluate").graph.decisions != (
            reverse.graph.decisions
        ) or run(graph, {k: at[k] - h * direction[k] for k in at}, "evaluate").graph.decisions != (
            reverse.graph.decisions
        ):
            continue  # a branch changes within h: the difference straddles a jump
        central = float((plus - minus) / (2 * h))
        assert r == pytest.approx(central, rel=1e-5, abs=1e-6)


# -- the CLI --------------------------------------------------------------------------------


def test_adx_eval_says_which_branch_ran_and_marks_rows_with_line_and_iteration(
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    path = tmp_path / "horner.adx"
    path.write_text(HORNER)
    result = CliRunner().invoke(cli, ["eval", str(path)])
    assert result.exit_code == 0, result.output
    assert "line 3: the loop ran 4 times" in result.output
    assert "i=3" in result.output
    result = CliRunner().invoke(cli, ["eval", str(path), "--json"])
    report = json.loads(result.output)
    assert report["control_flow"]["decisions"][0]["iterations"] == 4
    assert report["trace"][-1]["iteration"] == {"i": 3}
    assert report["trace"][-1]["line"] == 4
    static = json.loads(
        CliRunner().invoke(cli, ["eval", "x*y", "--at", "x=1,y=2", "--json"]).output
    )
    assert static["control_flow"] is None


def test_adx_eval_at_another_point_takes_another_branch(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "piecewise.adx"
    path.write_text(PIECEWISE)
    left = json.loads(CliRunner().invoke(cli, ["eval", str(path), "--json"]).output)
    right = json.loads(CliRunner().invoke(cli, ["eval", str(path), "--at", "x=2", "--json"]).output)
    assert left["control_flow"]["decisions"][0]["taken"] == "else"
    assert right["control_flow"]["decisions"][0]["taken"] == "if"
    assert (left["gradient"]["x"], right["gradient"]["x"]) == (-1.0, 1.0)


def test_adx_fd_across_a_boundary_shows_the_jump(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "abs.adx"
    path.write_text("x: real = 0\nif x > 0:\n    y = x\nelse:\n    y = -x\nreturn y\n")
    result = CliRunner().invoke(cli, ["fd", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    errors = {row["scheme"]: row for row in report.get("rows", [])} if "rows" in report else {}
    assert "boundary" in " ".join(report["warnings"])
    assert errors or report  # the study ran; its numbers are checked in the fd tests


def test_adx_swell_on_a_branch_says_which_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "piecewise.adx"
    path.write_text(PIECEWISE)
    result = CliRunner().invoke(cli, ["swell", str(path), "--at", "x=2"])
    assert result.exit_code == 0, result.output
    assert "x > 0 is true, so the if branch runs" in result.output


def test_an_early_return_and_a_name_assigned_on_one_branch_are_said() -> None:
    source = (
        "x: real\ns = 0\nfor i in range(10):\n    s += x*i\n"
        "    if s > 3:\n        return s\nreturn s\n"
    )
    graph = run(compile_source(source).graph, {"x": np.array(1.0)}, "evaluate").graph
    described = [d.describe() for d in graph.decisions]
    assert "line 6, i=3: return ends the run here" in described
    assert described[-1] == "line 3: the loop ran 4 times"
    lowered = compile_source("x: real\nif x > 0:\n    y = x^2\nreturn y\n")
    assert any("only on some branches of the if on line 2" in w for w in lowered.warnings)
    both = compile_source("x: real\nif x > 0:\n    y = x^2\nelse:\n    y = x\nreturn y\n")
    assert not any("some branches" in w for w in both.warnings)


def test_a_loop_over_the_node_limit_points_at_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADX_MAX_NODES", "500")
    with pytest.raises(AdxError) as error:
        compile_source("x: real = 1\ns = 0\nfor i in range(1000):\n    s = s + x*i\nreturn s")
    assert error.value.span is not None and error.value.span.line == 3
    assert "in iteration i=" in error.value.message


def test_adx_check_on_a_boundary_names_the_if() -> None:
    from adexplorer.compare.node_check import check_nodes
    from adexplorer.reports.check import findings

    graph = compile_source(
        "x: real = 0\nif x > 0:\n    y = x^2 + x\nelse:\n    y = -x\nreturn y\n"
    ).graph
    text = " ".join(findings(check_nodes(graph, {"x": np.array(0.0)})))
    assert "branch boundary (line 2: x > 0)" in text


def test_long_tables_are_elided_in_human_output(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "long.adx"
    path.write_text("x: real = 1\ns = 0\nfor i in range(400):\n    s = s + x*i\nreturn s\n")
    result = CliRunner().invoke(cli, ["eval", str(path)])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.replace("│", " ").split())
    assert "601 rows not shown" in flat
    assert "i=399" in result.output  # the last rows are shown
