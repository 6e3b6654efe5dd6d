"""The cost model drawn once: the operations of each sweep against the literature
bounds, the memory each mode keeps (values stored, peak entries and bytes), how
many sweeps a full Jacobian takes each way, and, for a checkpointed reverse run,
its counts and the text timeline of its schedule.

One renderable for ``adx eval`` and the explorer's cost pane (narrow enough for
the pane: one column per sweep).  A view only: the counts come from the trace
(:mod:`adexplorer.core.cost`).
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from adexplorer.core.checkpoint import timeline
from adexplorer.core.cost import FORWARD_BOUND, REVERSE_BOUND
from adexplorer.core.trace import CheckpointRun, Cost


def cost_view(cost: Cost, trained: tuple[tuple[str, ...], int] | None = None) -> Group:
    """Operation counts and memory per sweep, the bounds, then the Jacobian's sweep
    counts in words (and the checkpointing schedule, if the run had one).

    ``trained``: the inputs a descent moves and their number of entries, when only
    some inputs are trained: their gradient's sweep counts are said too.
    """
    sweeps = (cost.primal, cost.primal + cost.tangent, cost.primal + cost.adjoint)
    table = Table(
        title="Operations and memory per sweep (unit weights)",
        title_justify="left",
    )
    table.add_column("")
    for header in ("f alone", "forward\n+tangent", "reverse\n+adjoint"):
        table.add_column(header, justify="right")
    table.add_row("moves", *(str(c.moves) for c in sweeps))
    table.add_row("adds", *(str(c.adds) for c in sweeps))
    table.add_row("mults", *(str(c.mults) for c in sweeps))
    table.add_row("nonlinear", *(str(c.nlops) for c in sweeps))
    table.add_row("total", *(str(c.total) for c in sweeps), style="bold")
    table.add_row("× primal", "1", f"{cost.forward_ratio:.2f}", f"{cost.reverse_ratio:.2f}")
    if cost.memory is not None:
        modes = (cost.memory.evaluate, cost.memory.forward, cost.memory.reverse)
        table.add_section()
        table.add_row("values kept", *(f"{m.stored_values:,}" for m in modes))
        table.add_row("derivatives", "–", *(f"{m.derivatives:,}" for m in modes[1:]))
        table.add_row("peak entries", *(f"{m.peak_entries:,}" for m in modes), style="bold")
        table.add_row("peak bytes", *(f"{m.peak_bytes:,}" for m in modes))
    n, m = cost.n_inputs, cost.n_outputs
    words = Text(
        f"Griewank–Walther: forward bound ≈ {FORWARD_BOUND:g}× primal, "
        f"reverse bound ≈ {REVERSE_BOUND:g}×.\n"
        f"f: R^{n} → R^{m}.  The full Jacobian ({m}×{n}) takes {n} forward sweep(s) "
        f"(one per input direction) or {m} reverse sweep(s) (one per output).\n"
        + trained_sweeps(trained, m)
        + f"By differences: {n + 1} evaluations (forward), {2 * n} (central).  "
        + (
            "Reverse mode wins here."
            if m < n
            else "Forward mode wins here."
            if n < m
            else "A tie: n = m."
        ),
    )
    if cost.memory is not None:
        words.append(
            "\nMemory in float64 entries (8 bytes): f alone and forward keep only live values "
            "(forward a tangent beside each); reverse keeps the tape, every value, plus the "
            "live adjoints."
        )
    if cost.checkpoint is None:
        return Group(table, words)
    return Group(table, words, checkpoint_view(cost.checkpoint))


def trained_sweeps(trained: tuple[tuple[str, ...], int] | None, outputs: int) -> str:
    """The sweeps of the gradient for the trained inputs only (a line), or nothing."""
    if trained is None:
        return ""
    names, entries = trained
    reverse = f"{outputs:,} reverse sweep{'s' if outputs != 1 else ''}"
    return (
        f"For the trained {', '.join(names)} ({entries:,} entries): {entries:,} forward "
        f"sweep{'s' if entries != 1 else ''} vs {reverse}.\n"
    )


def checkpoint_view(run: CheckpointRun, width: int = 64) -> Text:
    """A checkpointed run's counts beside plain reverse mode's, then its timeline."""
    schedule = run.schedule
    optimum = schedule.optimum
    lines = [
        f"Checkpointed reverse sweep, {schedule.spec} (per sweep"
        + (f"; {len(run.steps):,} sweeps, one per output entry" if len(run.steps) > 1 else "")
        + "):",
        f"  {schedule.steps:,} steps, {schedule.evaluations:,} evaluations: "
        f"{schedule.recomputed:,} recomputed"
        + (f" (the optimum is {optimum:,})" if optimum is not None else ""),
        f"  at most {schedule.snapshots_peak:,} snapshot(s) at once, "
        f"{run.snapshot_entries_peak:,} entries",
        f"  peak {run.peak_entries:,} entries ({run.peak_bytes:,} bytes); plain reverse: "
        f"{run.plain_peak_entries:,} ({run.plain_peak_bytes:,} bytes), none recomputed",
        f"  operations {run.operations.total:,} (f, recomputations and adjoints); "
        f"plain reverse: {run.plain_operations.total:,}",
        *timeline(schedule, width=width),
    ]
    return Text("\n" + "\n".join(lines))
