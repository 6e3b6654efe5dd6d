"""LessonApp: the lesson player — a step's prose and exercises beside a live explorer.

The player is a :class:`LessonPanel` and an :class:`ExplorerView` side by side,
not a kind of explorer app.  Each step sets the view up from its ``adx-explore``
block (:func:`session_for_exploration`, then the step's pane and swell family);
answers are checked by the engines (adexplorer.lessons.answers); progress is
remembered between runs (adexplorer.lessons.progress).
"""

from __future__ import annotations

from collections.abc import Iterable

from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer

from adexplorer.base.errors import AdxError
from adexplorer.base.text import visible
from adexplorer.explorer.session import Session
from adexplorer.lang.lower import parse_at
from adexplorer.lessons import answers
from adexplorer.lessons.model import Explore, Lesson
from adexplorer.lessons.progress import Progress
from adexplorer.tui.app import APP_BINDINGS
from adexplorer.tui.bugs import BUG, NoTraceback, bug_message, report_bug, run_app
from adexplorer.tui.explorer_view import FOOTER_CSS, ExplorerView
from adexplorer.tui.keys import KeyGroup, bindings_of, palette_commands
from adexplorer.tui.messages import AnswerSubmitted
from adexplorer.tui.screens.help import HelpScreen
from adexplorer.tui.widgets.lesson_panel import LessonPanel

LESSON_BINDINGS = [
    Binding("n", "lesson_step(1)", "Next step", tooltip="the lesson's next step"),
    Binding("p", "lesson_step(-1)", "Prev step", tooltip="the lesson's previous step"),
    Binding("t", "hint", "Hint", tooltip="show a hint for the first unsolved exercise"),
    Binding("a", "answer", "Answer", show=False, tooltip="type an answer to the next exercise"),
]


def session_for_exploration(explore: Explore) -> Session:
    """The explorer as a lesson step sets it up: its program at its point, mode, seed,
    learning rate, and the steps already run.  Raises AdxError if the program does not run."""
    values = (
        {k: v for k, (v, _) in parse_at(explore.at, "at").items()} if explore.at.strip() else {}
    )
    session = Session.start(explore.program, values)
    if session.error is not None:
        raise session.error
    session.eta = explore.eta
    session.set_mode(explore.mode)
    if explore.seed:
        session.set_seed(explore.seed, switch_mode=False)
    if explore.step == "end":
        session.to_end()
    else:
        session.step(int(explore.step))
    return session


def _anywhere(bindings: Iterable[object]) -> list[Binding]:
    """The explorer's keys again at the app, run on the view, so that they also work
    while the focus is in the lesson panel (unless a widget there takes the key)."""
    return [
        Binding(
            b.key,
            f"explorer({b.action!r})",
            b.description,
            show=b.show,
            key_display=b.key_display,
            tooltip=b.tooltip,
            group=b.group,
        )
        for b in bindings
        if isinstance(b, Binding)
    ]


class LessonApp(NoTraceback):
    """A lesson beside the explorer."""

    TITLE = "AD Explorer"
    # The forwarded explorer keys come first so that the footer keeps the explorer's
    # keys before help, quit and the lesson's, wherever the focus is.
    BINDINGS = [*_anywhere(ExplorerView.BINDINGS), *APP_BINDINGS, *LESSON_BINDINGS]
    # Under 100 columns the lesson goes above the explorer.
    HORIZONTAL_BREAKPOINTS = [(0, "lesson-narrow"), (100, "lesson-wide")]

    CSS = (
        FOOTER_CSS
        + """
    #lesson-layout { height: 1fr; }
    #lesson-layout > LessonPanel { width: 40%; }
    #lesson-layout > ExplorerView { width: 1fr; }
    Screen.lesson-narrow #lesson-layout { layout: vertical; }
    Screen.lesson-narrow #lesson-layout > LessonPanel { width: 100%; height: 40%; }
    /* Under 100 columns the lesson shows the program; the editor row makes room. */
    Screen.lesson-narrow #top { display: none; }
    """
    )

    def __init__(self, lesson: Lesson, progress: Progress | None = None) -> None:
        super().__init__()
        self.lesson = lesson
        self.progress = progress or Progress.load()
        saved = self.progress.lessons.get(lesson.id, {}).get("step", 0)
        self.step_index = min(int(saved), len(lesson.steps) - 1)

    def compose(self) -> ComposeResult:
        with Horizontal(id="lesson-layout"):
            yield LessonPanel(self.lesson, id="lesson")
            yield ExplorerView(Session.start("x", {"x": 1.0}), id="explorer")
        yield Footer()

    @property
    def view(self) -> ExplorerView:
        return self.query_one(ExplorerView)

    @property
    def session(self) -> Session:
        return self.view.session

    def on_mount(self) -> None:
        if self.progress.problem:
            self.notify(
                visible(self.progress.problem), severity="warning", timeout=10, markup=False
            )
        self.show_lesson_step()

    def show_lesson_step(self) -> None:
        try:
            self._show_lesson_step()
        except Exception as error:
            report_bug(self, error)

    def _show_lesson_step(self) -> None:
        explore = self.lesson.explore_for(self.step_index)
        if explore is not None:
            try:
                session = session_for_exploration(explore)
            except AdxError as error:
                self.notify(
                    visible(f"this step's program does not run: {error.message}"),
                    severity="error",
                    markup=False,
                )
            else:
                view = self.view
                view.set_family(explore.family)
                view.load(session)
                view.show_pane(explore.pane)
        self.query_one(LessonPanel).show_step(self.step_index, self.progress.solved(self.lesson.id))
        self.progress.set_step(self.lesson.id, self.step_index)

    # -- keys -------------------------------------------------------------------

    def keys(self) -> list[KeyGroup]:
        return [(self.view, ExplorerView.BINDINGS), (self, [*APP_BINDINGS, *LESSON_BINDINGS])]

    def action_help(self) -> None:
        self.push_screen(HelpScreen(bindings_of(self.keys())))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from palette_commands(self, self.keys())

    async def action_explorer(self, action: str) -> None:
        """An explorer key pressed while the focus is outside the explorer."""
        await self.run_action(action, self.view)

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
        box = self.query_one(LessonPanel).box(exercise.id)
        try:
            feedback = answers.check(exercise, explore, message.text)
        except Exception as error:  # the grader's bug: the answer is not marked either way
            report_bug(self, error)
            if box is not None:
                box.show_feedback(
                    False,
                    f"this answer could not be checked ({BUG}: {bug_message(error)}); "
                    "try writing it another way",
                )
            return
        if box is not None:
            box.show_feedback(feedback.correct, feedback.message)
        if message.text.strip():  # Enter on an empty box is not an attempt
            self.progress.record(self.lesson.id, exercise.id, feedback.correct)


def run_lesson(lesson: Lesson) -> None:
    run_app(LessonApp(lesson))
