"""The explorer at the size of the texts' network (64×1000 data, 100,000 weights), with Pilot.

Tensors are summaries in the trace table, the graph, the bar and the inputs
panel; ``v`` opens the whole value in a grid that formats only what is on
screen; stepping does not summarize an array twice; ``G`` trains with the loss
curve drawn live, and its losses are those of hand-written numpy SGD.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from adexplorer.base import numbers
from adexplorer.base.numbers import display_value, format_scalar, summarize_value
from adexplorer.explorer.loss_curve import curve_lines
from adexplorer.explorer.session import Session
from adexplorer.explorer.training import Training, TrainingPlan
from adexplorer.tui.app import ExplorerApp
from adexplorer.tui.screens.value_screen import ValueScreen
from adexplorer.tui.widgets import array_view
from adexplorer.tui.widgets.array_view import ArrayView
from adexplorer.tui.widgets.descent_pane import DescentPane
from adexplorer.tui.widgets.graph_view import GraphView
from adexplorer.tui.widgets.inputs_panel import InputsPanel
from adexplorer.tui.widgets.loss_curve import LossCurve
from adexplorer.tui.widgets.trace_table import TENSOR_CELL, TraceTable
from tests.tui_helpers import settle

NETWORK = """\
X: mat[64,1000]
Y: mat[64,10]
W1: mat[1000,100]
b1: vec[100]
W2: mat[100,10]
b2: vec[10]
h = relu(X @ W1 + b1)
p = h @ W2 + b2
return sum((p - Y)^2)
"""
WEIGHTS = ("W1", "b1", "W2", "b2")


def network_values() -> dict[str, np.ndarray]:
    """The shared decision's data and initial weights, built with numpy directly."""

    def uniform(fan_in: int, shape: tuple[int, ...], seed: int) -> np.ndarray:
        bound = 1 / np.sqrt(fan_in)
        return np.random.default_rng(seed).uniform(-bound, bound, shape)

    return {
        "X": np.random.default_rng(1).standard_normal((64, 1000)),
        "Y": np.random.default_rng(2).standard_normal((64, 10)),
        "W1": uniform(1000, (1000, 100), 3),
        "b1": uniform(1000, (100,), 4),
        "W2": uniform(100, (100, 10), 5),
        "b2": uniform(100, (10,), 6),
    }


def numpy_losses(
    values: dict[str, np.ndarray], eta: float, steps: int, accumulate: bool = False
) -> tuple[list[float], dict[str, np.ndarray]]:
    """SGD on the network with backpropagation written out by hand (independent of adx)."""
    w = {k: values[k].copy() for k in WEIGHTS}
    x, y = values["X"], values["Y"]
    grads: dict[str, np.ndarray] = {}
    losses = []
    for _ in range(steps):
        z = x @ w["W1"] + w["b1"]
        h = np.maximum(z, 0)
        p = h @ w["W2"] + w["b2"]
        losses.append(float(((p - y) ** 2).sum()))
        dp = 2 * (p - y)
        dz = (dp @ w["W2"].T) * (z > 0)
        step = {"W2": h.T @ dp, "b2": dp.sum(0), "W1": x.T @ dz, "b1": dz.sum(0)}
        grads = {k: grads[k] + step[k] for k in WEIGHTS} if accumulate and grads else step
        w = {k: w[k] - eta * grads[k] for k in WEIGHTS}
    return losses, w


