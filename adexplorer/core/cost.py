"""Operation counts: the cost model behind the forward ≤ 2.5 and reverse ≤ 4 bounds.

Griewank and Walther measure the work of an evaluation as a vector of
(memory MOVES, ADDS, MULTS, NLOPS) — nonlinear operations such as sin or exp —
and show that, per elementary operation, a forward (tangent) sweep costs at most
about 2.5 times the function and a reverse sweep at most about 4 times.  We use
the same four counters with unit weights, and each primitive in
:mod:`adexplorer.core.primitives` states its counts per scalar element for the
primal, tangent and adjoint parts.  For example, ``w = u*v``:

* primal:  read u, v; write w (3 moves), 1 mult                       → 4
* tangent: read u̇, v̇; write ẇ (3 moves), 2 mults, 1 add              → 6
  so a forward sweep costs (4 + 6) / 4 = 2.5 times the primal;
* adjoint: read w̄, u, v, ū, v̄; write ū, v̄ (7 moves), 2 mults, 2 adds → 11
  so a reverse sweep costs (4 + 11) / 4 = 3.75 times the primal.

Vector forward mode carries n tangents through one sweep: the primal part is done
once and the tangent part n times (:func:`vector_sweep_cost`), where n scalar
sweeps do both n times; the tangent work is the same either way.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The literature bounds shown beside measured ratios.
FORWARD_BOUND = 2.5
REVERSE_BOUND = 4.0


@dataclass(frozen=True, slots=True)
class OpCount:
    moves: int = 0
    adds: int = 0
    mults: int = 0
    nlops: int = 0

    @property
    def total(self) -> int:
        return self.moves + self.adds + self.mults + self.nlops

    def __add__(self, other: OpCount) -> OpCount:
        return OpCount(
            self.moves + other.moves,
            self.adds + other.adds,
            self.mults + other.mults,
            self.nlops + other.nlops,
        )

    def scaled(self, factor: int) -> OpCount:
        return OpCount(
            self.moves * factor, self.adds * factor, self.mults * factor, self.nlops * factor
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "moves": self.moves,
            "adds": self.adds,
            "mults": self.mults,
            "nlops": self.nlops,
            "total": self.total,
        }


@dataclass(frozen=True, slots=True)
class SweepCost:
    """The cost of one node in each of the three sweeps."""

    primal: OpCount
    tangent: OpCount
    adjoint: OpCount


def vector_sweep_cost(primal: OpCount, tangent: OpCount, n: int) -> OpCount:
    """One vector forward sweep of ``n`` directions: the primal once, each tangent part
    ``n`` times (``primal`` and ``tangent`` are one scalar sweep's parts)."""
    return primal + tangent.scaled(n)
