"""SwellPane: the symbolic derivative of the current function, its sizes, and a growth family."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Input, Static

from adexplorer.base.errors import AdxError
from adexplorer.core.ir import Graph
from adexplorer.explorer.session import Session
from adexplorer.tui.bugs import handle
from adexplorer.tui.jobs import Job
from adexplorer.tui.messages import FamilySubmitted
from adexplorer.tui.text import PlainInput

DEFAULT_FAMILY = "4*#*(1-#)"


@dataclass(frozen=True)
class SwellStudy:
    """What the pane shows: each part a result, or the AdxError that says why there is none."""

    function: object  # SwellResult | AdxError
    family: object  # list[FamilyRow] | AdxError


def swell_both(graph: Graph, wrt: str | None, template: str) -> SwellStudy:
    """The function's swell and the family's (run in a background thread)."""
    from adexplorer.compare.swell import family_study, swell_study

    function: object
    family: object
    if wrt is None:
        function = AdxError("usage", "f has no inputs: there is no derivative to grow")
    else:
        try:
            function = swell_study(graph, wrt, limit=600)
        except AdxError as error:
            function = error
    try:
        family = family_study(template, "1:30")
    except AdxError as error:
        family = error
    return SwellStudy(function, family)


class SwellPane(VerticalScroll):
    """Expression swell on the student's own function, and on a family they type.

    Computed in a background thread (see ``jobs.py``): "computing…" shows
    meanwhile, Esc cancels, and the pane's key (3) starts it again.
    """

    DEFAULT_CSS = """
    SwellPane { height: 1fr; }
    SwellPane > Input { height: 1; border: none; margin: 1 0 0 0; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._key: tuple[int, str | None, str] | None = None
        self._cancelled = False
        self._width = 80
        self.template = DEFAULT_FAMILY
        self._job: Job[SwellStudy] = Job(self, "swell", self._show_study, self._failed)

    def compose(self) -> ComposeResult:
        yield Static(id="swell-function")
        yield PlainInput(
            self.template, id="family", placeholder="a family, # = previous level, e.g. 4*#*(1-#)"
        )
        yield Static(id="swell-family")

    @property
    def busy(self) -> bool:
        return self._job.busy

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(FamilySubmitted(event.value))

    def set_template(self, template: str) -> None:
        """Show the family ``template`` (drawn again at the next :meth:`show`)."""
        self.template = template
        self.query_one("#family", Input).value = template
        self._key = None

    def show(self, session: Session, width: int, *, again: bool = False) -> None:
        """Show the swell for ``session``; ``again`` restarts a computation that was cancelled."""
        graph = session.graph
        if graph is None:
            return
        wrt = session.seed_name or (graph.input_names[0] if graph.input_names else None)
        key = (session.revision, wrt, self.template)
        if key == self._key and not (again and self._cancelled):
            return
        self._key, self._cancelled, self._width = key, False, width
        template = self.template
        self.query_one("#swell-function", Static).update(
            Text("computing the symbolic derivative… (Esc cancels)", style="italic")
        )
        self.query_one("#swell-family", Static).update(Text(""))
        self._job.submit(lambda: swell_both(graph, wrt, template))

    def cancel(self) -> bool:
        """Stop waiting for the computation; True if one was running."""
        if not self._job.cancel():
            return False
        self._cancelled = True
        self.query_one("#swell-function", Static).update(
            Text("cancelled: press 3 to compute the swell again", style="italic")
        )
        return True

    def _failed(self, error: BaseException) -> None:
        self.query_one("#swell-function", Static).update(
            Text("the swell could not be computed (a bug in adx)")
        )
        handle(self, error)

    def _show_study(self, study: SwellStudy) -> None:
        from adexplorer.compare.swell import SwellResult
        from adexplorer.render.compare_tables import family_summary, family_table, size_table
        from adexplorer.render.plots import growth_plot

        function = self.query_one("#swell-function", Static)
        result = study.function
        if isinstance(result, SwellResult):
            function.update(
                Group(
                    Text(f"∂f/∂{result.wrt} by the textbook rules, unsimplified:", style="bold"),
                    Text(result.derivative_text),
                    Text("after light simplification:", style="bold"),
                    Text(result.simplified_text),
                    size_table(result),
                )
            )
        elif isinstance(result, AdxError):
            function.update(Text(result.render(), style="italic"))
        family = self.query_one("#swell-family", Static)
        rows = study.family
        if isinstance(rows, AdxError):
            family.update(Text(rows.render(), style="italic"))
        elif isinstance(rows, list):
            plot = Text.from_ansi(
                growth_plot(rows, width=max(40, self._width - 4), height=16, color=True)
            )
            family.update(Group(family_table(rows[:12]), family_summary(rows), plot))
