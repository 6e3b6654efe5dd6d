"""The explorer driven like a person uses it: App.run_test() with Pilot."""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from textual.app import App
from textual.command import CommandList, CommandPalette
from textual.widgets import Static, TabbedContent, TextArea

from adexplorer.core.primitives import PRIMITIVES
from adexplorer.explorer.layout import layout
from adexplorer.explorer.session import Session
from adexplorer.lessons.catalog import find
from adexplorer.lessons.progress import Progress
from adexplorer.tui.app import ExplorerApp
from adexplorer.tui.explorer_view import ExplorerView
from adexplorer.tui.lesson_app import LessonApp
from adexplorer.tui.screens.help import HelpScreen
from adexplorer.tui.widgets.editor import SourceEditor
from adexplorer.tui.widgets.fd_pane import FdPane
from adexplorer.tui.widgets.formula_bar import FormulaBar
from adexplorer.tui.widgets.graph_view import GraphView
from adexplorer.tui.widgets.inputs_panel import InputsPanel
from adexplorer.tui.widgets.swell_pane import SwellPane
from adexplorer.tui.widgets.trace_table import TraceTable
from tests.tui_helpers import settle

#: The survey example in reverse mode: (highlighted node, what the step computes)
REVERSE_STEPS = [
    ("v-1", "v-1 = x1 = 2"),
    ("v0", "v0 = x2 = 5"),
    ("v1", "v1 = log(v-1) = log(2) = 0.693147"),
    ("v2", "v2 = v-1 · v0 = 2 · 5 = 10"),
    ("v3", "v3 = sin(v0) = sin(5) = -0.958924"),
    ("v4", "v4 = v1 + v2 = 0.693147 + 10 = 10.6931"),
    ("v5", "v5 = v4 - v3 = 10.6931 - (-0.958924) = 11.6521"),
    ("v5", "v̄5 = 1"),
    ("v4", "v̄4 += v̄5 = 1"),
    ("v3", "v̄3 += -v̄5 = -1"),
    ("v1", "v̄1 += v̄4 = 1"),
    ("v2", "v̄2 += v̄4 = 1"),
    ("v0", "v̄0 += v̄3·cos(v0) = (-1)·cos(5) = -0.283662"),
    ("v-1", "v̄-1 += v̄2·v0 = 1·5 = 5"),
    ("v0", "v̄0 += v̄2·v-1 = 1·2 = 2"),
    ("v-1", "v̄-1 += v̄1/v-1 = 1/2 = 0.5"),
]


def highlighted(app: ExplorerApp) -> str:
    frame = app.session.current
    assert frame is not None
    return app.session.trace.graph.labels()[frame.node]  # type: ignore[union-attr]


async def test_step_through_reverse_mode_on_the_survey_example() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.focused is app.query_one(GraphView)
        for expected_node, expected_formula in REVERSE_STEPS:
            await pilot.press("right")
            assert highlighted(app) == expected_node
            assert app.session.formula()[0].text() == expected_formula
            table = app.query_one(TraceTable)
            assert table.get_row_at(table.cursor_row)[0].plain == "▶"
        state = app.session.node_state()
        assert float(state[0][1]) == 5.5 and float(state[1][1]) == pytest.approx(1.7163378145367738)
        await pilot.press("left")
        assert app.session.formula()[0].text() == "v̄0 += v̄2·v-1 = 1·2 = 2"
        await pilot.press("home")
        assert app.session.position == 0
        await pilot.press("end")
        assert app.session.at_end


async def test_step_through_forward_mode_and_change_the_seed() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f")
        assert app.session.mode == "forward"
        await pilot.press("right", "right", "right", "right")
        assert highlighted(app) == "v2"
        assert app.session.formula()[1].text() == "v̇2 = v̇-1·v0 + v-1·v̇0 = 1·5 + 2·0 = 5"
        graph = app.query_one(GraphView)
        assert graph._picture is not None and graph._picture.lit_edges == {
            (0, 3),
            (1, 3),
        }  # v-1, v0 → v2
        await pilot.press("s")
        assert app.session.seed_name == "x2"
        await pilot.press("end")
        assert float(app.session.trace.output_tangents()[0]) == pytest.approx(1.7163378145367738)  # type: ignore[union-attr]
        await pilot.press("d")
        assert app.session.mode == "dual"
        await pilot.press("end")
        table = app.query_one(TraceTable)
        # a + bε holds the value too, so the separate value column is left out
        columns = [column.label.plain for column in table.columns.values()]
        assert "value" not in columns
        last = table.get_row_at(table.row_count - 1)
        assert last[columns.index("a + bε")].plain == "11.6521 + 1.71634ε"


