"""ExportScreen: the explorer's export picker (key ``x``).

A small keyboard-driven dialog listing every format of :data:`adexplorer.exports.FORMATS`:
a format's letter picks it at once (``l`` LaTeX, ``m`` Markdown, ``d`` DOT, ``r`` Mermaid,
``s`` SVG, ``j`` JSON, ``t`` text), or ↑ ↓ and Enter; Esc closes without exporting.
Dismissed with the format's name, or None.  A letter typed right after ``x``, before
the dialog is on screen, still picks its format (``take_early_key``, see bugs.py).
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from adexplorer.base.text import visible
from adexplorer.exports import FORMATS

#: The key that picks each format, in the order the dialog lists them.
FORMAT_KEYS = {
    "latex": "l",
    "markdown": "m",
    "dot": "d",
    "mermaid": "r",
    "svg": "s",
    "json": "j",
    "text": "t",
}
_LABELS = {
    "latex": "LaTeX",
    "markdown": "Markdown",
    "dot": "DOT",
    "mermaid": "Mermaid",
    "svg": "SVG",
    "json": "JSON",
    "text": "text",
}


class ExportScreen(ModalScreen[str | None]):
    """Dismissed with the chosen format's name, or None on Esc."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="close without exporting"),
        *[
            Binding(key, f"pick('{name}')", _LABELS[name], show=False)
            for name, key in FORMAT_KEYS.items()
        ],
    ]
    AUTO_FOCUS = "#export-formats"

    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical {
        width: 90%; max-width: 84; height: auto;
        border: thick $accent; background: $panel; padding: 0 1;
    }
    ExportScreen #export-title { text-style: bold; }
    ExportScreen #export-formats { height: auto; max-height: 100vh; }
    ExportScreen #export-help { color: $text-muted; }
    """

    def __init__(self, where: str) -> None:
        super().__init__()
        self._where = where

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Export as …"), id="export-title")
            options = [
                Option(
                    Text.assemble(
                        (f"{FORMAT_KEYS[name]}  ", "bold"),
                        f"{_LABELS[name]:<9}{suffix:<6}{words}",
                    ),
                    id=name,
                )
                for name, (suffix, words) in FORMATS.items()
            ]
            yield OptionList(*options, id="export-formats")
            yield Static(
                Text(visible(f"a letter, or ↑↓ and Enter · Esc closes · saved in {self._where}")),
                id="export-help",
            )

    def action_pick(self, name: str) -> None:
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def take_early_key(self, event: events.Key) -> bool:
        """A format's letter typed right after ``x`` picks it (True); else False."""
        for name, key in FORMAT_KEYS.items():
            if event.key == key:
                self.dismiss(name)
                return True
        return False
