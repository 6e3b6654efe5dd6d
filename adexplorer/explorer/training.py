"""Training in the explorer: the loop of ``adx train`` (SGD on chosen inputs), run step by step.

A :class:`Training` is made from a copy of a session's graph and values
(:meth:`~adexplorer.explorer.session.Session.begin_training`) and runs in a
worker thread without touching the session: each step takes the loss and the
gradient from one reverse sweep and moves the trained inputs,
``w ← w − η·g``.  ``g`` is this step's gradient (``zero_grad()`` before each
``backward()``, :func:`~adexplorer.core.descent.descent_step`), or with
``accumulate`` the sum of every gradient so far, as PyTorch does when
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
from adexplorer.core.descent import descent_step, trained_inputs
from adexplorer.core.ir import Graph
from adexplorer.core.trace import run

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
    """One run of the loop (see the module docstring); :meth:`run` it in a worker thread."""

    def __init__(self, graph: Graph, values: Mapping[str, Array], plan: TrainingPlan) -> None:
        self.graph = graph
        self.plan = plan
        self.moving = trained_inputs(graph, plan.trained)
        self.start: dict[str, Array] = dict(values)
        self.values: dict[str, Array] = dict(values)
        self.losses: list[float] = []
        self.moves = 0  # steps applied: the values are those after this many steps
        #: The inputs after each step, while they are small (see KEPT_ENTRIES).
        self.kept: list[dict[str, Array]] = []
        self._keep = sum(int(np.size(v)) for v in values.values()) <= KEPT_ENTRIES
        self._buffer: dict[str, Array] | None = None
        self._stop = threading.Event()
        self.finished = False

    @property
    def stopped(self) -> bool:
        """:meth:`stop` was called (the run ends after the step under way)."""
        return self._stop.is_set()

    @property
    def diverged(self) -> bool:
        return bool(self.losses) and not math.isfinite(self.losses[-1])

    def stop(self) -> None:
        self._stop.set()

    def step(self) -> float:
        """One step: the loss where the values are, then the move (none if it is not finite)."""
        if self.plan.accumulate:
            loss, moved = self._accumulated_step()
        else:
            loss, moved = descent_step(self.graph, self.values, self.plan.eta, self.moving)
        self.losses.append(loss)
        if math.isfinite(loss):
            self.values = moved
            self.moves += 1
            if self._keep:
                self.kept.append(dict(moved))
        return loss

    def _accumulated_step(self) -> tuple[float, dict[str, Array]]:
        trace = run(self.graph, self.values, "reverse")
        if not trace.scalar_output:
            raise AdxError("usage", "training needs a single scalar output")
        gradient = trace.gradient()
        buffer = self._buffer or {}
        self._buffer = {
            name: buffer[name] + gradient[name] if name in buffer else np.asarray(gradient[name])
            for name in self.moving
        }
        moved = {
            name: np.asarray(value) - self.plan.eta * self._buffer[name]
            if name in self._buffer
            else value
            for name, value in self.values.items()
        }
        return float(trace.output_value()), moved

    def run(self) -> Training:
        """Take the plan's steps, until stopped or a loss is not finite; returns itself."""
        try:
            for _ in range(self.plan.steps):
                if self.stopped:
                    break
                if not math.isfinite(self.step()):
                    break
        finally:
            self.finished = True
        return self
