"""adx codegen for straight-line programs: the generated numpy modules are imported and
checked against adx's engines (values, tangents, adjoints), for every primitive at random
points, for the lessons' and README's programs, and for tensor programs."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from adexplorer.base.errors import AdxError
from adexplorer.cli.common import parse_values
from adexplorer.codegen import generate, generate_source
from adexplorer.core.engines.steps import AdjointStep
from adexplorer.core.ir import Graph
from adexplorer.core.primitives import PRIMITIVES
from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source
from adexplorer.lessons.catalog import builtin
from tests.codegen_helpers import load_module
from tests.helpers import all_cases, sample, single_op_graph

CASES = all_cases()
IDS = [f"{name}-{'x'.join(str(s) for s in shapes)}" for name, shapes in CASES]


def check_against_engines(graph: Graph, values: dict, tmp_path: Path, seed: int = 0) -> None:
    """Value, J·u and cᵀJ from the generated modules against the trace's."""
    rng = np.random.default_rng(seed)
    names = graph.input_names
    ordered = [values[n] for n in names]
    # forward: one random direction
    direction = {n: rng.normal(size=np.shape(values[n])) for n in names}
    fwd = load_module(generate(graph, "forward"), tmp_path).f_jvp
    value, tangent = fwd(*ordered, *[direction[n] for n in names])
    trace = run(graph, values, "forward", seed=direction)
    outputs = [trace.output_value(k) for k in range(len(graph.outputs))]
    if len(graph.outputs) == 1:
        value, tangent = [value], [tangent]
    for got, want in zip(value, outputs, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)
    for got, want in zip(tangent, trace.output_tangents(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-11)
    # reverse: a random cotangent per output, against the engine's Jacobian
    rev = load_module(generate(graph, "reverse"), tmp_path).f_vjp
    cotangents = [rng.normal(size=np.shape(o)) for o in outputs]
    value, grads = rev(*ordered, *cotangents)
    jac = run(graph, values, "reverse")
    for n, got in zip(names, grads, strict=True):
        want = sum(
            np.tensordot(c, jac.jacobian(k)[n], axes=np.ndim(c)) for k, c in enumerate(cotangents)
        )
        assert np.shape(got) == np.shape(values[n])
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-11)


def test_every_primitive_has_numpy_text() -> None:
    for prim in PRIMITIVES.values():
        assert prim.numpy_primal is not None, prim.name
        assert prim.numpy_jvp is not None and len(prim.numpy_jvp) == prim.arity, prim.name
        assert prim.numpy_vjp is not None and len(prim.numpy_vjp) == prim.arity, prim.name


@pytest.mark.parametrize(("name", "shapes"), CASES, ids=IDS)
def test_generated_code_agrees_with_the_engines_for_every_primitive(
    name: str, shapes: tuple, tmp_path: Path
) -> None:
    prim = PRIMITIVES[name]
    graph = single_op_graph(prim, shapes)
    for seed in range(3):
        rng = np.random.default_rng(seed)
        values = {
            n: sample(prim, i, s, rng) for i, (n, s) in enumerate(zip("abc", shapes, strict=False))
        }
        check_against_engines(graph, values, tmp_path, seed)


#: Programs with constants in every position a rule treats specially, and tensor programs.
PROGRAMS = [
    ("ln(x1) + x1*x2 - sin(x2)", "x1=2,x2=5"),
    ("x*x", "x=3"),
    ("x^2 + x^3 + x^0.5 + x^1 + x^0 + x^(-1.5)", "x=1.7"),
    ("2^x + 0.5^x + x^y", "x=1.3,y=0.7"),
    ("(-2)*x - 3/x + x/4 - (x - 1)", "x=0.9"),
    ("a: real = 2; b = a*a; c = b*a; return c - b, sin(c)", ""),
    ("x: real = 1; y: real = 2; z: real = 3; a = x*y + z; b = sin(x)*z; return a, b", ""),
    ("W: mat[2,3]; v: vec[3]; return sum(tanh(W @ v + 1))", "W=[[1,2,3],[4,5,6]],v=[0.1,-0.2,0.3]"),
    ("A: mat[2,2]; B: mat[2,2]; return sum((A @ B).T * A)", "A=[[1,2],[3,4]],B=[[0.5,1],[-1,2]]"),
    ("u: vec[3]; v: vec[3]; return dot(u, v) * mean(u*v) + sum(u * 2)", "u=[1,2,3],v=[3,-1,2]"),
    (
        "v: vec[3]; M: mat[3,3]; return sum(v @ M) + sum(M @ v) + v @ v",
        "v=[1,2,3],M=[[1,0,2],[0,1,0],[3,0,1]]",
    ),
    ("v: vec[2]; x: real; return sum(v + x) * x + sum(x * v - [1, 2])", "v=[1,2],x=0.5"),
    ("M: mat[2,2]; v: vec[2]; return sum(M + v) + sum(M * v)", "M=[[1,2],[3,4]],v=[5,6]"),
    ("v: vec[3]; return v * 2", "v=[1,2,3]"),
    ("x: real; return x", "x=2"),
    ("x: real; y: real; return x*3", "x=2,y=1"),
]


def _corpus() -> list[tuple[str, str]]:
    found = list(PROGRAMS)
    for lesson in builtin():
        for step in lesson.steps:
            if step.explore is not None:
                found.append((step.explore.program, step.explore.at))
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for command in re.findall(r"adx eval ('[^`\n]+)", readme):
        words = shlex.split(command, comments=True)
        if "+ *" in words[0] or "--at" not in words:  # the example that fails on purpose
            continue
        at = ",".join(w for k, w in enumerate(words) if k and words[k - 1] == "--at")
        found.append((words[0], at))
    return sorted(set(found))


