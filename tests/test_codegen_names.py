"""Generated code contains no user text beyond the names the grammar accepted.

Random names (Python keywords, numpy's ``np``, names that look like the trace's
``v3`` or end in ``_dot``) and random constants: the generated module still
compiles, agrees with the engines, and its statements use only generated names,
numpy's functions and the (underscored where needed) user names; a comment in
the program never reaches the generated code.
"""

from __future__ import annotations

import ast
import io
import math
import re
import tokenize
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from adexplorer.base.errors import AdxError
from adexplorer.codegen import generate
from adexplorer.codegen.names import UserNames, literal, python_name
from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source
from tests.codegen_helpers import load_module

TRICKY = [
    "lambda",
    "None",
    "np",
    "range",
    "v1",
    "v_1",
    "v0",
    "x_dot",
    "x_bar",
    "f_bar",
    "stack",
    "def",
    "match",
    "f_jvp",
    "v3_bar",
    "_",
    "x",
    "X",
    "y_",
]
NAMES = st.one_of(
    st.sampled_from(TRICKY), st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True)
)
CONSTANTS = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).filter(
    lambda c: abs(c) > 1e-3
)
GENERATED = re.compile(r"v_?\d+(_dot|_bar)?")


def _statement_names(text: str, allowed_lines: set[int]) -> set[str]:
    found = set()
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    previous = None
    for token in tokens:
        # numpy's attributes (np.sin, .T) follow a dot
        if token.type == tokenize.NAME and token.start[0] in allowed_lines and previous != ".":
            found.add(token.string)
        previous = token.string
    return found


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(a=NAMES, b=NAMES, out=NAMES, c=CONSTANTS)
def test_random_names_and_constants(a: str, b: str, out: str, c: float, tmp_path: Path) -> None:
    assume(len({a, b, out}) == 3)
    c_text = repr(c)
    program = (
        f"# a comment MARKER_{a}_{b} stays in the program\n"
        f"{a}: real\n{b}: real\n"
        f"{out} = {a} * {c_text} + sin({b}) * {a} / ({b}^2 + 1)\nreturn {out}\n"
    )
    try:
        graph = compile_source(program).graph
    except AdxError:
        assume(False)  # a built-in constant or function name: the grammar refused it
        return
    for mode in ("forward", "reverse"):
        code = generate(graph, mode)
        assert f"MARKER_{a}_{b}" not in code.text
        statements = {line.number for line in code.lines if line.role != "text"}
        function = next(n for n in ast.parse(code.text).body if isinstance(n, ast.FunctionDef))
        params = [arg.arg for arg in function.args.args]
        users = UserNames([a, b])
        inputs = [users[a], users[b]]
        # the parameters: the inputs, then their tangents or the output's cotangent
        assert params[:2] == inputs
        assert all(p.endswith(("_dot", "_bar")) for p in params[2:])
        assert all(
            p.rstrip("_").removesuffix("_dot").removesuffix("_bar") in {*inputs, python_name(out)}
            for p in params[2:]
        )
        allowed = {"def", "return", "import", "as", "np", code.function, *params}
        for name in _statement_names(code.text, statements):
            assert name in allowed or GENERATED.fullmatch(name), (name, code.text)
        module = load_module(code, tmp_path)
        x, y = 1.25, -0.5
        trace = run(graph, {a: x, b: y}, "reverse")
        if mode == "forward":
            value, tangent = module.f_jvp(x, y, 1.0, 0.0)
            assert math.isclose(tangent, trace.jacobian()[a], rel_tol=1e-9, abs_tol=1e-12)
        else:
            value, (ga, gb) = module.f_vjp(x, y)
            assert math.isclose(ga, trace.jacobian()[a], rel_tol=1e-9, abs_tol=1e-12)
            assert math.isclose(gb, trace.jacobian()[b], rel_tol=1e-9, abs_tol=1e-12)
        assert math.isclose(value, trace.output_value(), rel_tol=1e-12, abs_tol=1e-12)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_literals_are_exact_python(x: float) -> None:
    text = literal(x)
    assert re.fullmatch(r"\(-[^()]+\)|[^()-][^()]*", text), text  # an atom: negatives in ()
    back = float(text.strip("()").replace("np.", ""))
    assert (math.isnan(back) and math.isnan(x)) or (
        back == x and math.copysign(1, back) == math.copysign(1, x)
    )


def test_user_names_never_clash() -> None:
    users = UserNames(["x", "x_dot", "x_dot_", "v1", "lambda", "np"])
    mapped = [users[n] for n in ["x", "x_dot", "x_dot_", "v1", "lambda", "np"]]
    assert mapped == ["x", "x_dot_", "x_dot__", "v1_", "lambda_", "np_"]
    assert len(set(mapped)) == len(mapped)
