"""Snapshot tests of each explorer screen at 80x24 and 120x40 (pytest-textual-snapshot).

Update after an intended change of appearance with ``pytest --snapshot-update``
and look at the SVGs in tests/__snapshots__/ before committing them.
"""

from __future__ import annotations

import pytest

from adexplorer.explorer.session import Session
from adexplorer.tui.app import ExplorerApp
from tests.tui_helpers import settle

SIZES = [(80, 24), (120, 40)]


def survey() -> ExplorerApp:
    return ExplorerApp(Session.start())


def press_and_settle(*keys: str):  # type: ignore[no-untyped-def]
    """Press ``keys``, then wait for the background work they start (compiling, FD, swell)."""

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.press(*keys)
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_start(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(survey(), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_reverse_fan_out_step(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(survey(), terminal_size=size, press=["right"] * 14)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_forward_step(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(
        survey(), terminal_size=size, press=["f", "right", "right", "right", "right"]
    )


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_dual_numbers_at_the_end(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(survey(), terminal_size=size, press=["d", "end"])


@pytest.mark.parametrize("pane", ["2", "3", "4"], ids=["fd", "swell", "cost"])
@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_panes(snap_compare, size: tuple[int, int], pane: str) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(survey(), terminal_size=size, run_before=press_and_settle("end", pane))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_descent(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    app = ExplorerApp(Session.start("(x - 3)^2 + (y + 1)^2", {"x": 0, "y": 0}))
    assert snap_compare(app, terminal_size=size, press=["g", "g", "g", "g"])


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_help(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(survey(), terminal_size=size, press=["question_mark"])


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_parse_error_keeps_the_last_graph(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def type_a_typo(pilot):  # type: ignore[no-untyped-def]
        pilot.app.query_one("#source").text = "ln(x1) + x1*x2 - sin(x2"
        await settle(pilot)

    assert snap_compare(survey(), terminal_size=size, run_before=type_a_typo)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_dual_arithmetic_step(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(
        survey(), terminal_size=size, press=["d", "right", "right", "right", "right"]
    )


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_x_times_x_two_edges(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    app = ExplorerApp(Session.start("x*x + sin(x)", {"x": 2}))
    assert snap_compare(app, terminal_size=size, press=["6", "end"])


def test_graph_tab_at_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(survey(), terminal_size=(80, 24), press=["6", "right", "right", "right"])


#: Programs with if and for (see tests/test_tui_control_flow.py).
BRANCH_PROGRAM = (
    "x: real = -1.5\nif x > 0:\n    y = x + 1\nelif x == 0:\n    y = 1\nelse:\n    y = 1 - x\n"
    "return y"
)
LOOP_PROGRAM = "x: real = 0.5\ns = 1\nfor i in range(100):\n    s = s*x + sin(s)\nreturn s"


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_program_pane_on_a_branch(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    app = ExplorerApp(Session.start(BRANCH_PROGRAM))
    assert snap_compare(app, terminal_size=size, run_before=press_and_settle("right", "right", "7"))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_retaped_after_a_new_input(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def cross_the_branch(pilot) -> None:  # type: ignore[no-untyped-def]
        pilot.app.view._guarded(lambda: pilot.app.session.set_value("x", "2"))
        await settle(pilot)
        pilot.app.clear_notifications()  # the toast says it too; the bar is what is compared
        await pilot.press("right", "right")
        await settle(pilot)

    app = ExplorerApp(Session.start(BRANCH_PROGRAM))
    assert snap_compare(app, terminal_size=size, run_before=cross_the_branch)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_a_100_iteration_loop_mid_way(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    app = ExplorerApp(Session.start(LOOP_PROGRAM))
    keys = ["right"] * 152 + (["6"] if size == (80, 24) else [])
    assert snap_compare(app, terminal_size=size, run_before=press_and_settle(*keys))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_loop_iterations_folded(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    app = ExplorerApp(Session.start(LOOP_PROGRAM))
    keys = ["Z", "right", "right", "right", "right", "right", "right"]
    assert snap_compare(app, terminal_size=size, run_before=press_and_settle(*keys))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_checkpoint_schedule_mid_sweep(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def checkpoint_and_step(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("k", "k")  # snapshots=2
        await settle(pilot)
        pilot.app.clear_notifications()
        pilot.app.session.playback.position = 600  # in the adjoint sweep
        pilot.app.view.refresh_views()
        await settle(pilot)

    app = ExplorerApp(Session.start(LOOP_PROGRAM))
    assert snap_compare(app, terminal_size=size, run_before=checkpoint_and_step)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_generated_code_beside_the_trace(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    program = (
        "x: real = 0.5\ns = 1\nfor i in range(4):\n    if s > 1:\n        s = s*x + sin(s)\n"
        "    else:\n        s = s + x\nreturn s"
    )
    app = ExplorerApp(Session.start(program))
    keys = ["7", "7", "end", "left", "left", "left"]
    assert snap_compare(app, terminal_size=size, run_before=press_and_settle(*keys))
