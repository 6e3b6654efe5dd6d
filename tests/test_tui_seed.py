"""The seed dialog (u) and vector forward mode (V), driven with Pilot like a person."""

from __future__ import annotations

import numpy as np
import pytest
from textual.widgets import Input

from adexplorer.core.trace import run
from adexplorer.explorer.session import Session
from adexplorer.tui.app import ExplorerApp
from adexplorer.tui.screens.seed_screen import SeedScreen
from adexplorer.tui.widgets.formula_bar import FormulaBar
from adexplorer.tui.widgets.trace_table import TraceTable

TWO_OUTPUTS = "f1 = x*y\nf2 = sin(x) - y^2\nreturn f1, f2"


def formula_bar(app: ExplorerApp) -> str:
    return str(app.query_one(FormulaBar).content)


async def type_into_dialog(pilot, text: str) -> SeedScreen:  # type: ignore[no-untyped-def]
    """Press u, clear the field and type ``text`` (the dialog stays open)."""
    await pilot.press("u")
    screen = pilot.app.screen
    assert isinstance(screen, SeedScreen)
    field = screen.query_one("#seed-input", Input)
    assert pilot.app.focused is field
    await pilot.press("ctrl+u")  # clear what the field held (the current seed)
    await pilot.press(*text)
    return screen


async def test_forward_seed_from_the_dialog_gives_j_times_u() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f")
        screen = await type_into_dialog(pilot, "x1=1,x2=0.5")
        assert "J·u" in str(screen.query_one("#seed-title").content)
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, SeedScreen)
        session = app.session
        assert session.seed_name is None and session.seed_text == "x1=1,x2=0.5"
        await pilot.press("end")
        expected = 5.5 * 1 + 1.7163378145367738 * 0.5  # ∇f · u
        assert float(session.trace.output_tangents()[0]) == pytest.approx(expected)  # type: ignore[union-attr]
        assert "seed x1=1,x2=0.5" in formula_bar(app)


async def test_a_bad_seed_shows_its_error_and_keeps_the_text() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f")
        trace = app.session.trace
        screen = await type_into_dialog(pilot, "x1=1,x3=2")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen  # still open
        error = screen.error_text
        assert "'x3' is not an input" in error and "x1, x2" in error
        assert screen.query_one("#seed-input", Input).value == "x1=1,x3=2"
        assert app.session.trace is trace and app.session.seed_name == "x1"
        # a syntax error too: said with a caret, the text kept
        await pilot.press("backspace", "backspace", "backspace", "backspace")
        await pilot.press("enter")
        await pilot.pause()
        assert "expected" in screen.error_text and "^" in screen.error_text
        assert screen.query_one("#seed-input", Input).value == "x1=1,"
        # fixed: applied, the dialog closes
        await pilot.press(*"x2=-1", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, SeedScreen)
        assert app.session.seed_text == "x1=1,x2=-1"


async def test_escape_closes_the_dialog_without_a_change() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        trace = app.session.trace
        await type_into_dialog(pilot, "f=3")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, SeedScreen)
        assert app.session.trace is trace and app.session.cotangent_text == ""


async def test_reverse_cotangent_from_the_dialog_gives_the_vjp() -> None:
    app = ExplorerApp(Session.start(TWO_OUTPUTS, {"x": 0.5, "y": 2.0}))
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.session.mode == "reverse"
        screen = await type_into_dialog(pilot, "f1=1,f2=-2")
        assert "outputs: f1, f2" in str(screen.query_one("#seed-help").content)
        await pilot.press("enter")
        await pilot.pause()
        session = app.session
        assert session.cotangent_text == "f1=1,f2=-2"
        trace = session.trace
        assert trace is not None and len(trace.adjoint_sweeps) == 1
        full = run(trace.graph, session.values, "reverse")
        jacobian = np.array(
            [[float(full.jacobian(k)[name]) for name in ("x", "y")] for k in range(2)]
        )
        expected = np.array([1.0, -2.0]) @ jacobian
        vjp = trace.vjp()
        np.testing.assert_allclose([float(vjp["x"]), float(vjp["y"])], expected, rtol=1e-12)
        await pilot.press("end")
        bar = formula_bar(app)
        assert "ȳ f1=1,f2=-2" in bar and "ȳᵀJ (ȳ: f1=1,f2=-2)" in bar
        # the seed frames start the sweep at ȳ: the second output's adjoint is -2
        await pilot.press("home")
        await pilot.press(*["right"] * (len(trace.primal_steps) + 2))
        bar = formula_bar(app)
        assert "v̄4 = -2" in bar and "the sweep starts from ȳ: f1=1,f2=-2" in bar