def forward_values(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    z = values["X"] @ values["W1"] + values["b1"]
    h = np.maximum(z, 0)
    p = h @ values["W2"] + values["b2"]
    return {"z": z, "h": h, "p": p, "d": p - values["Y"]}


def network_app() -> ExplorerApp:
    return ExplorerApp(Session.start(NETWORK, network_values()))


def messages(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


def no_bug(app: Any) -> None:
    assert app.is_running
    assert not any("bug" in m.lower() or "Traceback" in m for m in messages(app)), messages(app)


# -- the summary itself ---------------------------------------------------------------


def test_summary_states_what_numpy_computes() -> None:
    x = network_values()["X"]
    text = summarize_value(x)
    assert text.startswith("mat[64,1000] [")
    assert f"min {format_scalar(x.min(), 4)}" in text
    assert f"max {format_scalar(x.max(), 4)}" in text
    assert f"norm {format_scalar(np.linalg.norm(x), 4)}" in text
    assert format_scalar(x[0, 0], 4) in text and format_scalar(x[0, 2], 4) in text
    for width in (60, 40, 28, 12, 9, 5):
        assert len(summarize_value(x, 6, width)) <= width


def test_small_values_keep_their_full_display() -> None:
    small = np.arange(12.0).reshape(3, 4)
    assert display_value(small) == numbers.format_value(small)
    assert display_value(np.arange(13.0)).startswith("vec[13] [0, 1, 2, …] min 0 max 12")


def test_nan_and_inf_are_counted() -> None:
    v = np.arange(20.0)
    v[[3, 5]] = np.nan
    v[7] = -np.inf
    text = summarize_value(v)
    assert "(2 NaN, 1 inf)" in text and "min 0 max 19" in text


def test_loss_curve_fits_and_goes_down() -> None:
    losses = [1000.0 * 0.9**k for k in range(500)]
    for width, height in ((80, 8), (40, 5)):
        lines = curve_lines(losses, width, height)
        assert len(lines) == height and all(len(line) <= width for line in lines)
        assert "log scale" in lines[-1] and lines[0].lstrip().startswith("1000")
    assert curve_lines([], 40, 5) == ["(no losses yet)"]
    assert curve_lines([float("nan")], 40, 5) == ["(no losses yet)"]


# -- the training loop, without the interface ---------------------------------------------


@pytest.mark.parametrize("accumulate", [False, True], ids=["zero_grad", "accumulate"])
def test_training_matches_numpy_sgd(accumulate: bool) -> None:
    values = network_values()
    session = Session.start(NETWORK, values)
    session.set_trained(list(WEIGHTS))
    session.set_eta("1e-4")
    session.set_train_steps("6")
    session.accumulate = accumulate
    training = session.begin_training().run()
    want, weights = numpy_losses(values, 1e-4, 6, accumulate)
    assert np.allclose(training.losses, want, rtol=1e-10, atol=0)
    assert session.finish_training(training)
    for name in WEIGHTS:
        assert np.allclose(session.values[name], weights[name], rtol=1e-10, atol=1e-14)
    assert session.values["X"] is values["X"]  # not trained: the same array
    assert [s.iteration for s in session.history] == list(range(7))
    assert session.history[-1].inputs.keys() == values.keys()
    after, _ = numpy_losses({**values, **weights}, 1e-4, 1)
    assert session.history[-1].value == pytest.approx(after[0], rel=1e-10)
    if accumulate:  # forgetting zero_grad takes ever longer steps: not the same run
        plain, _ = numpy_losses(values, 1e-4, 6)
        assert not np.allclose(want, plain, rtol=1e-6)


def test_a_diverging_run_stops_at_the_first_nonfinite_loss() -> None:
    session = Session.start("x^4", {"x": 3.0})
    training = Training(session.graph, session.values, TrainingPlan(10.0, 50))  # type: ignore[arg-type]
    training.run()
    assert not np.isfinite(training.losses[-1]) and len(training.losses) == training.moves + 1
    assert session.finish_training(training)
    assert session.diverged is not None


# -- the explorer -----------------------------------------------------------------------------


async def test_tables_graph_and_bar_show_summaries() -> None:
    app = network_app()
    values = network_values()
    want = forward_values(values)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press(*["right"] * 8)  # up to v1 = X @ W1 and v2 = v1 + b1
        await settle(pilot)
        table = app.query_one(TraceTable)
        cells = [str(c) for c in table.get_row("7")]
        assert display_value(want["z"], 6, TENSOR_CELL) in cells
        summaries = [str(c) for key in table.rows for c in table.get_row(key) if "[" in str(c)]
        summaries = [c for c in summaries if c.startswith(("mat[", "vec["))]
        assert len(summaries) >= 6 and all(len(c) <= TENSOR_CELL for c in summaries)
        picture = app.query_one(GraphView)._picture
        assert picture is not None and picture.values[0] == "64×1000"  # X's box
        bar = str(app.query_one("#formula").render())
        assert "mat[64,100] [" in bar and len(bar) < 600
        panel = app.query_one(InputsPanel)
        field = panel.query_one("#value-X")
        room = field.content_size.width  # the summary within the field: no number cut
        assert field.value == "" and field.placeholder == summarize_value(values["X"], width=room)  # type: ignore[attr-defined]
        no_bug(app)


async def test_with_tensors_the_derivative_column_comes_before_the_value() -> None:
    """At 120×40 the trace pane is narrow: the adjoint being computed must be the column
    that shows, not one scrolled off the right behind two 28-character summaries."""
    app = network_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        titles = [str(c.label) for c in app.query_one(TraceTable).columns.values()]
        assert titles.index("adjoint v̄") < titles.index("value"), titles
        small = ExplorerApp(Session.start("ln(x1) + x1*x2 - sin(x2)", {"x1": 2.0, "x2": 5.0}))
    async with small.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        titles = [str(c.label) for c in small.query_one(TraceTable).columns.values()]
        assert titles.index("value") < titles.index("adjoint v̄"), titles


async def test_enter_on_a_tensor_field_keeps_it_and_a_typed_value_fills_it() -> None:
    app = network_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before = app.session.values["Y"]
        app.query_one("#value-Y").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.session.values["Y"] is before
        await pilot.press("0", ".", "5", "enter")
        await settle(pilot)
        assert np.all(app.session.values["Y"] == 0.5)  # 0.5 fills it
        trace = app.session.trace
        assert trace is not None and np.array_equal(trace.inputs["Y"], np.full((64, 10), 0.5))
        no_bug(app)


async def test_stepping_summarizes_each_array_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Back and forth over steps already shown: no array is summarized again (the
    summaries are kept per array), and the time per step key is printed."""
    app = network_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("end")
        await pilot.press(*["left"] * 12, *["right"] * 12)
        await settle(pilot)
        calls = []
        real = numbers.value_statistics
        monkeypatch.setattr(numbers, "value_statistics", lambda v: calls.append(1) or real(v))
        await pilot.press(*["left"] * 12, *["right"] * 12)
        await settle(pilot)
        start = time.perf_counter()
        for delta in [-1] * 12 + [1] * 12:  # what a step key runs, without Pilot's waits
            app.view.action_step(delta)
        per_key = (time.perf_counter() - start) / 24
        print(f"\n{per_key * 1000:.1f} ms per step key on the network (not asserted)")
        assert calls == []
        no_bug(app)


def formatted_per_line(grid: ArrayView) -> int:
    """How many entries drawing one line of the grid formats."""
    calls = []
    real = array_view.format_scalar
    array_view.format_scalar = lambda x, d=6: calls.append(x) or real(x, d)  # type: ignore[assignment]
    try:
        grid.render_line(3)
    finally:
        array_view.format_scalar = real  # type: ignore[assignment]
    return len(calls)


async def test_v_opens_the_whole_value_and_the_adjoint() -> None:
    app = network_app()
    values = network_values()
    fwd = forward_values(values)
    dz = (2 * fwd["d"] @ values["W2"].T) * (fwd["z"] > 0)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("end")  # the last step adds ∂f/∂W1 = Xᵀ·z̄ to W1's adjoint
        await settle(pilot)
        await pilot.press("v")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ValueScreen)
        grid = screen.query_one(ArrayView)
        assert np.array_equal(grid.grid, values["W1"])
        await pilot.press("v")
        await pilot.pause()
        assert np.allclose(grid.grid, values["X"].T @ dz, rtol=1e-10, atol=1e-12)
        assert "adjoint" in str(screen.query_one("#value-title").render())
        stats = str(screen.query_one("#value-stats").render())
        assert "100,000 entries" in stats and f"max {format_scalar(grid.grid.max(), 6)}" in stats
        await pilot.press("pagedown", "pagedown", "end", "right", "right")
        await pilot.pause()
        row, _ = grid.first_visible()
        assert row > 0 and grid.scroll_offset.x > 0
        # a line formats only the columns on screen, not the row's 100 entries
        assert 0 < formatted_per_line(grid) <= grid.size.width // grid.cell + 1 < 100
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ValueScreen)
        no_bug(app)


async def test_v_on_a_large_input_before_any_step() -> None:
    app = network_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ValueScreen)
        grid = screen.query_one(ArrayView)
        assert grid.grid.shape == (64, 1000) and grid.lines_drawn > 0
        assert 0 < formatted_per_line(grid) <= grid.size.width // grid.cell + 1 < 1000
        line = grid.render_line(1).text
        assert format_scalar(network_values()["X"][0, 0], 6) in line
        await pilot.press("escape")
        no_bug(app)


async def type_into(pilot: Any, selector: str, text: str) -> None:
    """Empty a field of the descent pane, type ``text`` and Enter, as a student would."""
    field = pilot.app.query_one(DescentPane).query_one(selector)
    field.focus()
    field.value = ""
    await pilot.press(*text, "enter")
    await pilot.pause()


async def wait_for(pilot: Any, condition: Any, rounds: int = 400) -> None:
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("the condition never held")


async def test_live_training_grows_the_curve_and_stops_on_G() -> None:
    app = network_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view = app.view
        await pilot.press("5")
        for field, text in (("names", "W1,b1,W2,b2"), ("eta", "1e-4"), ("steps", "10000")):
            await type_into(pilot, f"#train-{field}", text)
        view.focus_graph()
        assert app.session.trained == WEIGHTS and app.session.train_steps == 10_000
        assert app.session.eta == pytest.approx(1e-4)
        await pilot.press("G")
        await wait_for(pilot, lambda: view.training is not None and len(view.training.losses) >= 3)
        curve = app.query_one(LossCurve)
        await wait_for(pilot, lambda: len(curve.losses) >= 3)
        await pilot.press("G")  # stop
        await settle(pilot)
        assert view.training is None
        history = app.session.history
        assert 3 <= len(history) < 10_000
        assert len(curve.losses) == len(history)
        want, _ = numpy_losses(network_values(), 1e-4, len(history) - 1)
        assert np.allclose([s.value for s in history[:-1]], want, rtol=1e-10)
        assert history[-1].value == app.session.trace.output_value()  # type: ignore[union-attr]
        assert any("training stopped" in m for m in messages(app))
        no_bug(app)


async def test_training_at_80x24_with_accumulation_then_reset() -> None:
    app = ExplorerApp(Session.start("(x - 3)^2 + (y + 1)^2", {"x": 0, "y": 0}))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("A", "G")
        await settle(pilot)
        assert app.session.accumulate
        assert len(app.session.history) == app.session.train_steps + 1
        lines = curve_lines([s.value for s in app.session.history], 60, 6)
        assert len(lines) == 6
        await pilot.press("0")
        await settle(pilot)
        assert app.session.history == [] and float(app.session.values["x"]) == 0
        no_bug(app)


async def test_bad_training_settings_are_refused_in_words() -> None:
    app = network_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        for field, text in (("#train-steps", "lots"), ("#train-eta", "-1"), ("#train-names", "W3")):
            await type_into(pilot, field, text)
        said = messages(app)
        assert any("steps must be a whole number" in m for m in said)
        assert any("learning rate must be positive" in m for m in said)
        assert any("cannot train 'W3'" in m for m in said)
        assert app.session.train_steps == 100 and app.session.trained == ()
        no_bug(app)


# -- snapshots (pytest --snapshot-update after an intended change; look at the SVGs) ----------

SIZES = [(80, 24), (120, 40)]


def test_value_screen_snapshot(snap_compare: Any) -> None:
    async def open_the_adjoint(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)
        await pilot.press("v", "v", "pagedown")
        await pilot.pause()

    assert snap_compare(network_app(), terminal_size=(80, 24), run_before=open_the_adjoint)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_training_curve_snapshot(snap_compare: Any, size: tuple[int, int]) -> None:
    async def train(pilot: Any) -> None:
        await pilot.press("G")
        await settle(pilot)

    app = ExplorerApp(Session.start("(x - 3)^2 + (y + 1)^2 + x*y", {"x": 0, "y": 0}))
    assert snap_compare(app, terminal_size=size, run_before=train)
