"""The lesson player after the fresh-eyes test: no export gives an open exercise's answer
away, and keys typed right after ``a`` go into the answer box."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual import events

from adexplorer.explorer.session import Session
from adexplorer.lessons.catalog import find
from adexplorer.lessons.progress import Progress
from adexplorer.tui.lesson_app import LessonApp
from adexplorer.tui.widgets.lesson_panel import AnswerInput, LessonPanel
from tests.json_contract import assert_valid
from tests.tui_helpers import settle

# Lesson 1, step 0: f = (x - 3)^2 + 10*(y + 1)^2 at (0, 0) in reverse mode; its open
# exercises ask for ∂f/∂x and ∂f/∂y there.
PROGRAM = "(x - 3)^2 + 10*(y + 1)^2"


def gradient_at_origin() -> tuple[float, float]:
    """∂f/∂x and ∂f/∂y at (0, 0) by central differences (not the engine's reverse mode)."""
    session = Session.start(PROGRAM, {"x": 0.0, "y": 0.0})
    h = 1e-6

    def f(x: float, y: float) -> float:
        return (x - 3) ** 2 + 10 * (y + 1) ** 2

    assert session.trace is not None and float(session.trace.output_value()) == f(0, 0)
    return (f(h, 0) - f(-h, 0)) / (2 * h), (f(0, h) - f(0, -h)) / (2 * h)


def messages(app: LessonApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def lesson_one(tmp_path: Path) -> LessonApp:
    return LessonApp(find("why-derivatives"), Progress(tmp_path / "data" / "progress.json"))


async def test_no_export_gives_an_open_exercises_answer_away(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the player's explorer exports to the working folder
    dx, dy = gradient_at_origin()
    assert (round(dx, 6), round(dy, 6)) == (-6.0, 20.0)
    app = lesson_one(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("end")  # the whole sweep run: the gradient is known, and hidden
        await settle(pilot)
        assert app.session.conceals
        for letter, name in (("j", "json"), ("l", "latex"), ("m", "markdown"), ("d", "dot")):
            await pilot.press("x", letter)
            await settle(pilot)
            assert f"an open exercise hides answers that {name} would show" in messages(app)[-1]
        assert list(tmp_path.glob("adx-*")) == []  # nothing written

        # text, SVG and the clipboard show what the screen shows: the answers as ?
        await pilot.press("x", "t")
        await settle(pilot)
        assert "hidden values are written as ?" in messages(app)[-1]
        (text_file,) = tmp_path.glob("adx-trace-*.txt")
        text = text_file.read_text(encoding="utf-8")
        x_bar = next(line for line in text.splitlines() if line.startswith("v̄-1 "))
        y_bar = next(line for line in text.splitlines() if line.startswith("v̄0 "))
        assert x_bar.endswith("= ?") and y_bar.endswith("= ?")
        assert "20" not in y_bar
        await pilot.press("c")
        await settle(pilot)
        assert app.clipboard == text
        assert "hidden values are written as ?" in messages(app)[-1]

        # once both are answered nothing is hidden: JSON has the gradient
        panel = app.query_one(LessonPanel)
        for exercise_id, value in (("grad-x", dx), ("grad-y", dy)):
            box = panel.box(exercise_id)
            assert box is not None
            box.input.focus()
            box.input.value = f"{value:.0f}"
            await pilot.press("enter")
            await settle(pilot)
            assert box.status == "solved"
        assert not app.session.conceals
        await pilot.press("x", "j")
        await settle(pilot)
    (json_file,) = tmp_path.glob("adx-trace-*.json")
    data = json.loads(json_file.read_text(encoding="utf-8"))
    assert_valid(data)
    assert data["gradient"]["x"] == pytest.approx(dx) and data["gradient"]["y"] == pytest.approx(dy)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_keys_typed_right_after_a_go_into_the_answer_box(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    """``a-6`` Enter with no pause (tmux send-keys, a browser at 30 ms a key): all queued
    before ``a`` moved the focus.  Before the fix - nudged x, 6 changed the pane and Enter
    found the box empty."""
    dx, _ = gradient_at_origin()
    app = lesson_one(tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        values = {name: float(value) for name, value in app.session.values.items()}
        pane = app.view.query_one("TabbedContent").active  # type: ignore[attr-defined]
        for key, character in (("a", "a"), ("minus", "-"), ("6", "6"), ("enter", None)):
            app.post_message(events.Key(key, character))
        await settle(pilot)
        box = app.query_one(LessonPanel).box("grad-x")
        assert box is not None
        assert box.status == "solved", box.input.value
        assert round(dx) == -6
        assert {n: float(v) for n, v in app.session.values.items()} == values  # x not nudged
        assert app.view.query_one("TabbedContent").active == pane  # type: ignore[attr-defined]
        assert not isinstance(app.focused, AnswerInput)  # on to the next exercise
