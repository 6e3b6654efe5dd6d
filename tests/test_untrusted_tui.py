"""Text from users and lesson files is shown literally in both apps, never obeyed.

Markup (``[bold]``, ``[@click=app.quit]``, ``[link=…]``, an unbalanced ``[/]``,
``[e,pi]``) appears as typed; control characters (ESC, OSC, C1, bidi) reach the
screen only as visible escapes.  The screen is read back from the compositor,
segment by segment, so a raw control character anywhere would be caught.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.widgets import Input, TextArea

from adexplorer.base.text import has_unsafe
from adexplorer.explorer.session import Session
from adexplorer.lessons.parser import parse_lesson
from adexplorer.lessons.progress import Progress
from adexplorer.tui.app import ExplorerApp
from adexplorer.tui.lesson_app import LessonApp
from adexplorer.tui.widgets.lesson_panel import ExerciseBox, LessonPanel
from adexplorer.tui.widgets.swell_pane import SwellPane

MARKUP = "[bold]x[/] [@click=app.quit]q [link=https://example.org]l[/link] [/] [e,pi]"
CONTROLS = "\x1b]0;PWNED\x07 \x1b[2J \x9b31m \u202e"


def screen_lines(app: App[object]) -> list[str]:
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip) for strip in strips]


def assert_screen_is_safe(app: App[object]) -> str:
    lines = screen_lines(app)
    for line in lines:
        assert not has_unsafe(line, allowed=""), repr(line)
    return "\n".join(lines)


async def test_explorer_editor_shows_markup_and_controls_literally() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        area = app.query_one(TextArea)
        area.text = f"x*y  # {MARKUP}"
        await pilot.pause()
        screen = assert_screen_is_safe(app)
        assert "[bold]x[/]" in screen and "[@click=app.quit]q" in screen
        area.text = f"x*y + {CONTROLS}"
        await pilot.pause()
        screen = assert_screen_is_safe(app)
        assert "\\x1b]0;PWNED" in screen  # the editor shows the escape
        assert app.is_running


async def test_a_program_that_starts_with_controls_in_a_comment_is_shown_safely() -> None:
    """A program file may hold an ESC in a comment (valid adx): the editor and the
    program pane show it as an escape from the first frame, not only after an edit."""
    source = f"x: real = -1\n# {CONTROLS}\nif x > 0:\n    y = x\nelse:\n    y = -x\nreturn y\n"
    app = ExplorerApp(Session.start(source))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = assert_screen_is_safe(app)
        assert "\\x1b]0;PWNED" in screen
        await pilot.press("7")  # the program pane
        await pilot.pause()
        assert_screen_is_safe(app)
        assert app.is_running


async def test_errors_and_panes_show_user_text_literally() -> None:
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one(TextArea).text = f"x + ) {MARKUP}"
        await pilot.pause()
        assert_screen_is_safe(app)
        app.query_one(TextArea).text = "x*y"
        await pilot.pause()
        await pilot.press("escape", "3")
        await pilot.pause()
        field = app.query_one(SwellPane).query_one(Input)
        field.value = f"[/] # {CONTROLS}"
        field.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert_screen_is_safe(app)
        assert app.is_running


LESSON = """---
id: hostile
title: "Title [/] [bold]b[/] \\x1b]0;PWNED\\x07"
summary: "[@click=app.quit]q"
order: 1
---

Intro {markup} with a [link](https://example.org) and {controls}.

## Step [/] [bold]two[/]

Prose {markup} {controls}.

```adx-explore
program: x*x  # [/] [bold]c[/]
at: x=3
```

```adx-exercise
id: q1
kind: choice
question: Question [/] [bold]q[/]?
choices:
  - choice [@click=app.quit]a
  - [/] other
answer: b
hints:
  - hint [/] [bold]h[/]
explain: because [/] [link=https://example.org]l[/link]
```
"""


async def test_the_lesson_player_shows_lesson_text_literally(tmp_path: Path) -> None:
    path = tmp_path / "hostile.md"
    path.write_text(LESSON.replace("{markup}", MARKUP).replace("{controls}", CONTROLS))
    lesson = parse_lesson(path)
    app = LessonApp(lesson, Progress.load(tmp_path / "progress.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = assert_screen_is_safe(app)
        assert "Question [/] [bold]q[/]?" in screen
        assert "choice [@click=app.quit]a" in screen
        box = app.query_one(LessonPanel).box("q1")
        assert isinstance(box, ExerciseBox)
        app.set_focus(None)
        await pilot.press("t")  # the hint, literally
        await pilot.pause()
        assert "hint [/] [bold]h[/]" in assert_screen_is_safe(app)
        field = box.query_one(Input)
        field.focus()
        field.value = f"[/] {CONTROLS}"  # a wrong answer that is itself hostile
        await pilot.press("enter")
        await pilot.pause()
        assert_screen_is_safe(app)
        field.focus()  # an answer (even a wrong one) takes the focus out of the box
        field.value = "b"
        await pilot.press("enter")
        await pilot.pause()
        screen = assert_screen_is_safe(app)
        assert "because [/]" in screen and "[link=https://example.org]l[/link]" in screen
        assert app.is_running
