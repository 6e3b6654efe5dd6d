"""Step records: what one step of a sweep did, frozen so a UI can step back and forth.

Each record names the node it belongs to and the number it produced.  The
formula shown for a step (``v̇2 = v̇-1·v0 + v-1·v̇0 = 1·5 + 2·0 = 5``) is
rendered from the record and the trace it sits in by :mod:`adexplorer.core.formulas`,
only when someone looks at it, so a 100,000-step sweep pays nothing for text.

A checkpointed reverse sweep (:mod:`.checkpointed`) interleaves :class:`PrimalStep`
(a step's first evaluation), :class:`RecomputeStep`, :class:`SnapshotStep` and
:class:`AdjointStep` in the order they happen.
"""

from __future__ import annotations

from dataclasses import dataclass

from adexplorer.base.shapes import Array


@dataclass(frozen=True, slots=True)
class PrimalStep:
    """``node`` got ``value`` (an input taking its value, or an operation evaluated)."""

    node: int
    value: Array


@dataclass(frozen=True, slots=True)
class TangentStep:
    """``node``'s tangent became ``value`` (an input seeded, or the chain rule applied)."""

    node: int
    value: Array


@dataclass(frozen=True, slots=True)
class AdjointStep:
    """``node``'s adjoint grew by ``contribution`` to ``total``.

    ``source`` is the node whose adjoint flowed back along its argument slot
    ``slot``; it is None for the seed step (the output's adjoint set to ȳ).
    A value that fans out receives one step per use, so the accumulation
    ``x̄ += …`` is visible step by step.
    """

    node: int
    source: int | None
    slot: int
    contribution: Array
    total: Array


@dataclass(frozen=True, slots=True)
class RecomputeStep:
    """A checkpointed sweep evaluated ``node`` again from a snapshot: ``value`` is the
    same number its first evaluation gave.  ``taped``: kept for the adjoint steps that
    follow (``tape``), or only carried forward to the next state (``advance``)."""

    node: int
    value: Array
    taped: bool


@dataclass(frozen=True, slots=True)
class SnapshotStep:
    """A checkpointed sweep stored, restored or dropped (``action``) a copy of the state
    after step ``state`` (0: the inputs), which holds ``entries`` scalar entries."""

    state: int
    action: str
    entries: int
