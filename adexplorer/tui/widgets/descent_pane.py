"""DescentPane: gradient descent on the student's function, x ← x − η·∇f, with its history."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

from adexplorer.base.numbers import format_value
from adexplorer.explorer.session import Session


class DescentPane(Vertical):
    """Press g to take a step; < and > change η.  The values fall (or not!) in the sparkline."""

    DEFAULT_CSS = """
    DescentPane { height: 1fr; }
    DescentPane > Sparkline { height: 3; margin: 0 0 1 0; }
    DescentPane > #descent-table { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="descent-help")
        yield Sparkline([], id="descent-sparkline")
        yield Static(id="descent-table")

    def show(self, session: Session) -> None:
        self.query_one("#descent-help", Static).update(
            Text(
                f"g: one step x ← x − η·∇f    < >: η = {session.eta:g}    "
                "(the gradient comes from one reverse sweep)"
            )
        )
        values = [step.value for step in session.history]
        self.query_one("#descent-sparkline", Sparkline).data = values
        table = Table(title="history", title_justify="left")
        table.add_column("step", justify="right")
        table.add_column("f", justify="right")
        for name in session.values:
            table.add_column(name, justify="right")
        for step in session.history[-15:]:
            table.add_row(
                str(step.iteration),
                format_value(step.value, 8),
                *[format_value(step.inputs[n], 6) for n in session.values if n in step.inputs],
            )
        self.query_one("#descent-table", Static).update(
            Group(table) if session.history else Text("no steps yet")
        )
