"""ExplorerApp: the explorer on its own, as ``adx`` and ``adx explore`` open it.

Thin: the explorer view (``explorer_view.py``) holds the explorer's widgets,
keys and actions; the app adds the footer, help and the command palette.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer

from adexplorer.explorer.session import Session
from adexplorer.tui.bugs import NoTraceback, run_app
from adexplorer.tui.explorer_view import FOOTER_CSS, ExplorerView
from adexplorer.tui.keys import KeyGroup, bindings_of, palette_commands
from adexplorer.tui.screens.help import HelpScreen

#: Help and quit, in both apps (the explorer's own keys are the view's).
APP_BINDINGS = [
    Binding("question_mark,f1", "help", "Help", tooltip="this help"),
    Binding("q", "quit", "Quit", tooltip="quit"),
]


class ExplorerApp(NoTraceback):
    """Type a function, then step or play its primal, tangent and adjoint traces."""

    TITLE = "AD Explorer"
    BINDINGS = [*APP_BINDINGS]
    CSS = FOOTER_CSS

    def __init__(self, session: Session | None = None, *, export_dir: Path | None = None) -> None:
        super().__init__()
        self._session = session or Session.start()
        self._export_dir = export_dir

    def compose(self) -> ComposeResult:
        yield ExplorerView(self._session, export_dir=self._export_dir, id="explorer")
        yield Footer()

    @property
    def view(self) -> ExplorerView:
        return self.query_one(ExplorerView)

    @property
    def session(self) -> Session:
        return self.view.session

    @property
    def playing(self) -> bool:
        return self.view.playing

    def keys(self) -> list[KeyGroup]:
        return [(self.view, ExplorerView.BINDINGS), (self, self.BINDINGS)]

    def action_help(self) -> None:
        self.push_screen(HelpScreen(bindings_of(self.keys())))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from palette_commands(self, self.keys())


def run_explorer(session: Session) -> None:
    run_app(ExplorerApp(session))
