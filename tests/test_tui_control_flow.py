"""The explorer on programs with if and for: retaping, the program pane, folded iterations,
the condensed graph of a long loop, and editing block programs."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from rich.console import Console
from textual.widgets import TabbedContent, TextArea

from adexplorer.core.checkpoint import action_passes
from adexplorer.core.memory import step_numbers
from adexplorer.core.trace import run
from adexplorer.explorer.control_flow import (
    GROUP_OP,
    condense,
    iteration_groups,
    program_lines,
    retape_note,
)
from adexplorer.explorer.generated import code_for, current_line
from adexplorer.explorer.layout import layout
from adexplorer.explorer.schedule import schedule_now
from adexplorer.explorer.session import Session
from adexplorer.lang.lower import compile_source
from adexplorer.lang.structure import program_structure
from adexplorer.tui.app import ExplorerApp
from adexplorer.tui.widgets.editor import SourceEditor, indentation_after
from adexplorer.tui.widgets.formula_bar import FormulaBar
from adexplorer.tui.widgets.graph_view import GraphView
from adexplorer.tui.widgets.inputs_panel import InputsPanel
from adexplorer.tui.widgets.trace_table import TraceTable
from tests.tui_helpers import settle

BRANCH = """x: real = -1.5
if x > 0:
    y = x + 1
elif x == 0:
    y = 1
else:
    y = 1 - x
return y"""

LONG_LOOP = """x: real = 0.5
s = 1
for i in range(100):
    s = s*x + sin(s)
return s"""

# the if inside the loop changes its mind with s: which arm runs depends on x
SWITCHING = """x: real = 0.5
s = 0
for i in range(6):
    if s > 1:
        s = s - x
    else:
        s = s + x*i
