"""SourceEditor: the program, parsed live; errors show below with a caret; no text is lost.

Programs may have indented blocks (``if x > 0:`` / ``for i in range(3):``), so
the editor indents like a code editor: Enter keeps the line's indentation and
indents one step more after a line ending in ``:``; Tab indents to the next
multiple of 4 (Esc, not Tab, leaves the editor); shift+Tab dedents the line.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static, TextArea

from adexplorer.base.errors import AdxError
from adexplorer.base.text import has_unsafe, visible
from adexplorer.tui.messages import SourceEdited

#: Columns one indentation step adds (Python's custom; the language takes any).
INDENT = 4


def indentation_after(line: str) -> str:
    """What Enter puts at the start of the next line after ``line`` (the text before the
    cursor): the same indentation, one step more after a block header ending in ``:``."""
    stripped = line.split("#", 1)[0].rstrip()
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    return indent + " " * INDENT if stripped.endswith(":") else indent


class ProgramArea(TextArea):
    """A TextArea that indents blocks (see the module docstring)."""

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        if not self.read_only and key in ("tab", "shift+tab"):
            return True
        return super().check_consume_key(key, character)

    async def _on_key(self, event: events.Key) -> None:
        if self.read_only or event.key not in ("enter", "tab", "shift+tab"):
            await super()._on_key(event)
            return
        event.stop()
        event.prevent_default()
        start, end = self.selection
        row, column = self.cursor_location
        line = self.document[row]
        if event.key == "enter":
            self._replace_via_keyboard("\n" + indentation_after(line[:column]), start, end)
        elif event.key == "tab":
            width = self.get_column_width(row, column)
            self._replace_via_keyboard(" " * (INDENT - width % INDENT), start, end)
        else:
            self._dedent(row, line)

    def _dedent(self, row: int, line: str) -> None:
        """Take up to one indentation step from the start of line ``row``."""
        spaces = len(line) - len(line.lstrip(" "))
        remove = min(spaces, INDENT) if spaces else (1 if line.startswith("\t") else 0)
        if remove:
            self.delete((row, 0), (row, remove))


class SourceEditor(Vertical):
    """A TextArea and an error line.  While the text is invalid the last good graph stays."""

    DEFAULT_CSS = """
    SourceEditor {
        height: auto; border: round $primary 50%; border-title-color: $text-muted;
    }
    SourceEditor:focus-within { border: round $accent; }
    SourceEditor > TextArea {
        height: auto; max-height: 8; min-height: 1; border: none; padding: 0;
        /* No scrollbar to toggle: Textual's undo refreshes the size before it puts
           the cursor back, and a toggling scrollbar then asks for a line that is
           gone (a crash).  The editor still scrolls to follow the cursor. */
        overflow-y: hidden;
    }
    SourceEditor > TextArea:focus { border: none; }
    SourceEditor > #error { color: $error; height: auto; display: none; }
    SourceEditor.-invalid > #error { display: block; }
    """

    def __init__(self, text: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "f = (e edits; Esc leaves)"
        # a program read from a file may hold an ESC in a comment: show it as an escape
        self._initial = visible(text, keep="\n\t")

    def compose(self) -> ComposeResult:
        yield ProgramArea(self._initial, id="source", soft_wrap=True, show_line_numbers=False)
        yield Static(id="error")

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    def set_text(self, text: str) -> None:
        """Show another program (the TextArea reports the change like an edit)."""
        self.query_one(TextArea).text = visible(text, keep="\n\t")

    @property
    def shown(self) -> bool:
        """Whether the editor is on screen (the lesson player hides it under 100 columns)."""
        return all(node.display for node in self.ancestors_with_self if isinstance(node, Widget))

    def focus_text(self) -> bool:
        """Focus the text; False if the editor is hidden (then keys must not edit f unseen)."""
        if not self.shown:
            return False
        self.query_one(TextArea).focus()
        return True

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        text = event.text_area.text
        if has_unsafe(text, allowed="\n\t"):
            # A pasted ESC or bidi override would reach the terminal as it is:
            # show it as an escape instead (it is not valid adx either way).
            area = event.text_area
            cursor = area.cursor_location
            area.text = visible(text, keep="\n\t")
            area.cursor_location = cursor
            return  # the replacement reports itself as a change
        self.post_message(SourceEdited(text))

    def show_busy(self, busy: bool) -> None:
        """Say that what was typed is being compiled (it is, shortly after the last key)."""
        self.border_subtitle = "compiling…" if busy else ""

    def show_error(self, error: AdxError | None) -> None:
        self.set_class(error is not None, "-invalid")
        if error is not None:
            message = error.render() + "\n(showing the last valid graph)"
            self.query_one("#error", Static).update(Text(message))
