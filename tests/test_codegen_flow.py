"""adx codegen for programs with if and for: the generated code keeps the control flow
(and, in reverse mode, a stack), and agrees with the tracing engines at points on both
sides of every branch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adexplorer.base.errors import AdxError
from adexplorer.codegen import generate_source
from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source
from tests.codegen_helpers import load_module

BRANCHES = """\
x: real
if x > 0:
    y = x*x
elif x > -1 and not x > -0.5:
    y = -x
elif x > -1:
    y = x^3
else:
    y = sin(x)
return y
"""

LOOP = """\
x: real
y: real
s = x
for i in range(5):
    s = s*0.5 + x*i + sin(s*y)
return s
"""

LOOP_WITH_BRANCH = """\
x: real
y = x
for i in range(4):
    if y > 1 or y < -3:
        y = y / 2
    else:
        y = y*y + x
return y
"""

BRANCH_WITHOUT_ELSE = """\
x: real
acc = x
for i in range(4):
    if x*i > 1:
        t = x*i
        acc = acc + t*acc
return acc, acc*x
"""

NESTED = """\
x: real
s = x
for i in range(3):
    for j in range(2):
        s = s*x + i*j
    if s > 10:
        s = log(s)
return s
"""

TENSORS = """\
W: mat[2,2]
v: vec[2]
h = v
for i in range(3):
    h = tanh(W @ h) + i*v
