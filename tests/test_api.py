"""The Python API (``adexplorer.trace``, ``hessian``, ``hvp``, ``program``; docs/api.md).

Numbers are checked against independent computations (the derivative by hand, central
differences, sympy), the reports against what ``adx eval --json`` prints for the same
run, and every report against its JSON Schema.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy

import adexplorer
from adexplorer.base.errors import AdxError as CoreAdxError
from adexplorer.cli.main import main
from tests.json_contract import assert_valid

SURVEY = "ln(x1) + x1*x2 - sin(x2)"


def cli_stdout(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """What ``adx ARGS`` prints on stdout, run in this process."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main([*args])
        raise SystemExit(0)
    out = capsys.readouterr().out
    assert done.value.code in (0, None), out
    return out


# ------------------------------------------------------------------ numbers


def test_survey_example_value_and_gradient_by_hand() -> None:
    t = adexplorer.trace(SURVEY, x1=2, x2=5)
    assert t.mode == "reverse"
    assert t.value == pytest.approx(math.log(2) + 10 - math.sin(5), rel=1e-15)
    assert t.values == {"f": t.value}
    assert t.gradient == pytest.approx({"x1": 1 / 2 + 5, "x2": 2 - math.cos(5)}, rel=1e-15)
    assert isinstance(t.gradient["x1"], float) and isinstance(t.value, float)
    assert t.inputs == {"x1": 2.0, "x2": 5.0}
    assert t.jacobian() == {"f": t.gradient}


def test_forward_mode_gradient_equals_reverse_and_central_differences() -> None:
    source = "sum(sigmoid(W@v)) * c"
    W = np.array([[1.0, -2.0], [0.5, 3.0]])
    v = [0.25, -1.0]
    rev = adexplorer.trace(source, W=W, v=v, c=1.5)
    fwd = adexplorer.trace(source, mode="forward", W=W, v=v, c=1.5)
    for name in ("W", "v", "c"):
        np.testing.assert_allclose(fwd.gradient[name], rev.gradient[name], rtol=1e-14)

    def f(W: np.ndarray, v: np.ndarray, c: float) -> float:
        return float(np.sum(1 / (1 + np.exp(-(W @ v)))) * c)

    h = 1e-6
    expected = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        step = np.zeros_like(W)
        step[idx] = h
        expected[idx] = (f(W + step, np.array(v), 1.5) - f(W - step, np.array(v), 1.5)) / (2 * h)
    np.testing.assert_allclose(rev.gradient["W"], expected, rtol=1e-7)
    assert rev.gradient["W"].shape == (2, 2) and not rev.gradient["W"].flags.writeable


def test_wrt_restricts_the_gradient_in_both_modes() -> None:
    full = adexplorer.trace(SURVEY, x1=2, x2=5)
    for mode in ("reverse", "forward"):
        only = adexplorer.trace(SURVEY, mode=mode, wrt="x2", x1=2, x2=5)
        assert only.gradient == {"x2": full.gradient["x2"]}


def test_forward_seed_gives_the_directional_derivative() -> None:
    t = adexplorer.trace(SURVEY, mode="forward", seed={"x1": 1, "x2": -2}, x1=2, x2=5)
    g = adexplorer.trace(SURVEY, x1=2, x2=5).gradient
    assert t.tangent == pytest.approx(g["x1"] - 2 * g["x2"], rel=1e-14)
    with pytest.raises(adexplorer.AdxError, match="seed") as caught:
        _ = t.gradient
    assert ".tangent" in (caught.value.hint or "")


def test_reverse_seed_gives_the_vector_jacobian_product() -> None:
    t = adexplorer.trace("return x*y, x + sin(y)", seed={"f1": 1, "f2": -2}, x=2, y=1)
    assert t.values == pytest.approx({"f1": 2.0, "f2": 2 + math.sin(1)})
    assert t.value == t.values
    assert t.vjp == pytest.approx({"x": 1 * 1 - 2 * 1, "y": 1 * 2 - 2 * math.cos(1)})


def test_several_outputs_have_a_jacobian_not_a_gradient() -> None:
    t = adexplorer.trace("return x*y, x + sin(y)", x=2, y=1)
    jacobian = t.jacobian()
    assert list(jacobian) == ["f1", "f2"]
    assert jacobian["f1"] == {"x": 1.0, "y": 2.0}
    assert jacobian["f2"] == pytest.approx({"x": 1.0, "y": math.cos(1)}, rel=1e-15)
    with pytest.raises(adexplorer.AdxError, match="one scalar output") as caught:
        _ = t.gradient
    assert "jacobian" in (caught.value.hint or "")


