"""The lesson player, driven like a student: answer, get it wrong, ask for a hint, resume."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from textual.command import CommandList, CommandPalette
from textual.widgets import Input, Static, TabbedContent

from adexplorer.lessons.catalog import find
from adexplorer.lessons.parser import parse_lesson
from adexplorer.lessons.progress import Progress
from adexplorer.tui.lesson_app import LessonApp
from adexplorer.tui.screens.help import HelpScreen
from adexplorer.tui.widgets.lesson_panel import ExerciseBox, LessonPanel
from adexplorer.tui.widgets.swell_pane import SwellPane


async def answer(pilot, app: LessonApp, exercise_id: str, text: str) -> ExerciseBox:  # type: ignore[no-untyped-def]
    box = app.query_one(LessonPanel).box(exercise_id)
    assert box is not None
    field = box.query_one(Input)
    field.focus()
    field.value = text
    await pilot.press("enter")
    await pilot.pause()
    return box


async def test_walk_a_lesson_answer_hint_quit_and_resume(tmp_path: Path) -> None:
    lesson = find("reverse-mode")
    progress_file = tmp_path / "progress.json"
    app = LessonApp(lesson, Progress.load(progress_file))
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.step_index == 0
        assert app.session.source.startswith("ln(x1)")
        assert app.session.position == 7  # the step starts after the forward sweep
        box = await answer(pilot, app, "count-contributions", "")  # not an attempt
        box = await answer(pilot, app, "count-contributions", "3")
        assert not box.has_class("-solved")
        box = await answer(pilot, app, "count-contributions", "2")
        assert box.has_class("-solved")
        app.query_one(LessonPanel).focus()
        await pilot.press("escape")
        app.set_focus(None)
        await pilot.press("t")  # a hint for the first unsolved exercise (adjoint-x1)
        hinted = app.query_one(LessonPanel).box("adjoint-x1")
        assert hinted is not None and hinted.hints_shown == 1
        await pilot.press("n")
        assert app.step_index == 1
        assert app.session.source == "x*x"
        assert app.session.position == 2  # "step: 2": after the forward sweep, x̄ not yet shown
        await pilot.press("right")  # the explorer still steps
        assert app.session.position == 3
    saved = Progress.load(progress_file)
    assert saved.lessons["reverse-mode"]["step"] == 1
    assert saved.solved("reverse-mode") == {"count-contributions"}
    assert saved.lessons["reverse-mode"]["exercises"]["count-contributions"]["attempts"] == 2

    resumed = LessonApp(lesson, Progress.load(progress_file))
    async with resumed.run_test(size=(120, 40)) as pilot:
        assert resumed.step_index == 1
        await pilot.press("p")
        assert resumed.step_index == 0
        box = resumed.query_one(LessonPanel).box("count-contributions")
        assert box is not None and box.has_class("-solved")  # remembered


async def test_a_step_opens_its_pane(tmp_path: Path) -> None:
    app = LessonApp(find("numerical-differentiation"), Progress.load(tmp_path / "p.json"))
    async with app.run_test(size=(120, 40)):
        assert app.query_one(TabbedContent).active == "fd"


async def test_a_corrupt_progress_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    path.write_text("[1, 2")
    app = LessonApp(find("cost"), Progress.load(path))
    async with app.run_test(size=(120, 40)):
        assert app.progress.problem is not None
        assert any("could not be read" in n.message for n in app._notifications)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_player_snapshot(snap_compare, size: tuple[int, int], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = LessonApp(find("forward-mode"), Progress(tmp_path / "p.json"))
    assert snap_compare(app, terminal_size=size, press=["right", "right", "right", "right"])


def _keys_listed(app: LessonApp) -> str:
    """The help screen's text: its paragraphs and its table of keys, as plain text."""
    console = Console(width=200, record=True, file=io.StringIO())
    for static in app.screen.query(Static):
        console.print(static.content)
    return console.export_text()


async def test_help_and_palette_list_the_lesson_keys_and_the_explorer_keys(
    tmp_path: Path,
) -> None:
    app = LessonApp(find("forward-mode"), Progress(tmp_path / "p.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        listed = _keys_listed(app)
        for does in (
            "the lesson's next step",  # n
            "show a hint for the first unsolved exercise",  # t
            "forward mode: values and tangents",  # f
            "reverse mode: the adjoint sweep",  # r
            "pane: expression swell",  # 3
            "gradient step",  # g
            "run the next step",  # →
        ):
            assert does in listed, does
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("ctrl+p")
        await pilot.pause(0.5)
        assert isinstance(app.screen, CommandPalette)
        commands = app.screen.query_one(CommandList)
        titles = [str(commands.get_option_at_index(k).prompt) for k in range(commands.option_count)]
        for title in ("The lesson's next step", "Forward mode", "Pane: expression swell"):
            assert any(t.startswith(title) for t in titles), (title, titles)
        await pilot.press("escape")


LESSON_WITH_A_FAMILY = """\
---
id: family-probe
title: A family
---

## Swell of a family

```adx-explore
program: sin(x)*cos(x)
at: x=0.5
pane: swell
family: sin(#)*cos(#)
```

## A step with another exploration

```adx-explore
program: x*x
```
"""


async def test_a_lessons_family_reaches_the_swell_pane(tmp_path: Path) -> None:
    path = tmp_path / "family.md"
    path.write_text(LESSON_WITH_A_FAMILY)
    app = LessonApp(parse_lesson(path), Progress(tmp_path / "p.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await pilot.pause()
        pane = app.query_one(SwellPane)
        assert pane.template == "sin(#)*cos(#)"
        assert pane.query_one("#family", Input).value == "sin(#)*cos(#)"
        await pilot.press("n")  # the next exploration has the default family
        await pilot.pause()
        assert pane.template == "4*#*(1-#)"
        assert pane.query_one("#family", Input).value == "4*#*(1-#)"


async def test_explorer_keys_work_while_the_lesson_panel_has_the_focus(tmp_path: Path) -> None:
    app = LessonApp(find("forward-mode"), Progress(tmp_path / "p.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.session.mode == "forward"
        app.query_one(LessonPanel).focus()
        await pilot.press("r", "4")
        assert app.session.mode == "reverse"
        assert app.query_one(TabbedContent).active == "cost"
        box = app.query_one(LessonPanel).first_unsolved()
        assert box is not None
        field = box.query_one(Input)
        field.focus()
        await pilot.press("f")  # typed into the answer box, not a mode change
        assert field.value == "f" and app.session.mode == "reverse"
        await pilot.press("escape")  # leaves the box for the graph
        assert app.focused is not None and app.focused.id == "graph"
