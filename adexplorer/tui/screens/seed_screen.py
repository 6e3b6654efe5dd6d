"""SeedScreen: a small dialog for the seed of the mode shown (key ``u``).

Forward and dual mode: the direction u over the inputs (one sweep gives J·u);
reverse mode: the cotangent ȳ over the outputs (one sweep gives ȳᵀJ);
second-order mode: the direction u of H·u (empty: the whole Hessian).  The text
goes through the value grammar only (the syntax of ``--at``).  Enter applies it;
a bad seed shows its error in the dialog, the text kept as typed, and nothing
changes.  Esc closes without a change.  Keys typed right after ``u``, before the
field has the focus, go into the field (a fast typist loses nothing).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from adexplorer.base.errors import AdxError
from adexplorer.tui.text import PlainInput, plain

#: Applies the text (raising AdxError if it is not a valid seed).
Apply = Callable[[str], None]


class SeedScreen(ModalScreen[bool]):
    """Dismissed with True once a seed was applied, False on Esc."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="close without a change")]
    AUTO_FOCUS = "#seed-input"

    DEFAULT_CSS = """
    SeedScreen { align: center middle; }
    SeedScreen > Vertical {
        width: 90%; max-width: 80; height: auto;
        border: thick $accent; background: $panel; padding: 0 1;
    }
    SeedScreen #seed-title { text-style: bold; }
    SeedScreen #seed-help { color: $text-muted; }
    SeedScreen #seed-input { width: 100%; }
    SeedScreen #seed-error { color: $error; height: auto; }
    """

    def __init__(self, title: str, explanation: str, text: str, apply: Apply) -> None:
        super().__init__()
        self._title = title
        self._explanation = explanation
        self._text = text
        self._apply = apply

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self._title), id="seed-title")
            yield Static(plain(self._explanation), id="seed-help")
            yield PlainInput(self._text, id="seed-input", select_on_focus=False)
            yield Static(Text("Enter applies · Esc closes", style="italic"), id="seed-error")

    def on_mount(self) -> None:
        self.query_one("#seed-input", Input).focus()

    def on_key(self, event: events.Key) -> None:
        """A key sent to the dialog itself rather than its field: one typed right after
        ``u`` while nothing had the focus yet.  The field takes it."""
        if self.take_early_key(event):
            event.stop()
            event.prevent_default()

    def take_early_key(self, event: events.Key) -> bool:
        """Put a typed character into the field (True), else False.  Characters typed
        right after ``u`` may still be on their way through the screen below when the
        dialog opens (the app hands them here, see bugs.py), or reach the dialog before
        its field has the focus.  Characters the field gets it stops itself, so they
        never come here; Enter and Backspace need nothing: they are the field's bindings,
        which the app applies once the key has bubbled up, the field focused by then."""
        if not event.is_printable or event.character is None:
            return False
        field = self.query_one("#seed-input", Input)
        field.insert_text_at_cursor(event.character)
        field.focus()
        return True

    @property
    def error_text(self) -> str:
        """What the dialog says under the field (the last error, or how to use it)."""
        shown = self.query_one("#seed-error", Static).content
        return shown.plain if isinstance(shown, Text) else str(shown)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            self._apply(event.value)
        except AdxError as error:
            # the text stays in the field as typed, so that it can be corrected
            self.query_one("#seed-error", Static).update(plain(error.render()))
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
