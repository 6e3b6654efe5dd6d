"""Second-order mode in the explorer (H), driven with Pilot like a person: the nested
sweeps step by step, the Hessian panel filling in, H·u, 80×24, a fuzz of key
sequences, and snapshots."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from textual.app import App

from adexplorer.explorer.session import Session
from adexplorer.tui.app import ExplorerApp
from adexplorer.tui.bugs import BUG
from adexplorer.tui.screens.help import HelpScreen
from adexplorer.tui.screens.seed_screen import SeedScreen
from adexplorer.tui.widgets.formula_bar import FormulaBar
from adexplorer.tui.widgets.graph_view import GraphView
from adexplorer.tui.widgets.hessian_panel import HessianPanel
from adexplorer.tui.widgets.trace_table import TraceTable
from tests.tui_helpers import quick_pilot, settle

#: The survey example's Hessian at (2, 5), as the panel shows it (6 digits).
HESSIAN_ROWS = [["-0.25", "1"], ["1", "-0.958924"]]


def screen_lines(app: App[object]) -> list[str]:
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip) for strip in strips]


def panel(app: ExplorerApp) -> str:
    return str(app.query_one(HessianPanel).content)


def panel_rows(app: ExplorerApp) -> list[list[str]]:
    """The panel's rows of entries (``·`` for one not known yet), without the labels."""
    return [line.split()[1:] for line in panel(app).splitlines()[1:]]


def panel_columns(app: ExplorerApp) -> list[list[str]]:
    """The panel's columns: column k is sweep k's H·eₖ."""
    return [list(column) for column in zip(*panel_rows(app), strict=True)]


def formula_bar(app: ExplorerApp) -> str:
    return str(app.query_one(FormulaBar).content)


async def test_step_through_the_nested_sweeps_to_the_hessian() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        assert not app.query_one(HessianPanel).display
        await pilot.press("H")
        session = app.session
        assert session.mode == "second" and session.second is not None
        assert app.query_one(HessianPanel).display
        assert panel_rows(app) == [["·", "·"], ["·", "·"]]
        half = len(session.frames) // 2
        # the primal with tangents along e_x1: v2 = v-1·v0 and its tangent
        await pilot.press(*["right"] * 4)
        bar = formula_bar(app)
        assert "v2 = v-1 · v0 = 2 · 5 = 10" in bar
        assert "v̇2 = v̇-1·v0 + v-1·v̇0 = 1·5 + 2·0 = 5" in bar
        assert "second order: H sweep 1/2 (e_x1, column 1)" in bar
        graph = app.query_one(GraphView)
        assert graph._picture is not None and graph._picture.current == 3
        assert graph._picture.lit_edges == {(0, 3), (1, 3)}
        # on to the end of the first sweep: x2's entry first, then x1's
        await pilot.press(*["right"] * (half - 4 - 2))
        assert panel_columns(app)[0] == ["·", "·"]
        await pilot.press("right")
        assert panel_columns(app)[0] == ["·", "1"]  # sweep 1 fills column 1
        await pilot.press("right")
        bar = formula_bar(app)
        assert "v̄-1 += v̄1/v-1 = 1/2 = 0.5" in bar
        assert "v̄̇-1 += v̄̇1/v-1 - v̄1·v̇-1/v-1^2 = 0/2 - 1·1/2^2 = -0.25" in bar
        assert "so v̄̇-1 = 0 + (-0.25) = -0.25" in bar
        assert panel_columns(app) == [["-0.25", "1"], ["·", "·"]]
        assert panel(app).splitlines()[0].split()[2:4] == ["▶x1", "x2"]
        # the graph marks the adjoint being computed, its v̄ + v̄̇ε beside it
        assert graph._picture.current == 0 and graph._picture.lit_edges == {(0, 2)}
        assert graph._picture.derivatives[0] == "5.5-0.25ε"
        table = app.query_one(TraceTable)
        row = [cell.plain for cell in table.get_row_at(0)]
        assert row[0] == "▶" and "v̇ 1  v̄ 5.5  v̄̇ -0.25" in row  # v̇ of the rules stays
        # back one step: the entry is not known again
        await pilot.press("left")
        assert panel_columns(app)[0] == ["·", "1"]
        await pilot.press("end")
        assert panel_rows(app) == HESSIAN_ROWS
        hessian = session.second.hessian()  # type: ignore[union-attr]
        np.testing.assert_allclose(hessian, [[-0.25, 1.0], [1.0, np.sin(5.0)]], rtol=1e-12)
        assert "∂f/∂x1 = 5.5   ∂f/∂x2 = 1.71634" in formula_bar(app)
        await pilot.press("home")
        assert session.position == 0 and panel_rows(app) == [["·", "·"], ["·", "·"]]


