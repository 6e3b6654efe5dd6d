"""Text a user or a lesson file wrote, ready for a widget: plain (never markup), controls visible.

Textual parses a ``str`` given to ``Static``, ``Label``, ``notify`` or a border
title as markup, so ``[@click=app.quit]`` in a lesson would be a live action
and ``[/]`` a crash.  A ``rich.text.Text`` is taken as it is; :func:`plain`
makes one, with control characters shown as escapes (``\\x1b``).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Input

from adexplorer.base.text import has_unsafe, visible


def plain(text: str, style: str = "") -> Text:
    return Text(visible(text), style=style)


class PlainInput(Input):
    """An input field whose text never holds a raw control character.

    Keys cannot type one, but a paste (or a program) can; it is kept as its
    visible escape, so the field never sends ESC or a bidi override to the
    terminal.  The text is otherwise the user's, unchanged.
    """

    def validate_value(self, value: str) -> str:
        return visible(value, keep="") if has_unsafe(value, allowed="") else value
