"""Seeded random values: normal(seed=S) and uniform(LO, HI, seed=S) are numpy's
default_rng numbers for the input's shape, exactly, and every misuse is a clear
error with a caret."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from adexplorer.base.errors import AdxError
from adexplorer.core.trace import input_values, run
from adexplorer.lang.lower import compile_source, declared_shapes, parse_at

NETWORK = """\
X:  mat[64,1000] = normal(seed=1)
Y:  mat[64,10]   = normal(seed=2)
W1: mat[1000,100] = uniform(-1/sqrt(1000), 1/sqrt(1000), seed=3)
b1: vec[100]      = uniform(-1/sqrt(1000), 1/sqrt(1000), seed=4)
W2: mat[100,10]   = uniform(-1/sqrt(100), 1/sqrt(100), seed=5)
b2: vec[10]       = uniform(-1/sqrt(100), 1/sqrt(100), seed=6)
h = relu(X @ W1 + b1)
p = h @ W2 + b2
return sum((p - Y)^2)
"""


def numpy_network() -> dict[str, np.ndarray]:
    """The network's values made directly with numpy, as anyone would rebuild them."""
    rng = np.random.default_rng
    bound1, bound2 = 1 / math.sqrt(1000), 1 / math.sqrt(100)
    return {
        "X": rng(1).standard_normal((64, 1000)),
        "Y": rng(2).standard_normal((64, 10)),
        "W1": rng(3).uniform(-bound1, bound1, (1000, 100)),
        "b1": rng(4).uniform(-bound1, bound1, (100,)),
        "W2": rng(5).uniform(-bound2, bound2, (100, 10)),
        "b2": rng(6).uniform(-bound2, bound2, (10,)),
    }


def test_the_networks_defaults_are_numpys_numbers_bit_for_bit() -> None:
    graph = compile_source(NETWORK).graph
    expected = numpy_network()
    assert list(graph.defaults) == list(expected)
    for name, value in expected.items():
        got = graph.defaults[name]
        assert got.dtype == np.float64 and got.shape == value.shape
        assert got.flags.c_contiguous
        assert np.array_equal(got, value), name  # exact, not approximately


def test_the_networks_loss_matches_numpy() -> None:
    values = numpy_network()
    hidden = np.maximum(values["X"] @ values["W1"] + values["b1"], 0)
    loss = np.sum((hidden @ values["W2"] + values["b2"] - values["Y"]) ** 2)
    graph = compile_source(NETWORK).graph
    trace = run(graph, input_values(graph, {}), "evaluate")
    assert float(trace.output_value()) == pytest.approx(loss, rel=1e-13)


def test_at_random_values_take_the_declared_shape() -> None:
    values = parse_at("W2=normal(seed=7), b2=uniform(0, 2, seed=8)", program=NETWORK)
    assert np.array_equal(values["W2"][0], np.random.default_rng(7).standard_normal((100, 10)))
    assert np.array_equal(values["b2"][0], np.random.default_rng(8).uniform(0, 2, 10))


def test_shapes_given_directly_and_shape_argument() -> None:
    got = parse_at("W=normal(seed=0)", shapes={"W": (2, 3)})["W"][0]
    assert np.array_equal(got, np.random.default_rng(0).standard_normal((2, 3)))
    for text, shape in [("[2,3]", (2, 3)), ("[4]", (4,)), ("4", (4,)), ("[]", ())]:
        value = parse_at(f"v=uniform(-1, 1, seed=5, shape={text})")["v"][0]
        assert np.shape(value) == shape
        assert np.array_equal(value, np.random.default_rng(5).uniform(-1, 1, shape))


def test_random_values_in_an_expression_program_with_shape() -> None:
    from adexplorer.cli.common import load

    loaded, bindings = load("sum(W*W)", ["W=normal(seed=3, shape=[2,2])"])
    assert loaded.graph.nodes[loaded.graph.inputs[0]].shape == (2, 2)
    expected = np.random.default_rng(3).standard_normal((2, 2))
    assert np.array_equal(bindings["W"], expected)


def test_constant_bounds_are_folded_like_numpy() -> None:
    value = parse_at("b=uniform(-1/sqrt(1000), 1/sqrt(1000), seed=4)", shapes={"b": (5,)})
    bound = 1 / math.sqrt(1000)
    assert np.array_equal(value["b"][0], np.random.default_rng(4).uniform(-bound, bound, 5))


