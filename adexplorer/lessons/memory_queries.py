"""The queries of the memory lesson: what each mode stores, checkpointing schedules, β(s, t).

``memory MODE FIGURE`` reads the memory model (:mod:`adexplorer.core.memory`);
``checkpoint FIGURE`` runs reverse mode with the step's ``checkpoint:`` schedule
(``every=K`` or ``snapshots=S``, :mod:`adexplorer.core.checkpoint`) and reads its
counts; ``binomial S T`` is Griewank's β(S, T) = C(S+T, S), the most steps S
snapshots can reverse when no step is evaluated more than T times.  The slips a
wrong count shows are here too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adexplorer.base.errors import AdxError
from adexplorer.core.checkpoint import beta
from adexplorer.core.memory import memory_figures
from adexplorer.core.trace import run
from adexplorer.lessons import grading

if TYPE_CHECKING:
    from adexplorer.lessons.answers import Setup

MEMORY_MODES = ("evaluate", "forward", "reverse")
MEMORY_FIGURES = ("stored_values", "derivatives", "peak_entries", "peak_bytes")
CHECKPOINT_FIGURES = (
    "recomputed_steps",
    "evaluations",
    "advances",
    "optimal_advances",
    "snapshots_peak",
    "peak_entries",
    "peak_bytes",
)

#: β(S, T) for S, T up to this: C(2000, 1000) has 600 digits, which no one types.
BINOMIAL_MAX = 60


def memory(setup: Setup, args: tuple[str, ...]) -> float:
    """A figure of the memory model for one mode (entries of 8 bytes; constants not counted)."""
    figures = memory_figures(setup.graph).mode(args[0])
    return float(getattr(figures, args[1]))


def checkpoint(setup: Setup, args: tuple[str, ...]) -> float:
    """A count of the reverse sweep run with the step's ``checkpoint:`` schedule."""
    spec = setup.explore.checkpoint
    if not spec:
        raise AdxError(
            "lesson",
            f"'from: checkpoint {args[0]}' needs a schedule: give the step's adx-explore "
            "block 'checkpoint: every=K' or 'checkpoint: snapshots=S'",
        )
    trace = run(setup.graph, setup.values, "reverse", checkpoint=spec)
    assert trace.cost is not None and trace.cost.checkpoint is not None
    value = trace.cost.checkpoint.as_json()[args[0]]
    if value is None:
        raise AdxError(
            "lesson",
            f"'{args[0]}' is known only for binomial checkpointing (snapshots=S), not {spec}",
        )
    assert isinstance(value, int)
    return float(value)


def binomial(setup: Setup, args: tuple[str, ...]) -> float:
    """β(S, T) = C(S+T, S)."""
    s, t = int(args[0]), int(args[1])
    if s > BINOMIAL_MAX or t > BINOMIAL_MAX:
        raise AdxError("lesson", f"'from: binomial' takes S and T up to {BINOMIAL_MAX}")
    return float(beta(s, t))


def slips(setup: Setup, name: str, args: tuple[str, ...], target: float) -> list[grading.Slip]:
    """What a wrong count of the memory lesson usually is."""
    found: list[grading.Slip] = []
    if name == "memory" and args == ("reverse", "stored_values"):
        operations = float(len(setup.graph.op_nodes))
        found.append(
            grading.Slip(
                operations,
                "inputs-left-out",
                "that counts the operations only: the tape keeps the inputs' values too, "
                "since the backward steps read them",
            )
        )
    if name == "memory" and args[1] == "peak_entries" and args[0] != "reverse":
        found.append(
            grading.Slip(
                memory(setup, ("reverse", "peak_entries")),
                "reverse-memory",
                "that is reverse mode's peak, with its whole tape: this mode keeps only the "
                "values still to be read",
            )
        )
    if name == "checkpoint" and args[0] == "recomputed_steps":
        found.append(
            grading.Slip(
                checkpoint(setup, ("evaluations",)),
                "evaluations",
                "that counts every evaluation, the first one of each step too: a "
                "recomputation is an evaluation beyond the first",
            )
        )
    if name == "binomial" and int(args[1]) > 0:
        s, t = int(args[0]), int(args[1])
        found.append(
            grading.Slip(
                float(beta(s, t - 1)),
                "binomial",
                f"that is β({s}, {t - 1}) = C({s + t - 1}, {s}): with s = {s} and t = {t} "
                f"it is C({s + t}, {s})",
            )
        )
    return found
