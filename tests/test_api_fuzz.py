"""Random programs, values and options through the Python API: an AdxError or a result,
never another exception (the API's "never a traceback" for bad user input)."""

from __future__ import annotations

import contextlib
import math
import re
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import adexplorer

NAMES = ["x", "y", "v", "W", "f", "lambda", "mode"]
PIECES = [
    "x", "y", "v", "W", "+", "-", "*", "/", "^", "@", "(", ")", "[", "]", ",", " ", "\n",
    "    ", "sin(", "ln(", "sqrt(", "sum(", "exp(", "relu(", "where(", "x > 0", "if ", ":",
    "for i in range(3):", "return ", "=", "1", "0", "2.5", "1e308", "pi", "real", "vec[2]",
    "x: real", "v: vec[2]", "W: mat[2,2]", ".T", "#", "\x1b[31m", "[bold]", "é", "\u202e",
]  # fmt: skip

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
)
values = st.one_of(
    numbers,
    st.floats(min_value=-3, max_value=3),
    st.lists(st.floats(min_value=-3, max_value=3), min_size=2, max_size=2),
    st.lists(numbers, max_size=4),
    st.lists(st.lists(numbers, min_size=2, max_size=2), max_size=3),
    st.lists(st.one_of(numbers, st.lists(numbers, max_size=2)), max_size=3),  # ragged
    st.sampled_from(["pi/4", "[1, 2]", "normal(seed=1)", "abc", "1, y=2", "", "[[1,2],[3]]"]),
    st.sampled_from([None, True, 1j, {"a": 1}, b"1", object(), np.array([1j]), np.ones(2)]),
)
VALID = [
    "x^2", "sin(x)*y", "sum(v*v)", "sum(W@v)", "ln(x) + x*y - sin(y)", "return x*y, x + y",
    "sqrt(x)", "x: real\nif x > 0:\n    y = x^2\nelse:\n    y = -x\nreturn y",
    "x: real\ny = x\nfor i in range(3):\n    y = y*x\nreturn y", "relu(x) + abs(y)", "W@v",
]  # fmt: skip
sources = st.one_of(
    st.sampled_from(VALID),
    st.sampled_from(VALID).flatmap(lambda v: st.sampled_from(PIECES).map(lambda p: v + p)),
    st.lists(st.sampled_from(PIECES), max_size=14).map("".join),
    st.text(max_size=30),
)
options = st.fixed_dictionaries(
    {},
    optional={
        "mode": st.sampled_from(["reverse", "forward", "evaluate", "reverse", "forward", 3]),
        "wrt": st.one_of(st.sampled_from(NAMES), st.lists(st.sampled_from(NAMES), max_size=2)),
        "seed": st.dictionaries(st.sampled_from(NAMES), values, max_size=2),
        "vector": st.booleans(),
        "checkpoint": st.sampled_from(["every=1", "snapshots=2", "sometimes", "every=0"]),
        "numbering": st.sampled_from(["griewank", "wengert", "roman"]),
        "digits": st.sampled_from([1, 6, 17, 0, 18, 2.5]),
    },
)


def _exercise(result: Any) -> None:
    """Read everything a caller might read; derivative accessors may refuse with AdxError."""
    for read in (
        lambda: result.value,
        lambda: result.gradient,
        lambda: result.jacobian(),
        lambda: result.tangent,
        lambda: result.vjp,
    ):
        with contextlib.suppress(adexplorer.AdxError):
            read()
    assert isinstance(result.to_json(), str)
    assert all(isinstance(s.text, str) for s in result.steps)
    assert isinstance(result.cost, dict)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=sources,
    given_values=st.dictionaries(st.sampled_from(NAMES), values, max_size=3),
    chosen=options,
)
def test_trace_raises_adx_error_or_succeeds(
    source: str, given_values: dict[str, Any], chosen: dict[str, Any]
) -> None:
    try:
        result = adexplorer.trace(source, at=given_values, **chosen)
    except adexplorer.AdxError as error:
        assert str(error) and error.message
        return
    _exercise(result)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=sources,
    given_values=st.dictionaries(st.sampled_from(NAMES), values, max_size=3),
    direction=st.one_of(st.none(), st.dictionaries(st.sampled_from(NAMES), values, max_size=2)),
    wrt=st.one_of(st.none(), st.sampled_from(NAMES)),
)
def test_second_order_and_program_raise_adx_error_or_succeed(
    source: str, given_values: dict[str, Any], direction: dict[str, Any] | None, wrt: str | None
) -> None:
    try:
        if direction is None:
            result = adexplorer.hessian(source, wrt=wrt, at=given_values)
            assert result.matrix.shape == (len(result.labels),) * 2
        else:
            result = adexplorer.hvp(source, direction, at=given_values)
            assert set(result.hvp) <= set(result.inputs)
        assert isinstance(result.to_json(), str)
    except adexplorer.AdxError as error:
        assert error.message
    try:
        program = adexplorer.program(source, at=given_values)
    except adexplorer.AdxError as error:
        assert error.message
    else:
        assert isinstance(program.wengert(), str) and isinstance(program.inputs, dict)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x=st.floats(min_value=-50, max_value=50), y=st.floats(min_value=-50, max_value=50))
def test_random_points_agree_with_central_differences(x: float, y: float) -> None:
    t = adexplorer.trace("x*y + sin(x) - exp(y/10)", x=x, y=y)
    h = 1e-6

    def f(a: float, b: float) -> float:
        return a * b + math.sin(a) - math.exp(b / 10)

    fd_x = (f(x + h, y) - f(x - h, y)) / (2 * h)
    fd_y = (f(x, y + h) - f(x, y - h)) / (2 * h)
    scale = 1 + abs(x) + abs(y)
    assert abs(t.gradient["x"] - fd_x) <= 1e-6 * scale
    assert abs(t.gradient["y"] - fd_y) <= 1e-6 * scale


small = st.floats(min_value=-3, max_value=3)
well_typed = st.fixed_dictionaries(
    {
        "x": st.one_of(small, st.sampled_from(["pi/4", "-1", "0"])),
        "y": small,
        "v": st.lists(small, min_size=2, max_size=2),
        "W": st.lists(st.lists(small, min_size=2, max_size=2), min_size=2, max_size=2),
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=st.sampled_from(VALID),
    given_values=well_typed,
    mode=st.sampled_from(["reverse", "forward", "evaluate"]),
    vector=st.booleans(),
    numbering=st.sampled_from(["griewank", "wengert"]),
)
def test_valid_programs_at_random_points(
    source: str, given_values: dict[str, Any], mode: str, vector: bool, numbering: str
) -> None:
    """Valid programs at random points and options: a result whose reports and steps
    read, with forward and reverse mode agreeing (or an AdxError, e.g. for an input
    the program does not declare)."""
    declared = re.findall(r"^(\w+): ", source, re.MULTILINE)
    used = declared or [name for name in given_values if re.search(rf"\b{name}\b", source)]
    values = {name: given_values[name] for name in used}
    program = adexplorer.program(source, at=values)
    try:
        result = adexplorer.trace(
            source, mode=mode, vector=vector and mode == "forward", numbering=numbering, at=values
        )
    except adexplorer.AdxError as error:
        assert error.message
        return
    _exercise(result)
    if mode == "forward" and len(program.outputs) == 1:
        other = adexplorer.trace(source, at=values)
        (output,) = program.outputs
        for name, entry in result.jacobian()[output].items():
            expected = other.jacobian()[output][name]
            np.testing.assert_allclose(entry, expected, rtol=1e-12, atol=1e-12)