async def test_type_an_expression_and_fix_a_typo() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("e")
        area = app.query_one("#source", TextArea)
        assert app.focused is area
        area.clear()
        await pilot.press(*"x*y + sin(x")
        await settle(pilot)
        editor = app.query_one(SourceEditor)
        assert editor.has_class("-invalid")
        assert area.text == "x*y + sin(x"  # nothing typed is lost
        assert app.session.graph is not None  # the last valid graph stays
        await pilot.press(")")
        await settle(pilot)
        assert not editor.has_class("-invalid")
        assert app.session.graph.input_names == ("x", "y")  # type: ignore[union-attr]
        await pilot.press("escape", "end")
        assert app.session.at_end is True or app.session.position == len(app.session.frames)
        assert float(app.session.trace.output_value()) == pytest.approx(1 + 0.8414709848078965)  # type: ignore[union-attr]


async def test_nudge_and_edit_inputs() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("plus", "plus")
        assert float(app.session.values["x1"]) == pytest.approx(2.2)
        await pilot.press("i", "minus")
        assert float(app.session.values["x2"]) == pytest.approx(4.9)
        field = app.query_one(InputsPanel).query_one("#value-x1")
        field.focus()
        field.value = "pi"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        assert float(app.session.values["x1"]) == pytest.approx(3.141592653589793)
        field.value = "2 +"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        assert float(app.session.values["x1"]) == pytest.approx(3.141592653589793)  # unchanged


async def test_open_each_pane() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        tabs = app.query_one(TabbedContent)
        for key, pane in zip("23451", ("fd", "swell", "cost", "descent", "trace"), strict=True):
            await pilot.press(key)
            await settle(pilot)
            assert tabs.active == pane
        await pilot.press("2")
        await settle(pilot)
        shown = app.query_one(FdPane).study
        assert shown is not None and shown.wrt == "x1"
        assert 1e-9 <= shown.best["forward"][0] <= 1e-6  # near √ε, as theory says


async def test_gradient_descent_play_help_and_export(tmp_path: Path) -> None:
    app = ExplorerApp(Session.start("(x - 3)^2 + y^2", {"x": 0, "y": 1}), export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("g", "g", "g")
        assert len(app.session.history) == 4
        assert app.query_one(TabbedContent).active == "descent"
        # One step faster (0.5 s a step): a few steps run while the test waits, and
        # the end (about 7 s away) is never reached, however slow the machine.
        await pilot.press("right_square_bracket", "space")
        assert app.playing and app.session.seconds_per_step == 0.5
        await pilot.pause(1.2)
        assert app.session.position > 0
        await pilot.press("space")
        assert not app.playing
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("x", "j")  # x opens the export picker, j picks JSON
        await pilot.pause()
        assert len(list(tmp_path.glob("adx-trace-*.json"))) == 1


async def test_a_500_node_graph_stays_usable() -> None:
    lines = ["x: real = 0.5", "a0 = sin(x) * 2"] + [
        f"a{k} = a{k - 1} * 0.9 + x" for k in range(1, 250)
    ]
    source = "\n".join([*lines, "return a249"])
    app = ExplorerApp(Session.start(source, {}))
    async with app.run_test(size=(120, 40)) as pilot:
        assert len(app.session.graph.op_nodes) == 500  # type: ignore[union-attr]
        await pilot.press("end")
        for _ in range(20):
            await pilot.press("left")
        assert app.session.position == len(app.session.frames) - 20
        view = app.query_one(GraphView)
        assert view.virtual_size.width > 1000  # scrollable, not squeezed
        assert view.render_line(0) is not None


async def test_undo_after_many_lines_does_not_crash() -> None:
    """Textual's undo used to crash here when the editor's scrollbar toggled (see editor.py)."""
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("e", "end")
        for _ in range(10):
            await pilot.press("enter", *"y = 1")
        await pilot.pause()
        area = app.query_one("#source", TextArea)
        assert area.scroll_offset.y > 0  # past 8 lines the editor follows the cursor
        for _ in range(12):
            await pilot.press("ctrl+z")
            await pilot.pause()
        assert area.text.startswith("ln(x1) + x1*x2 - sin(x2)")
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert app.is_running


async def test_the_layout_follows_a_resized_terminal() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        graph, panes = app.query_one(GraphView), app.query_one(TabbedContent)
        assert graph.region.y == panes.region.y  # side by side
        await pilot.resize_terminal(100, 40)
        await pilot.pause()
        assert panes.region.y > graph.region.y  # the graph above the panes
        # only as tall as its drawing (3 rows of boxes and its border), the panes below
        assert graph.region.height == layout(app.session.graph).height + 2  # type: ignore[arg-type]
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert graph.region.height == 0 and panes.region.height > 10  # the graph is a tab now
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert graph.region.height > 10 and graph.region.y == panes.region.y


# -- what the screen says ------------------------------------------------------------


def screen_lines(app: App[object]) -> list[str]:
    """The screen as text, one string per row."""
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip) for strip in strips]


