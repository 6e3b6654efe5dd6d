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
from adexplorer.tui.widgets.formula_bar import FormulaBar
from adexplorer.tui.widgets.lesson_panel import ExerciseBox, LessonPanel
from adexplorer.tui.widgets.swell_pane import SwellPane
from adexplorer.tui.widgets.trace_table import TraceTable


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
            "the next hint for the exercise you are on",  # t
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
        box = app.query_one(LessonPanel).first_open()
        assert box is not None
        field = box.query_one(Input)
        field.focus()
        await pilot.press("f")  # typed into the answer box, not a mode change
        assert field.value == "f" and app.session.mode == "reverse"
        await pilot.press("escape")  # leaves the box for its question
        assert app.focused is box
        await pilot.press("f")  # the explorer's key again
        assert app.session.mode == "forward"
        await pilot.press("escape")  # and from the question to the graph
        assert app.focused is not None and app.focused.id == "graph"


# ---------------------------------------------------------------- operating the player

PROBE = """\
---
id: player-probe
title: Probe
---

## Forward

```adx-explore
program: ln(x1) + x1*x2 - sin(x2)
at: x1=2, x2=5
mode: forward
seed: x1
```

```adx-exercise
id: tangent-v2
kind: number
question: What is the tangent of v2?
from: tangent v2
hints:
  - the product rule
  - one times five plus two times zero
explain: the product rule gives 1·5 + 2·0.
```

```adx-exercise
id: out
kind: number
question: What is the output's tangent?
from: directional
hints:
  - add up the tangents
explain: 1/x1 + x2.
```

## Reverse

```adx-explore
program: ln(x1) + x1*x2 - sin(x2)
at: x1=2, x2=5
mode: reverse
step: end
```

```adx-exercise
id: grad-x2
kind: number
question: What is the derivative with respect to x2?
from: gradient x2
```
"""


def probe_app(tmp_path: Path) -> LessonApp:
    path = tmp_path / "probe.md"
    path.write_text(PROBE)
    return LessonApp(parse_lesson(path), Progress.load(tmp_path / "progress.json"))


def boxes(app: LessonApp) -> dict[str, ExerciseBox]:
    return {box.exercise.id: box for box in app.query_one(LessonPanel).boxes}


def text_of(widget: Static) -> str:
    return str(widget.content)


def feedback(box: ExerciseBox) -> str:
    return text_of(box.query_one(".feedback", Static))


def shown_keys(app: LessonApp) -> dict[str, str]:
    """The keys the footer shows now, with their descriptions."""
    return {
        key: active.binding.description
        for key, active in app.active_bindings.items()
        if active.binding.show and active.enabled
    }


