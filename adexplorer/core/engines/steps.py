"""Step records: what one step of a sweep did, frozen so a UI can step back and forth.

Each record names the node it belongs to and the number it produced.  The
formula shown for a step (``v̇2 = v̇-1·v0 + v-1·v̇0 = 1·5 + 2·0 = 5``) is
rendered from the record and the trace it sits in by :mod:`adexplorer.core.formulas`,
only when someone looks at it, so a 100,000-step sweep pays nothing for text.

The three records every sweep makes are named tuples (immutable, and built
several times faster than frozen dataclasses: a network's sweep makes dozens per
run); the checkpointing records are rarer and stay dataclasses.

Records hold *references* to the arrays the engines computed, never copies, so a
sweep over 64×1000 matrices costs no more than the arithmetic.  What makes that
safe: every array an engine computes is marked read-only (:func:`frozen`) before
a record holds it, so neither a view nor a later step can change a number a
record shows.  The inputs and seeds a caller gives are the caller's arrays:
records hold them as they are, and their flags are left alone.

A checkpointed reverse sweep (:mod:`.checkpointed`) interleaves :class:`PrimalStep`
(a step's first evaluation), :class:`RecomputeStep`, :class:`SnapshotStep` and
:class:`AdjointStep` in the order they happen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from adexplorer.base.shapes import Array


def frozen(value: Array) -> Array:
    """``value``, marked read-only if it is an array (numpy scalars are immutable already).

    Only for arrays an engine has just computed: it changes the array's flags, not
    a copy of it.
    """
    if type(value) is np.ndarray:
        value.setflags(write=False)  # twice as fast as flags.writeable = False
    return value


def frozen_result(value: Array, operands: Sequence[Array]) -> Array:
    """:func:`frozen`, unless a rule handed back one of its ``operands`` itself (an
    input's array belongs to the caller: its flags stay as they are)."""
    for operand in operands:
        if value is operand:
            return value
    return frozen(value)


class PrimalStep(NamedTuple):
    """``node`` got ``value`` (an input taking its value, or an operation evaluated)."""

    node: int
    value: Array


class TangentStep(NamedTuple):
    """``node``'s tangent became ``value`` (an input seeded, or the chain rule applied)."""

    node: int
    value: Array


class AdjointStep(NamedTuple):
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
