"""LessonPanel: a step's prose and its exercises, with answer boxes, feedback and hints."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Input, Markdown, Static
from textual.widgets.markdown import MarkdownFence

from adexplorer.base.text import visible
from adexplorer.lessons.kinds import PLACEHOLDERS
from adexplorer.lessons.model import Exercise, Lesson
from adexplorer.tui.messages import AnswerSubmitted
from adexplorer.tui.text import PlainInput, plain


class PlainFence(MarkdownFence):
    """A lesson's code block: highlighted if it names its language, else shown as text.

    Textual guesses the language of an unnamed block by trying every Pygments
    lexer, which took half a second each time a step with one was shown."""

    @classmethod
    def highlight(cls, code: str, language: str, ansi: bool = False, dark: bool = False) -> Content:
        return super().highlight(code, language or "text", ansi=ansi, dark=dark)


class LessonMarkdown(Markdown):
    BLOCKS = {**Markdown.BLOCKS, "fence": PlainFence, "code_block": PlainFence}


class ExerciseBox(Vertical):
    DEFAULT_CSS = """
    ExerciseBox { height: auto; border: round $secondary 60%; padding: 0 1; margin: 1 0 0 0; }
    ExerciseBox.-solved { border: round $success; }
    ExerciseBox > .question { text-style: bold; }
    ExerciseBox > Input { height: 3; }
    ExerciseBox > .feedback { height: auto; }
    ExerciseBox > .hints { height: auto; color: $text-muted; }
    """

    def __init__(self, exercise: Exercise, solved: bool) -> None:
        super().__init__(classes="-solved" if solved else "")
        self.exercise = exercise
        self.hints_shown = 0
        self.border_title = plain(("✓ " if solved else "") + f"exercise {exercise.id}")

    def compose(self) -> ComposeResult:
        yield Static(plain(self.exercise.question), classes="question")
        for letter, choice in zip("abcdefghij", self.exercise.choices, strict=False):
            yield Static(plain(f"  {letter}) {choice}"))
        placeholder = {
            "number": "a number (1/2, log(2) … work too)",
            "order": "an order of magnitude, e.g. 1e-8",
            "formula": "an expression in the inputs",
            "choice": "a letter",
            **PLACEHOLDERS,
        }.get(self.exercise.kind, "your answer")
        yield PlainInput(placeholder=placeholder, id=f"answer-{self.exercise.id}")
        yield Static("", classes="feedback")
        yield Static("", classes="hints")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(AnswerSubmitted(self.exercise.id, event.value))

    def show_feedback(self, correct: bool, message: str) -> None:
        mark = "✓ " if correct else "✗ "
        style = "bold green" if correct else "bold red"
        text = plain(mark + message, style=style)
        if correct and self.exercise.explain:
            text.append("\n" + visible(self.exercise.explain), style="italic")
        self.query_one(".feedback", Static).update(text)
        if correct:
            self.add_class("-solved")
            self.border_title = plain(f"✓ exercise {self.exercise.id}")

    def show_hint(self) -> bool:
        """Reveal the next hint; False if there are none left."""
        if self.hints_shown >= len(self.exercise.hints):
            return False
        self.hints_shown += 1
        lines = [
            f"hint {k + 1}: {h}" for k, h in enumerate(self.exercise.hints[: self.hints_shown])
        ]
        self.query_one(".hints", Static).update(plain("\n".join(lines)))
        return True


class LessonPanel(VerticalScroll):
    """The lesson's current step: title, prose (Markdown), then its exercises."""

    DEFAULT_CSS = """
    LessonPanel { border: round $accent; border-title-color: $accent; padding: 0 1; }
    LessonPanel > Markdown { margin: 0; padding: 0; }
    """

    def __init__(self, lesson: Lesson, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lesson = lesson

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        # A lesson's links are shown, never followed by adx: the student decides.
        event.stop()
        self.notify(visible(f"link: {event.href}"), title="not opened", markup=False, timeout=8)

    def show_step(self, index: int, solved: set[str]) -> None:
        step = self.lesson.steps[index]
        self.border_title = plain(
            f"{self.lesson.title} — step {index + 1}/{len(self.lesson.steps)}"
        )
        self.border_subtitle = "n next · p previous · t hint · Enter answers"
        self.remove_children()
        prose = f"## {step.title}\n\n{step.prose}"
        if index == 0 and self.lesson.intro:
            prose = self.lesson.intro + "\n\n" + prose
        widgets = [LessonMarkdown(visible(prose), open_links=False)] + [
            ExerciseBox(ex, ex.id in solved) for ex in step.exercises
        ]
        self.mount_all(widgets)
        self.scroll_home(animate=False)

    def box(self, exercise_id: str) -> ExerciseBox | None:
        for box in self.query(ExerciseBox):
            if box.exercise.id == exercise_id:
                return box
        return None

    def first_unsolved(self) -> ExerciseBox | None:
        for box in self.query(ExerciseBox):
            if not box.has_class("-solved"):
                return box
        return None
