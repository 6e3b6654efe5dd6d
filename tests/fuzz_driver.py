"""Random sessions with the explorer and the lesson player, driven through Pilot.

A case is a seed: the seed picks the app (the explorer, or a built-in lesson at
one of its steps), a starting program, and a list of actions (keys, typing and
deleting in the editor, pasting, values, seeds, families, answers, resizes,
pauses).  :func:`run_case` plays the actions through ``App.run_test()`` and after
each one checks that no exception escaped and that the screen is consistent
with the session (see :func:`check_consistent`).  A failure is a
:class:`CaseFailed` that names the seed and every action played, so it can be
replayed: ``python tools/fuzz_tui.py --seed N``.

Used by ``tests/test_tui_fuzz.py`` (a bounded run in the suite) and
``tools/fuzz_tui.py`` (a longer run).
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App
from textual.keys import _character_to_key
from textual.pilot import Pilot
from textual.widgets import Input, TabbedContent, TextArea

from adexplorer.explorer.session import Session
from adexplorer.lessons.catalog import builtin
from adexplorer.lessons.progress import Progress
from adexplorer.tui.app import ExplorerApp
from adexplorer.tui.explorer_view import ExplorerView
from adexplorer.tui.lesson_app import LessonApp
from adexplorer.tui.screens.help import HelpScreen
from adexplorer.tui.screens.seed_screen import SeedScreen
from adexplorer.tui.widgets.editor import SourceEditor
from adexplorer.tui.widgets.formula_bar import FormulaBar
from adexplorer.tui.widgets.trace_table import TraceTable
from tests.tui_helpers import NeverSettled, settle

SIZES = [(80, 24), (120, 40), (60, 20), (200, 50)]

#: Programs to start from or type: valid, invalid, vectors, constants only, big.
PROGRAMS = [
    "ln(x1) + x1*x2 - sin(x2)",
    "x*x",
    "1+2",
    "3",
    "sum(x)",
    "x: vec[3] = [1, 2, 3]\nreturn sum(x*x)",
    "x: vec[3]\nreturn sum(sin(x))",
    "W: mat[2,2] = [[1,2],[3,4]]\nv: vec[2] = [0.5,-1]\nreturn sum(sigmoid(W @ v))",
    "x^4",
    "exp(exp(exp(x)))",
    "sqrt(x) + y",
    "1/x",
    "log(x - 5)",
    "(x - 3)^2 + 10*(y + 1)^2",
    "x: real = 1\ny: real = 2\na = x*y\nb = sin(x)\nreturn a, b",
    "x*y*z + sin(x*z)",
    "4*x*(1 - x)",
    "ln(x1) + x1*",
    "sin(",
    ")",
    "x +* y",
    "return",
    "x: vec[0]\nreturn sum(x)",
    "a = x\nreturn a",
    "relu(x) + abs(y)",
    "x ^ 1e308",
    "tan(x) * 1e300",
    # control flow: branches (one on its boundary), loops (one long), a return in a loop
    "x: real = -1.5\nif x > 0:\n    y = x + 1\nelif x == 0:\n    y = 1\nelse:\n"
    "    y = 1 - x\nreturn y",
    "x: real = 0\nif x >= 0: y = x*x\nelse: y = -x\nreturn y",
    "x: real = 0.5\ns = 1\nfor i in range(100):\n    s = s*x + sin(s)\nreturn s",
    "x: real = 0.9\ns = 0\nfor i in range(6):\n    if s > 1:\n        s = s - x\n"
    "    else:\n        s = s + x*i\nreturn s",
    "x: real = 2\ny: real = 1\nfor i in range(3):\n    for j in range(2):\n"
    "        x = x*y + j\n    if x > 10:\n        return x\nreturn x + y",
    "x: real\nfor i in range(3):\n    x = x +",
    "x: real\nif x > 0:\ny = x",
]

#: Text typed into the editor a few characters at a time.
FRAGMENTS = [
    "x",
    "y",
    "1",
    "0",
    "+",
    "-",
    "*",
    "/",
    "^",
    "(",
    ")",
    "[",
    "]",
    ",",
    " ",
    "sin(",
    "ln(",
    "exp(",
    "sum(",
    "@",
    "1e999",
    "nan",
    "inf",
    "pi",
    "\n",
    "return ",
    ": real",
    ": vec[2]",
    "=",
    "x1",
    "x2",
    "if x > 0:\n    y = x\nelse:\n    y = -x\n",
    "for i in range(3):\n    x = x*x\n",
    "    ",
    ":",
    "#",
    "é",
    "∂",
    "1e-320",
    "9" * 40,
]

#: Values, seeds, families and answers typed into fields.
FIELD_TEXTS = [
    "2",
    "-1",
    "0",
    "1e200",
    "1e999",
    "-1e999",
    "nan",
    "inf",
    "[1,2]",
    "[[1,2],[3,4]]",
    "pi/4",
    "2 +",
    "",
    "x",
    "1/0",
    "0/0",
    "1e-320",
    "x1=1,x2=0.5",
    "x=1",
    "x2",
    "y",
    "4*#*(1-#)",
    "sin(#)*cos(#)",
    "#",
    "#*#*#*#*#",
    "exp(#)",
    "(",
    "a" * 300,
    "[1,2,3]",
    "1e308*10",
    "-0",
    "3e-308",
]

FIELDS = ("value", "seed", "family", "answer")

#: Keys an explorer user presses (q is left out: it quits).
EXPLORER_KEYS = [
    "right",
    "right",
    "right",
    "left",
    "home",
    "end",
    "space",
    "left_square_bracket",
    "right_square_bracket",
    "f",
    "r",
    "d",
    "s",
    "plus",
    "minus",
    "i",
    "1",
    "2",
    "3",
    "4",
    "5",
    "g",
    "g",
    "less_than_sign",
    "greater_than_sign",
    "greater_than_sign",
    "e",
    "escape",
    "x",
    "c",
    "question_mark",
    "7",
    "z",
    "Z",
    "k",
    "ctrl+z",
    "ctrl+y",
    "0",
    "R",
    "tab",
    "enter",
    "backspace",
    "up",
    "down",
    "pagedown",
    "shift+right",
    "ctrl+c",
    "f1",
    # issue 15: second-order mode (H again: the Hessian ↔ H·u), the seed dialog, vector mode
    "H",
    "H",
    "u",
    "V",
]
#: What the seed dialog (u) is given: directions, input and output names, bad seeds.
DIALOG_TEXTS = ["x1=1,x2=0.5", "x2", "", "f=1", "f1=1,f2=-2", "x=1", "y", "x1=1,x3=2", "(", "1/0"]
LESSON_KEYS = ["n", "p", "t", "a"]
#: Keys pressed inside the editor.
EDITOR_KEYS = [
    "backspace",
    "backspace",
    "delete",
    "left",
    "right",
    "home",
    "end",
    "enter",
    "ctrl+z",
    "ctrl+y",
    "ctrl+w",
    "up",
    "down",
    "ctrl+k",
    "shift+left",
]


@dataclass
class Case:
    seed: int
    lesson: str | None  # a built-in lesson's id, or None for the explorer
    step: int
    program: str
    size: tuple[int, int]
    actions: list[tuple[Any, ...]] = field(default_factory=list)

    def describe(self, done: int | None = None) -> str:
        lines = [
            f"seed {self.seed}: {'lesson ' + self.lesson if self.lesson else 'explorer'}"
            f" step {self.step}, program {self.program!r}, size {self.size}",
        ]
        for k, action in enumerate(self.actions):
            mark = " <-- here" if done is not None and k == done else ""
            lines.append(f"  {k:3d} {action!r}{mark}")
        return "\n".join(lines)


class CaseFailed(AssertionError):
    pass


def make_case(seed: int, n_actions: int | None = None) -> Case:
    """The case of ``seed``: an app, a program, a terminal size and 30 to 60 actions
    (or ``n_actions``).  The same seed always gives the same case."""
    rng = random.Random(seed)
    lessons = [lesson.id for lesson in builtin()]
    lesson = rng.choice(lessons) if rng.random() < 0.35 else None
    case = Case(
        seed=seed,
        lesson=lesson,
        step=rng.randrange(3),
        program=rng.choice(PROGRAMS),
        size=rng.choice(SIZES),
    )
    n = n_actions if n_actions is not None else rng.randint(30, 60)
    keys = EXPLORER_KEYS + (LESSON_KEYS * 2 if lesson else [])
    makers: list[tuple[float, Any]] = [
        (38, lambda: ("key", rng.choice(keys))),
        (12, lambda: ("type", "".join(rng.choices(FRAGMENTS, k=rng.randint(1, 3))))),
        (7, lambda: ("edit_key", rng.choice(EDITOR_KEYS))),
        (5, lambda: ("replace", rng.choice(PROGRAMS))),
        (2, lambda: ("paste", "+".join([rng.choice(PROGRAMS[:3])] * rng.choice((50, 400))))),
        (6, lambda: ("field", rng.choice(FIELDS), rng.choice(FIELD_TEXTS))),
        (4, lambda: ("resize", rng.choice(SIZES))),
        (8, lambda: ("settle",)),
        (6, lambda: ("pause", rng.choice((0.05, 0.1, 0.3)))),
        (8, lambda: ("keys", tuple(rng.choices(keys, k=rng.randint(2, 4))))),
        (4, lambda: ("dialog", rng.choice(DIALOG_TEXTS), rng.random() < 0.5)),
    ]
    weights = [w for w, _ in makers]
    for _ in range(n):
        (maker,) = rng.choices([m for _, m in makers], weights=weights)
        case.actions.append(maker())
    case.actions.append(("settle",))
    return case


def make_app(case: Case, tmp: Path) -> App[None]:
    if case.lesson is None:
        return ExplorerApp(Session.start(case.program, {}), export_dir=tmp)
    lesson = next(lesson for lesson in builtin() if lesson.id == case.lesson)
    progress = Progress(tmp / "progress.json")
    progress.set_step(lesson.id, min(case.step, len(lesson.steps) - 1))
    return LessonApp(lesson, progress)


def view_of(app: App[None]) -> ExplorerView:
    return app.query_one(ExplorerView)


class Model:
    """What the editor must hold: the text as last typed (None after undo: unknown)."""

    def __init__(self) -> None:
        self.text: str | None = None


async def focus_editor(pilot: Pilot[None]) -> TextArea | None:
    app = pilot.app
    if isinstance(app.screen, HelpScreen) or app.screen is not app.screen_stack[0]:
        await pilot.press("escape")
    area = app.query_one("#source", TextArea)
    if not area.display or not area.is_on_screen:
        return None
    if app.focused is area:
        return area
    area.focus()
    await pilot.pause()
    return area if app.focused is area else None


async def play(pilot: Pilot[None], action: tuple[Any, ...], model: Model) -> None:
    app = pilot.app
    before_session = view_of(app).session
    kind = action[0]
    if kind in ("key", "keys"):
        for key in action[1:] if kind == "key" else action[1]:
            if isinstance(app.focused, TextArea):
                model.text = None  # typed into the editor: not followed
            await pilot.press(key)
    elif kind == "type":
        area = await focus_editor(pilot)
        if area is not None:
            area.move_cursor(area.document.end)
            before = area.text
            typed = await type_text(pilot, area, action[1])
            model.text = before + action[1] if typed else None
    elif kind == "edit_key":
        area = await focus_editor(pilot)
        if area is not None:
            await pilot.press(action[1])
            model.text = None
    elif kind == "replace":
        area = await focus_editor(pilot)
        if area is not None:
            await pilot.press("f7")  # select all
            area.replace(action[1], *area.selection)  # as a paste over the selection would
            await pilot.pause()
            model.text = action[1]
    elif kind == "paste":
        area = await focus_editor(pilot)
        if area is not None:
            area.move_cursor(area.document.end)
            before = area.text
            app.post_message(events.Paste(action[1]))
            await pilot.pause()
            model.text = before + action[1]
    elif kind == "field":
        await fill_field(pilot, action[1], action[2])
        model.text = None if action[1] == "answer" else model.text
    elif kind == "dialog":
        await seed_dialog(pilot, action[1], fast=action[2])
    elif kind == "resize":
        await pilot.resize_terminal(*action[1])
    elif kind == "settle":
        await settle(pilot)
    elif kind == "pause":
        await pilot.pause(action[1])
    if view_of(app).session is not before_session:  # a lesson step loaded its program
        model.text = app.query_one("#source", TextArea).text


async def type_text(pilot: Pilot[None], area: TextArea, text: str, keys: int = 4) -> bool:
    """Type the first ``keys`` characters key by key (a newline is Enter; a character no
    key makes is pasted), and paste the rest (typing is slow through Pilot).  False if the
    editor lost the focus on the way (a resize hid it): the rest went elsewhere."""
    for ch in text[:keys]:
        if pilot.app.focused is not area:
            return False
        if ch == "\n":
            # Enter indents after a line ending in ":" (the model would not follow);
            # Enter itself is among the EDITOR_KEYS
            pilot.app.post_message(events.Paste(ch))
            await pilot.pause()
        elif ch.isascii():
            await pilot.press(ch)
        else:
            pilot.app.post_message(events.Paste(ch))
            await pilot.pause()
    if text[keys:]:
        if pilot.app.focused is not area:
            return False
        pilot.app.post_message(events.Paste(text[keys:]))
        await pilot.pause()
    return True


async def seed_dialog(pilot: Pilot[None], text: str, *, fast: bool) -> None:
    """u, then ``text`` and Enter: key by key, or (``fast``) every key queued at once, as
    a fast typist's arrive, before the dialog is up.  Whatever the dialog does with it,
    if it is still open (a bad seed) its field ends with what was typed."""
    app = pilot.app
    if app.screen is not app.screen_stack[0] or isinstance(app.focused, (Input, TextArea)):
        return  # u would be typed into a field, not open the dialog
    keys = [(_character_to_key(ch), ch) for ch in text]
    if fast:
        for key, character in [("u", "u"), *keys]:
            app.post_message(events.Key(key, character))
        await pilot.pause()
    else:
        await pilot.press("u", *(key for key, _ in keys))
    screen = app.screen
    if not isinstance(screen, SeedScreen):
        return  # u did nothing here (no program yet)
    typed = screen.query_one("#seed-input", Input).value
    if not typed.endswith(text):
        raise AssertionError(f"the seed dialog holds {typed!r}, not the {text!r} typed")
    await pilot.press("enter")


async def fill_field(pilot: Pilot[None], which: str, text: str) -> None:
    app = pilot.app
    if app.screen is not app.screen_stack[0]:
        return
    field: Input | None = None
    if which == "value":
        fields = [f for f in app.query(Input) if (f.id or "").startswith("value-")]
        field = fields[0] if fields else None
    elif which == "seed":
        field = next(iter(app.query("#seed-field").results(Input)), None)
    elif which == "family":
        field = next(iter(app.query("#family").results(Input)), None)
    elif which == "answer":
        fields = [f for f in app.query(Input) if (f.id or "").startswith("answer-")]
        field = fields[0] if fields else None
    if field is None or not field.is_attached:
        return
    field.focus()
    field.value = text
    await pilot.press("enter")


def check_alive(app: App[None], case: Case, done: int) -> None:
    error = app._exception
    if error is not None:
        raise CaseFailed(
            f"an exception escaped: {type(error).__name__}: {error}\n{case.describe(done)}"
        ) from error
    if not app.is_running:
        raise CaseFailed(f"the app stopped (return code {app.return_code})\n{case.describe(done)}")


def check_consistent(app: App[None], case: Case, done: int, model: Model, settled: bool) -> None:
    """The screen says what the session says."""
    view = view_of(app)
    session = view.session

    def fail(why: str) -> None:
        raise CaseFailed(f"{why}\n{case.describe(done)}")

    if not 0 <= session.position <= len(session.frames):
        fail(f"position {session.position} outside 0..{len(session.frames)}")
    if session.trace is not None:
        if session.graph is not None and session.trace.graph is not session.graph:
            fail("the trace is not of the session's graph")
        table = app.query_one(TraceTable)
        shown, folded = table.step_rows()
        if not table.filling and shown + folded != len(session.trace.primal_steps):
            fail(f"trace table has {shown}+{folded} steps for {len(session.trace.primal_steps)}")
    area = app.query_one("#source", TextArea)
    if model.text is not None and area.text != model.text and area.text.isprintable():
        fail(f"the editor holds {area.text!r}, not what was typed: {model.text!r}")
    for note in app._notifications:
        if "bug in adx" in str(note.message):
            fail(f"a bug was reported: {note.message}")
    if settled:
        if app.focused is area and not app.query_one(SourceEditor).shown:
            fail("the editor has the focus while it is hidden: keys would change f unseen")
        if session.source != area.text:
            fail(f"the session compiled {session.source!r}, the editor holds {area.text!r}")
        editor = app.query_one(SourceEditor)
        if editor.has_class("-invalid") != (session.error is not None):
            fail("the editor's error line disagrees with the session")
        bar = app.query_one(FormulaBar)
        text = str(bar.content)
        step = f"step {session.position}/{len(session.frames)}"
        if session.trace is not None and step not in text:
            fail(f"the formula bar says {text[:60]!r} at step {session.position}")
        tabs = app.query_one(TabbedContent)
        if tabs.active not in ("trace", "fd", "swell", "cost", "descent", "program"):
            fail(f"no pane is active ({tabs.active!r})")


async def run_case(case: Case) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(case, Path(tmp))
        model = Model()
        done = -1
        try:
            async with app.run_test(size=case.size) as pilot:
                view_of(app).export_dir = Path(tmp)  # x saves there, not in the working dir
                await settle(pilot)
                model.text = app.query_one("#source", TextArea).text
                for done, action in enumerate(case.actions):
                    await play(pilot, action, model)
                    check_alive(app, case, done)
                    check_consistent(app, case, done, model, settled=action[0] == "settle")
        except CaseFailed:
            raise
        except NeverSettled as error:
            raise CaseFailed(f"{error}\n{case.describe(done)}") from error
        except Exception as error:
            raise CaseFailed(f"{type(error).__name__}: {error}\n{case.describe(done)}") from error
