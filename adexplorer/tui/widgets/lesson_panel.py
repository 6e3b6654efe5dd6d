"""LessonPanel: a step's prose and its exercises, with answer boxes, feedback, hints and reveal.

The panel knows which exercise the student is on (the one focused last, else the
first still open): the lesson's keys (``a`` answer, ``t`` hint, ``v`` reveal) act on it.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import events
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Input, Markdown, Static
from textual.widgets.markdown import MarkdownFence

from adexplorer.base.text import visible
from adexplorer.lessons.kinds import placeholder as kind_placeholder
from adexplorer.lessons.model import Exercise, Lesson
from adexplorer.tui.messages import AnswerSubmitted
from adexplorer.tui.text import PlainInput, plain


def focus_now(widget: Widget, *, scroll_visible: bool = True) -> None:
    """Focus ``widget`` at once.  ``Widget.focus`` waits for the next turn of the event
    loop, so a key typed right after ``a`` would still go to the old focus."""
    widget.screen.set_focus(widget, scroll_visible=scroll_visible)


#: The key that reveals an exercise's answer (r is the explorer's reverse mode).
REVEAL_KEY = "v"
#: The lesson's keys, under the panel (the footer shows them too).
SUBTITLE = f"a answer · t hint · {REVEAL_KEY} reveal · n/p step"


class PlainFence(MarkdownFence):
    """A lesson's code block: highlighted if it names its language, else shown as text.

    Textual guesses the language of an unnamed block by trying every Pygments
    lexer, which took half a second each time a step with one was shown."""

    @classmethod
    def highlight(cls, code: str, language: str, ansi: bool = False, dark: bool = False) -> Content:
        return super().highlight(code, language or "text", ansi=ansi, dark=dark)


class LessonMarkdown(Markdown):
    BLOCKS = {**Markdown.BLOCKS, "fence": PlainFence, "code_block": PlainFence}


class AnswerInput(PlainInput):
    """An exercise's answer box: Enter checks what is typed, Esc leaves the box."""

    BINDINGS = [
        Binding("enter", "submit", "Check answer", tooltip="check the answer typed in the box"),
        Binding("escape", "leave", "Leave box", tooltip="leave the answer box"),
    ]

    def action_leave(self) -> None:
        box = next((a for a in self.ancestors if isinstance(a, ExerciseBox)), None)
        if box is not None:
            focus_now(box)


#: An exercise's state: open (to be answered), solved, or revealed (its answer shown).
OPEN, SOLVED, REVEALED = "open", "solved", "revealed"


