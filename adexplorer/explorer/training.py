"""Training in the explorer: the loop of ``adx train`` (SGD on chosen inputs), run step by step.

A :class:`Training` is made from a copy of a session's graph and values
(:meth:`~adexplorer.explorer.session.Session.begin_training`) and runs in a
worker thread without touching the session: each step is one step of ``adx train``'s loop
(:class:`adexplorer.core.training.Training`): the loss and the gradient from one
reverse sweep, then ``w ← w − η·g`` on the trained inputs, where ``g`` is this
step's gradient (``zero_grad()`` before each ``backward()``) or, with
``accumulate``, the sum of every gradient so far, as PyTorch does when
``zero_grad()`` is forgotten.  The view reads :attr:`Training.losses` while it
grows (appending to a list is atomic) and :meth:`Training.stop` ends the run
after the step under way; the session then installs the values reached
(:meth:`~adexplorer.explorer.session.Session.finish_training`).

``losses[j]`` is f at the values after j steps, taken before step j + 1 moves
them (the loss a PyTorch loop prints at step j); a loss that is NaN or infinite
ends the run without moving the values.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from adexplorer.base import limits
from adexplorer.base.errors import AdxError
from adexplorer.base.shapes import Array
from adexplorer.core.descent import trained_inputs
from adexplorer.core.ir import Graph
from adexplorer.core.training import Training as Loop

#: Inputs with at most this many entries in all are remembered after every step (the
#: descent pane's history shows them); a network's weights only at the start and end.
KEPT_ENTRIES = 1000


@dataclass(frozen=True)
class TrainingPlan:
    """What a run does: ``steps`` SGD steps of size ``eta`` on ``trained`` (all inputs
    when empty), adding up the gradients if ``accumulate``."""

    eta: float
    steps: int
    accumulate: bool = False
    trained: tuple[str, ...] = ()

    def describe(self) -> str:
        grads = "accumulated (no zero_grad)" if self.accumulate else "zero_grad each step"
        return f"{self.steps} steps, η = {self.eta:g}, {grads}"


def check_steps(text: str) -> int:
    """A number of steps typed in the explorer: a whole number from 1 to the limit on
    descent steps asked for at once (``ADX_MAX_DESCENT_STEPS``, docs/limits.md)."""
    try:
        steps = int(text.strip())
    except ValueError:
        raise AdxError(
            "usage", f"steps must be a whole number, not {text.strip()!r}", hint="e.g. 500"
        ) from None
    if steps < 1:
        raise AdxError("usage", f"steps must be at least 1, not {steps:,}")
    limits.check("descent_steps", steps)
    return steps


def check_eta(text: str) -> float:
    """A learning rate typed in the explorer: a positive finite number such as ``1e-4``."""
    try:
        eta = float(text.strip())
    except ValueError:
        raise AdxError(
            "usage", f"the learning rate must be a number, not {text.strip()!r}", hint="e.g. 1e-4"
        ) from None
    if not (math.isfinite(eta) and eta > 0):
        raise AdxError("usage", f"the learning rate must be positive and finite, not {eta:g}")
    return eta


class Training:
    """One run of the loop (see the module docstring); :meth:`run` it in a worker thread.

    The steps are :class:`adexplorer.core.training.Training`'s, the loop of ``adx train``,
    taken one at a time so that the view can draw each loss as it comes and stop between
    steps.
    """

    def __init__(self, graph: Graph, values: Mapping[str, Array], plan: TrainingPlan) -> None:
        self.graph = graph
        self.plan = plan
        self.moving = trained_inputs(graph, plan.trained)
        self.start: dict[str, Array] = dict(values)
        self._loop = Loop(
            graph,
            values,
            lr=plan.eta,
            steps=plan.steps,
            wrt=self.moving,
            accumulate=plan.accumulate,
        )
        self._records = self._loop.run()
        self.values: dict[str, Array] = dict(self._loop.values)
        self.losses: list[float] = []
        self.moves = 0  # steps applied: the values are those after this many steps
        #: The inputs after each step, while they are small (see KEPT_ENTRIES).
        self.kept: list[dict[str, Array]] = []
        self._keep = sum(int(np.size(v)) for v in values.values()) <= KEPT_ENTRIES
        self._stop = threading.Event()
        self.finished = False

    @property
    def stopped(self) -> bool:
        """:meth:`stop` was called (the run ends after the step under way)."""
        return self._stop.is_set()

    @property
    def diverged(self) -> bool:
        """The loss or the gradient stopped being finite (the loop says at which step)."""
        return self._loop.diverged is not None

    def stop(self) -> None:
        self._stop.set()

    def step(self) -> float:
        """One step: the loss where the values are, then the move (none if it diverged)."""
        record = next(self._records)
        self.losses.append(record.loss)
        if self._loop.updates > self.moves:
            self.values = dict(self._loop.values)
            self.moves = self._loop.updates
            if self._keep:
                self.kept.append(dict(self.values))
        return record.loss

    def run(self) -> Training:
        """Take the plan's steps, until stopped or the run diverges; returns itself."""
        try:
            while self.moves < self.plan.steps and not self.stopped and not self.diverged:
                self.step()
        finally:
            self.finished = True
        return self
