"""CostPane: operation counts and memory of the sweeps against the bounds, Jacobian sweep
counts, and with checkpointing (``k``) where the schedule is at the current step."""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from adexplorer.explorer.schedule import schedule_now
from adexplorer.explorer.session import Session
from adexplorer.render.cost import cost_view


class CostPane(VerticalScroll):
    """What one sweep costs and stores, and how many sweeps a full Jacobian needs each way
    (it scrolls when the pane is lower than the table and its words).  A checkpointed
    reverse run adds its schedule, the current step's pass marked ▶ and the step ^."""

    DEFAULT_CSS = """
    CostPane { height: 1fr; }
    CostPane > #schedule-now { display: none; width: auto; }
    CostPane.-checkpointed > #schedule-now { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._revision: tuple[int, tuple[tuple[str, ...], int] | None] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="schedule-now")
        yield Static(id="cost-body")

    def show(self, session: Session) -> None:
        trace = session.trace
        if trace is None or trace.cost is None:
            return
        trained = trained_entries(session)
        if self._revision != (session.revision, trained):  # the same for every step of a run
            self._revision = (session.revision, trained)
            self.query_one("#cost-body", Static).update(cost_view(trace.cost, trained))
        run = trace.checkpoint
        self.set_class(run is not None, "-checkpointed")
        if run is not None:
            now = schedule_now(run.schedule, trace.graph, session.current)
            text = Text("\n".join(now.lines[1:]))
            text.stylize("bold", 0, 0)
            title = Text(now.lines[0] + "\n", style="bold")
            self.query_one("#schedule-now", Static).update(title + text)


def trained_entries(session: Session) -> tuple[tuple[str, ...], int] | None:
    """The inputs a descent moves and their entries, when they are not all the inputs."""
    graph = session.graph
    moving = session.moving
    if graph is None or not moving or set(moving) == set(graph.input_names):
        return None
    indices = [graph.input_index(name) for name in moving]
    entries = sum(int(np.prod(graph.nodes[i].shape)) for i in indices if i is not None)
    return moving, entries