def formula_bar(app: App[object]) -> str:
    return str(app.query_one(FormulaBar).content)


def dual_parts(text: str) -> tuple[float, float]:
    """``a + bε`` or ``a − bε`` as (a, b)."""
    match = re.fullmatch(r"(\S+) ([+−]) (\S+)ε", text)
    assert match, text
    real, sign, eps = match.groups()
    return float(real), float(eps) * (-1 if sign == "−" else 1)


async def test_dual_mode_shows_dual_arithmetic_with_the_numbers() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d", "right", "right", "right", "right")  # v2 = x1·x2, seed x1
        assert highlighted(app) == "v2"
        bar = formula_bar(app)
        assert "v2 = (v-1 + v̇-1ε) · (v0 + v̇0ε) = v-1 · v0 + (v̇-1·v0 + v-1·v̇0)ε" in bar
        assert "= (2 + 1ε) · (5 + 0ε) = 10 + (1·5 + 2·0)ε = 10 + 5ε" in bar
        await pilot.press("right")  # v3 = sin(x2): x2 is not seeded, its ε part is 0
        assert "v3 = sin(v0 + v̇0ε) = sin(v0) + (cos(v0)·v̇0)ε" in formula_bar(app)
        assert f"= sin(5 + 0ε) = {math.sin(5):.6g} + (cos(5)·0)ε" in formula_bar(app)
        table = app.query_one(TraceTable)
        columns = [column.label.plain for column in table.columns.values()]
        row = table.get_row_at(4)  # v3
        assert row[columns.index("a + bε")].plain == f"{math.sin(5):.6g} + 0ε"


@pytest.mark.parametrize("name", sorted(n for n, p in PRIMITIVES.items() if p.partials is not None))
def test_every_elementwise_primitive_has_a_dual_rule_that_agrees_with_the_numbers(
    name: str,
) -> None:
    """The dual rule is built from the table for every primitive: its result a + bε is
    the value and the central-difference derivative, and its numbers show the seed."""
    prim = PRIMITIVES[name]
    point = {"x": 0.5, "y": 2.0, "z": 3.0}
    call = prim.primal_template.replace("{0}", "x").replace("{1}", "y").replace("{2}", "z")
    session = Session.start(call, point)
    assert session.error is None, session.error
    session.set_mode("dual")
    session.to_end()
    trace = session.trace
    assert trace is not None
    sweep = trace.tangent_sweeps[0]
    last = len(sweep.steps) - 1
    formula = session.renderer().dual(trace.primal_steps[last], sweep.steps[last], sweep.tangents)
    value, derivative = dual_parts(formula.result)
    h = 1e-6

    def args(dx: float) -> list[np.float64]:
        values = [point["x"] + dx, point["y"], point["z"]]
        return [np.float64(v) for v in values[: prim.arity]]

    exact = float(prim.evaluate(*args(0)))
    central = (float(prim.evaluate(*args(h))) - float(prim.evaluate(*args(-h)))) / (2 * h)
    assert value == pytest.approx(exact, rel=1e-5, abs=1e-6)
    assert derivative == pytest.approx(central, rel=1e-4, abs=1e-5)
    x = session.graph.labels()[session.graph.inputs[0]]  # type: ignore[union-attr]
    assert f"{x} + {x[0]}\u0307{x[1:]}ε" in formula.rule, formula.rule
    assert "0.5 + 1ε" in formula.numbers, formula.numbers


