"""DescentPane: gradient descent and training on the student's function, with the loss curve.

``g`` takes one step x ← x − η·∇f; ``G`` runs the loop of ``adx train`` (SGD on
the inputs named in the "train" field, η and the number of steps in theirs,
``A``: the gradients add up from step to step, as without ``zero_grad()``) in a
worker thread while the curve grows; ``G`` again or Esc stops it, and the curve
stays.  A step too long for the function makes f overflow to inf or NaN: that is
part of the lesson, so the pane says "diverged: f is nan after step k", keeps
the history, and 0 goes back to the start.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Static

from adexplorer.base.numbers import format_scalar, format_value
from adexplorer.explorer.session import Session
from adexplorer.explorer.training import Training
from adexplorer.tui.messages import TrainingSettingSubmitted
from adexplorer.tui.text import PlainInput
from adexplorer.tui.widgets.loss_curve import LossCurve


def sparkline_data(values: Sequence[float]) -> list[float]:
    """The finite values, scaled into [-1, 1]: arithmetic on them never overflows
    (1e308 - (-1e308) is inf) and never meets NaN."""
    finite = [v for v in values if math.isfinite(v)]
    scale = max((abs(v) for v in finite), default=0.0) or 1.0
    return [v / scale for v in finite]


def curve_losses(session: Session, training: Training | None) -> list[float]:
    """The history's losses, then those of the run under way (its first loss is where the
    history ends, so it is not drawn twice)."""
    losses = [step.value for step in session.history]
    if training is not None:
        live = list(training.losses)
        losses += live[1:] if losses else live
    return losses


class DescentPane(VerticalScroll):
    """The settings, the state of a run, the loss curve and the history (newest last).
    The pane scrolls to the end after each step, so the history's newest line is in view,
    and to the curve after a training run (:meth:`show_curve`)."""

    DEFAULT_CSS = """
    DescentPane { height: 1fr; }
    DescentPane > .settings { height: 1; layout: horizontal; }
    DescentPane > .settings Label { width: auto; padding: 0 1 0 0; }
    DescentPane > .settings Input { height: 1; border: none; padding: 0 1; }
    DescentPane #train-names { width: 1fr; min-width: 14; }
    DescentPane #train-eta { width: 9; }
    DescentPane #train-steps { width: 7; }
    DescentPane > LossCurve { margin: 0 0 1 0; }
    DescentPane > #descent-table { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._settings: dict[str, str] = {}  # field id → the setting it last showed
        self._cleared = False  # the history's words are cleared for the run under way

    def compose(self) -> ComposeResult:
        yield Static(id="descent-help")
        yield Horizontal(
            Label("train"),
            PlainInput(id="train-names", placeholder="all inputs (or W1,b1)"),
            Label(" η"),
            PlainInput(id="train-eta"),
            Label(" steps"),
            PlainInput(id="train-steps"),
            classes="settings",
        )
        yield Static(id="descent-status")
        yield LossCurve(id="descent-curve")
        yield Static(id="descent-table")

    def _set_field(self, name: str, text: str) -> None:
        field = self.query_one(f"#{name}", Input)
        if not field.has_focus:
            self._settings[name] = text  # what the session holds: a blur compares with it
            if field.value != text:
                field.value = text

    def show(self, session: Session, training: Training | None = None) -> None:
        accumulate = "on (no zero_grad)" if session.accumulate else "off"
        help_text = Text(
            f"g: {session.descent_rule}    G: train (again: stop)    "
            f"A: accumulate gradients {accumulate}    < >: η    0: start again    "
            "(each gradient comes from one reverse sweep)"
        )
        diverged = session.diverged
        if diverged is not None:
            help_text.append(
                f"\n{diverged}: the steps were too long for this function.  "
                "Press 0 to go back to the start and < to halve η.",
                style="bold red",
            )
        self.query_one("#descent-help", Static).update(help_text)
        self._set_field("train-names", ",".join(session.trained))
        self._set_field("train-eta", f"{session.eta:g}")
        self._set_field("train-steps", str(session.train_steps))
        self.show_progress(session, training)
        self._cleared = training is not None
        self.query_one("#descent-table", Static).update(self._history(session, training))
        self.call_after_refresh(self.scroll_end, animate=False)

    def show_curve(self) -> None:
        """Scroll to the run's line and its curve (after a training run; the history follows)."""
        status = self.query_one("#descent-status")
        self.call_after_refresh(self.scroll_to_widget, status, animate=False, top=True)

    def show_progress(self, session: Session, training: Training | None) -> None:
        """The run under way (or the last result) and the curve: cheap, called ten times a
        second while a run goes on."""
        losses = curve_losses(session, training)
        self.query_one(LossCurve).plot(losses)
        status = Text()
        if training is not None:
            done = len(training.losses)
            last = format_scalar(training.losses[-1], 6) if training.losses else "…"
            status.append(
                f"training ({training.plan.describe()}): step {done}/{training.plan.steps}, "
                f"loss {last}",
                style="bold",
            )
            status.append("   G or Esc stops", style="italic")
            if not session.history and not self._cleared:  # "no steps yet" no longer true
                self._cleared = True
                self.query_one("#descent-table", Static).update("")
        elif len(losses) > 1:
            status.append(
                f"{len(losses) - 1} steps: f went from {format_scalar(losses[0], 6)} "
                f"to {format_scalar(losses[-1], 6)}"
            )
        self.query_one("#descent-status", Static).update(status)

    def _history(self, session: Session, training: Training | None = None) -> Group | Text:
        if not session.history:
            return Text("" if training is not None else "no steps yet: g takes one, G trains")
        # f always fits; a column per scalar input beside it.  Vectors and matrices
        # (a network's weights) would squeeze every column to "0.14…": the inputs panel
        # and v show them.
        scalars = [n for n, v in session.values.items() if np.ndim(v) == 0]
        others = [n for n in session.values if n not in scalars]
        table = Table(title="history", title_justify="left")
        table.add_column("step", justify="right", no_wrap=True)
        table.add_column("f", justify="right", no_wrap=True)
        for name in scalars:
            table.add_column(name, justify="right")
        # Without scalar inputs the rows only repeat the curve's last losses: a few of them.
        for step in session.history[-15 if scalars else -5 :]:
            table.add_row(
                str(step.iteration),
                format_value(step.value, 8),
                *[format_value(step.inputs[n], 6) if n in step.inputs else "" for n in scalars],
            )
        parts: list[Table | Text] = [table]
        if others:
            where = (
                "shown in the inputs panel"
                if self._inputs_panel_shown()
                else "step to one and press w to see it whole"
            )
            parts.append(Text(f"{', '.join(others)}: not scalars, {where}", style="dim"))
        return Group(*parts)

    def _inputs_panel_shown(self) -> bool:
        """Whether the explorer's inputs panel is on screen (at 80×24 it is not)."""
        panels = self.screen.query("#inputs")
        return any(p.display and p.region.width > 0 and p.region.height > 0 for p in panels)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._settings[event.input.id or ""] = event.value
        setting = (event.input.id or "").removeprefix("train-")
        self.post_message(TrainingSettingSubmitted(setting, event.value))

    def on_input_blurred(self, event: Input.Blurred) -> None:
        """A field left with a changed value (Tab, a click elsewhere) sets it as Enter
        would: a typed η, then Tab to the steps, is not lost."""
        event.stop()
        name = event.input.id or ""
        if name in self._settings and event.value != self._settings[name]:
            self._settings[name] = event.value
            self.post_message(TrainingSettingSubmitted(name.removeprefix("train-"), event.value))
