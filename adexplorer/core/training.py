"""Training a scalar program by gradient descent, one step at a time, as PyTorch's loop does.

:class:`Training` moves the trained inputs (``--wrt``, checked by
:func:`~adexplorer.core.descent.trained_inputs`) by ``w ← w − lr·g``, each
gradient from one reverse sweep, and yields a :class:`TrainingRecord` per step.
The order is that of the texts' PyTorch loop::

    for t in range(steps):
        loss = loss_fn(model(x), y)   # record t: the loss at the current parameters
        optimizer.zero_grad()
        loss.backward()               # the gradient there
        optimizer.step()              # then the update

so record ``t`` holds the loss after ``t`` updates, exactly the number PyTorch
prints at ``t``.  With ``accumulate=True`` the gradients are never zeroed: each
step adds its gradient to the sum of the earlier ones and the update uses that
running sum, which is what PyTorch does when ``zero_grad()`` is forgotten.

The state is always consistent: an update is committed (new parameters, the
record, the count) only once it is computed, so a Ctrl-C at any moment leaves
the parameters of the last completed step.  A loss or gradient that is not
finite stops the training with :attr:`Training.diverged` saying at which step.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from adexplorer.base.errors import AdxError
from adexplorer.base.limits import check
from adexplorer.base.numbers import format_scalar
from adexplorer.base.shapes import Array, type_name
from adexplorer.core.descent import trained_inputs
from adexplorer.core.ir import Graph
from adexplorer.core.trace import input_values, run


@dataclass(frozen=True)
class TrainingRecord:
    """One step: the loss at the parameters after ``step`` updates, and the gradient there."""

    step: int  # updates applied before this loss was computed (PyTorch's t)
    loss: float
    gradient_norm: float  # ‖∂L/∂w‖ over the trained inputs, at this step's parameters
    update_norm: float  # ‖what the update used‖: the gradient, or with accumulate the running sum


def loss_and_gradient(
    graph: Graph, values: Mapping[str, Array], trained: Collection[str]
) -> tuple[float, dict[str, Array], tuple[str, ...]]:
    """The loss at ``values``, its gradient for the ``trained`` inputs, and the run's warnings.

    The one place training differentiates: one reverse sweep.
    """
    trace = run(graph, values, "reverse", wrt=trained)
    gradient = trace.gradient()
    return float(trace.output_value()), {k: gradient[k] for k in trained}, trace.warnings


def _norm(arrays: Mapping[str, Array]) -> float:
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging descent: inf is the answer
        return math.sqrt(sum(float(np.sum(np.square(a))) for a in arrays.values()))


def _all_finite(arrays: Mapping[str, Array]) -> bool:
    return all(bool(np.all(np.isfinite(a))) for a in arrays.values())


class Training:
    """Gradient descent on a scalar program: iterate :meth:`run` for the records.

    ``values`` are bindings as for :func:`~adexplorer.core.trace.run` (the
    program's defaults fill the rest); :attr:`values` always holds every input
    at the parameters of the last completed update.
    """

    def __init__(
        self,
        graph: Graph,
        values: Mapping[str, Array],
        *,
        lr: float,
        steps: int,
        wrt: Collection[str] = (),
        accumulate: bool = False,
    ) -> None:
        if not (math.isfinite(lr) and lr > 0):
            raise AdxError(
                "usage",
                f"the learning rate must be a positive number (got {format_scalar(lr)})",
                hint="e.g. --lr 1e-4",
            )
        if steps < 1:
            raise AdxError(
                "usage", f"train at least one step (got {steps})", hint="e.g. --steps 500"
            )
        check("descent_steps", steps, hint="train fewer steps at a time")
        outputs = [graph.nodes[o] for o in graph.outputs]
        if len(outputs) != 1 or outputs[0].shape != ():
            shown = ", ".join(type_name(o.shape) for o in outputs) or "none"
            raise AdxError(
                "usage",
                f"training needs a program with one scalar output, the loss (its outputs: {shown})",
                hint="return a single number, e.g. sum((p - y)^2)",
            )
        self.graph = graph
        self.lr = lr
        self.steps = steps
        self.accumulate = accumulate
        if not graph.inputs:
            raise AdxError(
                "usage",
                "training moves inputs, and this program has none",
                hint="declare the weights as inputs, e.g. w: vec[3]",
            )
        self.trained = trained_inputs(graph, wrt)
        self.values: dict[str, Array] = input_values(graph, values)
        self.records: list[TrainingRecord] = []
        self.updates = 0  # updates applied to :attr:`values`
        self.diverged: str | None = None  # why the training stopped early, in words
        self.warnings: list[str] = []  # the runs' warnings, each once
        self._summed: dict[str, Array] | None = None  # the running sum with accumulate

    @property
    def fixed(self) -> tuple[str, ...]:
        """The inputs that stay where they are (the data)."""
        return tuple(n for n in self.graph.input_names if n not in self.trained)

    def run(self) -> Iterator[TrainingRecord]:
        """Take the remaining steps, yielding each record once its update is applied."""
        while self.updates < self.steps and self.diverged is None:
            step = self.updates
            loss, gradient, warnings = loss_and_gradient(self.graph, self.values, self.trained)
            self.warnings.extend(w for w in warnings if w not in self.warnings)
            summed = gradient
            if self.accumulate and self._summed is not None:
                summed = {k: self._summed[k] + g for k, g in gradient.items()}
            record = TrainingRecord(step, loss, _norm(gradient), _norm(summed))
            if not math.isfinite(loss) or not _all_finite(summed):
                what = "loss" if not math.isfinite(loss) else "gradient"
                shown = format_scalar(loss) if what == "loss" else "not finite"
                self.records.append(record)
                if step == 0:  # nothing moved yet: the starting point is the cause
                    self.diverged = (
                        f"the {what} is {shown} at the starting values, before any update"
                    )
                else:
                    updates = f"{step} update{'s' if step != 1 else ''}"
                    self.diverged = (
                        f"the {what} is {shown} at step {step} (after {updates} with lr "
                        f"{format_scalar(self.lr)}): the descent diverged"
                    )
                yield record
                return
            with np.errstate(over="ignore"):  # huge steps: the next loss says it diverged
                moved = {
                    name: value - self.lr * summed[name] if name in summed else value
                    for name, value in self.values.items()
                }
            # commit together: an interrupt leaves the last completed step
            self.values, self._summed = moved, summed
            self.updates += 1
            self.records.append(record)
            yield record

    def final_loss(self) -> float:
        """The loss at the current parameters (after the last update): one primal sweep."""
        return float(run(self.graph, self.values, "evaluate").output_value())


def diverged_hint(training: Training) -> str:
    """What to try when the loss is not finite: other inputs if it was so from the
    start (no learning rate is to blame), else a smaller learning rate."""
    if training.updates == 0:
        return "start where the function is finite: check the inputs (adx eval shows where)"
    return f"try a smaller learning rate, e.g. --lr {format_scalar(training.lr / 10)}"
