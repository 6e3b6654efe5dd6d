"""CostPane: operation counts of the sweeps against the bounds, and Jacobian sweep counts."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from adexplorer.explorer.session import Session
from adexplorer.render.cost import cost_view


class CostPane(VerticalScroll):
    """What one sweep costs, and how many sweeps a full Jacobian needs each way
    (it scrolls when the pane is lower than the table and its words)."""

    DEFAULT_CSS = """
    CostPane { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="cost-body")

    def show(self, session: Session) -> None:
        if session.trace is None or session.trace.cost is None:
            return
        self.query_one("#cost-body", Static).update(cost_view(session.trace.cost))