class ExerciseBox(Vertical, can_focus=True):
    """One exercise: its question, how precisely to answer, the answer box, the feedback,
    the hints shown so far, and what the student can do next (a hint, then reveal).

    The box itself takes the focus (Tab goes question → answer box → next exercise);
    Enter on it goes into the answer box.
    """

    BINDINGS = [
        Binding("enter", "enter_answer", "Answer", show=False, tooltip="type the answer"),
    ]

    DEFAULT_CSS = """
    ExerciseBox { height: auto; border: round $secondary 60%; padding: 0 1; margin: 1 0 0 0; }
    ExerciseBox.-current { border: round $accent; }
    ExerciseBox:focus { border: double $accent; background: $boost; }
    ExerciseBox.-solved { border: round $success; }
    ExerciseBox.-revealed { border: round $warning; }
    ExerciseBox.-solved:focus, ExerciseBox.-revealed:focus { border: double $accent; }
    ExerciseBox > .question { text-style: bold; }
    ExerciseBox > .note { color: $text-muted; }
    ExerciseBox > Input { height: 3; }
    ExerciseBox > .feedback { height: auto; }
    ExerciseBox > .retry { height: auto; color: $text-muted; }
    ExerciseBox > .hints { height: auto; color: $text-muted; }
    ExerciseBox > .offer { height: auto; color: $accent; text-style: italic; }
    """

    def __init__(
        self,
        exercise: Exercise,
        status: str = OPEN,
        *,
        note: str = "",
        wrong: int = 0,
        reveal_after: int = 3,
    ) -> None:
        super().__init__()
        self.exercise = exercise
        self.status = status
        self.note = note
        self.wrong = wrong  # wrong attempts so far (the reveal is offered after reveal_after)
        self.reveal_after = reveal_after
        self.hints_shown = 0
        self._show_status()

    def compose(self) -> ComposeResult:
        yield Static(plain(self.exercise.question), classes="question")
        for letter, choice in zip("abcdefghij", self.exercise.choices, strict=False):
            yield Static(plain(f"  {letter}) {choice}"))
        if self.note:
            yield Static(plain(f"({self.note})"), classes="note")
        placeholder = kind_placeholder(self.exercise) or {
            "number": "a number: 0.5, 1/2, log(2)",
            "order": "an order of magnitude, e.g. 1e-8",
            "formula": "an expression in the inputs",
            "choice": "a letter",
        }.get(self.exercise.kind, "your answer")
        yield AnswerInput(placeholder=placeholder, id=f"answer-{self.exercise.id}")
        for line in ("feedback", "retry", "hints", "offer"):  # shown once they say something
            yield Static("", classes=line).set_styles("display: none;")

    def on_mount(self) -> None:
        self._show_offer()

    @property
    def input(self) -> AnswerInput:
        return self.query_one(AnswerInput)

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def can_reveal(self) -> bool:
        """Open, and wrong often enough that the answer may be shown."""
        return self.is_open and self.wrong >= self.reveal_after

    def action_enter_answer(self) -> None:
        focus_now(self.input)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(AnswerSubmitted(self.exercise.id, event.value))

    def _say(self, line: str, text: Text) -> None:
        """Put ``text`` on one of the box's lines (feedback, retry, hints, offer); an empty
        line takes no room."""
        static = self.query_one(line, Static)
        static.update(text)
        static.display = bool(text.plain)

    def _show_status(self) -> None:
        self.set_class(self.status == SOLVED, "-solved")
        self.set_class(self.status == REVEALED, "-revealed")
        mark = {OPEN: "", SOLVED: "✓ ", REVEALED: "◐ "}[self.status]
        after = " — answer revealed" if self.status == REVEALED else ""
        self.border_title = plain(f"{mark}exercise {self.exercise.id}{after}")

    def show_feedback(self, correct: bool, message: str, *, attempt: bool = True) -> None:
        """The grader's verdict on an answer to an open exercise (a wrong attempt counts
        towards the reveal; a response that was not judged does not)."""
        if not attempt:
            self._say(".feedback", plain("… " + message, style="bold"))
            return
        mark = "✓ " if correct else "✗ "
        style = "bold green" if correct else "bold red"
        text = plain(mark + message, style=style)
        if correct and self.exercise.explain:
            text.append("\n" + visible(self.exercise.explain), style="italic")
        self._say(".feedback", text)
        if correct:
            self.status = SOLVED
            self._show_status()
        else:
            self.wrong += 1
        self._show_offer()
        # the verdict and what comes next, in view even when the box ends below the fold
        self.call_after_refresh(self.scroll_visible, animate=False)

    def show_retry(self, correct: bool, message: str) -> None:
        """An answer typed into a box already solved or revealed: said on its own line,
        under the ✓ (or the revealed answer), which stays."""
        mark = "✓ " if correct else "✗ "
        self._say(".retry", plain(f"another try: {mark}{message}"))

    def reveal(self, answer: str) -> None:
        """Show the answer and the explanation; the exercise is done, not solved."""
        self.status = REVEALED
        self._show_status()
        text = plain(f"◐ the answer: {answer}", style="bold yellow")
        if self.exercise.explain:
            text.append("\n" + visible(self.exercise.explain), style="italic")
        self._say(".feedback", text)
        self._show_offer()

    def show_hint(self) -> bool:
        """Reveal the next hint; False if there are none left."""
        if self.hints_shown >= len(self.exercise.hints):
            return False
        self.hints_shown += 1
        lines = [
            f"hint {k + 1}: {h}" for k, h in enumerate(self.exercise.hints[: self.hints_shown])
        ]
        self._say(".hints", plain("\n".join(lines)))
        self._show_offer()
        return True

    def _show_offer(self) -> None:
        """What the student can do next, once an answer was wrong: the next hint, then reveal."""
        offers = []
        if self.is_open and self.wrong:
            left = len(self.exercise.hints) - self.hints_shown
            if left:
                offers.append(f"t: hint {self.hints_shown + 1} of {len(self.exercise.hints)}")
            if self.can_reveal:
                offers.append(
                    f"{REVEAL_KEY}: reveal the answer (it counts as revealed, not solved)"
                )
            elif self.reveal_after - self.wrong > 0:
                tries = self.reveal_after - self.wrong
                offers.append(
                    f"{REVEAL_KEY} reveals the answer after {tries} more wrong tr"
                    + ("y" if tries == 1 else "ies")
                )
        self._say(".offer", plain(" · ".join(offers)))


