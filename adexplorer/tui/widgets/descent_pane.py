"""DescentPane: gradient descent on the student's function, x ← x − η·∇f, with its history.

A step too long for the function makes f overflow to inf or NaN: that is part of
the lesson, so the pane says "diverged: f is nan after step k", keeps the
history, and 0 goes back to the start.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Sparkline, Static

from adexplorer.base.numbers import format_value
from adexplorer.explorer.session import Session


def sparkline_data(values: Sequence[float]) -> list[float]:
    """The finite values, scaled into [-1, 1]: the sparkline's arithmetic then never
    overflows (1e308 - (-1e308) is inf) and never meets NaN."""
    finite = [v for v in values if math.isfinite(v)]
    scale = max((abs(v) for v in finite), default=0.0) or 1.0
    return [v / scale for v in finite]


class DescentPane(VerticalScroll):
    """Press g to take a step; < and > change η; 0 starts again.  The values fall (or not!)
    in the sparkline.  The pane scrolls to the end after each step, so the history's last
    line (the newest) is always in view."""

    DEFAULT_CSS = """
    DescentPane { height: 1fr; }
    DescentPane > Sparkline { height: 3; margin: 0 0 1 0; }
    DescentPane > #descent-table { height: auto; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="descent-help")
        yield Sparkline([], id="descent-sparkline")
        yield Static(id="descent-table")

    def show(self, session: Session) -> None:
        help_text = Text(
            f"g: {session.descent_rule}    < >: η = {session.eta:g}    0: start again    "
            "(the gradient comes from one reverse sweep)"
        )
        diverged = session.diverged
        if diverged is not None:
            help_text.append(
                f"\n{diverged}: the steps were too long for this function.  "
                "Press 0 to go back to the start and < to halve η.",
                style="bold red",
            )
        self.query_one("#descent-help", Static).update(help_text)
        values = [step.value for step in session.history]
        self.query_one("#descent-sparkline", Sparkline).data = sparkline_data(values)
        # f always fits; a column per scalar input beside it.  Vectors and matrices
        # (a network's weights) would squeeze every column to "0.14…": the inputs panel
        # shows them whole.
        scalars = [n for n, v in session.values.items() if np.ndim(v) == 0]
        others = [n for n in session.values if n not in scalars]
        table = Table(title="history", title_justify="left")
        table.add_column("step", justify="right", no_wrap=True)
        table.add_column("f", justify="right", no_wrap=True)
        for name in scalars:
            table.add_column(name, justify="right")
        for step in session.history[-15:]:
            table.add_row(
                str(step.iteration),
                format_value(step.value, 8),
                *[format_value(step.inputs[n], 6) if n in step.inputs else "" for n in scalars],
            )
        parts: list[Table | Text] = [table]
        if others:
            parts.append(
                Text(f"{', '.join(others)}: not scalars, shown in the inputs panel", style="dim")
            )
        self.query_one("#descent-table", Static).update(
            Group(*parts) if session.history else Text("no steps yet")
        )
        self.call_after_refresh(self.scroll_end, animate=False)