async def test_play_runs_the_nested_steps() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("H")
        view = app.view
        await pilot.press("space")
        assert app.playing
        for _ in range(len(app.session.frames) + 1):  # the timer's ticks, without waiting
            view._tick()
        assert app.session.at_end and not app.playing
        assert panel_rows(app) == HESSIAN_ROWS


async def test_h_again_gives_h_times_u_along_the_seed() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("H", "H")
        session = app.session
        assert session.second is not None and session.second.kind == "hvp"
        await pilot.press("end")
        assert "H·u along u: x1" in panel(app)
        assert panel(app).splitlines()[1].split() == ["x1:", "-0.25", "x2:", "1"]
        # u types another direction
        await pilot.press("u")
        assert isinstance(app.screen, SeedScreen)
        await pilot.press("ctrl+u", *"x1=1,x2=0.5", "enter")
        await pilot.pause()
        assert session.seed_text == "x1=1,x2=0.5" and session.second.kind == "hvp"
        await pilot.press("end")
        expected = np.array([[-0.25, 1.0], [1.0, np.sin(5.0)]]) @ [1.0, 0.5]
        assert panel(app).splitlines()[1].split() == [
            "x1:",
            f"{expected[0]:g}",
            "x2:",
            f"{expected[1]:.6g}",
        ]
        # an empty direction: the whole Hessian again
        await pilot.press("u", "ctrl+u", "enter")
        await pilot.pause()
        assert session.second.kind == "hessian"


async def test_second_order_mode_is_in_the_help_and_the_footer() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(50):  # the footer shows once the screen is laid out
            await pilot.pause()
            if "Quit" in screen_lines(app)[-1]:
                break
        assert "frdH Mode" in screen_lines(app)[-1] and "su Seed" in screen_lines(app)[-1]
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(str(s.content) for s in app.screen.query("Static"))
        assert "second order (H)" in text and "V: vector forward mode" in text
        described = {b.key: b.tooltip for b in app.screen._keys}
        assert "second-order mode" in described["H"]
        assert "ȳ" in described["u"] and "vector forward mode" in described["V"]