def test_evaluate_mode_has_values_and_no_derivatives() -> None:
    t = adexplorer.trace("x^3", mode="evaluate", x=2)
    assert t.value == 8.0
    assert [s.kind for s in t.steps] == ["primal", "primal"]  # the constant 3 is no step
    for attribute in ("gradient", "tangent", "vjp"):
        with pytest.raises(adexplorer.AdxError):
            getattr(t, attribute)
    with pytest.raises(adexplorer.AdxError, match="evaluate mode"):
        t.jacobian()


def test_values_in_at_for_names_python_cannot_take_as_keywords() -> None:
    source = "mode: real\nlambda: real\nreturn mode * lambda^2"
    t = adexplorer.trace(source, at={"mode": 3, "lambda": 2})
    assert t.value == 12.0 and t.gradient == {"mode": 4.0, "lambda": 12.0}
    # keywords win over at, as a later --at wins on the command line
    assert adexplorer.trace("x^2", at={"x": 1}, x=3).value == 9.0


def test_the_callers_array_is_copied_and_results_are_read_only() -> None:
    v = np.array([1.0, 2.0])
    t = adexplorer.trace("sum(v*v)", v=v)
    v[0] = 100.0  # changing the caller's array later changes nothing recorded
    assert t.inputs["v"].tolist() == [1.0, 2.0] and t.value == 5.0
    assert t.gradient["v"].tolist() == [2.0, 4.0]
    assert not t.inputs["v"].flags.writeable and not t.gradient["v"].flags.writeable


def test_values_as_text_use_the_value_grammar() -> None:
    t = adexplorer.trace("sin(x) + sum(v)", x="pi/4", v="[1, 2, 3]")
    assert t.value == pytest.approx(math.sin(math.pi / 4) + 6, rel=1e-15)
    assert adexplorer.trace("sum(v*v)", v=np.arange(3.0)).gradient["v"].tolist() == [0, 2, 4]


def test_a_program_file_is_read_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "f.adx"
    path.write_text("x: real = 2\nreturn x^2 + 1\n")
    t = adexplorer.trace(path)
    assert t.value == 5.0 and t.gradient == {"x": 4.0}
    with pytest.raises(adexplorer.AdxError, match="no such file"):
        adexplorer.trace(tmp_path / "missing.adx")


def test_a_program_with_control_flow_is_taped_at_the_values() -> None:
    source = "x: real\nif x > 0:\n    y = x^2\nelse:\n    y = -x\nreturn y"
    assert adexplorer.trace(source, x=3).gradient == {"x": 6.0}
    assert adexplorer.trace(source, x=-3).gradient == {"x": -1.0}


# ------------------------------------------------------------------ steps and cost


def test_steps_are_the_reports_formulas_in_the_order_the_sweeps_ran() -> None:
    t = adexplorer.trace(SURVEY, x1=2, x2=5)
    report = t.to_dict()
    primal = [s for s in t.steps if s.kind == "primal"]
    adjoint = [s for s in t.steps if s.kind == "adjoint"]
    assert [s.kind for s in t.steps] == ["primal"] * 7 + ["adjoint"] * 9
    assert [s.text for s in primal] == [row["formula"] for row in report["trace"]]
    (sweep,) = report["sweeps"]
    assert [s.text for s in adjoint] == [step["formula"] for step in sweep["steps"]]
    assert [s.id for s in adjoint] == [step["id"] for step in sweep["steps"]]
    # the adjoint of x1 accumulates: 5 from x1*x2, then 1/2 from ln(x1)
    into_x1 = [s for s in adjoint if s.id == "v-1"]
    assert [s.contribution for s in into_x1] == [5.0, 0.5]
    assert [s.value for s in into_x1] == [5.0, 5.5]
    assert str(primal[2]) == primal[2].text == "v1 = log(v-1) = log(2) = 0.693147"


def test_forward_steps_per_sweep_and_wengert_numbering() -> None:
    t = adexplorer.trace("x1*x2 + sin(x1)", mode="forward", numbering="wengert", x1=1, x2=2)
    sweeps = [s.sweep for s in t.steps if s.kind == "tangent"]
    assert sweeps == ["x1"] * 5 + ["x2"] * 5
    assert {s.id for s in t.steps} == {"w1", "w2", "w3", "w4", "w5"}