return sum(where(h > 0.5, h*h, -h))
"""

CASES = [
    (BRANCHES, [{"x": 0.7}, {"x": -0.7}, {"x": -0.2}, {"x": -2.0}]),
    (LOOP, [{"x": 0.3, "y": 1.2}, {"x": -1.0, "y": 0.5}]),
    (LOOP_WITH_BRANCH, [{"x": 0.9}, {"x": 1.5}, {"x": -0.4}, {"x": 3.0}]),
    (BRANCH_WITHOUT_ELSE, [{"x": 0.2}, {"x": 0.8}, {"x": 2.0}]),
    (NESTED, [{"x": 0.5}, {"x": 1.4}]),
    (
        TENSORS,
        [
            {"W": np.array([[0.5, -1.0], [2.0, 0.3]]), "v": np.array([0.4, -0.2])},
            {"W": np.array([[1.5, 0.2], [-0.3, 0.8]]), "v": np.array([1.0, 2.0])},
        ],
    ),
]
IDS = ["branches", "loop", "loop-with-branch", "branch-without-else", "nested", "tensors"]


@pytest.mark.parametrize(("program", "points"), CASES, ids=IDS)
def test_generated_code_agrees_with_the_tape(program: str, points: list, tmp_path: Path) -> None:
    forward = load_module(generate_source(program, "forward"), tmp_path).f_jvp
    reverse = load_module(generate_source(program, "reverse"), tmp_path).f_vjp
    rng = np.random.default_rng(0)
    for values in points:
        graph = compile_source(program).graph  # the tape of this run
        names = graph.input_names
        args = [values[n] for n in names]
        direction = {n: rng.normal(size=np.shape(values[n])) for n in names}
        trace = run(graph, values, "forward", seed=direction)
        outputs = [trace.output_value(k) for k in range(len(graph.outputs))]
        value, tangent = forward(*args, *[direction[n] for n in names])
        if len(outputs) == 1:
            value, tangent = [value], [tangent]
        for got, want in zip(value, outputs, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-12)
        for got, want in zip(tangent, trace.output_tangents(), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
        cotangents = [rng.normal(size=np.shape(o)) for o in outputs]
        value, grads = reverse(*args, *cotangents)
        jac = run(graph, values, "reverse")
        for n, got in zip(names, grads, strict=True):
            want = sum(
                np.tensordot(c, jac.jacobian(k)[n], axes=np.ndim(c))
                for k, c in enumerate(cotangents)
            )
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_the_reverse_code_keeps_the_loop_and_uses_a_stack() -> None:
    code = generate_source(LOOP_WITH_BRANCH, "reverse")
    lines = [line.strip() for line in code.text.splitlines()]
    assert "for i in range(4):" in lines and "for i in reversed(range(4)):" in lines
    assert "if (y > 1.0) or (y < (-3.0)):" in lines
    assert "stack = []" in lines and "branch = stack.pop()" in lines
    assert "stack.append(y)" in lines and "y = stack.pop()" in lines
    assert lines.count("stack.append(0)  # branch 0 taken") == 1
    pushes = sum(1 for line in code.lines if line.role == "push")
    pops = sum(1 for line in code.lines if line.role == "pop")
    assert pushes >= 3 and pops == 3  # y in each branch and the branch: one pop each
    # the forward code keeps the structure too, with tangents inside it
    forward = [
        line.strip() for line in generate_source(LOOP_WITH_BRANCH, "forward").text.splitlines()
    ]
    assert "for i in range(4):" in forward and "else:" in forward and "y_dot = v3_dot" in forward


def test_lines_map_back_to_program_lines() -> None:
    code = generate_source(LOOP_WITH_BRANCH, "reverse")
    text = code.text.splitlines()
    assert any("stack.append(y)" in text[n - 1] for n in code.lines_for_source_line(5))
    assert code.lines_for_source_line(3, "control")  # the for


def test_a_variable_that_changes_type_is_a_clear_error() -> None:
    program = "v: vec[2]\ns = 0\nfor i in range(2):\n    s = s + v\nreturn sum(s)\n"
    with pytest.raises(AdxError, match="keep one type"):
        generate_source(program, "reverse")


def test_the_stack_is_empty_at_the_end(tmp_path: Path) -> None:
    code = generate_source(NESTED, "reverse")
    text = code.text.replace("    return ", "    assert not stack\n    return ", 1)
    path = tmp_path / "checked.py"
    path.write_text(text)
    import importlib.util

    spec = importlib.util.spec_from_file_location("checked_stack", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for x in (0.5, 1.4, 3.0):
        module.f_vjp(x)


def test_a_tape_gives_structured_code_or_its_unrolled_run(tmp_path: Path) -> None:
    from adexplorer.codegen import generate

    values = {"x": 0.3, "y": 1.2}
    graph = compile_source(LOOP, at=values).graph
    assert graph.dynamic
    structured = generate(graph, "reverse")
    assert "for i in reversed(range(5)):" in structured.text
    unrolled = generate(graph, "reverse", unroll=True)
    assert "for " not in unrolled.text and "stack" not in unrolled.text
    # the unrolled code is the tape: one += line per contribution of the reverse engine
    sweep = run(graph, values, "reverse").adjoint_sweeps[0]
    contributions = [s for s in sweep.steps if s.source is not None]
    assert sum(1 for line in unrolled.lines if line.role == "adjoint") == len(contributions)
    value, grads = load_module(unrolled, tmp_path).f_vjp(values["x"], values["y"])
    same_value, same_grads = load_module(structured, tmp_path).f_vjp(values["x"], values["y"])
    assert value == pytest.approx(same_value, rel=1e-14)
    assert grads == pytest.approx(same_grads, rel=1e-12)


def test_the_cli_writes_a_loop_program(tmp_path: Path) -> None:
    from tests.test_codegen_cli import adx

    (tmp_path / "loop.adx").write_text(LOOP_WITH_BRANCH)
    result = adx("codegen", "loop.adx", "--mode", "reverse", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "for i in reversed(range(4)):" in result.stdout
    forward = adx("codegen", "loop.adx", "--mode", "forward", cwd=tmp_path)
    assert forward.returncode == 0 and "for i in range(4):" in forward.stdout


EARLY_RETURNS = """\
x: real
y: real
s = x
for i in range(4):
    s = s*y + i
    if s > 3:
        return s*x, y
if x < 0:
    return -s, x