class LessonPanel(VerticalScroll):
    """The lesson's current step: title, prose (Markdown), then its exercises."""

    BINDINGS = [
        Binding("enter", "answer", "Answer", show=False, tooltip="type the answer"),
    ]

    DEFAULT_CSS = """
    LessonPanel { border: round $accent; border-title-color: $accent; padding: 0 1; }
    LessonPanel > Markdown { margin: 0; padding: 0; }
    """

    def __init__(self, lesson: Lesson, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lesson = lesson
        self.current_id: str | None = None  # the exercise focused last on this step
        self._index = 0  # the step shown

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        # A lesson's links are shown, never followed by adx: the student decides.
        event.stop()
        self.notify(visible(f"link: {event.href}"), title="not opened", markup=False, timeout=8)

    def show_step(self, index: int, boxes: Sequence[ExerciseBox]) -> None:
        """Show step ``index``: its prose, then ``boxes`` (its exercises, in order)."""
        step = self.lesson.steps[index]
        self._index = index
        self._set_title()
        self.border_subtitle = SUBTITLE if boxes else "n next · p previous"
        self.remove_children()
        self.current_id = None
        prose = f"## {step.title}\n\n{step.prose}"
        if index == 0 and self.lesson.intro:
            prose = self.lesson.intro + "\n\n" + prose
        self.mount_all([LessonMarkdown(visible(prose), open_links=False), *boxes])
        self.scroll_home(animate=False)
        self._mark_current()

    def _set_title(self) -> None:
        """The lesson's title and the step number; a long title is shortened (…) so that
        the step number always shows within the border."""
        step = f" — step {self._index + 1}/{len(self.lesson.steps)}"
        room = self.size.width - 6  # the corners and a space each side
        title = self.lesson.title
        if room > 0 and len(title) + len(step) > room:
            keep = max(room - len(step) - 1, 0)
            title = title[:keep].rstrip() + "…" if keep else ""
        self.border_title = plain(title + step)

    def on_resize(self) -> None:
        self._set_title()

    @property
    def boxes(self) -> list[ExerciseBox]:
        return list(self.query(ExerciseBox))

    def box(self, exercise_id: str) -> ExerciseBox | None:
        for box in self.query(ExerciseBox):
            if box.exercise.id == exercise_id:
                return box
        return None

    def first_open(self) -> ExerciseBox | None:
        return next((box for box in self.boxes if box.is_open), None)

    def current(self) -> ExerciseBox | None:
        """The exercise the student is on: the one focused last on this step, else the
        first still open, else the first."""
        chosen = self.box(self.current_id) if self.current_id else None
        boxes = self.boxes
        return chosen or self.first_open() or (boxes[0] if boxes else None)

    def next_open(self, after: ExerciseBox) -> ExerciseBox | None:
        """The next exercise still open after ``after`` (wrapping round), or None."""
        boxes = self.boxes
        k = boxes.index(after) if after in boxes else -1
        return next((b for b in boxes[k + 1 :] + boxes[: k + 1] if b.is_open), None)

    # Home and End belong to the explorer (the trace's start and end: lesson 1 says
    # "press end"); the lesson scrolls with ↑ ↓ PgUp PgDn and the mouse.
    def action_scroll_home(self) -> None:
        raise SkipAction()

    def action_scroll_end(self) -> None:
        raise SkipAction()

    def action_answer(self) -> None:
        """Enter on the panel: into the answer box of the exercise the student is on."""
        box = self.current()
        if box is not None:
            focus_now(box.input)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        widget = event.widget
        box = widget if isinstance(widget, ExerciseBox) else None
        box = box or next((a for a in widget.ancestors if isinstance(a, ExerciseBox)), None)
        if box is not None:
            self.current_id = box.exercise.id
            self._mark_current()

    def _mark_current(self) -> None:
        current = self.current()
        for box in self.boxes:
            box.set_class(box is current, "-current")
