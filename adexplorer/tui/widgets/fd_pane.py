"""FdPane: finite differences for the current function and seed, beside AD (plot and tables)."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from adexplorer.base.errors import AdxError
from adexplorer.compare.fd_study import FdStudy
from adexplorer.explorer.session import Session


class FdPane(VerticalScroll):
    """Computed when shown (it evaluates f about 70 times), and again when f or x changes."""

    DEFAULT_CSS = """
    FdPane { height: 1fr; }
    FdPane > Static { width: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown_revision = -1
        self.study: FdStudy | None = None  # what is shown (for tests and exports)

    def compose(self) -> ComposeResult:
        yield Static(id="fd-body")

    def show(self, session: Session, width: int) -> None:
        if session.revision == self._shown_revision or session.graph is None:
            return
        self._shown_revision = session.revision
        from adexplorer.compare.fd_study import study
        from adexplorer.render.compare_tables import error_table, summary_lines
        from adexplorer.render.plots import error_plot

        body = self.query_one("#fd-body", Static)
        wrt = session.seed_name or (
            session.graph.input_names[0] if session.graph.input_names else None
        )
        try:
            result = self.study = study(session.graph, session.values, wrt)
        except AdxError as error:
            body.update(Text(error.render(), style="italic"))
            return
        applicable = [s for s in result.schemes if s not in result.not_applicable]
        notes = [Text(f"{s}: {why}", style="italic") for s, why in result.not_applicable.items()]
        plot = Text.from_ansi(error_plot(result, width=max(40, width - 4), height=18, color=True))
        header = Text(
            f"d/d{result.wrt}: AD gives {result.exact!r}.  "
            "Key: T truncation dominates, R round-off.",
            style="bold",
        )
        body.update(
            Group(header, plot, summary_lines(result), error_table(result, applicable), *notes)
        )