def test_declared_shapes_reads_only_declarations() -> None:
    assert declared_shapes(NETWORK) == {
        "X": (64, 1000),
        "Y": (64, 10),
        "W1": (1000, 100),
        "b1": (100,),
        "W2": (100, 10),
        "b2": (10,),
    }
    assert declared_shapes("x*y") is None
    assert declared_shapes("x +") is None  # compiling says what is wrong


def error_of(text: str, **kwargs: object) -> AdxError:
    with pytest.raises(AdxError) as caught:
        parse_at(text, **kwargs)  # type: ignore[arg-type]
    error = caught.value
    error.render()
    return error


@pytest.mark.parametrize(
    ("text", "words", "caret"),
    [
        ("W=normal(seed=-1)", "whole number from 0", "-1"),
        ("W=normal(seed=1.5)", "whole number from 0", "1.5"),
        ("W=normal(seed=2^60)", "whole number from 0", "2^60"),
        ("W=normal(seed=[1,2])", "whole number from 0", "[1,2]"),
        ("W=normal()", "needs a seed", "normal()"),
        ("W=uniform(1, 0, seed=1)", "lo < hi", "1, 0"),
        ("W=uniform(1, 1, seed=1)", "lo < hi", "1, 1"),
        ("W=uniform(0, seed=1)", "two numbers", "0"),
        ("W=normal(0, 1, seed=1)", "takes no numbers", "0"),
        ("W=normal(sed=1)", "did you mean 'seed'", "sed"),
        ("W=normal(seed=1, seed=2)", "given twice", "seed"),
        ("W=normal(seed=1, 2)", "follows a keyword", "2"),
        ("W=uniform(x, 1, seed=1)", "unknown name 'x'", "x"),
        ("W=uniform(0, 1/0, seed=1)", "finite number", "1/0"),
        ("W=normal(seed=1, shape=[2,3,4])", "shape= takes", "[2,3,4]"),
        ("W=normal(seed=1, shape=0)", "shape= takes", "0"),
        ("W=normal(seed=1, shape=[2,2])", "shape= says mat[2,2]", "shape"),
    ],
)
def test_misuse_is_a_clear_error_with_a_caret(text: str, words: str, caret: str) -> None:
    error = error_of(text, shapes={"W": (3, 2)})
    assert words in error.message or words in (error.hint or ""), error.render()
    assert error.span is not None
    assert error.span.text(text) == caret, error.render()


def test_without_a_declared_shape_the_error_says_how_to_give_one() -> None:
    error = error_of("W=normal(seed=1)")
    assert "needs the shape of 'W'" in error.message
    assert "shape=[64,1000]" in (error.hint or "")
    error = error_of("Z=normal(seed=1)", program=NETWORK)
    assert "does not declare" in error.message


def test_random_values_are_not_operations() -> None:
    for program in (
        "x: vec[3]\nreturn sum(x * normal(seed=1))",
        "x: vec[3] = 2*normal(seed=1)\nreturn sum(x)",
    ):
        with pytest.raises(AdxError) as caught:
            compile_source(program)
        assert "not an operation" in caught.value.message
        assert "declaration's default" in (caught.value.hint or "")
        assert caught.value.span is not None
        assert caught.value.span.text(program).startswith("normal(")


def test_keyword_arguments_are_only_for_random_values() -> None:
    with pytest.raises(AdxError) as caught:
        compile_source("sin(x=1)")
    assert "no keyword arguments" in caught.value.message
    assert caught.value.span is not None and caught.value.span.text("sin(x=1)") == "x=1"


def test_a_random_default_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(AdxError) as caught:
        compile_source("W: mat[2,2] = normal(seed=1, shape=[3])\nreturn sum(W)")
    assert "shape= says vec[3]" in caught.value.message


def test_size_is_checked_before_drawing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADX_MAX_TENSOR_ENTRIES", "100")
    error = error_of("W=normal(seed=1, shape=[1000,1000])")
    assert "over adx's limit" in error.message


def test_names_normal_and_uniform_stay_usable_as_inputs() -> None:
    graph = compile_source("normal*2 + uniform").graph
    assert graph.input_names == ("normal", "uniform")


def test_a_program_with_control_flow_keeps_random_defaults() -> None:
    program = "w: vec[3] = normal(seed=4)\ns = 0\nfor i in range(2):\n    s += sum(w*w)\nreturn s"
    graph = compile_source(program).graph
    expected = np.random.default_rng(4).standard_normal(3)
    assert np.array_equal(graph.defaults["w"], expected)
    trace = run(graph, input_values(graph, {}), "reverse")
    assert np.allclose(trace.gradient()["w"], 4 * expected)


