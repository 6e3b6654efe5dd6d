"""The explorer's session model, without Textual."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from adexplorer.base.errors import AdxError
from adexplorer.explorer.session import DEFAULT_SOURCE, Session


def test_starts_on_the_survey_example_before_the_first_step() -> None:
    session = Session.start()
    assert session.source == DEFAULT_SOURCE
    assert session.mode == "reverse" and session.position == 0
    assert session.current is None
    # reverse: 7 primal frames, the seed, 8 contributions
    kinds = [f.kind for f in session.frames]
    assert kinds.count("primal") == 7 and kinds.count("seed") == 1 and kinds.count("adjoint") == 8


def test_reverse_frames_highlight_the_edge_the_adjoint_flows_along() -> None:
    session = Session.start()
    session.to_end()
    labels = session.graph.labels()  # type: ignore[union-attr]
    last = session.current
    assert last is not None and last.kind == "adjoint"
    assert labels[last.node] == "v-1"
    (edge,) = last.edges
    assert labels[edge[0]] == "v-1" and labels[edge[1]] == "v1"
    assert session.fan_in(last) == (2, 2)
    assert session.formula()[0].text() == "v̄-1 += v̄1/v-1 = 1/2 = 0.5"
    assert session.node_state()[0][1] == 5.5


def test_forward_mode_values_and_tangents_fill_in_step_by_step() -> None:
    session = Session.start()
    session.set_mode("forward")
    assert len(session.frames) == 7
    session.step(4)  # v-1, v0, v1, v2
    state = session.node_state()
    labels = session.graph.labels()  # type: ignore[union-attr]
    known = {
        labels[i]: (float(v), float(d))
        for i, (v, d) in enumerate(state)
        if v is not None and d is not None
    }
    assert known == {
        "v-1": (2.0, 1.0),
        "v0": (5.0, 0.0),
        "v1": (np.log(2.0), 0.5),
        "v2": (10.0, 5.0),
    }
    formulas = [f.text() for f in session.formula()]
    assert formulas[1] == "v̇2 = v̇-1·v0 + v-1·v̇0 = 1·5 + 2·0 = 5"
    session.step(-1)
    assert session.current is not None and labels[session.current.node] == "v1"


def test_seed_can_be_cycled_or_given_as_a_direction() -> None:
    session = Session.start()
    session.set_mode("dual")
    session.cycle_seed()
    assert session.seed_name == "x2"
    session.to_end()
    assert float(session.trace.output_tangents()[0]) == pytest.approx(1.7163378145367738)  # type: ignore[union-attr]
    session.set_seed("x1=1,x2=1")
    assert session.seed_name is None
    assert float(session.trace.output_tangents()[0]) == pytest.approx(5.5 + 1.7163378145367738)  # type: ignore[union-attr]


def test_editing_keeps_the_last_valid_graph_and_the_text() -> None:
    session = Session.start()
    good = session.graph
    assert not session.set_source("ln(x1) + x1*")
    assert session.source == "ln(x1) + x1*"
    assert session.error is not None and session.error.kind == "parse"
    assert session.graph is good
    assert session.set_source("ln(x1) + x1*x2")
    assert session.error is None and session.graph is not good
    assert set(session.values) == {"x1", "x2"}


def test_new_inputs_get_values_and_old_ones_are_dropped() -> None:
    session = Session.start()
    session.set_source("x1 * y")
    assert float(session.values["y"]) == 1.0 and "x2" not in session.values


def test_nudge_and_set_value_recompute_at_once() -> None:
    session = Session.start()
    session.to_end()
    session.select_next_input()
    assert session.selected_name == "x2"
    session.nudge(+1)
    assert float(session.values["x2"]) == pytest.approx(5.1)
    assert float(session.trace.output_value()) == pytest.approx(np.log(2) + 2 * 5.1 - np.sin(5.1))  # type: ignore[union-attr]
    assert session.at_end  # the position is kept
    session.set_value("x1", "pi/2")
    assert float(session.values["x1"]) == pytest.approx(np.pi / 2)


def test_gradient_descent_lowers_a_convex_function() -> None:
    session = Session.start("(x - 3)^2 + (y + 1)^2", {"x": 0.0, "y": 0.0})
    values = [session.descend().value for _ in range(10)]
    assert session.history[0].value == 10.0
    assert values == sorted(values, reverse=True)
    assert float(session.values["x"]) == pytest.approx(3 - 3 * 0.8**10)
    session.scale_eta(2)
    assert session.eta == pytest.approx(0.2)


def test_export_is_atomic_json_and_trace_text(tmp_path: Path) -> None:
    session = Session.start()
    session.to_end()
    path = session.export_json(tmp_path / "trace.json")
    data = json.loads(path.read_text())
    assert data["schema"] == "adx.eval/1" and data["gradient"]["x1"] == 5.5
    assert [p.name for p in tmp_path.iterdir()] == ["trace.json"]  # no temporary left behind
    text = session.trace_text()
    # 16 steps after 4 header lines: the program, the mode, the two inputs
    assert "v̄-1 += v̄2·v0 = 1·5 = 5" in text and text.count("\n") == 16 + 4


def test_bad_values_raise_adx_errors_and_change_nothing() -> None:
    from adexplorer.base.errors import AdxError

    session = Session.start()
    with pytest.raises(AdxError):
        session.set_value("x1", "2 +")
    assert float(session.values["x1"]) == 2.0
    with pytest.raises(AdxError, match="real"):
        session.set_value("x1", "[1, 2]")  # a list for a real input
    assert float(session.values["x1"]) == 2.0 and session.error is None
    with pytest.raises(AdxError):
        session.set_seed("x1=")


def test_two_sessions_never_share_a_revision() -> None:
    """Views cache on the revision, and a lesson hands the view a new session at each step."""
    first, second = Session.start(), Session.start()
    assert first.revision != second.revision
    before = first.revision
    first.set_mode("forward")
    assert first.revision not in (before, second.revision)


def test_seeding_a_function_without_inputs_is_a_user_error() -> None:
    """`1+2` has no input: `s` used to divide by zero choosing the next one."""
    from adexplorer.base.errors import AdxError

    session = Session.start("1+2")
    for mode in ("forward", "dual", "reverse"):
        session.set_mode(mode)
        session.to_end()
        assert session.result_lines()[0] == "f = 3"
        with pytest.raises(AdxError, match="no inputs"):
            session.cycle_seed()


def test_every_change_is_all_or_nothing() -> None:
    """The graph, the values, the trace and the frames always belong together."""
    from adexplorer.base.errors import AdxError

    session = Session.start("x: vec[3] = [1, 2, 3]\nreturn sum(x*x)")
    assert session.set_source("x*x")  # a vector value does not fit a real: the default is used
    assert float(session.values["x"]) == 1.0
    assert session.trace is not None and session.trace.graph is session.graph
    before = (session.graph, session.trace, dict(session.values), session.revision)
    with pytest.raises(AdxError):
        session.set_seed_direction("nope=")
    with pytest.raises(AdxError):
        session.set_value("x", "[1, 2]")
    assert (session.graph, session.trace, session.values, session.revision) == before
    assert not session.set_source("x*")  # a parse error keeps everything but the text
    assert session.source == "x*" and session.error is not None
    assert (session.graph, session.trace, session.values) == before[:3]
    session.set_mode("forward")  # changes after an edit error still work on the last graph
    assert session.error is not None and session.trace.graph is session.graph


def test_a_new_program_keeps_what_the_student_set() -> None:
    session = Session.start("x: real = 2\ny: real\nreturn x*y")
    session.set_value("y", "7")
    session.set_seed_direction("x=1,y=1")
    # x was left at its default: it follows the program's new default
    session.set_source("x: real = 5\ny: real\nreturn x*y + 1")
    assert float(session.values["x"]) == 5.0 and float(session.values["y"]) == 7.0
    assert session.seed_name is None and session.seed_text == "x=1,y=1"  # the direction fits
    session.set_source("x*z")
    assert session.seed_name == "x"  # it does not fit any more


def test_compile_for_reads_only_the_basis() -> None:
    """What the view runs in a worker thread: the session is not touched until apply."""
    from adexplorer.explorer.session import compile_for

    session = Session.start()
    basis = session.basis()
    compiled = compile_for("x1 * x2", basis, with_layout=True)
    assert session.source == "ln(x1) + x1*x2 - sin(x2)"  # untouched
    assert compiled.layout is not None and compiled.trace is not None
    assert session.fits(basis)
    session.nudge(1)
    assert not session.fits(basis)  # the view compiles again against the new value
    assert session.apply(compile_for("x1 * x2", session.basis()))
    assert float(session.trace.output_value()) == pytest.approx(2.1 * 5)  # type: ignore[union-attr]
    failed = compile_for("x1 *", session.basis())
    assert failed.error is not None and not session.apply(failed)


def test_descent_that_diverges_is_reported_kept_and_reset() -> None:
    """Lesson 1: doubling η until the steps are too long for the bowl.  f overflows to inf,
    then NaN; the sparkline used to crash converting NaN to an integer."""
    from adexplorer.base.errors import AdxError

    session = Session.start("(x - 3)^2 + 10*(y + 1)^2", {"x": 0, "y": 0})
    session.eta = 1e3
    for _ in range(200):
        try:
            session.descend()
        except AdxError as error:
            assert "diverged" in error.message and "press 0" in (error.hint or "")
            break
    else:
        pytest.fail("never diverged")
    assert session.diverged is not None
    assert session.diverged.startswith("diverged: f is ") and "after step" in session.diverged
    steps = len(session.history)
    assert steps > 2 and not np.isfinite(session.history[-1].value)
    with pytest.raises(AdxError):
        session.descend()
    assert len(session.history) == steps  # kept
    assert session.reset_descent()
    assert session.history == [] and session.diverged is None
    assert float(session.values["x"]) == 0.0 and float(session.values["y"]) == 0.0
    session.eta = 0.04
    assert np.isfinite(session.descend().value)


def test_descent_from_a_point_where_f_is_nan() -> None:
    session = Session.start("log(x - 5)", {"x": 1})
    session.descend()
    assert session.diverged == "diverged: f is nan at the start"
    assert session.reset_descent() and session.diverged is None


def test_a_typed_value_can_be_seeded_random_or_a_data_file(tmp_path: Path) -> None:
    """The editor's value knows the input's declared shape: normal(seed=S) needs no shape=,
    and a data file of another shape is refused naming the file, the old value kept."""
    session = Session.start("W: mat[3,2] = 0\nreturn sum(W^2)")
    session.set_value("W", "normal(seed=7)")
    assert np.array_equal(session.values["W"], np.random.default_rng(7).standard_normal((3, 2)))
    np.save(tmp_path / "wrong.npy", np.zeros((2, 3)))
    before = session.values["W"]
    with pytest.raises(AdxError, match=r"wrong\.npy"):
        session.set_value("W", f"@{tmp_path / 'wrong.npy'}")
    assert session.values["W"] is before
