"""LessonApp: the lesson player — a step's prose and exercises beside a live explorer.

The player is a :class:`LessonPanel` and an :class:`ExplorerView` side by side,
not a kind of explorer app.  Each step sets the view up from its ``adx-explore``
block (:func:`session_for_exploration`, then the step's pane and swell family);
answers are checked by the engines (adexplorer.lessons.answers); progress is
remembered between runs (adexplorer.lessons.progress).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual import events, on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer

from adexplorer.base.errors import AdxError
from adexplorer.base.files import serve_dir
from adexplorer.base.text import visible
from adexplorer.core.checkpoint import parse_checkpoint
from adexplorer.explorer.session import Session
from adexplorer.lang.lower import lesson_values
from adexplorer.lessons import answers
from adexplorer.lessons.concealment import hidden_for_all
from adexplorer.lessons.model import Exercise, Explore, Lesson
from adexplorer.lessons.progress import Progress
from adexplorer.tui.app import APP_BINDINGS
from adexplorer.tui.bugs import BUG, NoTraceback, bug_message, report_bug, run_app
from adexplorer.tui.explorer_view import FOOTER_CSS, ExplorerView
from adexplorer.tui.keys import KeyGroup, bindings_of, palette_commands
from adexplorer.tui.messages import AnswerSubmitted
from adexplorer.tui.screens.help import HelpScreen
from adexplorer.tui.widgets.lesson_panel import (
    OPEN,
    REVEAL_KEY,
    REVEALED,
    SOLVED,
    AnswerInput,
    ExerciseBox,
    LessonPanel,
    focus_now,
)

LESSON_BINDINGS = [
    Binding("a", "answer", "Answer", tooltip="type the answer of the exercise you are on"),
    Binding("t", "hint", "Hint", tooltip="the next hint for the exercise you are on"),
    Binding(
        REVEAL_KEY,
        "reveal",
        "Reveal",
        tooltip=f"show the answer, after {answers.REVEAL_AFTER} wrong tries (counts as revealed)",
    ),
    # the same key before then: not in the footer, but it says when the reveal comes
    Binding(REVEAL_KEY, "reveal_not_yet", "Reveal", show=False),
    Binding("n", "lesson_step(1)", "Next", tooltip="the lesson's next step"),
    Binding("p", "lesson_step(-1)", "Prev", tooltip="the lesson's previous step"),
]


def session_for_exploration(explore: Explore) -> Session:
    """The explorer as a lesson step sets it up: its program at its point, mode, seed,
    learning rate, and the steps already run.  Raises AdxError if the program does not run."""
    values = lesson_values(explore.at, explore.folder, explore.program)
    session = Session.start(explore.program, values)
    if session.error is not None:
        raise session.error
    session.eta = explore.eta
    session.set_trained(explore.train)
    if explore.broken_rule:
        session.set_broken_rule(explore.broken_rule)
    set_exploration_mode(session, explore)
    if explore.checkpoint:
        session.set_checkpoint(parse_checkpoint(explore.checkpoint))
    if explore.step == "end":
        session.to_end()
    else:
        session.step(int(explore.step))
    return session


def set_exploration_mode(session: Session, explore: Explore) -> None:
    """The explorer's mode and seed for a step's ``mode:`` and ``seed:``: vector forward
    mode is forward mode with every direction at once; ``hvp`` and ``hessian`` are the
    explorer's second-order mode (H·u along the seed, by default the first input, or
    the whole Hessian); reverse mode's seed is the cotangent ȳ.  AdxError if a seed
    does not fit the program."""
    mode = explore.mode
    if mode == "vector":
        session.set_mode("forward")
        if not session.vector:
            session.toggle_vector()
    elif mode in ("hvp", "hessian"):
        session.set_mode("second")
        inputs = session.graph.input_names if session.graph is not None else ()
        direction = explore.seed or (inputs[0] if inputs else "")
        session.apply_seed_prompt(direction if mode == "hvp" else "")
    elif mode == "reverse":
        session.set_mode("reverse")
        if explore.seed:
            session.set_cotangent(explore.seed)
    else:
        session.set_mode(mode)
        if explore.seed:
            session.set_seed(explore.seed, switch_mode=False)


def _anywhere(bindings: Iterable[object]) -> list[Binding]:
    """The explorer's keys again at the app, run on the view, so that they also work
    while the focus is in the lesson panel (unless a widget there takes the key).
    A key the lesson has (v reveals) is left out: the explorer's other key for it (w)
    is the one the lesson's help and footer show."""
    taken = {k.strip() for b in LESSON_BINDINGS for k in b.key.split(",")}

    def free(keys: str) -> str:
        return ",".join(k for k in keys.split(",") if k.strip() not in taken)

    return [
        Binding(
            free(b.key),
            f"explorer({b.action!r})",
            b.description,
            show=b.show,
            key_display=b.key_display,
            tooltip=b.tooltip,
            group=b.group,
        )
        for b in bindings
        if isinstance(b, Binding) and free(b.key)
    ]