def test_cost_is_the_reports_cost() -> None:
    t = adexplorer.trace(SURVEY, x1=2, x2=5)
    assert t.cost == t.to_dict()["cost"]
    assert t.cost["sweeps"] == 1 and t.cost["reverse_ratio"] <= t.cost["reverse_bound"]


# ------------------------------------------------------------------ the JSON report


CLI_CASES: list[tuple[dict[str, Any], list[str]]] = [
    ({"x1": 2, "x2": 5}, ["--at", "x1=2,x2=5"]),
    ({"x1": 2, "x2": 5, "mode": "forward"}, ["--at", "x1=2,x2=5", "--mode", "forward"]),
    (
        {"x1": 2, "x2": 5, "mode": "forward", "seed": {"x2": 1}},
        ["--at", "x1=2,x2=5", "--mode", "forward", "--wrt", "x2"],
    ),
    ({"x1": 2, "x2": 5, "mode": "evaluate"}, ["--at", "x1=2,x2=5", "--mode", "evaluate"]),
    (
        {"x1": 2, "x2": 5, "mode": "forward", "vector": True},
        ["--at", "x1=2,x2=5", "--vector"],
    ),
    (
        {"x1": 2, "x2": 5, "checkpoint": "snapshots=2", "numbering": "wengert", "digits": 4},
        [
            "--at",
            "x1=2,x2=5",
            "--checkpoint",
            "snapshots=2",
            "--numbering",
            "wengert",
            "--digits=4",
        ],
    ),
    ({"x1": 2, "x2": 5, "wrt": "x1"}, ["--at", "x1=2,x2=5", "--mode", "reverse", "--wrt", "x1"]),
]


@pytest.mark.parametrize(("kwargs", "options"), CLI_CASES)
def test_to_json_is_what_adx_eval_json_prints(
    capsys: pytest.CaptureFixture[str], kwargs: dict[str, Any], options: list[str]
) -> None:
    result = adexplorer.trace(SURVEY, **kwargs)
    printed = cli_stdout(capsys, "eval", SURVEY, *options, "--json")
    assert printed == result.to_json() + "\n"
    assert json.loads(printed) == result.to_dict()
    assert_valid(result.to_dict())


def test_second_order_json_is_what_adx_eval_prints(capsys: pytest.CaptureFixture[str]) -> None:
    h = adexplorer.hessian(SURVEY, x1=2, x2=5)
    assert h.to_json() + "\n" == cli_stdout(
        capsys, "eval", SURVEY, "--at", "x1=2,x2=5", "--hessian", "--json"
    )
    u = adexplorer.hvp(SURVEY, {"x1": 1}, x1=2, x2=5)
    assert u.to_json() + "\n" == cli_stdout(
        capsys, "eval", SURVEY, "--at", "x1=2,x2=5", "--hvp", "x1=1", "--json"
    )
    assert_valid(h.to_dict())
    assert_valid(u.to_dict())


# ------------------------------------------------------------------ second order


def test_hessian_and_hvp_against_sympy() -> None:
    x1, x2 = sympy.symbols("x1 x2")
    f = sympy.log(x1) + x1 * x2 - sympy.sin(x2)
    point = {x1: 2, x2: 5}
    expected = np.array(
        [[float(sympy.diff(f, a, b).subs(point)) for b in (x1, x2)] for a in (x1, x2)]
    )
    h = adexplorer.hessian(SURVEY, x1=2, x2=5)
    assert h.kind == "hessian" and h.labels == ("x1", "x2")
    np.testing.assert_allclose(h.matrix, expected, rtol=1e-14)
    assert h.value == pytest.approx(float(f.subs(point)))
    assert h.gradient == pytest.approx(adexplorer.trace(SURVEY, x1=2, x2=5).gradient)
    u = adexplorer.hvp(SURVEY, {"x1": 1, "x2": -2}, x1=2, x2=5)
    hu = expected @ np.array([1.0, -2.0])
    assert u.hvp == pytest.approx({"x1": hu[0], "x2": hu[1]}, rel=1e-14)
    with pytest.raises(adexplorer.AdxError):
        _ = u.matrix
    with pytest.raises(adexplorer.AdxError):
        _ = h.hvp
    only = adexplorer.hessian(SURVEY, wrt="x2", x1=2, x2=5)
    np.testing.assert_allclose(only.matrix, expected[1:, 1:], rtol=1e-14)