async def test_second_order_mode_reads_at_80x24() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("H")
        await pilot.press(*["right"] * (len(app.session.frames) // 2))
        lines = screen_lines(app)
        text = "\n".join(lines)
        # the panel's rows, the step's two rules and the trace table's current row show
        # sweep 1 fills column 1 of H (▶ on its heading)
        assert any(line.split()[:4] == ["H", "(2×2)", "▶x1", "x2"] for line in lines), text
        assert any(line.split()[:3] == ["x1", "-0.25", "·"] for line in lines), text
        assert any(line.split()[:3] == ["x2", "1", "·"] for line in lines), text
        assert "v̄-1 += v̄1/v-1 = 1/2 = 0.5" in text
        assert "v̄̇-1 += v̄̇1/v-1 - v̄1·v̇-1/v-1^2 = 0/2 - 1·1/2^2 = -0.25" in text
        assert any("▶  v-1" in line and "v̄̇ -0.25" in line for line in lines), text
        assert "frdH Mode" in lines[-1]
        await pilot.press("end")
        lines = screen_lines(app)
        assert any(line.split()[:3] == ["x1", "-0.25", "1"] for line in lines)
        assert any(line.split()[:3] == ["x2", "1", "-0.958924"] for line in lines)
        assert any(line.split()[:4] == ["H", "(2×2)", "x1", "▶x2"] for line in lines)
        await pilot.press("6")  # the graph tab, then back to the trace
        await pilot.press("1")
        assert app.session.at_end


async def test_a_program_without_one_scalar_output_is_refused_in_words() -> None:
    app = ExplorerApp(Session.start("f1 = x*y\nf2 = x + y\nreturn f1, f2", {"x": 1, "y": 2}))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("H")
        await pilot.pause()
        assert app.session.mode == "reverse" and app.session.second is None
        notes = [str(n.message) for n in app._notifications]
        assert any("scalar" in note for note in notes), notes


@pytest.fixture
def _quick() -> Iterator[None]:
    with quick_pilot():
        yield


#: What the fuzz presses: every key of the explorer that moves, changes mode or seed.
FUZZ_KEYS = [
    "right",
    "right",
    "right",
    "left",
    "home",
    "end",
    "space",
    "H",
    "H",
    "f",
    "r",
    "d",
    "V",
    "s",
    "i",
    "plus",
    "minus",
    "k",
    "1",
    "4",
    "6",
    "7",
    "w",
    "u",
]
#: Typed into the seed dialog when the fuzz opens it: good, bad and empty seeds.
FUZZ_SEEDS = ["x1=1,x2=0.5", "x2", "f=2", "x3=1", "f=[1,2]", "", "x1=", "]["]


@pytest.mark.usefixtures("_quick")
@pytest.mark.parametrize("seed", range(6))
async def test_fuzz_key_sequences_in_second_order_mode(seed: int) -> None:
    rng = random.Random(seed)
    app = ExplorerApp(Session.start())
    async with app.run_test(size=rng.choice([(80, 24), (120, 40)])) as pilot:
        await pilot.press("H")
        pressed: list[str] = ["H"]
        for _ in range(30):
            key = rng.choice(FUZZ_KEYS)
            pressed.append(key)
            await pilot.press(key)
            if isinstance(app.screen, SeedScreen):
                text = rng.choice(FUZZ_SEEDS)
                pressed.append(f"<{text}>")
                await pilot.press("ctrl+u", *text, "enter")
                await pilot.press("escape")  # a bad seed leaves it open: close it
            elif app.screen is not app.screen_stack[0]:
                await pilot.press("escape")  # the value screen
            session = app.session
            assert app.is_running, pressed
            assert 0 <= session.position <= len(session.frames), pressed
            assert (session.mode == "second") == (session.second is not None), pressed
            if session.second is not None:
                kinds = {f.kind for f in session.frames}
                assert kinds <= {"nested_forward", "nested_seed", "nested_adjoint"}, pressed
                rows = session.hessian_known()
                assert len(rows) == len(session.second.sweeps), pressed
            table = app.query_one(TraceTable)
            assert table.row_count == len(session.trace.graph.nodes), pressed  # type: ignore[union-attr]
        await settle(pilot)
        if app.session.second is not None:
            await pilot.press("end")
            known = np.array(app.session.hessian_known(), dtype=float)
            second = app.session.second
            full = second.hessian() if second.kind == "hessian" else None
            if full is not None:
                np.testing.assert_allclose(known, full)


# -- snapshots -------------------------------------------------------------------------

SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_second_order_mid_sweep(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """The last step of the first nested sweep: both rules, the first row of H done."""
    app = ExplorerApp(Session.start())

    async def step_then_drop_the_toast(pilot) -> None:  # type: ignore[no-untyped-def]
        # "second-order mode: …" expires after a few seconds: on a loaded machine before
        # the picture is taken, elsewhere after, so the picture is taken without it
        await pilot.press("H", *["right"] * 16)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=step_then_drop_the_toast)


def test_seed_dialog_with_an_error(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = ExplorerApp(Session.start())
    assert snap_compare(app, terminal_size=(80, 24), press=["u", "ctrl+u", *"f=1,g=2", "enter"])


async def test_the_docs_show_the_bar_as_it_is() -> None:
    """docs/second-order.md quotes the bar at the last step of the first sweep."""
    docs = (Path(__file__).parent.parent / "docs" / "second-order.md").read_text()
    section = docs[docs.index("## In the explorer") :]
    quoted = section.split("```")[1].strip("\n").splitlines()
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("H")
        await pilot.press(*["right"] * (len(app.session.frames) // 2))
        bar = formula_bar(app).splitlines()
        assert bar[1:3] == quoted


async def test_the_cost_pane_compares_nested_sweeps_with_finite_differences() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("H", "4")
        await settle(pilot)
        text = str(app.query_one("#second-cost").content)
        cost = app.session.second.cost  # type: ignore[union-attr]
        assert cost.n == 2 and cost.sweeps == 2
        nested_line = next(line for line in text.splitlines() if "nested sweeps " in line)
        central = next(line for line in text.splitlines() if "central differences" in line)
        assert nested_line.split()[2:4] == ["2", "sweeps"]
        assert int(nested_line.split()[4]) == cost.primal.total + 2 * cost.nested_sweep.total
        assert central.split()[2:4] == ["4", "gradients"]
        assert int(central.split()[4]) == 4 * (cost.primal.total + cost.adjoint.total)
        await pilot.press("r")  # first order again: the section goes
        assert not app.query_one("#second-cost").display


async def test_a_function_without_inputs_and_a_matrix_input() -> None:
    app = ExplorerApp(Session.start("3*2"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("H", "end", "right", "H", "end")
        assert app.session.mode == "second"
        assert not [n for n in app._notifications if BUG in str(n.message)]
    source = "W: mat[4,4]\nreturn sum(W*W*W)"
    app = ExplorerApp(Session.start(source))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("H", "end")
        lines = panel(app).splitlines()
        # 16 sweeps on a low screen: two lines, the column the last sweep fills
        assert lines[0].startswith("H (16×16)  ▶ column 16 of 16 (sweep along e_W[3,3])")
        assert lines[1].startswith("W[0,0]: 0   W[0,1]: 0") and len(lines) == 2
        second = app.session.second
        assert second is not None
        np.testing.assert_allclose(second.hessian(), 6 * np.eye(16))  # ∂²/∂W² of W³: 6W, W = 1
        assert all(len(line) <= 80 for line in lines)