class LessonApp(NoTraceback):
    """A lesson beside the explorer."""

    TITLE = "AD Explorer"
    # The lesson's keys come first in the footer (answering is what the player is for),
    # then the explorer's, forwarded so that they work wherever the focus is, then help
    # and quit.
    BINDINGS = [*LESSON_BINDINGS, *_anywhere(ExplorerView.BINDINGS), *APP_BINDINGS]
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
        # progress counts for an exercise only while it is unchanged (its fingerprint)
        self.fingerprints = lesson.fingerprints()
        saved = self.progress.lessons.get(lesson.id, {}).get("step", 0)
        self.step_index = min(int(saved), len(lesson.steps) - 1)

    def compose(self) -> ComposeResult:
        with Horizontal(id="lesson-layout"):
            yield LessonPanel(self.lesson, id="lesson")
            # served (adx serve), exports go to the served folder; else the current one
            yield ExplorerView(
                Session.start("x", {"x": 1.0}), export_dir=serve_dir(), id="explorer"
            )
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
        if self.progress.notice:
            self.notify(visible(self.progress.notice), timeout=10, markup=False)
        # marks from before fingerprints (a version 1 file) are tied to the lesson as it is now
        self._save(lambda: self.progress.adopt(self.lesson.id, self.fingerprints))
        self.show_lesson_step()

    def show_lesson_step(self) -> None:
        try:
            self._show_lesson_step()
        except Exception as error:
            report_bug(self, error)

    def _show_lesson_step(self) -> None:
        explore = self.lesson.explore_for(self.step_index)
        exercises = self.lesson.steps[self.step_index].exercises
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
                # Hidden from the first frame on: the step's open exercises ask for it.
                session.concealed = hidden_for_all(
                    [ex for ex in exercises if self._status(ex) == OPEN], explore
                )
                view.set_family(explore.family)
                view.load(session)
                view.show_pane(explore.pane)
        boxes = [self._box_for(ex) for ex in exercises]
        self.query_one(LessonPanel).show_step(self.step_index, boxes)
        self._save(lambda: self.progress.set_step(self.lesson.id, self.step_index))
        self.call_after_refresh(self._focus_lesson)

    def _focus_lesson(self) -> None:
        """Put the student on the step's current exercise (the panel if it has none),
        without scrolling its prose away: the footer then starts with the lesson's keys,
        ↑ ↓ scroll the lesson, and the explorer's keys still work."""
        panel = self.panel
        focused = self.focused
        if focused is not None and panel in focused.ancestors:
            # a key pressed before the step was drawn (a, Tab …) already went into this
            # step's exercises: that is where the student wants to be
            self.refresh_bindings()
            return
        focus_now(panel.current() or panel, scroll_visible=False)
        self.refresh_bindings()

    def _status(self, exercise: Exercise) -> str:
        if exercise.id in self.progress.revealed(self.lesson.id, self.fingerprints):
            return REVEALED
        solved = self.progress.solved(self.lesson.id, self.fingerprints)
        return SOLVED if exercise.id in solved else OPEN

    def _box_for(self, exercise: Exercise) -> ExerciseBox:
        status = self._status(exercise)
        return ExerciseBox(
            exercise,
            status,
            note=answers.precision_note(exercise),
            # Every judged answer to an exercise still open was wrong.
            wrong=(
                self.progress.attempts(self.lesson.id, exercise.id, self.fingerprints[exercise.id])
                if status == OPEN
                else 0
            ),
            reveal_after=answers.REVEAL_AFTER,
        )

    def _conceal(self) -> None:
        """Hide again exactly what the step's open exercises ask for (fewer once one is
        answered or revealed) and redraw the explorer."""
        explore = self.lesson.explore_for(self.step_index)
        session = self.session
        if explore is None or session.source.strip() != explore.program.strip():
            return
        panel = self.query_one(LessonPanel)
        session.concealed = hidden_for_all([b.exercise for b in panel.boxes if b.is_open], explore)
        self.view.refresh_views()

    # -- keys -------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        # Keys typed right after ``a`` (``a-6`` Enter, fast) were forwarded to the old
        # focus before ``a`` moved it into the answer box: they come back up here, where
        # the explorer's bindings would take them (- nudges x, 6 changes pane).  They
        # belong in the box.  A box takes every character typed into it itself, so a
        # character that reaches the app while a box has the focus is such an early one.
        # Enter needs nothing: it is the box's binding, applied here with the box focused.
        if (
            isinstance(event, events.Key)
            and event.is_forwarded
            and event.is_printable
            and event.character is not None
            and isinstance(self.focused, AnswerInput)
            and self.screen is self.focused.screen
        ):
            self.focused.insert_text_at_cursor(event.character)
            event.stop()
            event.prevent_default()
            return
        await super().on_event(event)

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

    @property
    def panel(self) -> LessonPanel:
        return self.query_one(LessonPanel)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("reveal", "reveal_not_yet"):  # offered once the tries are used up
            box = self.panel.current()
            can = box is not None and box.can_reveal
            return can if action == "reveal" else not can
        return True

    def action_reveal_not_yet(self) -> None:
        box = self.panel.current()
        if box is None:
            self.notify("this step has no exercises")
        elif not box.is_open:
            self.notify(f"exercise {box.exercise.id} is done already", markup=False)
        else:
            left = answers.REVEAL_AFTER - box.wrong
            self.notify(
                f"{REVEAL_KEY} reveals the answer of {box.exercise.id} after {left} more wrong "
                f"{'try' if left == 1 else 'tries'}; t gives a hint",
                markup=False,
            )

    def action_answer(self) -> None:
        """Into the answer box of the exercise the student is on."""
        box = self.panel.current()
        if box is None:
            self.notify("this step has no exercises: n goes to the next step")
        else:
            focus_now(box.input)

    def action_hint(self) -> None:
        box = self.panel.current()
        if box is None:
            self.notify("this step has no exercises")
        elif box.show_hint():
            self.panel.current_id = box.exercise.id
            box.query_one(".hints").scroll_visible(animate=False)
        else:
            more = f"; {REVEAL_KEY} reveals the answer" if box.can_reveal else ""
            self.notify(f"no more hints for exercise {box.exercise.id}{more}", markup=False)

    def action_reveal(self) -> None:
        box = self.panel.current()
        if box is None or not box.can_reveal:
            self.notify(
                f"the answer can be revealed after {answers.REVEAL_AFTER} wrong tries; "
                "t gives a hint"
            )
            return
        explore = self.lesson.explore_for(self.step_index)
        try:
            text = answers.reveal_text(box.exercise, explore)
        except AdxError as error:  # the lesson's fault: adx lesson check reports it
            self.notify(visible(f"this answer cannot be shown: {error.message}"), markup=False)
            return
        fingerprint = self.fingerprints[box.exercise.id]
        self._save(lambda: self.progress.reveal(self.lesson.id, box.exercise.id, fingerprint))
        box.reveal(text)
        # on to the next open exercise (a and t act on it), as after a right answer; the
        # revealed answer stays in view
        following = self.panel.next_open(box)
        focus_now(following or box, scroll_visible=False)
        box.scroll_visible(animate=False)
        self._conceal()
        self.refresh_bindings()

    def _save(self, change: Callable[[], None]) -> None:
        """Record progress; a file that cannot be written is said, and the lesson goes on."""
        try:
            change()
        except AdxError as error:
            self.notify(visible(error.message), severity="warning", markup=False)

    @on(AnswerSubmitted)
    def _answer(self, message: AnswerSubmitted) -> None:
        box = self.panel.box(message.exercise_id)
        if box is None:
            return
        exercise = box.exercise
        explore = self.lesson.explore_for(self.step_index)
        try:
            feedback = answers.check(exercise, explore, message.text)
        except Exception as error:  # the grader's bug: the answer is not marked either way
            report_bug(self, error)
            box.show_feedback(
                False,
                f"this answer could not be checked ({BUG}: {bug_message(error)}); "
                "try writing it another way",
                attempt=False,
            )
            return
        if not box.is_open:  # solved or revealed already: the ✓ (or the answer) stays
            box.show_retry(feedback.correct, feedback.message)
            focus_now(box, scroll_visible=False)
            return
        box.show_feedback(feedback.correct, feedback.message, attempt=feedback.attempt)
        if not feedback.attempt:  # not judged (empty, unreadable, too few digits): type again
            return
        fingerprint = self.fingerprints[exercise.id]
        self._save(
            lambda: self.progress.record(self.lesson.id, exercise.id, feedback.correct, fingerprint)
        )
        if feedback.correct:
            self._conceal()
            following = self.panel.next_open(box)
            # On to the next exercise, leaving this one's explanation where it is.
            focus_now(following or box, scroll_visible=False)
        else:
            focus_now(box, scroll_visible=False)  # out of the box: the explorer's keys work again
        self.refresh_bindings()


def run_lesson(lesson: Lesson) -> None:
    run_app(LessonApp(lesson))