return s^2, s*y
"""


@pytest.mark.parametrize(
    "values", [{"x": 1.5, "y": 1.2}, {"x": 0.2, "y": 0.3}, {"x": -0.5, "y": 0.3}]
)
def test_a_return_inside_a_loop_or_a_branch(values: dict, tmp_path: Path) -> None:
    graph = compile_source(EARLY_RETURNS).graph
    names = graph.input_names
    args = [values[n] for n in names]
    trace = run(graph, values, "reverse")
    forward_code = generate_source(EARLY_RETURNS, "forward")
    reverse_code = generate_source(EARLY_RETURNS, "reverse")
    assert "returned" not in forward_code.text  # forward mode returns where the program does
    assert "if returned == 0.0:" in reverse_code.text  # reverse mode runs to the end, guarded
    f_jvp = load_module(forward_code, tmp_path).f_jvp
    f_vjp = load_module(reverse_code, tmp_path).f_vjp
    for k in range(2):
        seed = [1.0 if j == k else 0.0 for j in range(2)]
        values_out, tangents = f_jvp(*args, *seed)
        for o in range(2):
            assert values_out[o] == pytest.approx(float(trace.output_value(o)), rel=1e-13)
            assert tangents[o] == pytest.approx(float(trace.jacobian(o)[names[k]]), rel=1e-10)
    for o in range(2):
        weights = [1.0 if j == o else 0.0 for j in range(2)]
        _, grads = f_vjp(*args, *weights)
        for n, g in zip(names, grads, strict=True):
            assert g == pytest.approx(float(trace.jacobian(o)[n]), rel=1e-10, abs=1e-14)


def test_the_programs_of_the_control_flow_tests_and_readme(tmp_path: Path) -> None:
    from tests.test_control_flow import HORNER, PIECEWISE

    early = "x: real\nif x < 0:\n    return -x\nreturn x^2\n"
    for program, points in [(HORNER, [0.5, 0.0, 2.0]), (PIECEWISE, [-1.5, 0.0, 2.0]),
                            (early, [-2.0, 3.0])]:  # fmt: skip
        f_vjp = load_module(generate_source(program, "reverse"), tmp_path).f_vjp
        f_jvp = load_module(generate_source(program, "forward"), tmp_path).f_jvp
        graph = compile_source(program).graph
        for x in points:
            trace = run(graph, {"x": x}, "reverse")
            value, (grad,) = f_vjp(x)
            assert value == pytest.approx(float(trace.output_value()), rel=1e-14)
            assert grad == pytest.approx(float(trace.gradient()["x"]), rel=1e-12)
            assert f_jvp(x, 1.0)[1] == pytest.approx(grad, rel=1e-12)


def test_the_loop_example_in_docs_codegen_is_what_adx_writes() -> None:
    docs = (Path(__file__).resolve().parent.parent / "docs" / "codegen.md").read_text()
    section = docs.split("### Example: a loop and a branch, in reverse mode", 1)[1]
    program = section.split("```\n", 2)[1]
    shown = section.split("```python\n", 1)[1].split("```", 1)[0]
    code = generate_source(program, "reverse").text
    assert "def f_vjp" in shown and code.endswith(shown)


# -- random loop programs with branches and an early return, against the tape -------------

BODIES = ["s = s + {e}", "s = s*{e}", "s = sin(s) + {e}", "s = s - {e}*i", "t = s*{e}"]
TERMS = ["x", "x*y", "tanh(y)", "x^2", "cos(x*i)", "t"]


@st.composite
def programs(draw):  # type: ignore[no-untyped-def]
    count = draw(st.integers(0, 4))
    body = draw(st.lists(st.sampled_from(BODIES), min_size=1, max_size=3))
    terms = draw(st.lists(st.sampled_from(TERMS), min_size=len(body), max_size=len(body)))
    threshold = draw(st.sampled_from(["0", "0.5", "-1"]))
    early = draw(st.booleans())
    lines = ["x: real", "y: real", "s = 1", "t = x", f"for i in range({count}):"]
    lines += ["    " + b.format(e=e) for b, e in zip(body, terms, strict=True)]
    lines += [f"    if s > {threshold} and not t > 2:", "        s = s*0.5"]
    lines += ["    elif s < -2:", "        return s*t, t"] if early else []
    lines += ["    else:", "        s = s + y", "return s, t*s"]
    return "\n".join(lines) + "\n"


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(source=programs(), x=st.floats(-1.5, 1.5), y=st.floats(-1.5, 1.5))
def test_random_programs_against_the_tape(source: str, x: float, y: float, tmp_path: Path) -> None:
    f_jvp = load_module(generate_source(source, "forward"), tmp_path).f_jvp
    f_vjp = load_module(generate_source(source, "reverse"), tmp_path).f_vjp
    trace = run(compile_source(source).graph, {"x": x, "y": y}, "reverse")
    for o in range(2):
        weights = [1.0 if k == o else 0.0 for k in range(2)]
        values, grads = f_vjp(x, y, *weights)
        assert values[o] == pytest.approx(float(trace.output_value(o)), rel=1e-12, abs=1e-300)
        jac = trace.jacobian(o)
        for name, g in zip(("x", "y"), grads, strict=True):
            assert g == pytest.approx(float(jac[name]), rel=1e-9, abs=1e-12, nan_ok=True)
        _, tangents = f_jvp(x, y, 1.0, 0.0)
        assert tangents[o] == pytest.approx(float(jac["x"]), rel=1e-9, abs=1e-12, nan_ok=True)


def test_each_step_of_a_tape_finds_a_line_of_the_structured_code() -> None:
    from adexplorer.codegen import generate

    graph = compile_source(LOOP_WITH_BRANCH, at={"x": 0.9}).graph
    trace = run(graph, {"x": 0.9}, "reverse")
    code = generate(graph, "reverse")
    text = code.text.splitlines()
    for step in trace.primal_steps:
        if graph.nodes[step.node].is_op:
            line = code.line_for_step(step, trace.graph)
            assert line is not None and "=" in text[line - 1]
    for step in trace.adjoint_sweeps[0].steps:
        line = code.line_for_step(step, trace.graph)
        if step.source is not None:
            assert line is not None and " += " in text[line - 1]


STEPPED = """\
x: real
s = x
for i in range(1, 8, 3):
    s += x*i