async def type_answer(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type ``text`` key by key into the focused box and press Enter."""
    await pilot.press(
        *[{".": "full_stop", "-": "minus", "(": "left_parenthesis"}.get(c, c) for c in text]
    )
    await pilot.press("enter")
    await pilot.pause()


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_a_answers_from_anywhere_enter_checks_and_focus_moves_on(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    app = probe_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        ex = boxes(app)
        assert app.focused is ex["tangent-v2"]  # the student starts on the first exercise
        assert list(shown_keys(app))[:2] == ["a", "t"]  # the footer starts with the lesson's keys
        assert shown_keys(app)["a"] == "Answer"
        assert "a answer" in str(app.query_one(LessonPanel).border_subtitle)  # … and the panel
        app.query_one("#graph").focus()
        await pilot.pause()
        assert shown_keys(app).get("a") == "Answer"  # from anywhere
        await pilot.press("a")
        assert app.focused is ex["tangent-v2"].input
        assert shown_keys(app).get("enter") == "Check answer"
        assert shown_keys(app).get("escape") == "Leave box"
        await type_answer(pilot, "5")
        assert ex["tangent-v2"].status == "solved"
        assert "✓ correct" in feedback(ex["tangent-v2"])
        assert "1·5 + 2·0" in feedback(ex["tangent-v2"])  # the explanation
        assert app.focused is ex["out"]  # out of the box, on to the next exercise
        await pilot.press("right")  # the explorer's keys work again
        assert app.session.position == 1
        await pilot.press("enter")  # Enter on a question goes into its box
        assert app.focused is ex["out"].input
        await type_answer(pilot, "5.5")
        assert ex["out"].status == "solved"
        await pilot.press("n")
        assert app.step_index == 1
        await pilot.press("a")
        await type_answer(pilot, "1.71634")  # to the digits shown on screen
        assert boxes(app)["grad-x2"].status == "solved"
        await pilot.press("p")
        assert app.step_index == 0
    saved = Progress.load(tmp_path / "progress.json")
    assert saved.solved("player-probe") == {"tangent-v2", "out", "grad-x2"}


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_tab_follows_the_page_and_esc_always_leaves_a_box(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    app = probe_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        ex = boxes(app)
        app.query_one(LessonPanel).focus()
        visited = []
        for _ in range(4):
            await pilot.press("tab")
            visited.append(app.focused)
        assert visited == [ex["tangent-v2"], ex["tangent-v2"].input, ex["out"], ex["out"].input]
        await pilot.press("shift+tab")
        assert app.focused is ex["out"]
        await pilot.press("enter")
        await pilot.press("1", "2")
        await pilot.press("escape")
        assert app.focused is ex["out"]  # left the box, nothing checked
        assert ex["out"].input.value == "12" and feedback(ex["out"]) == ""
        assert app.progress.attempts("player-probe", "out") == 0


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_t_hints_the_exercise_the_student_is_on(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    app = probe_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        ex = boxes(app)
        await pilot.press("t")  # nothing touched yet: the first open exercise
        assert ex["tangent-v2"].hints_shown == 1
        ex["out"].focus()
        await pilot.pause()
        await pilot.press("t")
        assert (ex["tangent-v2"].hints_shown, ex["out"].hints_shown) == (1, 1)
        assert "hint 1: add up the tangents" in text_of(ex["out"].query_one(".hints", Static))
        app.query_one("#graph").focus()  # still on "out": it was the last one touched
        await pilot.pause()
        await pilot.press("t")
        assert ex["out"].hints_shown == 1  # no more hints for it, and nothing else changed
        assert ex["tangent-v2"].hints_shown == 1
        assert any("no more hints for exercise out" in n.message for n in app._notifications)


async def test_a_solved_box_keeps_its_check_mark(tmp_path: Path) -> None:
    app = probe_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        box = boxes(app)["tangent-v2"]
        await pilot.press("a")
        await type_answer(pilot, "5")
        assert box.status == "solved"
        box.input.focus()
        await pilot.press("ctrl+u")
        await type_answer(pilot, "5(")  # garbage into a solved box
        assert feedback(box).startswith("✓ correct")
        assert box.status == "solved"
        retry = text_of(box.query_one(".retry", Static))
        assert retry.startswith("another try: ✗")
        assert app.progress.attempts("player-probe", "tangent-v2") == 1  # not counted


async def test_wrong_tries_offer_hints_then_reveal(tmp_path: Path) -> None:
    app = probe_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        box = boxes(app)["out"]
        box.focus()
        await pilot.pause()
        offer = box.query_one(".offer", Static)
        assert text_of(offer) == ""  # nothing offered before a try
        for k, wrong in enumerate(["4", "7", "9"], start=1):
            assert "v" not in shown_keys(app)
            await pilot.press("v")  # not yet: nothing happens but a word on when
            assert box.status == "open"
            left = 3 - (k - 1)
            assert any(
                f"reveals the answer of out after {left} more wrong" in n.message
                for n in app._notifications
            )
            await pilot.press("enter")
            await type_answer(pilot, wrong)
            assert feedback(box).startswith("✗"), feedback(box)
            assert app.focused is box  # out of the box after an answer
            assert box.wrong == k
            if k == 1:
                assert "t: hint 1 of 1" in text_of(offer)
                assert "v reveals the answer after 2 more wrong tries" in text_of(offer)
        assert "v: reveal the answer" in text_of(offer)
        assert shown_keys(app).get("v") == "Reveal"
        await pilot.press("v")
        assert box.status == "revealed"
        assert "5.5" in feedback(box) and "1/x1 + x2" in feedback(box)  # answer and explanation
        assert "answer revealed" in str(box.border_title)
        assert "v" not in shown_keys(app)
        # the student moves on: a now answers the exercise still open
        assert app.query_one(LessonPanel).current() is boxes(app)["tangent-v2"]
    saved = Progress.load(tmp_path / "progress.json")
    assert saved.revealed("player-probe") == {"out"}
    assert saved.solved("player-probe") == set()
    assert saved.attempts("player-probe", "out") == 3

    resumed = probe_app(tmp_path)
    async with resumed.run_test(size=(120, 40)):
        box = boxes(resumed)["out"]
        assert box.status == "revealed" and box.has_class("-revealed")


async def test_the_number_question_says_how_precisely_to_answer(tmp_path: Path) -> None:
    app = probe_app(tmp_path)
    async with app.run_test(size=(120, 40)):
        note = boxes(app)["out"].query_one(".note", Static)
        assert "to at least 3 significant digits" in text_of(note)


# ---------------------------------------------------------------- answers stay hidden until asked


def derivative_cell(app: LessonApp, label: str) -> str:
    table = app.query_one(TraceTable)
    graph = app.session.graph
    assert graph is not None
    index = graph.labels().index(label)
    header = {"forward": "tangent v̇", "reverse": "adjoint v̄", "dual": "a + bε"}[app.session.mode]
    return str(table.get_cell(str(index), header))


def bar(app: LessonApp) -> str:
    return str(app.query_one(FormulaBar).content)


async def test_the_cells_an_open_exercise_asks_for_show_a_question_mark(tmp_path: Path) -> None:
    app = probe_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("right", "right", "right", "right")  # v2 is computed at step 4
        assert derivative_cell(app, "v2") == "?"
        assert "v̇2 = v̇-1·v0 + v-1·v̇0 = ?" in bar(app)
        assert derivative_cell(app, "v1") == "0.5"  # what is not asked is shown
        assert app.focused is boxes(app)["tangent-v2"]  # on the lesson: End is the explorer's
        await pilot.press("end")
        assert app.session.at_end
        assert "directional derivative (seed x1) = ?" in bar(app)
        await pilot.press("a")
        await type_answer(pilot, "5")
        assert derivative_cell(app, "v2") == "5"  # answered: shown
        assert "directional derivative (seed x1) = ?" in bar(app)  # still asked by "out"
        await pilot.press("a")
        await type_answer(pilot, "5.5")
        assert "directional derivative (seed x1) = 5.5" in bar(app)
        await pilot.press("n")  # the reverse step starts at the end of the sweep
        assert "∂f/∂x2 = ?" in bar(app) and "∂f/∂x1 = 5.5" in bar(app)
        assert derivative_cell(app, "v0") == "?"
        await pilot.press("a")
        await type_answer(pilot, "1.71634")
        assert "∂f/∂x2 = 1.71634" in bar(app)
        assert derivative_cell(app, "v0") == "1.71634"


async def test_progress_that_cannot_be_saved_is_said_and_the_lesson_goes_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "probe.md"
    path.write_text(PROBE)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    app = LessonApp(parse_lesson(path), Progress(blocker / "progress.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("a")
        await type_answer(pilot, "5")
        assert boxes(app)["tangent-v2"].status == "solved"
        messages = [str(n.message) for n in app._notifications]
        assert any("not a directory" in m for m in messages), messages
        assert not any("bug in adx" in m for m in messages), messages
