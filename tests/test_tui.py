"""The explorer driven like a person uses it: App.run_test() with Pilot."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import TabbedContent, TextArea

from adexplorer.explorer.session import Session
from adexplorer.tui.app import ExplorerApp
from adexplorer.tui.screens.help import HelpScreen
from adexplorer.tui.widgets.editor import SourceEditor
from adexplorer.tui.widgets.fd_pane import FdPane
from adexplorer.tui.widgets.graph_view import GraphView
from adexplorer.tui.widgets.inputs_panel import InputsPanel
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
        await pilot.press("x")
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
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert panes.region.y > graph.region.y  # the graph above the panes
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert graph.region.y == panes.region.y