for j in range(5, 0, -2):
    s *= sin(s + j)
return s
"""


def test_ranges_with_start_and_step_and_augmented_assignment(tmp_path: Path) -> None:
    reverse = generate_source(STEPPED, "reverse")
    assert "for i in range(1, 10, 3):" in reverse.text
    assert "for j in reversed(range(5, -1, -2)):" in reverse.text
    f_vjp = load_module(reverse, tmp_path).f_vjp
    f_jvp = load_module(generate_source(STEPPED, "forward"), tmp_path).f_jvp
    graph = compile_source(STEPPED).graph
    for x in (0.3, -1.1):
        trace = run(graph, {"x": x}, "reverse")
        value, (grad,) = f_vjp(x)
        assert value == pytest.approx(float(trace.output_value()), rel=1e-13)
        assert grad == pytest.approx(float(trace.gradient()["x"]), rel=1e-10)
        assert f_jvp(x, 1.0)[1] == pytest.approx(grad, rel=1e-10)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_a_loop_over_range_with_start_and_step_and_augmented_assignment(
    mode: str, tmp_path: Path
) -> None:
    source = (
        "x: real = 2\ns = 0\nfor i in range(1, 7, 2):\n    s += x*i\n"
        "    if s > 5:\n        s *= x\nreturn s\n"
    )
    code = generate_source(source, mode)
    assert "range(1, 7, 2)" in code.text
    module = load_module(code, tmp_path)
    for x in (2.0, 0.3, -1.0):
        trace = run(compile_source(source).graph, {"x": np.array(x)}, "reverse")
        if mode == "reverse":
            value, (x_bar,) = module.f_vjp(x)
        else:
            value, x_bar = module.f_jvp(x, 1.0)
        assert float(value) == pytest.approx(float(trace.output_value()), rel=1e-14)
        assert float(x_bar) == pytest.approx(float(trace.gradient()["x"]), rel=1e-12)