async def test_reverse_bar_shows_the_running_total_after_each_contribution() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*["right"] * 13)  # v̄0 += v̄3·cos(v0): the first contribution to v0
        first = -math.cos(5)
        assert f"so v̄0 = 0 + ({first:.6g}) = {first:.6g}" in formula_bar(app)
        assert "contribution 1 of 2" in formula_bar(app)
        await pilot.press("right", "right")  # v̄0 += v̄2·v-1 = 2: the second
        assert f"so v̄0 = ({first:.6g}) + 2 = {first + 2:.6g}" in formula_bar(app)
        assert "contribution 2 of 2" in formula_bar(app)


async def test_a_reverse_sweep_of_several_outputs_says_which_output_it_is_seeded_at() -> None:
    """Two outputs: the sweep shown is one row of the Jacobian, and the screen names it."""
    session = Session.start("a = x*y + z; b = sin(x)*z; return a, b", {"x": 1, "y": 2, "z": 3})
    app = ExplorerApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("r")
        steps = len(app.session.trace.primal_steps)  # type: ignore[union-attr]
        await pilot.press(*["right"] * (steps + 1))  # the seed step of the reverse sweep
        assert "seeded at output a" in formula_bar(app)
        await pilot.press("end")
        bar = formula_bar(app)
        assert f"a = 5   b = {3 * math.sin(1):.6g}" in bar
        # ∂a/∂(x, y, z) = (y, x, 1): the row of a, not a gradient of a + b
        seeds = "a\u0304 = 1, b\u0304 = 0"  # ā, b̄ as adx writes them (a letter and a macron)
        assert f"seeded at a ({seeds}): ∂a/∂x = 2   ∂a/∂y = 1   ∂a/∂z = 1" in bar
        await pilot.press("f", "s", "s", "end")  # forward, seeded at z: both outputs' tangents
        dots = ("a\u0307", "b\u0307")  # ȧ, ḃ
        assert f"seed z: {dots[0]} = 1   {dots[1]} = {math.sin(1):.6g}" in formula_bar(app)


def test_x_times_x_draws_two_edges_from_x() -> None:
    session = Session.start("x*x", {"x": 3})
    assert session.graph is not None
    drawing = layout(session.graph)
    user = drawing.boxes[session.graph.outputs[0]]  # v1 = x·x
    arrows = sorted(y for x, y in drawing.arrows if x == user.x - 1)
    assert arrows == [user.y + 1, user.y + 2]  # both uses arrive, one above the other
    lines = [
        "".join(drawing.char(x, y)[0] for x in range(drawing.width)) for y in range(drawing.height)
    ]
    assert "┬" in lines[user.y + 1] and "╰" in lines[user.y + 2], lines


