"""The adx language: precedence, number forms, programs, names, shapes and error messages."""

from __future__ import annotations

import math

import numpy as np
import pytest

from adexplorer.base.errors import AdxError
from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source, parse_at


def value(expr: str, **at: float) -> float:
    graph = compile_source(expr).graph
    return float(run(graph, at, "evaluate").output_value())


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("-x^2", -9.0),  # unary minus binds looser than ^
        ("x*-y", -6.0),
        ("x^-2", 1 / 9),
        ("2^3^2", 512.0),  # right-associative
        ("2**3^2", 512.0),  # ^ and ** mix
        ("x - y - 1", -0.0),  # left-associative
        ("x / y / 2", 0.75),
        ("-x*y", -6.0),
        ("+x", 3.0),
        ("(x + y) * 2", 10.0),
        ("x + y * 2", 7.0),
        ("--x", 3.0),
        ("-2^2", -4.0),
    ],
)
def test_precedence_follows_python(expr: str, expected: float) -> None:
    assert value(expr, x=3, y=2) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", 2.0),
        ("2.5", 2.5),
        (".5", 0.5),
        ("5.", 5.0),
        ("1e-3", 1e-3),
        ("1E3", 1000.0),
        ("2.5e+2", 250.0),
    ],
)
def test_number_forms(text: str, expected: float) -> None:
    assert value(f"{text} + 0*x", x=1) == expected


def test_constants_pi_and_e() -> None:
    assert value("pi + 0*x", x=0) == pytest.approx(math.pi)
    assert value("e^x", x=1) == pytest.approx(math.e)


def test_aliases() -> None:
    assert value("ln(x) - log(x) + arcsin(0.5) - asin(0.5) + arctan(x) - atan(x)", x=2) == 0.0


def test_program_with_declarations_defaults_and_multiple_outputs() -> None:
    source = """
    # a small program
    x1: real = 2
    x2: real = 5
    a = ln(x1)
    b = x1 * x2; c = sin(x2)
    f = a + b - c
    return f, b
    """
    graph = compile_source(source).graph
    assert graph.input_names == ("x1", "x2")
    assert graph.output_names == ("f", "b")
    trace = run(graph, {}, "reverse")
    assert float(trace.output_value(0)) == pytest.approx(11.652071455223084)
    assert float(trace.jacobian(1)["x1"]) == 5.0


def test_vectors_matrices_and_broadcasting() -> None:
    source = "W: mat[2,3]\nv: vec[3]\nb: vec[2] = 0.5\nh = tanh(W @ v + b)\nreturn sum(h * h)"
    graph = compile_source(source).graph
    rng = np.random.default_rng(0)
    w, v = rng.normal(size=(2, 3)), rng.normal(size=3)
    trace = run(graph, {"W": w, "v": v}, "reverse")
    h = np.tanh(w @ v + 0.5)
    assert float(trace.output_value()) == pytest.approx(float(np.sum(h * h)))
    grad_h = 2 * h * (1 - h * h)
    np.testing.assert_allclose(trace.gradient()["W"], np.outer(grad_h, v))
    np.testing.assert_allclose(trace.gradient()["v"], w.T @ grad_h)
    np.testing.assert_allclose(trace.gradient()["b"], grad_h)


def test_transpose_attribute_and_function_agree() -> None:
    source = "A: mat[2,3]\nreturn sum(A.T @ [1, 2]) + sum(transpose(A) @ [1, 2])"
    graph = compile_source(source).graph
    a = np.arange(6.0).reshape(2, 3)
    assert float(run(graph, {"A": a}, "evaluate").output_value()) == 2 * float(np.sum(a.T @ [1, 2]))


def test_griewank_and_wengert_numbering() -> None:
    graph = compile_source("x1*x2 + sin(x1)").graph
    assert graph.labels("griewank") == ("v-1", "v0", "v1", "v2", "v3")
    assert graph.labels("wengert") == ("w1", "w2", "w3", "w4", "w5")


def test_x_times_x_lists_the_argument_twice() -> None:
    graph = compile_source("x*x").graph
    assert graph.nodes[-1].args == (0, 0)
    assert float(run(graph, {"x": 3}, "reverse").gradient()["x"]) == 6.0


def test_at_values() -> None:
    values = parse_at("x1=2, v=[1,2,3], W=[[1,2],[3,4]], t=pi/4, n=-1e-3")
    assert float(values["x1"][0]) == 2.0
    assert values["v"][0].shape == (3,)
    assert values["W"][0].shape == (2, 2)
    assert float(values["t"][0]) == pytest.approx(math.pi / 4)
    assert float(values["n"][0]) == -1e-3


# -- errors: kind, position and wording ---------------------------------------


def error_of(source: str) -> AdxError:
    with pytest.raises(AdxError) as info:
        compile_source(source)
    return info.value