def test_second_order_errors_are_adx_errors() -> None:
    with pytest.raises(adexplorer.AdxError, match="no inputs"):
        adexplorer.hessian("2 + 3")
    with pytest.raises(adexplorer.AdxError, match="z"):
        adexplorer.hvp("x^2", {"z": 1}, x=1)
    with pytest.raises(adexplorer.AdxError):
        adexplorer.hvp("x^2", [1], x=1)  # type: ignore[arg-type]
    with pytest.raises(adexplorer.AdxError):
        adexplorer.hessian("return x, x^2", x=1)


# ------------------------------------------------------------------ program


def test_program_lists_inputs_and_its_wengert_list_is_the_same_function() -> None:
    p = adexplorer.program(SURVEY)
    assert p.inputs == {"x1": "real", "x2": "real"} and p.outputs == ("f",)
    text = p.wengert()
    assert text.splitlines()[0] == "x1: real" and text.splitlines()[-1].startswith("return ")
    assert "v1 = log(x1)" in text
    again = adexplorer.trace(text, x1=2, x2=5)
    assert again.value == adexplorer.trace(SURVEY, x1=2, x2=5).value
    assert str(p) == text
    assert adexplorer.program("sum(v*v)", v=[1, 2, 3]).inputs == {"v": "vec[3]"}
    assert "w3 = log(x1)" in p.wengert("wengert")


# ------------------------------------------------------------------ errors


def test_a_parse_error_has_its_position_hint_and_caret() -> None:
    with pytest.raises(adexplorer.AdxError) as caught:
        adexplorer.trace("x +* 2", x=1)
    error = caught.value
    assert error is not None and isinstance(error, CoreAdxError)
    assert adexplorer.AdxError is CoreAdxError
    assert (error.line, error.column) == (1, 4)
    assert error.message
    shown = str(error)
    assert shown.startswith("error: 1:4: ") and "^" in shown
    assert shown.splitlines()[1].endswith("x +* 2")


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: adexplorer.trace("x^2"), "no value for input"),
        (lambda: adexplorer.trace("x: real\nreturn x^2", x=1, y=2), "not an input"),
        (lambda: adexplorer.trace("x^2", x=True), "bool"),
        (lambda: adexplorer.trace("x^2", x=[1, "2"]), "str"),
        (lambda: adexplorer.trace("x^2", x=b"1"), "bytes"),
        (lambda: adexplorer.trace("x^2", x=10**400), "not a number"),
        (lambda: adexplorer.trace("x^2", x=np.array([1j])), "complex"),
        (lambda: adexplorer.trace("x^2", x="abc"), "abc"),
        (lambda: adexplorer.trace("x^2", x=[[1], [2, 3]]), "not a number"),
        (lambda: adexplorer.trace("x^2", x={"a": 1}), "is a dict"),
        (lambda: adexplorer.trace("x^2", x=1j), "complex"),
        (lambda: adexplorer.trace("x^2", x=None), "is None"),
        (lambda: adexplorer.trace("x^2", x="1, y=2"), "y"),
        (lambda: adexplorer.trace("x^2", mode="sideways", x=1), "mode"),
        (lambda: adexplorer.trace("x^2", numbering="roman", x=1), "numbering"),
        (lambda: adexplorer.trace("x^2", digits=0, x=1), "digits"),
        (lambda: adexplorer.trace("x^2", wrt="y", x=1), "not an input"),
        (lambda: adexplorer.trace("x^2", wrt=3, x=1), "wrt"),
        (lambda: adexplorer.trace("x^2", mode="forward", checkpoint="every=2", x=1), "reverse"),
        (lambda: adexplorer.trace("x^2", checkpoint="sometimes", x=1), "every"),
        (lambda: adexplorer.trace("x^2", mode="forward", seed={"x": math.nan}, x=1), "finite"),
        (lambda: adexplorer.trace("x^2", mode="evaluate", seed={"x": 1}, x=1), "seed"),
        (lambda: adexplorer.trace("sum(v)", v=[1, 2], at=[1]), "dict"),
        (lambda: adexplorer.trace(42), "text"),
        (lambda: adexplorer.trace("mat: real\nreturn x", x=1), ""),
    ],
)
def test_bad_input_is_an_adx_error_that_says_what(call: Any, words: str) -> None:
    with pytest.raises(adexplorer.AdxError) as caught:
        call()
    assert words.lower() in str(caught.value).lower()


# ------------------------------------------------------------------ displays


