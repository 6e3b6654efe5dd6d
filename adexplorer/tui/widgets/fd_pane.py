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
from adexplorer.tui.bugs import handle
from adexplorer.tui.jobs import Job


class FdPane(VerticalScroll):
    """Computed when shown (it evaluates f about 70 times), and again when f or x changes.

    The study runs in a background thread (see ``jobs.py``): the pane says
    "computing…" meanwhile, Esc cancels it, and its key (2) starts it again.
    """

    DEFAULT_CSS = """
    FdPane { height: 1fr; }
    FdPane > Static { width: auto; }
    /* A message (computing, cancelled, an error) wraps; the study is wider than the pane. */
    FdPane > Static.-message { width: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._key: tuple[int, str | None] | None = None  # what is shown or being computed
        self._cancelled = False
        self._width = 80
        self.study: FdStudy | None = None  # what is shown (for tests and exports)
        self._job: Job[FdStudy] = Job(self, "fd", self._show_study, self._failed)

    def compose(self) -> ComposeResult:
        yield Static(id="fd-body")

    @property
    def busy(self) -> bool:
        return self._job.busy

    def show(self, session: Session, width: int, *, again: bool = False) -> None:
        """Show the study for ``session``; ``again`` restarts one that was cancelled."""
        graph = session.graph
        if graph is None:
            return
        wrt = session.seed_name or (graph.input_names[0] if graph.input_names else None)
        key = (session.revision, wrt)
        if key == self._key and not (again and self._cancelled):
            return
        self._key, self._cancelled, self._width = key, False, width
        self.study = None
        if wrt is None:
            self._job.cancel()
            self._say(Text("f has no inputs: nothing to differentiate.", style="italic"))
            return
        from adexplorer.compare.fd_study import study

        values = dict(session.values)
        self._say(Text("computing finite differences… (Esc cancels)", style="italic"))
        self._job.submit(lambda: study(graph, values, wrt))

    def _say(self, message: Text) -> None:
        body = self.query_one("#fd-body", Static)
        body.add_class("-message")
        body.update(message)

    def cancel(self) -> bool:
        """Stop waiting for the study; True if one was being computed."""
        if not self._job.cancel():
            return False
        self._cancelled = True
        self._say(
            Text("cancelled: press 2 to compute the finite differences again", style="italic")
        )
        return True

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, AdxError):
            self._say(Text(error.render(), style="italic"))
        else:
            self._say(Text("the finite differences could not be computed (a bug in adx)"))
            handle(self, error)

    def _show_study(self, result: FdStudy) -> None:
        from adexplorer.render.compare_tables import error_table, summary_lines
        from adexplorer.render.plots import error_plot

        self.study = result
        width = self._width
        applicable = [s for s in result.schemes if s not in result.not_applicable]
        notes = [Text(f"{s}: {why}", style="italic") for s, why in result.not_applicable.items()]
        plot = Text.from_ansi(error_plot(result, width=max(40, width - 4), height=18, color=True))
        header = Text(
            f"d/d{result.wrt}: AD gives {result.exact!r}.  "
            "Key: T truncation dominates, R round-off.",
            style="bold",
        )
        body = self.query_one("#fd-body", Static)
        body.remove_class("-message")
        body.update(
            # The table (with its T/R marks) before the plot: lessons refer to it.
            Group(header, error_table(result, applicable), summary_lines(result), *notes, plot)
        )