async def test_help_and_palette_name_keys_as_they_are_typed() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=200, record=True, file=io.StringIO())
        for static in app.screen.query(Static):
            console.print(static.content)
        text = console.export_text()
        for typed in ("→, l", "←, h", "?, F1", ">", "<", "+, =", "[", "]"):
            assert typed in text, typed
        for internal in ("greater_than_sign", "question_mark", "right_square_bracket", "left,"):
            assert internal not in text, internal
        await pilot.press("escape", "ctrl+p")
        await pilot.pause(0.5)
        assert isinstance(app.screen, CommandPalette)
        commands = app.screen.query_one(CommandList)
        helps = [str(commands.get_option_at_index(k).prompt) for k in range(commands.option_count)]
        assert any("key: >" in h for h in helps), helps
        assert any("key: →, l" in h for h in helps), helps
        assert not any("_sign" in h for h in helps), helps
        await pilot.press("escape")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_every_shown_key_fits_in_the_footer(size: tuple[int, int], tmp_path: Path) -> None:
    """Both apps: the keys that matter are all on the footer, none pushed off screen."""
    for app in (
        ExplorerApp(Session.start()),
        LessonApp(find("forward-mode"), Progress(tmp_path / "p.json")),
    ):
        async with app.run_test(size=size) as pilot:
            # the footer is composed again after the first layout: wait until it has been
            for _ in range(50):
                await pilot.pause()
                footer = "".join(screen_lines(app)[-1])
                if "Quit" in footer:
                    break
            for words in ("Step", "Play", "Mode", "Seed", "Help", "Quit"):
                assert words in footer, (words, footer)
            if isinstance(app, LessonApp):
                for words in ("Answer", "Hint", "Next", "Prev"):
                    assert words in footer, (words, footer)


async def test_at_80x24_the_graph_is_a_tab_and_the_keys_still_work() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(80, 24)) as pilot:
        graph, table = app.query_one(GraphView), app.query_one(TraceTable)
        await pilot.pause()
        assert graph.region.height == 0 and table.region.height >= 8  # the whole trace shows
        await pilot.press("right", "right")  # the keys work with the graph hidden
        assert app.session.position == 2
        await pilot.press("6")
        await pilot.pause()
        assert graph.region.height >= 10 and app.focused is graph
        await pilot.press("right")
        assert app.session.position == 3
        await pilot.press("1")
        await pilot.pause()
        assert graph.region.height == 0 and app.focused is graph  # folded, still focused
        await pilot.press("right")
        assert app.session.position == 4


async def test_lesson_player_at_120x40_shows_the_panes_whole(tmp_path: Path) -> None:
    """The player's explorer is narrow (the lesson takes 40%): the panes a lesson refers to
    still show their tables whole, and the descent history its newest line."""
    app = LessonApp(find("numerical-differentiation"), Progress(tmp_path / "p.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(ExplorerView)
        view.load(Session.start("x*y*z + sin(x*z)", {"x": 1, "y": 2, "z": 3}))
        view.show_pane("fd")
        await settle(pilot)
        text = "\n".join(screen_lines(app))
        assert "(T: truncation dominates" in text
        for h in ("1e-01", "1e-05", "1e-09"):  # the table's rows with their T/R marks
            row = next(line for line in text.splitlines() if f"│ {h} │" in line)
            assert row.count(" T │") + row.count(" R │") == 4, row
        view.set_family("4*#*(1-#)")
        view.load(Session.start("4*x*(1 - x)", {"x": 0.3}))
        view.show_pane("swell")
        await settle(pilot)
        pane = view.query_one(SwellPane)  # scrolled to the family table, as a student would
        pane.scroll_to_widget(pane.query_one("#swell-family"), top=True, animate=False)
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "19,453" in text and "458,749" in text  # level 8 and 12, uncut
        view.load(Session.start("(x - 3)^2 + 10*(y + 1)^2", {"x": 0, "y": 0}))
        for _ in range(12):
            await pilot.press("g")
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        newest = app.session.history[-1]
        assert f"│   {newest.iteration} │" in text or f"│ {newest.iteration:>4} │" in text


async def test_lesson_9s_descent_history_shows_the_loss_whole_at_120x40(tmp_path: Path) -> None:
    """A network's weights are vectors and matrices: the history keeps to f and the
    scalars, so the loss column is never squeezed to "0.14…"."""
    lesson = find("backpropagation")
    app = LessonApp(lesson, Progress(tmp_path / "p.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        training = next(k for k, s in enumerate(lesson.steps) if s.title == "A training step")
        await pilot.press(*["n"] * training)
        await settle(pilot)
        app.set_focus(None)
        await pilot.press("g")
        await settle(pilot)
        screen = "\n".join(screen_lines(app))
        loss = app.session.history[-1].value
        assert f"{loss:.6f}"[:7] in screen, screen  # 0.600057: the loss after one step
        assert "not scalars, shown in the inputs panel" in screen