def test_rich_display_is_the_tables_adx_eval_prints(capsys: pytest.CaptureFixture[str]) -> None:
    from rich.console import Console

    t = adexplorer.trace(SURVEY, x1=2, x2=5)
    console = Console(width=100, color_system=None, file=__import__("io").StringIO())
    console.print(t)
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    printed = subprocess.run(
        [sys.executable, "-m", "adexplorer", "eval", SURVEY, "--at", "x1=2,x2=5"],
        capture_output=True,
        text=True,
        env={"COLUMNS": "100", "PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
        check=True,
    ).stdout
    assert shown == printed
    assert "Adjoint sweep 1 of 1" in shown and "gradient ∂/∂x1 = 5.5" in shown


def test_html_display_escapes_the_users_text() -> None:
    source = "where(x < 1, x, 2*x) # </pre><script>alert(1)</script> [bold]&amp;"
    t = adexplorer.trace(source, x=0.5)
    page = t._repr_html_()
    assert page.startswith("<pre") and page.rstrip().endswith("</pre>")
    assert "<script>" not in page and "</pre><script>" not in page
    assert "&lt;script&gt;" in page and "x &lt; 1" in page and "[bold]&amp;amp;" in page
    # a control character in a name's text is shown, not sent
    h = adexplorer.hessian("x^2 # \x1b[31m", x=1)._repr_html_()
    assert "\x1b" not in h


def test_warnings_reach_the_result_and_its_display() -> None:
    t = adexplorer.trace("ln(x)", x=-1)
    assert any("log is defined for positive numbers only" in w for w in t.warnings)
    unused = adexplorer.trace("x^2", x=1, y=2)
    assert unused.gradient == {"x": 2.0, "y": 0.0} and any("y" in w for w in unused.warnings)
    from rich.console import Console

    console = Console(width=100, color_system=None, file=__import__("io").StringIO())
    console.print(t)
    assert "warning: " in console.file.getvalue()  # type: ignore[attr-defined]


# ------------------------------------------------------------------ the package


def test_every_public_name_resolves_and_is_documented() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text()
    for name in adexplorer.__all__:
        assert getattr(adexplorer, name) is not None
        assert f"`{name}" in doc or f"adexplorer.{name}" in doc, name
    assert set(adexplorer.__all__) <= set(dir(adexplorer))
    with pytest.raises(AttributeError):
        _ = adexplorer.no_such_name  # type: ignore[attr-defined]


def test_importing_the_package_is_cheap_and_numbers_need_no_rich_or_textual() -> None:
    probe = (
        "import sys\n"
        "import adexplorer\n"
        "print('adexplorer.api' in sys.modules, 'numpy' in sys.modules)\n"
        "t = adexplorer.trace('x^2', x=3)\n"
        "t.gradient, t.steps, t.to_json()\n"
        "print('rich' in sys.modules, 'textual' in sys.modules)\n"
        "t._repr_html_()\n"
        "print('rich' in sys.modules, 'textual' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "False", "False", "False", "True", "False"]


def test_a_value_text_with_an_unknown_word_asks_for_a_value() -> None:
    # not "declare it as an input": 'abc' was meant as x's value, so say what a value is
    with pytest.raises(adexplorer.AdxError) as caught:
        adexplorer.trace("x^2", x="abc")
    error = caught.value
    assert "the value of x" in error.message and "'abc'" in error.message
    assert "a number, an array or a value text" in error.message
    assert "declare" not in str(error)
    assert "x=1.5" in (error.hint or "") and "x='pi/4'" in (error.hint or "")
    # a value text that reads is still taken: pi/4 is π/4, and x² is π²/16
    assert adexplorer.trace("x^2", x="pi/4").value == pytest.approx(math.pi**2 / 16, rel=1e-15)


def test_a_file_name_given_as_text_is_told_to_use_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cf.adx").write_text("x^2\n", encoding="utf-8")
    (tmp_path / "program").write_text("x^2\n", encoding="utf-8")
    for name in ("cf.adx", "program", "missing.adx"):
        with pytest.raises(adexplorer.AdxError) as caught:
            adexplorer.trace(name, x=1)
        assert caught.value.hint == f'pass pathlib.Path("{name}") to read a file', name
    # the advice works: the file read as a program gives x² and 2x
    assert adexplorer.trace(Path("cf.adx"), x=3).gradient == {"x": 6.0}
    # a program that merely has an error gets no such advice
    with pytest.raises(adexplorer.AdxError) as caught:
        adexplorer.trace("x +* 2", x=1)
    assert "pathlib" not in (caught.value.hint or "")
    # the same advice from the second-order functions
    with pytest.raises(adexplorer.AdxError) as caught:
        adexplorer.hessian("program", x=1)
    assert caught.value.hint == 'pass pathlib.Path("program") to read a file'
