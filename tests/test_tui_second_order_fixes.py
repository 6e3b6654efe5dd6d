"""Second-order mode fixes a student found in tmux: the seed note only on the seed step,
columns of H, v̇ kept beside v̄ and v̄̇, reverse mode's ȳ in the inputs panel, the
Hessian panel at 80×24, and small texts (no -0)."""

from __future__ import annotations

from pathlib import Path

from adexplorer.explorer.session import Session
from adexplorer.lessons.concealment import hidden_for_all
from adexplorer.lessons.parser import parse_lesson
from adexplorer.tui.app import ExplorerApp
from adexplorer.tui.lesson_app import session_for_exploration
from adexplorer.tui.widgets.formula_bar import FormulaBar

SEVENTEEN = Path(__file__).resolve().parents[1] / "lessons" / "17-second-derivatives.md"
SEED_NOTE = "(the seed:"


def formula_bar(app: ExplorerApp) -> str:
    return str(app.query_one(FormulaBar).content)


def _lesson_session(exercise_id: str) -> Session:
    lesson = parse_lesson(SEVENTEEN)
    for index, step in enumerate(lesson.steps):
        for exercise in step.exercises:
            if exercise.id == exercise_id:
                explore = lesson.explore_for(index)
                assert explore is not None
                session = session_for_exploration(explore)
                session.concealed = hidden_for_all([exercise], explore)
                return session
    raise AssertionError(exercise_id)


async def test_the_seed_note_shows_on_the_seed_step_only() -> None:
    """With a lesson hiding cells, a hidden adjoint step has no running totals: it once
    took the seed's note "(the seed: …)" all the same."""
    session = _lesson_session("x1-dot")
    app = ExplorerApp(session)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("home")
        kinds = [f.kind for f in session.frames]
        seen = {"nested_seed": 0, "nested_adjoint": 0}
        hidden_steps = 0
        for kind in kinds:
            await pilot.press("right")
            bar = formula_bar(app)
            if kind in seen:
                seen[kind] += 1
                assert (SEED_NOTE in bar) == (kind == "nested_seed"), (kind, bar)
                hidden_steps += "= ?" in bar
        assert seen["nested_seed"] >= 1 and seen["nested_adjoint"] >= 1
        assert hidden_steps >= 1  # the case the note leaked into


def test_no_negative_zero_in_the_nested_formulas() -> None:
    """``v̄̇3 += -v̄̇5`` with v̄̇5 = 0 once read ``= -0 = 0``; a minus between terms stays."""
    import re

    from adexplorer.core.nested_formulas import NestedFormulaRenderer
    from adexplorer.core.second_order import run_second_order

    session = Session.start("ln(x1) + x1*x2 - sin(x2)", {"x1": 2.0, "x2": 5.0})
    assert session.graph is not None
    second = run_second_order(session.graph, {"x1": 2.0, "x2": 5.0})
    renderer = NestedFormulaRenderer(second)
    texts = [
        formula.text()
        for sweep in second.sweeps
        for step in sweep.steps
        for formula in (renderer.adjoint(step, sweep), renderer.adjoint_dot(step, sweep))
    ]
    assert "v̄̇3 += -v̄̇5 = 0" in texts
    assert not [t for t in texts if re.search(r"(?<![\w)\]])-0(?![\w.])", t)], texts
    assert any(" - " in t.split(" = ")[1] for t in texts)  # the binary minus stays


def screen_lines(app: ExplorerApp) -> list[str]:
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip) for strip in strips]


def panel(app: ExplorerApp) -> str:
    from adexplorer.tui.widgets.hessian_panel import HessianPanel

    return str(app.query_one(HessianPanel).content)


