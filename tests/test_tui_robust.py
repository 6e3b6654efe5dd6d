"""Never a traceback, never a freeze: each crash students met, replayed with Pilot, and the
debounce, background computations and cancelling that keep the explorer responsive."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.widgets import Static, TabbedContent, TextArea

from adexplorer.explorer.session import Session
from adexplorer.lessons.catalog import find
from adexplorer.lessons.progress import Progress
from adexplorer.tui import explorer_view
from adexplorer.tui.app import ExplorerApp
from adexplorer.tui.bugs import BUG, run_app
from adexplorer.tui.lesson_app import LessonApp
from adexplorer.tui.widgets import fd_pane, swell_pane
from adexplorer.tui.widgets.editor import SourceEditor
from adexplorer.tui.widgets.fd_pane import FdPane
from adexplorer.tui.widgets.lesson_panel import ExerciseBox, LessonPanel
from adexplorer.tui.widgets.loss_curve import LossCurve
from adexplorer.tui.widgets.trace_table import TraceTable
from tests.tui_helpers import settle


def shown(app: Any, selector: str) -> str:
    """The plain text a Static shows."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(app.query_one(selector, Static).content)
    return console.export_text()


def messages(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def edit(pilot: Any, text: str) -> None:
    """Replace the program as a student would (select all, type over it), then leave."""
    app = pilot.app
    await pilot.press("e")
    area = app.query_one("#source", TextArea)
    await pilot.press("f7")  # select all
    area.replace(text, *area.selection)
    await pilot.press("escape")  # compiles at once and leaves the editor
    await settle(pilot)


# -- the crashes students met ------------------------------------------------------


async def test_seed_key_on_a_function_without_inputs() -> None:
    """`1+2`, then s: was a ZeroDivisionError choosing the next input to seed."""
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        await edit(pilot, "1+2")
        assert app.session.source == "1+2" and app.session.graph.input_names == ()  # type: ignore[union-attr]
        await pilot.press("s", "f", "s", "end")
        await settle(pilot)
        assert any("no inputs to seed" in m for m in messages(app))
        assert app.session.at_end and app.session.result_lines()[0] == "f = 3"
        for pane in "2345":  # every pane copes with no input
            await pilot.press(pane)
            await settle(pilot)
        assert "no inputs" in shown(app, "#fd-body")
        await pilot.press("3")
        await settle(pilot)
        assert "no inputs" in shown(app, "#swell-function")
        assert not any(BUG in m for m in messages(app))


async def test_swell_pane_on_the_sum_of_a_vector() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        await edit(pilot, "x: vec[3] = [1, 2, 3]\nreturn sum(x*x)")
        await pilot.press("3")
        await settle(pilot)
        assert "tensor operation" in shown(app, "#swell-function")
        assert "level" in shown(app, "#swell-family") or shown(app, "#swell-family").strip()
        await pilot.press("2")
        await settle(pilot)
        assert "AD gives" in shown(app, "#fd-body")
        assert not any(BUG in m for m in messages(app))


async def test_fd_pane_at_1e200_shows_why_it_refuses() -> None:
    """adx fd refuses a point where f is not finite; the pane shows that message."""
    app = ExplorerApp(Session.start("x*x", {"x": 1e200}))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        text = shown(app, "#fd-body")
        assert "f is +inf at this point" in text and "finite differences" in text
        assert app.query_one(FdPane).study is None


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_undo_redo_and_resizes_while_playing(size: tuple[int, int]) -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=size) as pilot:
        await pilot.press("right_square_bracket", "right_square_bracket", "space")
        assert app.playing
        await pilot.press("e", "end", *"+x1", "enter", *"y = 2")
        for _ in range(2):
            await pilot.press("ctrl+z")
            await pilot.resize_terminal(60, 20)
            await pilot.press("ctrl+y")
            await pilot.resize_terminal(200, 50)
            await pilot.press("ctrl+z", "ctrl+z")
            await pilot.resize_terminal(*size)
            await pilot.pause(0.25)
        await pilot.press("escape")
        await settle(pilot)
        area = app.query_one("#source", TextArea)
        assert app.session.source == area.text  # what the editor holds is what runs
        assert app.query_one(TraceTable).row_count == len(app.session.trace.primal_steps)  # type: ignore[union-attr]
        assert app.is_running and not any(BUG in m for m in messages(app))


