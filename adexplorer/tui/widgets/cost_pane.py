"""CostPane: operation counts and memory of the sweeps against the bounds, Jacobian sweep
counts, with checkpointing (``k``) where the schedule is at the current step, and in
second-order mode (``H``) what a nested sweep costs and what H takes each way."""

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
    CostPane > #second-cost { display: none; }
    CostPane.-second > #second-cost { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._revision: tuple[int, tuple[tuple[str, ...], int] | None] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="schedule-now")
        yield Static(id="second-cost")
        yield Static(id="cost-body")

    def show(self, session: Session) -> None:
        trace = session.trace
        if trace is None or trace.cost is None:
            return
        trained = trained_entries(session)
        if self._revision != (session.revision, trained):  # the same for every step of a run
            self._revision = (session.revision, trained)
            self.query_one("#cost-body", Static).update(cost_view(trace.cost, trained))
        self.set_class(session.second is not None, "-second")
        if session.second is not None:
            self.query_one("#second-cost", Static).update(second_order_text(session))
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


def second_order_text(session: Session) -> Text:
    """Second-order mode: one nested sweep's operations, this run's, and H's by nested
    sweeps against finite differences of gradients (``SecondOrderCost``)."""
    second = session.second
    assert second is not None
    cost = second.cost
    n = cost.n
    text = Text("second order (forward-over-reverse)\n", style="bold")
    text.append(
        f"one nested sweep: {cost.nested_sweep.total} operations (tangents "
        f"{cost.tangent.total}, adjoints v̄ and v̄̇ 2×{cost.adjoint.total}, second-order "
        f"terms {cost.second.total}); {cost.nested_ratio:.2f}× the primal with it\n"
    )
    text.append(f"this run: the primal and {cost.sweeps} nested sweeps, {cost.total.total}\n")
    text.append(f"H for n = {n} entries:\n", style="bold")
    text.append(f"  nested sweeps          {n:>4} sweeps     {cost.hessian_nested.total:>8}\n")
    text.append(
        f"  central differences    {2 * n:>4} gradients  {cost.hessian_central.total:>8}"
        "  (error O(h²))\n"
    )
    text.append(
        f"  forward differences    {n + 1:>4} gradients  {cost.hessian_forward.total:>8}"
        "  (error O(h))\n"
    )
    text.append("H·u alone: one nested sweep, whatever n is\n", style="italic")
    return text
