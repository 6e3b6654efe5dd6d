"""The cost model drawn once: the operations of each sweep against the literature
bounds, and how many sweeps a full Jacobian takes each way.

One renderable for ``adx eval`` and the explorer's cost pane (narrow enough for
the pane: one column per sweep).  A view only: the counts come from the trace
(:mod:`adexplorer.core.cost`).
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from adexplorer.core.cost import FORWARD_BOUND, REVERSE_BOUND
from adexplorer.core.trace import Cost


def cost_view(cost: Cost) -> Group:
    """Operation counts per sweep, the bounds, then the Jacobian's sweep counts in words."""
    sweeps = (cost.primal, cost.primal + cost.tangent, cost.primal + cost.adjoint)
    table = Table(
        title="Operations per sweep (unit weights)",
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
    n, m = cost.n_inputs, cost.n_outputs
    words = Text(
        f"Griewank–Walther: forward bound ≈ {FORWARD_BOUND:g}× primal, "
        f"reverse bound ≈ {REVERSE_BOUND:g}×.\n"
        f"f: R^{n} → R^{m}.  The full Jacobian ({m}×{n}) takes {n} forward sweep(s) "
        f"(one per input direction) or {m} reverse sweep(s) (one per output).\n"
        f"By differences: {n + 1} evaluations (forward), {2 * n} (central).  "
        + (
            "Reverse mode wins here."
            if m < n
            else "Forward mode wins here."
            if n < m
            else "A tie: n = m."
        ),
    )
    return Group(table, words)
