"""The AD engines: pure generators of immutable step records.

* :mod:`.steps` — the step records (:class:`PrimalStep`, :class:`TangentStep`,
  :class:`AdjointStep`, and for checkpointing :class:`RecomputeStep`,
  :class:`SnapshotStep`).
* :mod:`.evaluate` — the primal sweep.
* :mod:`.forward` — a tangent sweep (forward mode, one seed direction).
* :mod:`.reverse` — an adjoint sweep (reverse mode, one output cotangent).
* :mod:`.nested` — the nested adjoint sweep (forward-over-reverse): adjoints on dual
  numbers, each v̄ with its tangent v̄̇ (:class:`NestedAdjointStep`), for H·u.
* :mod:`.checkpointed` — an adjoint sweep that follows a checkpointing schedule,
  recomputing what it did not store (:class:`RecomputeStep`, :class:`SnapshotStep`).

Engines never print and never format; :mod:`adexplorer.core.trace` folds their steps
into results, and views render the folded trace.
"""

from adexplorer.core.engines.evaluate import evaluate
from adexplorer.core.engines.forward import forward
from adexplorer.core.engines.nested import NestedAdjointStep, nested_reverse
from adexplorer.core.engines.reverse import reverse
from adexplorer.core.engines.steps import (
    AdjointStep,
    PrimalStep,
    RecomputeStep,
    SnapshotStep,
    TangentStep,
)

__all__ = [
    "AdjointStep",
    "NestedAdjointStep",
    "PrimalStep",
    "RecomputeStep",
    "SnapshotStep",
    "TangentStep",
    "evaluate",
    "forward",
    "nested_reverse",
    "reverse",
]