async def test_descent_that_diverges_in_the_explorer() -> None:
    """5, then g at a diverging η: was `ValueError: cannot convert float NaN to integer`."""
    app = ExplorerApp(Session.start("x^4", {"x": 3.0}))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5", *["greater_than_sign"] * 4)
        for _ in range(8):
            await pilot.press("g")
        await settle(pilot)
        assert app.query_one(TabbedContent).active == "descent"
        help_text = shown(app, "#descent-help")
        assert "diverged: f is " in help_text and "after step" in help_text
        assert "0: start again" in help_text
        kept = len(app.session.history)
        assert kept >= 3
        assert any("diverged" in m and "press 0" in m for m in messages(app))
        curve = app.query_one(LossCurve)  # the NaN and inf losses are left out of the curve
        assert len(curve.losses) == kept and "│" in curve.render().plain
        await pilot.press("0")
        await settle(pilot)
        assert app.session.history == [] and float(app.session.values["x"]) == 3.0
        assert "diverged" not in shown(app, "#descent-help")


async def test_lesson_one_doubling_eta_until_it_diverges(tmp_path: Path) -> None:
    """Lesson 1, step 2: "press > to double η several times", then g."""
    app = LessonApp(find("why-derivatives"), Progress(tmp_path / "p.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        assert app.step_index == 1
        app.set_focus(None)
        await pilot.press(*["greater_than_sign"] * 15)  # η = 1000 (its cap)
        await pilot.press(*["g"] * 40)
        await settle(pilot)
        assert "diverged: f is " in shown(app, "#descent-help")
        await pilot.press("0", "g")
        await settle(pilot)
        assert len(app.session.history) == 2  # a fresh start


@pytest.mark.parametrize("text", ["[1,2]", "1e999", "nan", "[[1]]", "-1e999"])
async def test_odd_answers_never_crash_the_player(tmp_path: Path, text: str) -> None:
    """`[1,2]` in the dual-numbers formula exercise made the grader raise a TypeError
    (lessons/answers.py); the player says the answer could not be checked."""
    app = LessonApp(find("dual-numbers"), Progress(tmp_path / "p.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        boxes = list(app.query_one(LessonPanel).query(ExerciseBox))
        for box in boxes:
            field = box.query_one("Input")
            field.focus()
            field.value = text  # type: ignore[attr-defined]
            await pilot.press("enter")
            await pilot.pause()
            assert not box.has_class("-solved")
            assert box.query_one(".feedback", Static).content  # some feedback, never a crash
        assert app.is_running


# -- guards ---------------------------------------------------------------------------


async def test_a_bug_in_a_session_call_is_reported_not_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:

        def broken(delta: int = 1) -> None:
            raise RuntimeError("boom")

        monkeypatch.setattr(app.session, "step", broken)
        await pilot.press("right")
        await pilot.pause()
        assert app.is_running
        assert any(BUG in m and "RuntimeError: boom" in m for m in messages(app))


async def test_a_bug_that_escapes_ends_the_app_without_a_traceback() -> None:
    """Textual would print a full-screen traceback; run_app re-raises the bug instead, for
    adx's one-line report (exit status 3)."""
    app = ExplorerApp(Session.start())
    with pytest.raises(ZeroDivisionError):
        async with app.run_test(size=(80, 24)) as pilot:
            app.call_later(lambda: 1 / 0)
            await pilot.pause()
    assert app.return_code == 1 and app._exit_renderables == []


def test_run_app_reraises_the_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    app = ExplorerApp(Session.start())

    def crashed(*args: object, **kwargs: object) -> None:
        app._exception = ValueError("cannot convert float NaN to integer")

    monkeypatch.setattr(app, "run", crashed)
    with pytest.raises(ValueError, match="NaN"):
        run_app(app)


# -- typing: debounced, compiled in the background ---------------------------------------


async def test_typing_compiles_once_after_the_last_key(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled: list[str] = []
    real = explorer_view.compile_for

    def counting(text: str, *args: Any, **kwargs: Any) -> Any:
        compiled.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(explorer_view, "compile_for", counting)
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("e", "end", *" + x1*x1*x1")
        editor = app.query_one(SourceEditor)
        assert editor.border_subtitle == "compiling…"
        assert compiled == [] and app.session.source == "ln(x1) + x1*x2 - sin(x2)"
        await pilot.pause(explorer_view.DEBOUNCE + 0.3)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert compiled == ["ln(x1) + x1*x2 - sin(x2) + x1*x1*x1"]  # once, for the last text
        assert app.session.source == app.query_one("#source", TextArea).text
        assert editor.border_subtitle == ""


async def test_typing_back_to_the_compiled_text_compiles_nothing() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        revision = app.session.revision
        await pilot.press("e", "end", "x", "backspace")
        await settle(pilot)
        assert app.session.revision == revision


async def test_a_lesson_step_drops_what_was_typed_but_not_compiled(tmp_path: Path) -> None:
    app = LessonApp(find("reverse-mode"), Progress(tmp_path / "p.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("e", "end", *"+ 1")
        app.set_focus(None)
        await pilot.press("n")  # loads x*x before the debounce fires
        await settle(pilot)
        assert app.session.source == "x*x"
        assert app.query_one("#source", TextArea).text == "x*x"


async def test_a_value_changed_while_compiling_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compile ran against a copy of the inputs; if one changed meanwhile, it runs again."""
    release = threading.Event()
    real = explorer_view.compile_for

    def slow(text: str, *args: Any, **kwargs: Any) -> Any:
        release.wait(10)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(explorer_view, "compile_for", slow)
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("e", "end", *"+x1", "escape")  # Esc compiles at once
        await pilot.pause()
        assert app.view.busy
        await pilot.press("plus")  # x1 = 2.1, while the compile runs
        release.set()
        await settle(pilot)
        assert app.session.source.endswith("+x1")
        expected = Session.start("ln(x1) + x1*x2 - sin(x2)+x1", {"x1": 2.1, "x2": 5})
        assert app.session.trace is not None and expected.trace is not None
        assert float(app.session.trace.output_value()) == float(expected.trace.output_value())


# -- long computations: the interface stays responsive and Esc cancels --------------------


@pytest.mark.parametrize("pane", ["2", "3"], ids=["fd", "swell"])
async def test_a_long_computation_can_be_cancelled(
    monkeypatch: pytest.MonkeyPatch, pane: str
) -> None:
    release = threading.Event()
    started = threading.Event()

    def slow_study(*args: Any, **kwargs: Any) -> Any:
        started.set()
        release.wait(10)
        raise AssertionError("a cancelled result must not be shown")

    import adexplorer.compare.fd_study

    monkeypatch.setattr(adexplorer.compare.fd_study, "study", slow_study)
    monkeypatch.setattr(swell_pane, "swell_both", slow_study)
    app = ExplorerApp(Session.start())
    body = "#fd-body" if pane == "2" else "#swell-function"
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press(pane)
            await pilot.pause()
            assert started.wait(5)
            assert "computing" in shown(app, body) and "Esc cancels" in shown(app, body)
            await pilot.press("right", "right")  # the interface is not blocked
            assert app.session.position == 2
            await pilot.press("escape")
            assert "cancelled" in shown(app, body)
            assert "computation cancelled" in messages(app)
            assert not app.view.busy
            release.set()  # the abandoned thread ends; its result is dropped
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "cancelled" in shown(app, body)
            monkeypatch.undo()
            await pilot.press("right")  # stepping does not restart it...
            assert "cancelled" in shown(app, body)
            await pilot.press(pane)  # ...its key does
            await settle(pilot)
            assert "cancelled" not in shown(app, body) and "computing" not in shown(app, body)
            assert not any(BUG in m for m in messages(app))
    finally:
        release.set()


async def test_at_most_one_thread_per_computation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nudging while the FD pane computes queues the latest request; it never piles up threads."""
    running = 0
    most = 0
    lock = threading.Lock()
    real = fd_pane.FdPane._show_study
    import adexplorer.compare.fd_study

    real_study = adexplorer.compare.fd_study.study

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            threading.Event().wait(0.05)
            return real_study(*args, **kwargs)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(adexplorer.compare.fd_study, "study", counted)
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        for _ in range(6):
            await pilot.press("plus")
        await settle(pilot)
        assert most == 1
        study = app.query_one(FdPane).study
        assert study is not None
        assert float(study.inputs["x1"]) == pytest.approx(2.6)  # the latest value won
    assert real is fd_pane.FdPane._show_study


async def test_the_lesson_player_never_edits_a_hidden_editor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under 100 columns the player hides the editor: e focused it anyway and what was typed
    changed f unseen.  Now e says so, and a resize that hides the editor focuses the graph."""
    monkeypatch.chdir(tmp_path)  # x exports there
    app = LessonApp(find("reverse-mode"), Progress(tmp_path / "p.json"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e", "y", "y")
        await settle(pilot)
        assert app.session.source == "ln(x1) + x1*x2 - sin(x2)"
        assert any("editor is hidden" in m for m in messages(app))
        await pilot.resize_terminal(120, 40)
        await pilot.press("e", "end", "y")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "graph"
        await pilot.press("x", "j")  # the explorer's key again (the picker, then JSON)
        await settle(pilot)
        assert app.query_one("#source", TextArea).text == "ln(x1) + x1*x2 - sin(x2)y"
        assert len(list(tmp_path.glob("adx-trace-*.json"))) == 1


async def test_a_family_whose_ad_trace_is_empty_is_plotted() -> None:
    """The family `#` (f = x at every level) has AD traces of 0 lines: log10(0) in the
    growth plot was a ValueError (found by tools/fuzz_tui.py; `adx swell --plot` too)."""
    from adexplorer.compare.swell import family_study
    from adexplorer.render.plots import growth_plot

    assert "expression swell" in growth_plot(family_study("#", "1:30"), color=False)
    # Exact sizes past 1e308 (5**500 at level 500 of #*#*#*#*#): float() of them was an
    # OverflowError in `adx swell --n 1:500 --plot`.
    from dataclasses import replace

    from adexplorer.compare.swell import FamilyRow

    rows = family_study("#*#", "1:3")
    huge = [FamilyRow(r.n, replace(r.sizes, df_tree=5**500 * r.n)) for r in rows]
    assert "expression swell" in growth_plot(huge, color=False)
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        field = app.query_one("#family")
        field.focus()
        field.value = "#"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        assert "Sizes per level" in shown(app, "#swell-family")
        assert not any(BUG in m for m in messages(app))


@pytest.mark.parametrize(
    ("program", "x"), [("x*x", 1e-320), ("x*x", 5e-324), ("exp(x)", 709.7)], ids=str
)
async def test_fd_pane_plots_errors_at_the_ends_of_the_float_range(program: str, x: float) -> None:
    """Errors near 1e-323 asked for a tick at 10**-324 (0.0: log10 failed); near 1e306 for one
    at 10**309 (OverflowError).  Found by tools/fuzz_tui.py; `adx fd --plot` failed too."""
    from adexplorer.compare.fd_study import study
    from adexplorer.render.plots import error_plot

    session = Session.start(program, {"x": x})
    assert session.graph is not None
    assert "|error|" in error_plot(study(session.graph, session.values, "x"), color=False)
    app = ExplorerApp(Session.start(program, {"x": x}))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        assert app.query_one(FdPane).study is not None
        assert not any(BUG in m for m in messages(app))
