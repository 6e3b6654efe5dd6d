"""The one way adx makes a rich Console: no markup, no emoji codes, no raw control characters.

Text from users and lesson files is data.  With ``markup=False`` and
``emoji=False`` a ``[bold]`` or ``:smile:`` in it stays literal; styling comes
only from the code's own ``Text``/``Style`` objects.  As a last line of
defence every segment's text passes through :func:`~adexplorer.base.text.visible`
before it reaches the terminal, so an ESC or a bidi override that slipped past
the views is shown, not obeyed; and no table cell is ever cut with '…'.
Rich honours ``NO_COLOR`` and emits no styling when the output is not a terminal.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from rich.console import (
    Console,
    ConsoleOptions,
    ConsoleRenderable,
    Group,
    RenderableType,
    RenderResult,
)
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from adexplorer.base.text import has_unsafe, to_ascii, visible


class _Visible:
    """Wraps a renderable: its segments' text has control characters made visible."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for segment in console.render(self.renderable, options):
            if segment.control or not has_unsafe(segment.text):
                yield segment
            else:
                yield Segment(visible(segment.text), segment.style)


def _prepare(renderable: object, ascii_only: bool) -> None:
    """Tables fold what does not fit instead of cutting it with '…', so every digit
    asked for with --digits is printed, in a narrow terminal or a pipe alike.  On a
    stream that cannot encode Unicode, cells are written in ASCII before they are
    measured (v̄ as v_bar), so the columns still line up."""
    if isinstance(renderable, Table):
        for column in renderable.columns:
            column.overflow = "fold"
            column.no_wrap = False
            if ascii_only:
                column.header = _ascii(column.header)
                column._cells = [_ascii(cell) for cell in column._cells]
        if ascii_only and isinstance(renderable.title, str | Text):
            renderable.title = to_ascii(str(renderable.title))
    elif isinstance(renderable, Group):
        for inner in renderable.renderables:
            _prepare(inner, ascii_only)
    elif ascii_only and isinstance(renderable, Text):
        renderable.plain = to_ascii(renderable.plain)


def _ascii(cell: RenderableType) -> RenderableType:
    if isinstance(cell, str):
        return to_ascii(cell)
    if isinstance(cell, Text):
        cell.plain = to_ascii(cell.plain)
    return cell


class _Prepare:
    def __init__(self, console: Console) -> None:
        self.console = console

    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        ascii_only = not self.console.encoding.lower().replace("-", "").startswith("utf")
        for renderable in renderables:
            _prepare(renderable, ascii_only)
        return [_Visible(r) for r in renderables]


def make_console(*, stderr: bool = False) -> Console:
    """A console for adx's output.  With ``NO_COLOR`` set it emits no escape at all
    (rich alone would still send bold and italic)."""
    plain = bool(os.environ.get("NO_COLOR"))
    console = Console(stderr=stderr, markup=False, emoji=False, highlight=False)
    if plain:
        console = Console(
            stderr=stderr, markup=False, emoji=False, highlight=False, color_system=None
        )
    console.push_render_hook(_Prepare(console))  # type: ignore[arg-type]
    return console


def for_any_console(renderables: Iterable[RenderableType]) -> RenderableType:
    """adx's renderables for a console adx did not make (a notebook's, the user's own
    ``rich.print``): tables fold rather than cut, and control characters are shown,
    as :func:`make_console` does for adx's own output."""
    group = Group(*renderables)
    _prepare(group, ascii_only=False)
    return _Visible(group)


def print_lines(console: Console, lines: Iterable[str]) -> None:
    for line in lines:
        console.print(visible(line))