@pytest.mark.parametrize(
    ("source", "kind", "line", "column", "words"),
    [
        ("x +", "parse", 1, 4, "missing its right-hand operand"),
        ("2 x", "parse", 1, 3, "no operator between"),
        ("sin(x", "parse", 1, 6, "never closed"),
        ("x)", "parse", 1, 2, "no matching opening"),
        ("x $ y", "parse", 1, 3, "unexpected character '$'"),
        ("", "parse", None, None, "empty"),
        ("   \n  # only a comment\n", "parse", None, None, "empty"),
        ("sinn(x)", "name", 1, 1, "unknown function 'sinn'"),
        ("x: real\ny = z", "name", 2, 5, "unknown name 'z'"),
        ("pi = 3\npi", "name", 1, 1, "cannot be rebound"),
        ("e: real\ne", "name", 1, 1, "cannot be rebound"),
        ("sin(x, y)", "type", 1, 1, "takes 1 argument"),
        ("v: vec[3]\nW: mat[2,2]\nW @ v", "type", 3, 1, "mat[2,2] @ vec[3]"),
        ("u: vec[2]\nv: vec[3]\nu + v", "type", 3, 1, "vec[2] and vec[3]"),
        ("x: real\nx: real\nx", "name", 2, 1, "already defined"),
        ("x.Q", "name", 1, 3, "unknown attribute"),
        ("y = 2*x\n", "parse", 1, 1, "no output"),
        ("x\ny", "parse", 1, 1, "never used"),
        ("return x\ny = 2", "parse", 2, 1, "nothing may follow"),
        ("v: vec[0]\nsum(v)", "type", 1, 8, "at least 1"),
        ("x: real = [1, 2]\nx", "type", 1, 11, "declared real"),
        ("[x, 1]", "type", 1, 1, "only numbers"),
        ("sin + 1", "name", 1, 1, "is a function"),
        ("x: real\nx = 2\nx", "name", 2, 1, "is an input"),
    ],
)
def test_errors_say_what_and_where(
    source: str, kind: str, line: int | None, column: int | None, words: str
) -> None:
    error = error_of(source)
    assert error.kind == kind
    assert words in error.message
    assert (error.line, error.column) == (line, column)
    text = error.render()
    assert "Traceback" not in text
    if line is not None:
        assert "^" in text  # the caret under the source


def test_unknown_names_suggest_the_closest() -> None:
    assert error_of("sinn(x)").hint == "did you mean 'sin'?"
    assert error_of("sigmod(x)").hint == "did you mean 'sigmoid'?"
    assert error_of("alpha: real\nalpah + 1").hint == "did you mean 'alpha'?"


def test_caret_points_at_the_error() -> None:
    text = error_of("x1 + * x2").render()
    assert "1 | x1 + * x2\n         ^" in text


def test_domain_problems_are_warnings_naming_node_and_source() -> None:
    graph = compile_source("ln(x) + 1/y").graph
    trace = run(graph, {"x": -1, "y": 0}, "reverse")
    assert np.isnan(trace.output_value()) or np.isinf(trace.output_value())
    joined = "\n".join(trace.warnings)
    assert "'ln(x)'" in joined and "log is defined for positive numbers" in joined
    assert "'1/y'" in joined and "division by zero" in joined


def test_missing_input_is_named() -> None:
    graph = compile_source("x*y").graph
    with pytest.raises(AdxError, match="no value for input y"):
        run(graph, {"x": 1}, "reverse")


def test_unused_input_gets_zero_gradient_and_a_warning() -> None:
    lowered = compile_source("x^2", extra_inputs=["y"])
    assert any("y is not used" in w for w in lowered.warnings)
    grad = run(lowered.graph, {"x": 3, "y": 1}, "reverse").gradient()
    assert float(grad["y"]) == 0.0 and float(grad["x"]) == 6.0


def test_line_continuation_and_semicolons() -> None:
    graph = compile_source("x: real = 2; y: real = 3\nf = x * \\\n    y + 1\nreturn f").graph
    assert float(run(graph, {}, "evaluate").output_value()) == 7.0


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("ln(x1) + x1^", "missing its right-hand operand"),
        ("a + b ^", "missing its right-hand operand"),
        ("a*b*", "missing its right-hand operand"),
        ("x + (", "never closed"),
        ("sin(cos(x)", "never closed"),
        ("[1, 2", "'[' is never closed"),
    ],
)
def test_errors_at_the_end_of_the_text_are_worded(source: str, words: str) -> None:
    error = error_of(source)
    assert words in error.message
    assert error.column == len(source.rstrip()) + 1


def test_unnamed_outputs_are_named_by_position() -> None:
    graph = compile_source("x: real = 1\ny = x^2\nreturn x*2, y, sin(x)").graph
    assert graph.output_names == ("f1", "y", "f3")


def test_a_scalar_fills_the_declared_shape_everywhere() -> None:
    """One rule (base.shapes.fill) for defaults, --at values and seeds."""
    graph = compile_source("b: vec[3] = 2\nW: mat[2,3]\nreturn sum(W @ b)").graph
    assert graph.defaults["b"].tolist() == [2.0, 2.0, 2.0]
    trace = run(graph, {"W": 1.0}, "forward", seed={"W": 0.0, "b": 1.0})
    assert float(trace.output_value()) == 12.0
    assert float(trace.output_tangents()[0]) == 6.0  # every entry of b moved by 1
    message = error_of("b: vec[3] = [1, 2]\nb").message
    assert "is vec[2], but 'b' is declared vec[3]" in message
    with pytest.raises(AdxError, match="the value given is vec\\[2\\]"):
        run(graph, {"W": 1.0, "b": np.ones(2)}, "evaluate")
    with pytest.raises(AdxError, match="the seed for 'b' has shape vec\\[2\\]"):
        run(graph, {"W": 1.0}, "forward", seed={"b": np.ones(2)})


def test_lowering_has_one_method_per_grammar_alias() -> None:
    """Every ``-> alias`` of the grammar is lowered by a method of that name."""
    from lark import Lark

    from adexplorer.base.resources import grammar_path
    from adexplorer.lang.lower import _Expressions, _Statements

    grammar = Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        lexer="basic",
        start=["program", "bindings"],
    )
    aliases = {str(rule.alias) for rule in grammar.rules if rule.alias}
    aliases |= {"declaration", "assignment", "output", "binding"}  # named rules, not aliases
    missing = {a for a in aliases if not hasattr(_Expressions, a) and not hasattr(_Statements, a)}
    assert missing == set()