async def test_sweep_k_fills_column_k_and_the_texts_say_column() -> None:
    """A 16×16 Hessian at 120×40: the columns shown follow the sweep under way, whose
    heading is marked ▶; the help and the H key's description say column, not row."""
    from adexplorer.tui.screens import help as help_screen

    source = "W: mat[4,4]\nreturn sum(W*W*W)"
    app = ExplorerApp(
        Session.start(source, {"W": [[float(i + 4 * j) for i in range(4)] for j in range(4)]})
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("H", "end")
        session = app.session
        assert session.second is not None
        hessian = session.second.hessian()
        lines = panel(app).splitlines()
        heading = lines[0].split()
        assert heading[:2] == ["H", "(16×16)"] and "▶W[3,3]" in heading
        assert "columns" in lines[0] and "of 16" in lines[0]
        last = heading.index("▶W[3,3]") - 2  # the shown columns after the title
        # row W[0,1]: H[1, k] in the columns shown, the last of them column 16
        row = lines[2].split()
        assert row[0] == "W[0,1]"
        assert row[1 + last] == f"{hessian[1, 15]:g}"
        # early on, sweep 2 is under way: its column is the one marked
        await pilot.press("home", *["right"] * (len(session.frames) // 16 + 1))
        assert session.current is not None and session.current.sweep == 1
        assert "▶W[0,1]" in panel(app).splitlines()[0].split()
    texts = " ".join(help_screen.ABOUT)
    assert "filling column k" in texts and "filling row" not in texts
    docs = (Path(__file__).resolve().parents[1] / "docs" / "second-order.md").read_text()
    explorer_part = docs[docs.index("## In the explorer") :]
    assert "is column k" in explorer_part and "is row k" not in explorer_part


async def test_the_trace_keeps_six_rows_at_80x24_with_a_larger_hessian() -> None:
    """Four inputs, on an adjoint step (its two formula lines): the panel collapses to
    two lines at 80×24, the trace table keeps its rows."""
    from adexplorer.tui.widgets.trace_table import TraceTable

    source = "sin(a)*b + c*d*a - exp(b*c)"
    app = ExplorerApp(Session.start(source, {"a": 1.0, "b": 0.5, "c": 2.0, "d": -1.0}))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("H")
        session = app.session
        sweep = len(session.frames) // 4
        await pilot.press(*["right"] * (sweep - 2))
        assert session.current is not None and session.current.kind == "nested_adjoint"
        await pilot.pause()
        table = app.query_one(TraceTable)
        assert table.size.height - 1 >= 6  # its header, then at least six rows
        lines = panel(app).splitlines()
        assert len(lines) == 2 and lines[0].startswith("H (4×4)  ▶ column 1 of 4")
        second = session.second
        assert second is not None
        await pilot.press("end")
        last = panel(app).splitlines()[1]
        assert last.split("   ")[0] == f"a: {second.hessian()[0, 3]:.6g}"


async def test_reverse_mode_shows_its_cotangent_not_a_forward_seed() -> None:
    """The inputs panel's seed row: ȳ in reverse mode (empty for the unit sweeps, the
    cotangent once one is set), the forward seed in forward mode; Enter there sets ȳ."""
    from textual.widgets import Input, Label

    source = "f1 = x*y\nf2 = x + y\nreturn f1, f2"
    app = ExplorerApp(Session.start(source, {"x": 1.0, "y": 2.0}))
    async with app.run_test(size=(120, 40)) as pilot:
        session = app.session
        field = app.query_one("#seed-field", Input)
        label = field.parent.query_one(Label)  # type: ignore[union-attr]
        await pilot.press("f")
        await pilot.pause()
        assert field.value == "x" and str(label.content).strip() == "seed"
        await pilot.press("r")
        await pilot.pause()
        assert session.mode == "reverse"
        assert field.value == "" and str(label.content).strip() == "ȳ"
        assert field.placeholder == "f1=1,f2=-2"
        field.focus()
        await pilot.press(*"f1=1,f2=-2", "enter")
        await pilot.pause()
        assert session.mode == "reverse" and session.cotangent_text == "f1=1,f2=-2"
        assert session.trace is not None
        vjp = session.trace.vjp()
        assert float(vjp["x"]) == 1 * 2.0 - 2 * 1  # ȳᵀJ: y - 2
        app.set_focus(None)
        await pilot.pause()
        assert field.value == "f1=1,f2=-2"
        # a forward seed typed in reverse mode still switches to forward mode
        field.focus()
        await pilot.press("ctrl+u", "y", "enter")
        await pilot.pause()
        assert session.mode == "forward" and session.seed_name == "y"
