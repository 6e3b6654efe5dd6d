"""SwellPane: the symbolic derivative of the current function, its sizes, and a growth family."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Input, Static

from adexplorer.base.errors import AdxError
from adexplorer.explorer.session import Session
from adexplorer.tui.messages import FamilySubmitted
from adexplorer.tui.text import PlainInput

DEFAULT_FAMILY = "4*#*(1-#)"


class SwellPane(VerticalScroll):
    """Expression swell on the student's own function, and on a family they type."""

    DEFAULT_CSS = """
    SwellPane { height: 1fr; }
    SwellPane > Input { height: 1; border: none; margin: 1 0 0 0; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown_revision = -1
        self.template = DEFAULT_FAMILY

    def compose(self) -> ComposeResult:
        yield Static(id="swell-function")
        yield PlainInput(
            self.template, id="family", placeholder="a family, # = previous level, e.g. 4*#*(1-#)"
        )
        yield Static(id="swell-family")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(FamilySubmitted(event.value))

    def set_template(self, template: str) -> None:
        """Show the family ``template`` (drawn again at the next :meth:`show`)."""
        self.template = template
        self.query_one("#family", Input).value = template
        self._shown_revision = -1

    def show(self, session: Session, width: int) -> None:
        if session.revision == self._shown_revision or session.graph is None:
            return
        self._shown_revision = session.revision
        from adexplorer.compare.swell import family_study, swell_study
        from adexplorer.render.compare_tables import family_summary, family_table, size_table
        from adexplorer.render.plots import growth_plot

        function = self.query_one("#swell-function", Static)
        wrt = session.seed_name or session.graph.input_names[0]
        try:
            result = swell_study(session.graph, wrt, limit=600)
            function.update(
                Group(
                    Text(f"∂f/∂{wrt} by the textbook rules, unsimplified:", style="bold"),
                    Text(result.derivative_text),
                    Text("after light simplification:", style="bold"),
                    Text(result.simplified_text),
                    size_table(result),
                )
            )
        except AdxError as error:
            function.update(Text(error.render(), style="italic"))
        family = self.query_one("#swell-family", Static)
        try:
            rows = family_study(self.template, "1:30")
            plot = Text.from_ansi(
                growth_plot(rows, width=max(40, width - 4), height=16, color=True)
            )
            family.update(Group(family_table(rows[:12]), family_summary(rows), plot))
        except AdxError as error:
            family.update(Text(error.render(), style="italic"))
