"""The explorer's session in second-order mode, with seeds for either mode and vector
forward mode: checked against sympy, central differences and the first-order engine."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from adexplorer.base.errors import AdxError
from adexplorer.core.trace import run
from adexplorer.explorer import nested
from adexplorer.explorer.session import Basis, Session, compile_for
from adexplorer.lang.lower import compile_source

SURVEY = "ln(x1) + x1*x2 - sin(x2)"
#: H of the survey example at (2, 5), from its second partials by hand: -1/x1², 1, sin(x2).
SURVEY_HESSIAN = [[-0.25, 1.0], [1.0, float(np.sin(5.0))]]


def sympy_hessian(text: str, names: list[str], point: list[float]) -> np.ndarray:
    symbols = sp.symbols(names)
    expr = sp.sympify(text.replace("ln", "log"), locals=dict(zip(names, symbols, strict=True)))
    matrix = sp.hessian(expr, symbols).subs(dict(zip(symbols, point, strict=True)))
    return np.array(matrix.evalf(), dtype=float)


def gradient_at(source: str, point: dict[str, float]) -> np.ndarray:
    graph = compile_source(source).graph
    g = run(graph, point, "reverse").gradient()
    return np.array([float(g[name]) for name in graph.input_names])


def central_hessian(source: str, point: dict[str, float], h: float = 1e-5) -> np.ndarray:
    names = list(point)
    columns = []
    for name in names:
        up = {**point, name: point[name] + h}
        down = {**point, name: point[name] - h}
        columns.append((gradient_at(source, up) - gradient_at(source, down)) / (2 * h))
    return np.array(columns).T


def second_session(source: str = SURVEY, values: dict[str, float] | None = None) -> Session:
    session = Session.start(source, values)
    session.set_mode("second")
    return session


def test_the_survey_hessian_fills_in_to_sympys() -> None:
    session = second_session()
    assert session.position == 0
    assert session.hessian_known() == [[None, None], [None, None]]
    session.to_end()
    known = np.array(session.hessian_known(), dtype=float)
    expected = sympy_hessian(SURVEY, ["x1", "x2"], [2.0, 5.0])
    np.testing.assert_allclose(known, expected, rtol=1e-12)
    np.testing.assert_allclose(known, SURVEY_HESSIAN, rtol=1e-12)
    np.testing.assert_allclose(known, central_hessian(SURVEY, {"x1": 2.0, "x2": 5.0}), atol=1e-6)
    assert session.result_lines()[-1] == "H = [[-0.25, 1], [1, -0.958924]]"


def test_entries_appear_when_the_sweep_last_reaches_their_input() -> None:
    session = second_session()
    second = session.second
    assert second is not None
    inputs = dict(zip(second.graph.inputs, range(2), strict=True))
    seen: set[tuple[int, int]] = set()
    for _ in session.frames:
        session.step(1)
        frame = session.current
        assert frame is not None
        known = session.hessian_known()
        now = {(k, i) for k in range(2) for i in range(2) if known[k][i] is not None}
        assert seen <= now  # an entry once shown stays
        new = now - seen
        if new:
            # exactly the input the step has just completed, in the sweep under way
            steps = second.sweeps[frame.sweep].steps
            later = [s for s in steps[frame.step + 1 :] if s.node == frame.node]
            assert frame.kind in ("nested_adjoint", "nested_seed") and not later
            assert new == {(frame.sweep, inputs[frame.node])}
        seen = now
    assert len(seen) == 4 and session.at_end


def test_the_frames_are_the_nested_sweeps_in_order() -> None:
    session = second_session()
    second = session.second
    assert second is not None and second.kind == "hessian" and len(second.sweeps) == 2
    kinds = [f.kind for f in session.frames]
    per_sweep = len(second.sweeps[0].tangent_steps) + len(second.sweeps[0].steps)
    assert len(kinds) == 2 * per_sweep
    assert kinds[:7] == ["nested_forward"] * 7 and kinds[7] == "nested_seed"
    assert [f.sweep for f in session.frames] == [0] * per_sweep + [1] * per_sweep


def test_a_step_shows_both_rules_with_numbers() -> None:
    session = second_session()
    session.step(len(session.frames) // 2)  # the last step of the first sweep (along x1)
    first, second = session.formula()
    assert first.text() == "v̄-1 += v̄1/v-1 = 1/2 = 0.5"
    assert second.text() == "v̄̇-1 += v̄̇1/v-1 - v̄1·v̇-1/v-1^2 = 0/2 - 1·1/2^2 = -0.25"
    (before, contribution, total), (before_dot, dot, total_dot) = session.nested_running_totals(
        session.current
    )  # type: ignore[misc,arg-type]
    assert (float(before), float(contribution), float(total)) == (5.0, 0.5, 5.5)
    assert (float(before_dot), float(dot), float(total_dot)) == (0.0, -0.25, -0.25)
    state = session.nested_state()
    x1 = state[0]
    assert float(x1.adjoint) == 5.5 and float(x1.adjoint_dot) == -0.25  # type: ignore[arg-type]
    assert float(x1.tangent) == 1.0  # type: ignore[arg-type]


def test_the_primal_part_shows_values_with_tangents_along_the_direction() -> None:
    session = second_session()
    session.step(len(session.frames) // 2 + 4)  # sweep 2 (along x2), node v2 = v-1·v0
    value, tangent = session.formula()
    assert value.text() == "v2 = v-1 · v0 = 2 · 5 = 10"
    assert tangent.text() == "v̇2 = v̇-1·v0 + v-1·v̇0 = 0·5 + 2·1 = 2"
    assert session.current is not None and session.current.sweep == 1


def test_h_times_u_along_the_forward_seed() -> None:
    session = second_session()
    session.apply_seed_prompt("x1=1,x2=0.5")
    second = session.second
    assert second is not None and second.kind == "hvp" and len(second.sweeps) == 1
    session.to_end()
    (column,) = session.hessian_known()
    expected = sympy_hessian(SURVEY, ["x1", "x2"], [2.0, 5.0]) @ np.array([1.0, 0.5])
    np.testing.assert_allclose(np.array(column, dtype=float), expected, rtol=1e-12)
    assert session.result_lines()[-1].startswith("H·u (u: x1=1,x2=0.5) = x1: 0.25")
    session.apply_seed_prompt("")  # empty: the whole Hessian again
    assert session.second is not None and session.second.kind == "hessian"
    assert session.toggle_second_kind() == "hvp"
    assert session.second.kind == "hvp"


def test_a_three_input_hessian_against_sympy_and_central_differences() -> None:
    source = "exp(a*b) + a^3*c - sin(b*c)/a"
    point = {"a": 0.7, "b": -1.2, "c": 0.4}
    session = second_session(source, point)
    session.to_end()
    known = np.array(session.hessian_known(), dtype=float)
    np.testing.assert_allclose(
        known, sympy_hessian(source, ["a", "b", "c"], list(point.values())), rtol=1e-10
    )
    np.testing.assert_allclose(known, known.T, rtol=1e-12)
    np.testing.assert_allclose(known, central_hessian(source, point), rtol=1e-5, atol=1e-5)


def test_second_order_needs_one_scalar_output_and_changes_nothing_otherwise() -> None:
    session = Session.start("f1 = x*y\nf2 = x + y\nreturn f1, f2", {"x": 1.0, "y": 2.0})
    before = session.trace
    with pytest.raises(AdxError) as caught:
        session.set_mode("second")
    assert "scalar" in caught.value.message
    assert session.mode == "reverse" and session.trace is before and session.second is None


def test_a_new_program_in_second_mode_is_run_to_its_nested_sweeps() -> None:
    session = second_session()
    assert session.set_source("x1^2*x2")
    assert session.second is not None
    session.to_end()
    np.testing.assert_allclose(
        np.array(session.hessian_known(), dtype=float), [[10.0, 4.0], [4.0, 0.0]]
    )
    assert not session.set_source("x1 + [1, 2]")  # a vector output: refused, the last kept
    assert session.error is not None and session.source == "x1 + [1, 2]"
    assert session.graph is not None and session.second is not None


def test_compile_for_keeps_a_cotangent_only_where_its_outputs_still_are() -> None:
    session = Session.start("f1 = x*y\nf2 = x - y\nreturn f1, f2", {"x": 3.0, "y": 2.0})
    session.set_cotangent("f1=1,f2=-2")
    kept = compile_for("f1 = x*y*2\nf2 = x - y\nreturn f1, f2", session.basis())
    assert kept.cotangent_text == "f1=1,f2=-2"
    gone = compile_for("x*y", session.basis())
    assert gone.error is None and gone.cotangent_text == ""
    assert isinstance(session.basis(), Basis)


def test_reverse_mode_with_a_cotangent_gives_the_vjp() -> None:
    source = "f1 = x*y\nf2 = sin(x) - y^2\nreturn f1, f2"
    session = Session.start(source, {"x": 0.5, "y": 2.0})
    session.set_cotangent("f1=1,f2=-2")
    trace = session.trace
    assert trace is not None and trace.directional and len(trace.adjoint_sweeps) == 1
    x, y = 0.5, 2.0
    jacobian = np.array([[y, x], [np.cos(x), -2 * y]])
    expected = np.array([1.0, -2.0]) @ jacobian
    vjp = trace.vjp()
    np.testing.assert_allclose([float(vjp["x"]), float(vjp["y"])], expected, rtol=1e-12)
    session.to_end()
    assert session.result_lines()[1].startswith("ȳᵀJ (ȳ: f1=1,f2=-2) = x: ")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("g=1", ["'g' is not an output", "f1, f2"]),
        ("f11=1", ["'f11' is not an output", "did you mean 'f1'"]),
        ("f1=[1,2]", ["f1", "real"]),
        ("f1=", ["cotangent"]),
        ("x=1", ["'x' is not an output"]),
    ],
)
def test_a_bad_cotangent_is_refused_and_changes_nothing(text: str, words: list[str]) -> None:
    session = Session.start("f1 = x*y\nf2 = x - y\nreturn f1, f2", {"x": 3.0, "y": 2.0})
    session.set_cotangent("f2=1")
    trace = session.trace
    with pytest.raises(AdxError) as caught:
        session.set_cotangent(text)
    rendered = caught.value.render()
    for word in words:
        assert word in rendered, rendered
    assert session.cotangent_text == "f2=1" and session.trace is trace


def test_a_bad_forward_seed_is_refused_and_changes_nothing() -> None:
    session = Session.start()
    session.set_mode("forward")
    trace = session.trace
    with pytest.raises(AdxError) as caught:
        session.apply_seed_prompt("x1=1,x3=2")
    assert "x3" in caught.value.render() and "x1, x2" in caught.value.render()
    assert session.trace is trace and session.seed_name == "x1"


def test_vector_forward_mode_carries_every_direction_in_one_sweep() -> None:
    session = Session.start()
    session.set_mode("forward")
    assert session.toggle_vector()
    trace = session.trace
    assert trace is not None and trace.vector_sweep is not None and not trace.tangent_sweeps
    assert len(session.frames) == len(trace.graph.nodes)
    session.to_end()
    value, tangent = session.formula()
    assert value.result == "11.6521"
    assert tangent.text() == "v̇5 = v̇4 - v̇3 = [5.5, 2] - [0, 0.283662] = [5.5, 1.71634]"
    reverse = run(trace.graph, session.values, "reverse").gradient()
    np.testing.assert_allclose(
        np.asarray(session.node_state()[-1][1]), [float(reverse["x1"]), float(reverse["x2"])]
    )
    session.set_mode("dual")
    session.to_end()
    assert session.dual_formula(session.current).result == "11.6521 + [5.5, 1.71634]·ε"  # type: ignore[arg-type]
    session.cycle_seed()  # one seed again
    assert not session.vector and session.seed_name == "x1"


def test_hessian_known_reads_the_sweeps_entries() -> None:
    session = second_session("x*y*z", {"x": 1.0, "y": 2.0, "z": 3.0})
    second = session.second
    assert second is not None
    assert nested.entry_nodes(second) == list(second.graph.inputs)
    session.to_end()
    np.testing.assert_allclose(
        np.array(session.hessian_known(), dtype=float), second.hessian(), rtol=0
    )


# -- export (x) and copy (c) in second-order mode ------------------------------------


def test_export_in_second_order_mode_writes_the_nested_sweeps(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    session = Session.start()
    session.set_mode("second")
    data = json.loads(session.export_json(tmp_path / "h.json").read_text())
    part = data["second_order"]
    assert part["kind"] == "hessian" and part["hessian"]["labels"] == ["x1", "x2"]
    expected = sympy_hessian(SURVEY, ["x1", "x2"], [2.0, 5.0])
    np.testing.assert_allclose(part["hessian"]["matrix"], expected, rtol=1e-12)
    assert len(part["sweeps"]) == 2 and data["gradient"]["x1"] == 5.5

    session.apply_seed_prompt("x1=1,x2=0.5")  # H·u: one nested sweep along u
    data = json.loads(session.export_json(tmp_path / "hu.json").read_text())
    part = data["second_order"]
    assert part["kind"] == "hvp" and len(part["sweeps"]) == 1
    product = expected @ np.array([1.0, 0.5])
    assert [part["hvp"]["x1"], part["hvp"]["x2"]] == pytest.approx(product, rel=1e-12)


def test_the_text_export_names_the_sweeps_and_ends_with_what_the_panel_shows() -> None:
    session = Session.start()
    session.set_mode("second")
    session.to_end()
    text = session.trace_text()
    lines = text.splitlines()
    assert lines[0] == f"# {SURVEY}"  # the program, then the mode on a line of its own
    assert "# mode: second order, the whole Hessian (2 nested sweeps" in lines[1]
    assert "# nested sweep 1 of 2, along x1" in lines and "# nested sweep 2 of 2, along x2" in lines
    formulas = [line for line in lines if not line.startswith("#")]
    assert len(formulas) == 2 * len(session.frames)  # each nested step: both rules
    assert "v̄̇0 += v̄̇3·cos(v0) - v̄3·sin(v0)·v̇0" in text
    hessian = sympy_hessian(SURVEY, ["x1", "x2"], [2.0, 5.0])
    assert lines[-1] == f"# H = [[-0.25, 1], [1, {hessian[1, 1]:.6g}]]"

    session.apply_seed_prompt("x2")
    session.to_end()
    lines = session.trace_text().splitlines()
    assert "H·u along u = x2 (one nested sweep)" in lines[1]
    assert lines[-1] == f"# H·u (u: x2) = x1: 1   x2: {hessian[1, 1]:.6g}"
