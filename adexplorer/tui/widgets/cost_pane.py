"""CostPane: operation counts of the sweeps against the bounds, and Jacobian sweep counts."""

from __future__ import annotations

from textual.widgets import Static

from adexplorer.explorer.session import Session
from adexplorer.render.cost import cost_view


class CostPane(Static):
    """What one sweep costs, and how many sweeps a full Jacobian needs each way."""

    DEFAULT_CSS = """
    CostPane { height: 1fr; }
    """

    def show(self, session: Session) -> None:
        if session.trace is None or session.trace.cost is None:
            return
        self.update(cost_view(session.trace.cost))
