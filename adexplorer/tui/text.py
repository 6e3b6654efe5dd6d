"""Text a user or a lesson file wrote, ready for a widget: plain (never markup), controls visible.

Textual parses a ``str`` given to ``Static``, ``Label``, ``notify`` or a border
title as markup, so ``[@click=app.quit]`` in a lesson would be a live action
and ``[/]`` a crash.  A ``rich.text.Text`` is taken as it is; :func:`plain`
makes one, with control characters shown as escapes (``\\x1b``).
"""

from __future__ import annotations

from rich.text import Text

from adexplorer.base.text import visible


def plain(text: str, style: str = "") -> Text:
    return Text(visible(text), style=style)