# ------------------------------------------------- bias broadcasting, X @ W + b

SMALL = """\
X:  mat[5,4] = normal(seed=11)
Y:  mat[5,2] = normal(seed=12)
W1: mat[4,3] = uniform(-1/sqrt(4), 1/sqrt(4), seed=13)
b1: vec[3]   = uniform(-1/sqrt(4), 1/sqrt(4), seed=14)
W2: mat[3,2] = uniform(-1/sqrt(3), 1/sqrt(3), seed=15)
b2: vec[2]   = uniform(-1/sqrt(3), 1/sqrt(3), seed=16)
h = relu(X @ W1 + b1)
p = h @ W2 + b2
return sum((p - Y)^2)
"""


def numpy_backprop(v: dict[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray]]:
    """The network's loss and gradient by hand (the text's backprop, in X @ W form)."""
    z = v["X"] @ v["W1"] + v["b1"]  # the bias row is added to every row of the batch
    h = np.maximum(z, 0)
    p = h @ v["W2"] + v["b2"]
    p_bar = 2 * (p - v["Y"])
    h_bar = p_bar @ v["W2"].T
    z_bar = h_bar * (z > 0)
    gradient = {
        "X": z_bar @ v["W1"].T,
        "Y": -p_bar,
        "W1": v["X"].T @ z_bar,
        "b1": z_bar.sum(axis=0),  # broadcasting's adjoint: the sum over the batch rows
        "W2": h.T @ p_bar,
        "b2": p_bar.sum(axis=0),
    }
    return float(np.sum((p - v["Y"]) ** 2)), gradient


@pytest.mark.parametrize("mode", ["evaluate", "forward", "reverse"])
def test_bias_broadcasting_matches_numpy_in_every_mode(mode: str) -> None:
    graph = compile_source(SMALL).graph
    values = input_values(graph, {})
    loss, gradient = numpy_backprop({k: np.asarray(v) for k, v in values.items()})
    trace = run(graph, values, mode)
    assert float(trace.output_value()) == pytest.approx(loss, rel=1e-12)
    if mode == "evaluate":
        return
    got = trace.gradient()
    for name, expected in gradient.items():
        assert got[name].shape == expected.shape, name
        np.testing.assert_allclose(got[name], expected, rtol=1e-11, atol=1e-13, err_msg=name)


def test_bias_broadcasting_at_the_networks_size() -> None:
    graph = compile_source(NETWORK).graph
    values = input_values(graph, {})
    loss, gradient = numpy_backprop({k: np.asarray(v) for k, v in values.items()})
    trace = run(graph, values, "reverse")
    assert float(trace.output_value()) == pytest.approx(loss, rel=1e-12)
    for name in ("W1", "b1", "W2", "b2"):
        np.testing.assert_allclose(trace.gradient()[name], gradient[name], rtol=1e-10, atol=1e-12)


def test_a_bias_of_the_wrong_length_is_a_type_error_naming_both_shapes() -> None:
    with pytest.raises(AdxError) as caught:
        compile_source("X: mat[4,3]\nW: mat[3,2]\nb: vec[3]\nreturn sum(X @ W + b)")
    assert "mat[4,2] and vec[3]" in caught.value.message


@pytest.mark.parametrize(
    "value, message",
    [
        ("uniform(-1e308, 1e308, seed=1)", "hi - lo must be a finite number"),
        ("normal(seed=2**53)", "from 0 to 2**53 - 1"),
        ("normal(seed=9007199254740993)", "from 0 to 2**53 - 1"),  # rounds to 2**53
    ],
)
def test_ranges_numpy_cannot_draw_and_seeds_a_float_rounds_are_refused(
    value: str, message: str
) -> None:
    """numpy raised OverflowError for the first (an internal error); the others would
    silently have drawn 2**53's numbers."""
    with pytest.raises(AdxError, match=re.escape(message)):
        parse_at(f"w={value}", "--at", shapes={"w": (3,)})
    largest = parse_at("w=normal(seed=2**53 - 1)", "--at", shapes={"w": (3,)})["w"][0]
    assert np.array_equal(largest, np.random.default_rng(2**53 - 1).standard_normal(3))