return s"""


def switching_path(x: float) -> list[str]:
    """The SWITCHING program run by hand: the arm each iteration takes."""
    s, path = 0.0, []
    for i in range(6):
        if s > 1:
            s, arm = s - x, "if"
        else:
            s, arm = s + x * i, "else"
        path.append(arm)
    return path


def switching_arms(x: float) -> tuple[int, int]:
    """(times the if arm ran, times the else arm ran) in the SWITCHING program."""
    path = switching_path(x)
    return path.count("if"), path.count("else")


def formula_text(app: ExplorerApp) -> str:
    return str(app.query_one(FormulaBar).content)


def pane_text(app: ExplorerApp) -> str:
    return str(app.query_one("#program-body").content)


# -- the model (explorer.control_flow) ---------------------------------------------------


def test_retape_note_names_the_first_changed_decision_and_counts_the_rest() -> None:
    graph = compile_source(BRANCH).graph
    assert retape_note(graph, graph) is None
    at_two = run(graph, {"x": 2.0}, "reverse").graph
    assert retape_note(graph, at_two) == "re-taped: line 2 now takes if"
    at_zero = run(graph, {"x": 0.0}, "reverse").graph
    assert retape_note(at_two, at_zero) == "re-taped: line 2 now takes elif (line 4)"
    # inside a loop: the first iteration that changed, and how many more did
    loop = compile_source(SWITCHING).graph
    other = run(loop, {"x": 0.9}, "reverse").graph
    before, after = switching_path(0.5), switching_path(0.9)
    changed = [i for i in range(6) if before[i] != after[i]]
    assert changed  # same counts of each arm, but not in the same iterations
    first = changed[0]
    arm = "if" if after[first] == "if" else "else (line 6)"
    more = f" (and {len(changed) - 1} more change{'s' if len(changed) > 2 else ''})"
    expected = f"re-taped: line 4, i={first} now takes {arm}" + (more if len(changed) > 1 else "")
    assert retape_note(loop, other) == expected
    # a program without if/for is never re-taped
    plain = compile_source("x*x").graph
    assert retape_note(plain, plain) is None


@pytest.mark.parametrize("x", [0.2, 0.5, 0.9, 1.7])
def test_program_lines_count_what_the_run_did(x: float) -> None:
    graph = run(compile_source(SWITCHING).graph, {"x": x}, "reverse").graph
    lines = {line.number: line for line in program_lines(program_structure(SWITCHING), graph)}
    taken_if, taken_else = switching_arms(x)
    assert lines[3].note == "loop ×6"
    assert lines[4].runs == taken_if and lines[5].runs == taken_if
    assert lines[6].runs == taken_else and lines[7].runs == taken_else
    assert lines[8].runs == 1 and lines[1].runs == 1
    if taken_if and taken_else:
        assert lines[4].note == f"taken {taken_if} of 6"
    if not taken_if:
        assert lines[4].note == "not taken" and lines[5].note == "not run"


def test_program_lines_stop_at_the_return_reached_and_mark_the_branch() -> None:
    source = (
        "x: real = 3\nt = x\nfor i in range(5):\n    t = t - 1\n"
        "    if t < 1:\n        return t\nreturn -t"
    )
    graph = compile_source(source).graph
    lines = {line.number: line for line in program_lines(program_structure(source), graph)}
    # t: 2, 1, 0 → the return on line 6 runs at i=2; the last line never runs
    assert lines[4].runs == 3 and lines[5].note == "taken 1 of 3" and lines[6].runs == 1
    assert lines[7].runs == 0 and lines[7].note == "not run"
    branch = compile_source(BRANCH).graph
    marks = {line.number: line.note for line in program_lines(program_structure(BRANCH), branch)}
    assert marks[2] == "not taken" and marks[4] == "not taken" and marks[6] == "taken"
    assert marks[3] == "not run" and marks[7] == "×1"


def test_program_lines_follow_a_range_with_start_and_step() -> None:
    source = (
        "x: real = 1\ns = x\nfor i in range(2, 12, 3):\n    if i > 6:\n        s += x*i\n"
        "    else:\n        s += x\nreturn s"
    )
    graph = compile_source(source).graph
    lines = {line.number: line for line in program_lines(program_structure(source), graph)}
    values = list(range(2, 12, 3))  # 2, 5, 8, 11
    assert lines[3].note == f"loop ×{len(values)}"
    assert lines[5].runs == sum(1 for i in values if i > 6)
    assert lines[7].runs == sum(1 for i in values if i <= 6)
    groups = [
        g
        for g in iteration_groups(graph, [n.index for n in graph.nodes if not n.is_const])
        if not isinstance(g, int)
    ]
    assert [g.context for g in groups] == [(("i", i),) for i in values]


def test_iteration_groups_cover_every_step_once_with_their_line_and_count() -> None:
    graph = compile_source(LONG_LOOP).graph
    order = [step.node for step in run(graph, {"x": 0.5}, "reverse").primal_steps]
    items = iteration_groups(graph, order)
    groups = [g for g in items if not isinstance(g, int)]
    assert len(groups) == 100
    flat = [n for item in items for n in ([item] if isinstance(item, int) else item.nodes)]
    assert flat == order
    assert groups[7].title() == "i=7 · line 4 · 3 ops"
    assert all(graph.nodes[n].context == (("i", 7),) for n in groups[7].nodes)


@pytest.mark.parametrize("current", [None, 0, 150, 299])
def test_a_100_iteration_loop_is_drawn_in_a_bounded_number_of_boxes(current: int | None) -> None:
    graph = compile_source(LONG_LOOP).graph
    drawn = condense(graph, current)
    boxes = layout(drawn.graph).boxes
    assert len(boxes) <= 12, len(boxes)  # not 300 boxes in a line
    # every original drawn node is shown by exactly one drawn node
    originals = [n.index for n in graph.nodes if not n.is_const]
    covered = sorted(n for members in drawn.members for n in members if n in originals)
    assert covered == originals
    if current is not None:
        assert not drawn.is_group(drawn.index_of[current])  # the current step drawn itself
        expanded = [n for n in originals if graph.nodes[n].context == graph.nodes[current].context]
        assert all(not drawn.is_group(drawn.index_of[n]) for n in expanded)
    ops = sum(len(m) for k, m in enumerate(drawn.members) if drawn.graph.nodes[k].op == GROUP_OP)
    assert ops + sum(1 for k in range(len(drawn.members)) if not drawn.is_group(k)) >= len(
        originals
    )


def test_a_retape_keeps_the_step_clamped_and_the_graph_is_the_new_tape() -> None:
    session = Session.start(SWITCHING)
    session.to_end()
    session.step(-3)
    before = len(session.frames)
    session.set_value("x", "0.9")
    assert session.retape_note is not None and session.retape_note.startswith("re-taped")
    assert session.trace is not None and session.graph is session.trace.graph
    assert 0 <= session.position <= len(session.frames)
    assert len(session.frames) != before or session.position == before - 3
    session.set_value("x", "0.9")  # the same path: no note
    assert session.retape_note is None
    # mid-sweep, a retape with fewer steps keeps the position within the frames
    session.to_end()
    session.set_value("x", "0.2")
    assert session.position == len(session.frames)


# -- the explorer ---------------------------------------------------------------------------


async def test_changing_an_input_across_the_branch_says_re_taped_and_redraws() -> None:
    app = ExplorerApp(Session.start(BRANCH))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        graph_before = app.query_one(GraphView)._graph
        assert graph_before is not None
        assert [n.op for n in graph_before.nodes if n.is_op] == ["sub"]  # 1 - x
        field = app.query_one(InputsPanel).query_one("#value-x")
        field.focus()
        field.value = "2"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        assert "re-taped: line 2 now takes if" in formula_text(app)
        assert any("re-taped" in str(n.message) for n in app._notifications)
        drawn = app.query_one(GraphView)._graph
        assert drawn is app.session.trace.graph  # type: ignore[union-attr]
        assert [n.op for n in drawn.nodes if n.is_op] == ["add"]  # x + 1
        subtitle = str(app.query_one(GraphView).border_subtitle)
        assert "line 2 takes if" in subtitle
        await pilot.press("escape", "end")
        assert "f = 3   ∂f/∂x = 1" in formula_text(app)  # x + 1 at 2


async def test_the_program_pane_marks_the_branch_and_follows_the_step() -> None:
    app = ExplorerApp(Session.start(SWITCHING))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("7")
        assert app.query_one(TabbedContent).active == "program"
        text = pane_text(app)
        taken_if, taken_else = switching_arms(0.5)
        assert "loop ×6" in text
        assert f"taken {taken_if} of 6" in text and f"taken {taken_else} of 6" in text
        await pilot.press("right", "right", "right")
        frame = app.session.current
        assert frame is not None
        node = app.session.trace.graph.nodes[frame.node]  # type: ignore[union-attr]
        marked = [line for line in pane_text(app).splitlines() if line.startswith("▶")]
        assert len(marked) == 1 and marked[0].startswith(f"▶{node.line}")
        assert f"line {node.line}, i=" in pane_text(app)


async def test_the_program_pane_shows_control_characters_as_escapes() -> None:
    app = ExplorerApp(Session.start("x: real = 1  # \x1b[31m red [b]bold[/b]\nreturn x*x"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("7")
        text = pane_text(app)
        assert "\x1b" not in text and "\\x1b[31m red [b]bold[/b]" in text


async def test_loop_iterations_fold_and_unfold_and_stepping_visits_every_step() -> None:
    app = ExplorerApp(Session.start(LONG_LOOP))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.query_one(TraceTable)
        steps = len(app.session.trace.primal_steps)  # type: ignore[union-attr]
        assert len(table.groups) == 100
        assert table.step_rows() == (steps, 0)
        assert table.row_count == steps + 100  # a header row per iteration
        columns = [c.label.plain for c in table.columns.values()]
        assert "line" in columns and "loop" in columns
        await pilot.press("right", "right")  # into i=0
        await pilot.press("z")
        await settle(pilot)
        assert table.folded == {0}
        assert table.step_rows() == (steps - 2, 2)
        row = table.get_row_at(table.cursor_row)
        assert row[0].plain == "▶" and "i=0 · line 4 · 2 ops" in row[4].plain
        await pilot.press("z")
        await settle(pilot)
        assert table.folded == set()
        await pilot.press("Z")
        await settle(pilot)
        assert table.folded == set(range(100)) and table.row_count == 100 + 1
        # every step is still visited, one at a time
        positions = []
        for _ in range(10):
            await pilot.press("right")
            positions.append(app.session.position)
        assert positions == list(range(3, 13))
        await pilot.press("Z")
        await settle(pilot)
        assert table.folded == set()
        assert table.get_row_at(table.cursor_row)[0].plain == "▶"


async def test_fold_on_a_program_without_loops_says_so() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("z")
        await pilot.pause()
        assert any("no loop iterations" in str(n.message) for n in app._notifications)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_the_graph_of_a_100_iteration_loop_stays_small(size: tuple[int, int]) -> None:
    app = ExplorerApp(Session.start(LONG_LOOP))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("6")
        view = app.query_one(GraphView)
        assert view._layout is not None and len(view._layout.boxes) <= 12
        assert view._picture is not None and "i=0…99" in view._picture.labels
        for _ in range(150):
            await pilot.press("right")
        frame = app.session.current
        assert frame is not None
        assert view._layout is not None and len(view._layout.boxes) <= 12
        picture = view._picture
        assert picture is not None and picture.current is not None
        assert picture.graph.nodes[picture.current].op != GROUP_OP  # drawn in full
        assert app.session.trace.graph.labels()[frame.node] in picture.labels  # type: ignore[union-attr]
        await pilot.press("end")  # the adjoint sweep too
        assert view._layout is not None and len(view._layout.boxes) <= 12


async def test_editing_a_block_program_indents_and_errors_name_the_line() -> None:
    app = ExplorerApp(Session.start("x*x"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        area = app.query_one("#source", TextArea)
        area.text = ""
        for key in [*"x: real = 2", "enter", *"if x > 0:", "enter"]:
            await pilot.press(key)
        assert area.text == "x: real = 2\nif x > 0:\n    "
        for key in [*"y = x*x", "enter"]:
            await pilot.press(key)
        assert area.text.endswith("    y = x*x\n    ")
        await pilot.press("shift+tab")
        for key in [*"else:", "enter", *"y = -x", "enter", "shift+tab", *"return y"]:
            await pilot.press(key)
        expected = "x: real = 2\nif x > 0:\n    y = x*x\nelse:\n    y = -x\nreturn y"
        assert area.text == expected
        await settle(pilot)
        assert app.session.error is None and app.session.source == expected
        assert app.query_one(TabbedContent).active == "trace"
        await pilot.press("escape", "end")
        # x keeps the value it had in x*x (1, not the declared 2): x*x there
        assert "f = 1   ∂f/∂x = 2" in formula_text(app)
        # a typo in a block keeps the text and says where
        broken = expected.replace("y = -x", "y = -x +")
        area.text = broken
        await settle(pilot)
        assert area.text == broken
        error = app.session.error
        assert error is not None and error.render().startswith("error: 5:13:")  # line:column
        assert app.query_one(SourceEditor).has_class("-invalid")
        shown = str(app.query_one("#error").content)
        assert "5:13" in shown and "5 |     y = -x +" in shown
        # Tab indents (Esc, not Tab, leaves the editor)
        area.focus()
        area.move_cursor((5, 0))
        await pilot.press("tab")
        assert app.focused is area and area.text.endswith("\n    return y")
        await pilot.press("escape")
        assert app.focused is not area


def test_enter_keeps_the_indentation_and_indents_after_a_colon() -> None:
    assert indentation_after("x = 1") == ""
    assert indentation_after("    x = 1") == "    "
    assert indentation_after("if x > 0:") == "    "
    assert indentation_after("    for i in range(3):  # loop") == "        "
    assert indentation_after("\tif x:") == "\t    "


def test_the_loop_program_gives_the_engine_s_numbers_in_the_explorer() -> None:
    session = Session.start(LONG_LOOP)
    session.to_end()
    s = 1.0
    for _ in range(100):
        s = s * 0.5 + math.sin(s)
    assert session.trace is not None
    assert float(session.trace.output_value()) == pytest.approx(s, rel=1e-12)
    h = 1e-6

    def f(x: float) -> float:
        value = 1.0
        for _ in range(100):
            value = value * x + math.sin(value)
        return value

    gradient = float(np.asarray(session.trace.gradient()["x"]))
    assert gradient == pytest.approx((f(0.5 + h) - f(0.5 - h)) / (2 * h), rel=1e-5)
    assert any(f"∂f/∂x = {gradient:.6g}"[:10] in line for line in session.result_lines())


# -- checkpointing (k) ----------------------------------------------------------------------


def test_k_cycles_the_checkpointing_schedules_and_the_gradient_stays_bit_for_bit() -> None:
    session = Session.start(LONG_LOOP)
    assert session.trace is not None
    plain = session.trace.gradient()["x"]
    seen = []
    for _ in range(4):
        session.cycle_checkpoint()
        seen.append(str(session.checkpoint) if session.checkpoint else None)
        assert session.trace is not None
        assert np.array_equal(session.trace.gradient()["x"], plain)
        run_ = session.trace.checkpoint
        assert (run_ is None) == (session.checkpoint is None)
    assert seen == ["every=18", "snapshots=2", "snapshots=3", None]  # ⌈√300⌉ = 18
    session.set_mode("forward")
    session.cycle_checkpoint()  # k in forward mode switches to reverse
    assert session.mode == "reverse" and str(session.checkpoint) == "every=18"


def test_schedule_now_follows_the_reverse_sweep() -> None:
    session = Session.start(LONG_LOOP)
    session.cycle_checkpoint()
    session.cycle_checkpoint()  # snapshots=2
    trace = session.trace
    assert trace is not None and trace.checkpoint is not None
    schedule = trace.checkpoint.schedule
    steps = step_numbers(trace.graph)
    for position in (1, 2, 150, 310, 600, len(session.frames)):
        session.playback.position = position
        frame = session.current
        assert frame is not None
        now = schedule_now(schedule, trace.graph, frame)
        if frame.kind == "primal" and not steps[frame.node]:
            assert now.action is None  # an input: no step of the schedule
            continue
        assert now.action is not None
        action = schedule.actions[now.action]
        if frame.kind == "adjoint":
            ((_, user),) = frame.edges
            assert (action.kind, action.step) == ("reverse", steps[user])
        elif frame.kind == "primal" and steps[frame.node]:
            assert action.kind in ("advance", "tape") and action.step == steps[frame.node]
        assert now.lines[0].startswith(f"schedule now: pass {now.pass_number + 1} of ")
        marked = [line for line in now.lines if line.startswith("▶")]
        assert len(marked) == 1 and marked[0][1:].lstrip().startswith(str(now.pass_number + 1))


async def test_k_shows_the_schedule_in_the_cost_pane_as_the_trace_steps() -> None:
    app = ExplorerApp(Session.start(LONG_LOOP))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        assert app.query_one(TabbedContent).active == "cost"
        assert "checkpoint every=18" in formula_text(app)
        body = str(app.query_one("#schedule-now").content)
        assert body.startswith("schedule now: pass 1 of ")
        await pilot.press("end")
        body = str(app.query_one("#schedule-now").content)
        passes = app.session.trace.checkpoint.schedule  # type: ignore[union-attr]
        assert f"of {max(action_passes(passes)) + 1}, reversing step 1" in body
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(app.query_one("#cost-body").content)
        assert "Checkpointed reverse sweep, every=18" in console.export_text()


# -- the generated code (7 again) -----------------------------------------------------------


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_the_code_line_of_each_step_performs_that_step(mode: str) -> None:
    session = Session.start(SWITCHING)
    session.set_mode(mode)
    trace = session.trace
    assert trace is not None
    found = code_for(trace)
    assert found.code is not None and found.mode == mode
    texts = {line.number: line for line in found.code.lines}
    labels = trace.graph.labels()
    for position in range(1, len(session.frames) + 1):
        session.playback.position = position
        frame = session.current
        assert frame is not None
        number = current_line(found.code, trace, frame)
        node = trace.graph.nodes[frame.node]
        if node.is_input:
            continue  # the code takes inputs (and their tangents) as arguments
        assert number is not None, (position, frame)
        line = texts[number]
        kinds = {"forward": {"primal", "tangent"}, "primal": {"primal"}}
        assert line.role in kinds.get(frame.kind, {"seed", "adjoint"}), (frame, line)
        # a program with a loop keeps it: the line comes from the step's program line
        program_line = trace.graph.nodes[
            frame.edges[0][1] if frame.kind == "adjoint" else frame.node
        ].line
        assert line.source_line == program_line, (frame, line, labels[frame.node])


async def test_7_again_shows_the_generated_code_with_the_step_s_line() -> None:
    app = ExplorerApp(Session.start(LONG_LOOP))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("7", "7")
        text = pane_text(app)
        assert text.startswith("generated reverse code (adx codegen --mode reverse)")
        assert "for i in range(100):" in text and "step 0: nothing run yet" in text
        await pilot.press("right", "right", "right")
        text = pane_text(app)
        marked = [line for line in text.splitlines() if line.startswith("▶")]
        assert len(marked) == 1 and "step 3: line " in text
        await pilot.press("f")
        await settle(pilot)
        assert pane_text(app).startswith("generated forward code")
        await pilot.press("7")
        assert pane_text(app).startswith("this run: ")
