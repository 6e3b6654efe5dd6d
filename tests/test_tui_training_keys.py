"""The descent pane's keys on the texts' network, with Pilot: ``g`` follows accumulate
(A), field edits are kept when the field loses focus, and the pane's words fit the
screen.  Every loss is checked against hand-written numpy SGD."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from adexplorer.explorer.session import Session
from tests.test_tui_tensors import (
    WEIGHTS,
    network_app,
    network_values,
    no_bug,
    numpy_losses,
    type_into,
)
from tests.tui_helpers import settle


@pytest.mark.parametrize("accumulate", [False, True])
async def test_g_steps_follow_accumulate(accumulate: bool) -> None:
    app = network_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await type_into(pilot, "#train-eta", "1e-4")
        await type_into(pilot, "#train-names", "W1,b1,W2,b2")
        app.view.focus_graph()
        if accumulate:
            await pilot.press("A")
        await pilot.press("g", "g")
        await settle(pilot)
        want, _ = numpy_losses(network_values(), 1e-4, 3, accumulate)
        history = app.session.history
        assert [s.value for s in history] == pytest.approx(want, rel=1e-10)
        assert app.session.trace.output_value() == pytest.approx(want[2], rel=1e-10)  # type: ignore[union-attr]
        no_bug(app)


def test_a_new_sum_after_a_reset_a_toggle_or_new_values() -> None:
    eta = 1e-4
    session = Session.start(
        "X: mat[64,1000]\nY: mat[64,10]\nW1: mat[1000,100]\nb1: vec[100]\n"
        "W2: mat[100,10]\nb2: vec[10]\nh = relu(X @ W1 + b1)\np = h @ W2 + b2\n"
        "return sum((p - Y)^2)",
        network_values(),
    )
    session.set_eta(str(eta))
    session.set_trained(list(WEIGHTS))
    session.toggle_accumulate()
    session.descend()
    session.descend()
    summed, _ = numpy_losses(network_values(), eta, 3, accumulate=True)
    assert session.history[-1].value == pytest.approx(summed[2], rel=1e-10)
    # A off and on again: the sum starts afresh from where the values are
    session.toggle_accumulate()
    session.toggle_accumulate()
    start = {k: np.asarray(v) for k, v in session.values.items()}
    session.descend()
    session.descend()
    again, _ = numpy_losses(start, eta, 3, accumulate=True)
    assert session.history[-1].value == pytest.approx(again[2], rel=1e-10)
    # back to the start: a new sum
    session.reset_descent()
    session.descend()
    session.descend()
    assert session.history[-1].value == pytest.approx(summed[2], rel=1e-10)
    assert set(WEIGHTS) <= set(session.values)


# -- the cost pane counts the trained inputs' sweeps too ------------------------------


def test_cost_words_count_the_trained_inputs() -> None:
    from rich.console import Console

    from adexplorer.render.cost import cost_view
    from adexplorer.tui.widgets.cost_pane import trained_entries

    session = Session.start(
        "X: mat[64,1000]\nY: mat[64,10]\nW1: mat[1000,100]\nb1: vec[100]\n"
        "W2: mat[100,10]\nb2: vec[10]\nh = relu(X @ W1 + b1)\np = h @ W2 + b2\n"
        "return sum((p - Y)^2)",
        network_values(),
    )
    assert trained_entries(session) is None  # all inputs train: the Jacobian line says it
    session.set_trained(list(WEIGHTS))
    trained = trained_entries(session)
    values = network_values()
    parameters = sum(values[k].size for k in WEIGHTS)
    assert trained == (WEIGHTS, parameters)
    assert session.trace is not None and session.trace.cost is not None
    console = Console(width=200, record=True)
    console.print(cost_view(session.trace.cost, trained))
    text = console.export_text()
    everything = sum(v.size for v in values.values())
    assert f"f: R^{everything} → R^1" in text
    assert (
        f"For the trained W1, b1, W2, b2 ({parameters:,} entries): "
        f"{parameters:,} forward sweeps vs 1 reverse sweep." in text
    )


# -- a short list too long for its cell is its summary, never cut ---------------------


def test_display_value_summarizes_a_list_wider_than_its_cell() -> None:
    from adexplorer.base.numbers import display_value, format_value

    b2 = network_values()["b2"]
    assert len(format_value(b2)) > 28
    shown = display_value(b2, 6, 28)
    assert len(shown) <= 28 and shown.startswith("vec[10]")
    assert display_value(b2[:2], 6, 28) == format_value(b2[:2])  # what fits stays whole


async def test_b2_is_a_summary_in_the_trace_and_the_inputs_panel() -> None:
    from adexplorer.tui.widgets.inputs_panel import InputsPanel
    from adexplorer.tui.widgets.trace_table import TENSOR_CELL, TraceTable

    app = network_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)
        field = app.query_one(InputsPanel).query_one("#value-b2")
        assert field.value == "" and field.placeholder.startswith("vec[10]")  # type: ignore[attr-defined]
        table = app.query_one(TraceTable)
        cells = [str(c) for row in range(table.row_count) for c in table.get_row_at(row)]
        b2_cells = [c for c in cells if "vec[10]" in c]
        assert b2_cells and all(len(c) <= TENSOR_CELL for c in cells if c.startswith("["))
        assert not any(c.startswith("[") and not c.endswith("]") for c in cells)
        no_bug(app)


# -- the descent pane and the lesson's title at the tester's sizes --------------------


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_descent_fields_are_kept_when_left_with_tab(size: tuple[int, int]) -> None:
    from adexplorer.tui.widgets.descent_pane import DescentPane

    app = network_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("5")
        pane = app.query_one(DescentPane)
        for name, text in (("names", "W1,b1,W2,b2"), ("eta", "1e-4"), ("steps", "64")):
            field = pane.query_one(f"#train-{name}")
            field.focus()
            await settle(pilot)
            field.value = ""  # type: ignore[attr-defined]
            await pilot.press(*text)
        app.view.focus_graph()  # no Enter anywhere: leaving each field keeps its value
        await settle(pilot)
        assert app.session.trained == WEIGHTS
        assert app.session.eta == pytest.approx(1e-4) and app.session.train_steps == 64
        await pilot.press("g")
        await settle(pilot)
        names = pane.query_one("#train-names")
        assert names.value == "W1,b1,W2,b2"  # type: ignore[attr-defined]
        assert names.content_size.width >= len("W1,b1,W2,b2")  # the whole list, beside the bar
        no_bug(app)


def test_no_steps_yet_is_not_said_while_a_run_goes_on() -> None:
    from adexplorer.tui.widgets.descent_pane import DescentPane

    session = Session.start("(x - 3)^2", {"x": 0})
    pane = DescentPane()
    assert "no steps yet" in str(pane._history(session))
    training = session.begin_training()
    assert "no steps yet" not in str(pane._history(session, training))


async def test_the_lesson_title_keeps_its_step_number(tmp_path: Any) -> None:
    from adexplorer.lessons.catalog import builtin
    from adexplorer.lessons.progress import Progress
    from adexplorer.tui.lesson_app import LessonApp
    from adexplorer.tui.widgets.descent_pane import DescentPane
    from adexplorer.tui.widgets.lesson_panel import LessonPanel

    lesson = next(x for x in builtin() if x.path.name.startswith("15-"))
    for size in ((80, 24), (120, 40)):
        app = LessonApp(lesson, Progress.load(tmp_path / "progress.json"))
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            panel = app.query_one(LessonPanel)
            title = str(panel.border_title)
            assert title.endswith(f"step 1/{len(lesson.steps)}")
            assert len(title) <= panel.size.width - 6
            # under 100 columns the lesson hides the inputs panel: the pane does not send one there
            pane = app.query_one(DescentPane)
            assert pane._inputs_panel_shown() == (size[0] >= 100)
            session = app.view.session
            session.set_trained(list(WEIGHTS))
            session.descend()
            words = str(pane._history(session).renderables[-1])  # type: ignore[union-attr]
            assert ("inputs panel" in words) == (size[0] >= 100) and "not scalars" in words


# -- the value viewer moves by whole columns; w opens it in both apps -----------------


async def test_the_value_grid_moves_by_whole_columns() -> None:
    from adexplorer.base.numbers import format_scalar
    from adexplorer.tui.screens.value_screen import ValueScreen
    from adexplorer.tui.widgets.array_view import ArrayView

    app = network_app()
    x = network_values()["X"]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("end", "w")  # the last step: W1's value
        await settle(pilot)
        assert isinstance(app.screen, ValueScreen)
        grid = app.screen.query_one(ArrayView)
        grid.show(x)
        await settle(pilot)
        page = grid.columns_on_screen()
        assert page >= 2

        def header() -> list[int]:
            return [int(c) for c in grid.render_line(0).text.split()]

        def whole_cells() -> None:  # every number drawn is all there: no cut digits
            row = grid.first_visible()[0]
            first = grid.first_visible()[1]
            words = grid.render_line(1).text.split()[1:]
            want = [format_scalar(x[row, c], grid.digits) for c in header()]
            assert words == want and header()[0] == first

        await pilot.press("right")
        await settle(pilot)
        assert grid.first_visible()[1] == 1 and header() == list(range(1, 1 + page))
        whole_cells()
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert grid.first_visible()[1] == 1 + page
        whole_cells()
        await pilot.press("shift+left")
        await settle(pilot)
        assert grid.first_visible()[1] == 1
        await pilot.press("end")
        await settle(pilot)
        assert header()[-1] == 999 and len(header()) == page
        whole_cells()
        await pilot.press("home")
        await settle(pilot)
        assert header()[0] == 0
        await pilot.press("escape")
        no_bug(app)


async def test_w_shows_the_whole_value_in_a_lesson_where_v_reveals(tmp_path: Any) -> None:
    from adexplorer.lessons.catalog import builtin
    from adexplorer.lessons.progress import Progress
    from adexplorer.tui.keys import keys_text
    from adexplorer.tui.lesson_app import LessonApp
    from adexplorer.tui.screens.value_screen import ValueScreen

    lesson = next(x for x in builtin() if x.path.name.startswith("15-"))
    app = LessonApp(lesson, Progress.load(tmp_path / "progress.json"))
    value_keys = [keys_text(b) for b in app.BINDINGS if "show_value" in b.action]  # type: ignore[union-attr]
    assert value_keys == ["w"]  # v is the lesson's reveal: not offered for the value too
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.set_focus(None)
        await pilot.press("v")
        await settle(pilot)
        assert not isinstance(app.screen, ValueScreen)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, ValueScreen)