CORPUS = _corpus()


def _bindings(at: str) -> dict:
    return parse_values([at], "--at") if at else {}


@pytest.mark.parametrize(("program", "at"), CORPUS)
def test_generated_code_agrees_with_the_engines_on_the_corpus(
    program: str, at: str, tmp_path: Path
) -> None:
    bindings = _bindings(at)
    from numpy import shape

    graph = compile_source(program, input_shapes={n: shape(v) for n, v in bindings.items()}).graph
    values = {n: bindings.get(n, graph.defaults.get(n)) for n in graph.input_names}
    check_against_engines(graph, values, tmp_path)


def test_the_corpus_is_large() -> None:
    assert len(CORPUS) >= 30


@pytest.mark.parametrize(("program", "at"), CORPUS)
def test_one_plus_line_per_contribution_of_the_reverse_engine(program: str, at: str) -> None:
    bindings = _bindings(at)
    graph = compile_source(
        program, input_shapes={n: np.shape(v) for n, v in bindings.items()}
    ).graph
    if len(graph.outputs) != 1:
        return  # the engine seeds one output per sweep; the code seeds all at once
    if graph.dynamic:
        return  # code with if/for has a line per statement of the source, not per taped step
    values = {n: bindings.get(n, graph.defaults.get(n)) for n in graph.input_names}
    code = generate(graph, "reverse")
    sweep = run(graph, values, "reverse").adjoint_sweeps[0]
    contributions = [s for s in sweep.steps if s.source is not None]
    plus_lines = [line for line in code.text.splitlines() if " += " in line]
    assert len(plus_lines) == len(contributions)
    # and each contribution's step maps to its own += line, in the engine's order
    numbers = [code.line_for_step(s) for s in contributions]
    assert None not in numbers and numbers == sorted(numbers)
    assert len(set(numbers)) == len(numbers)


def test_the_survey_example_reads_as_the_texts() -> None:
    code = generate_source("ln(x1) + x1*x2 - sin(x2)", "reverse")
    lines = [line.strip() for line in code.text.splitlines()]
    assert "def f_vjp(x1, x2, f_bar=1.0):" in code.text
    assert "v_1 = np.float64(x1)" in lines
    assert "v1 = np.log(v_1)" in lines
    # x1 fans out to log and to the product: two contributions, each its own line
    assert lines.count("v_1_bar += v2_bar * v0") == 1
    assert lines.count("v_1_bar += v1_bar / v_1") == 1
    assert "v0_bar += v2_bar * v_1" in lines
    assert lines.index("v_1_bar = 0.0") < lines.index("v_1_bar += v2_bar * v0")
    forward = generate_source("ln(x1) + x1*x2 - sin(x2)", "forward")
    body = [line.strip() for line in forward.text.splitlines()]
    assert "def f_jvp(x1, x2, x1_dot, x2_dot):" in forward.text
    assert body.index("v2 = v_1 * v0") + 1 == body.index("v2_dot = v_1_dot * v0 + v_1 * v0_dot")


def test_every_step_of_a_trace_has_its_line() -> None:
    graph = compile_source("ln(x1) + x1*x2 - sin(x2)").graph
    labels = [label.replace("-", "_") for label in graph.labels()]
    trace = run(graph, {"x1": 2.0, "x2": 5.0}, "forward", seed={"x1": 1.0})
    fwd = generate(graph, "forward")
    text = fwd.text.splitlines()
    for p in trace.primal_steps:
        assert text[fwd.line_for_step(p) - 1].strip().startswith(f"{labels[p.node]} = ")
    for t in trace.tangent_sweeps[0].steps:
        assert text[fwd.line_for_step(t) - 1].strip().startswith(f"{labels[t.node]}_dot = ")
    rev = generate(graph, "reverse")
    text = rev.text.splitlines()
    for a in run(graph, {"x1": 2.0, "x2": 5.0}, "reverse").adjoint_sweeps[0].steps:
        line = text[rev.line_for_step(a) - 1].strip()
        assert line.startswith(f"{labels[a.node]}_bar {'=' if a.source is None else '+='} ")
    assert rev.line_for_step(AdjointStep(0, 99, 0, 0.0, 0.0)) is None


def test_constants_are_exact() -> None:
    code = generate_source(
        "v: vec[2]; x: real; return x*0.1 + x^(-2.5) - 1e300*x + sum(v*[1, 2.5])"
    )
    assert "v1 = v0 * 0.1" in code.text and "v0 ** (-2.5)" in code.text
    assert "1e+300 * v0" in code.text and "np.array([1.0, 2.5])" in code.text


def test_generated_code_is_readable() -> None:
    code = generate_source("W: mat[2,2]; v: vec[2]; return sum(sigmoid(W @ v))", "reverse")
    compile(code.text, "generated", "exec")
    for line in code.lines:
        indent = len(line.text) - len(line.text.lstrip(" "))
        assert indent % 4 == 0 and "\t" not in line.text and len(line.text) <= 99
        if line.role != "text":  # a statement: one per line
            assert ";" not in line.text
    assert "generated by adx codegen" in code.text


def test_an_unknown_mode_is_an_error() -> None:
    with pytest.raises(AdxError, match="unknown mode"):
        generate_source("x", "sideways")


def test_a_graph_with_a_broken_rule_is_refused() -> None:
    from adexplorer.compare.broken_rules import parse_broken_rule, with_broken_rule

    graph = compile_source("sin(x)*x").graph
    broken = with_broken_rule(graph, parse_broken_rule("sin: -cos(u)", "--break"))
    with pytest.raises(AdxError, match="broken on purpose"):
        generate(broken, "reverse")