async def test_a_bad_cotangent_names_the_outputs() -> None:
    app = ExplorerApp(Session.start(TWO_OUTPUTS, {"x": 0.5, "y": 2.0}))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await type_into_dialog(pilot, "f11=1")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        assert "did you mean 'f1'" in screen.error_text and "f1, f2" in screen.error_text
        assert app.session.cotangent_text == ""


async def test_vector_forward_mode_shows_the_n_parts() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("V")
        session = app.session
        assert session.mode == "forward" and session.vector
        assert session.trace is not None and session.trace.vector_sweep is not None
        await pilot.press("end")
        table = app.query_one(TraceTable)
        last = table.get_row_at(table.row_count - 1)
        assert any(cell.plain == "[5.5, 1.71634]" for cell in last)
        assert "one vector sweep: ∂f/∂x1 = 5.5   ∂f/∂x2 = 1.71634" in formula_bar(app)
        await pilot.press("d")
        await pilot.press("end")
        assert "11.6521 + [5.5, 1.71634]·ε" in formula_bar(app)
        last = table.get_row_at(table.row_count - 1)
        assert any(cell.plain == "11.6521 + [5.5, 1.71634]·ε" for cell in last)
        await pilot.press("V")  # back to one seed
        assert not app.session.vector
        assert app.session.trace is not None and app.session.trace.vector_sweep is None


async def test_keys_typed_right_after_u_reach_the_dialog() -> None:
    """A fast typist: u, the direction and Enter arrive with no pause between them (all
    queued before the dialog is up).  Before the fix only Enter reached the field, and an
    empty field means "the whole Hessian"."""
    from textual import events

    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("H")
        for key in ["u", *"x1=1,x2=0.5", "enter"]:
            character = key if len(key) == 1 else None
            app.post_message(events.Key(key, character))
        await pilot.pause()
        await pilot.pause()
        assert not isinstance(app.screen, SeedScreen)
        session = app.session
        assert session.mode == "second" and session.second_kind == "hvp"
        assert session.seed_text == "x1=1,x2=0.5"
        second = session.second
        assert second is not None and second.kind == "hvp"
        products = second.hvp()
        # H of ln(x1) + x1*x2 - sin(x2) at (2, 5): [[-1/4, 1], [1, sin 5]]
        h = np.array([[-0.25, 1.0], [1.0, np.sin(5.0)]])
        u = np.array([1.0, 0.5])
        assert [float(products["x1"]), float(products["x2"])] == pytest.approx(h @ u)


async def test_keys_typed_right_after_u_do_not_run_the_explorers_keys() -> None:
    """The typed text must not trigger the keys behind the dialog (x would export)."""
    from textual import events

    app = ExplorerApp(Session.start())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f")
        mode = app.session.mode
        for key in ["u", *"x2"]:
            app.post_message(events.Key(key, key))
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SeedScreen)
        assert screen.query_one("#seed-input", Input).value.endswith("x2")
        assert app.session.mode == mode


def test_the_seed_field_in_vector_mode_names_every_direction() -> None:
    session = Session.start()
    session.set_mode("forward")
    session.set_seed("x2")
    assert session.seed_field()[0] == "x2"
    session.toggle_vector()
    text, placeholder = session.seed_field()
    assert text == "" and placeholder == "all 2 directions: x1, x2"
    session.toggle_vector()  # back to one seed: the field shows it again
    assert session.seed_field()[0] == "x2"


async def test_the_inputs_panel_does_not_show_the_last_seed_in_vector_mode() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f", "s")  # forward mode, seeded with x2
        await pilot.pause()
        field = app.query_one("#seed-field", Input)
        assert field.value == "x2"
        await pilot.press("V")
        await pilot.pause()
        assert app.session.vector
        assert field.value == "" and field.placeholder == "all 2 directions: x1, x2"
        await pilot.press("V")
        await pilot.pause()
        assert field.value == app.session.seed_field()[0] != ""
