"""CostPane: operation counts of the sweeps against the bounds, and Jacobian sweep counts."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from adexplorer.core.cost import FORWARD_BOUND, REVERSE_BOUND, OpCount
from adexplorer.explorer.session import Session


class CostPane(Static):
    """What one sweep costs, and how many sweeps a full Jacobian needs each way."""

    DEFAULT_CSS = """
    CostPane { height: 1fr; }
    """

    def show(self, session: Session) -> None:
        if session.trace is None or session.trace.cost is None:
            return
        cost = session.trace.cost
        table = Table(
            title="Elementary operations (Griewank–Walther counts, unit weights)",
            title_justify="left",
        )
        for name in ("sweep", "moves", "adds", "mults", "nonlinear", "total", "× primal", "bound"):
            table.add_column(name, justify="right" if name != "sweep" else "left")
        table.add_row("primal (f alone)", *_counts(cost.primal), "1", "")
        forward = cost.primal + cost.tangent
        reverse = cost.primal + cost.adjoint
        table.add_row(
            "forward: primal + tangent",
            *_counts(forward),
            f"{cost.forward_ratio:.2f}",
            f"≤ {FORWARD_BOUND}",
        )
        table.add_row(
            "reverse: primal + adjoint",
            *_counts(reverse),
            f"{cost.reverse_ratio:.2f}",
            f"≤ {REVERSE_BOUND:g}",
        )
        n, m = cost.n_inputs, cost.n_outputs
        jacobian = Text(
            f"\nf: R^{n} → R^{m}.  The full Jacobian ({m}×{n}) takes {n} forward sweep(s) "
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
        self.update(Group(table, jacobian))


def _counts(c: OpCount) -> list[str]:
    return [str(c.moves), str(c.adds), str(c.mults), str(c.nlops), str(c.total)]
