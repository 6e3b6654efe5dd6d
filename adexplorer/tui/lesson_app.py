"""LessonApp: the lesson player — a step's prose and exercises beside a live explorer.

Each step sets the explorer up from its ``adx-explore`` block; answers are
checked by the engines (adexplorer.lessons.answers); progress is remembered
between runs (adexplorer.lessons.progress).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, TabbedContent, TextArea

from adexplorer.base.errors import AdxError
from adexplorer.explorer.session import Session
from adexplorer.lessons import answers
from adexplorer.lessons.model import Lesson
from adexplorer.lessons.progress import Progress
from adexplorer.tui.app import NARROW, ExplorerApp
from adexplorer.tui.widgets.editor import SourceEditor
from adexplorer.tui.widgets.lesson_panel import AnswerSubmitted, LessonPanel


class LessonApp(ExplorerApp):
    """The explorer with a lesson beside it."""

    BINDINGS = [
        Binding("n", "lesson_step(1)", "Next step", tooltip="the lesson's next step"),
        Binding("p", "lesson_step(-1)", "Prev step", tooltip="the lesson's previous step"),
        Binding("t", "hint", "Hint", tooltip="show a hint for the first unsolved exercise"),
        Binding("a", "answer", "Answer", show=False, tooltip="type an answer to the next exercise"),
    ]

    CSS = """
    #lesson-layout { height: 1fr; }
    #lesson-layout > LessonPanel { width: 45%; }
    #explorer-side { width: 1fr; }
    Screen.lesson-narrow #lesson-layout { layout: vertical; }
    Screen.lesson-narrow #lesson-layout > LessonPanel { width: 100%; height: 40%; }
    /* Under 100 columns the lesson shows the program; the editor row makes room. */
    Screen.lesson-narrow #top { display: none; }
    """

    def __init__(self, lesson: Lesson, progress: Progress | None = None) -> None:
        super().__init__(Session.start("x", {"x": 1.0}))
        self.lesson = lesson
        self.progress = progress or Progress.load()
        saved = self.progress.lessons.get(lesson.id, {}).get("step", 0)
        self.step_index = min(int(saved), len(lesson.steps) - 1)

    def compose(self) -> ComposeResult:
        with Horizontal(id="lesson-layout"):
            yield LessonPanel(self.lesson, id="lesson")
            with Vertical(id="explorer-side"):
                yield from self.compose_explorer()
        yield Footer()

    def _apply_width(self, width: int) -> None:
        # The explorer gets a little over half the screen beside the lesson, so it
        # uses its stacked layout; below 100 columns the lesson goes on top.
        self.screen.set_class(width < 100, "lesson-narrow")
        self.screen.set_class(width < 100 or width * 55 // 100 < NARROW, "narrow")

    def on_mount(self) -> None:
        super().on_mount()
        if self.progress.problem:
            self.notify(self.progress.problem, severity="warning", timeout=10)
        self.show_lesson_step()

    def show_lesson_step(self) -> None:
        explore = self.lesson.explore_for(self.step_index)
        if explore is not None:
            try:
                session = answers.session_for(explore)
            except AdxError as error:
                self.notify(f"this step's program does not run: {error.message}", severity="error")
            else:
                if explore.step == "end":
                    session.to_end()
                else:
                    session.step(int(explore.step))
                self.session = session
                self.query_one(SourceEditor).query_one("#source", TextArea).text = session.source
                self.query_one(TabbedContent).active = explore.pane
        self.query_one(LessonPanel).show_step(self.step_index, self.progress.solved(self.lesson.id))
        self.progress.set_step(self.lesson.id, self.step_index)
        self.refresh_views()

    def action_lesson_step(self, delta: int) -> None:
        target = max(0, min(len(self.lesson.steps) - 1, self.step_index + delta))
        if target != self.step_index:
            self.step_index = target
            self.show_lesson_step()
        elif delta > 0:
            self.notify("that was the last step of this lesson")

    def action_hint(self) -> None:
        box = self.query_one(LessonPanel).first_unsolved()
        if box is None:
            self.notify("every exercise of this step is solved")
        elif not box.show_hint():
            self.notify("no more hints for this exercise")

    def action_answer(self) -> None:
        box = self.query_one(LessonPanel).first_unsolved()
        if box is not None:
            box.query_one("Input").focus()

    @on(AnswerSubmitted)
    def _answer(self, message: AnswerSubmitted) -> None:
        step = self.lesson.steps[self.step_index]
        exercise = next(ex for ex in step.exercises if ex.id == message.exercise_id)
        explore = self.lesson.explore_for(self.step_index)
        feedback = answers.check(exercise, explore, message.text)
        box = self.query_one(LessonPanel).box(exercise.id)
        if box is not None:
            box.show_feedback(feedback.correct, feedback.message)
        if message.text.strip():  # Enter on an empty box is not an attempt
            self.progress.record(self.lesson.id, exercise.id, feedback.correct)


def run_lesson(lesson: Lesson) -> None:
    LessonApp(lesson).run()
