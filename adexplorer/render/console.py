"""The one way adx makes a rich Console: no markup, no emoji codes, no raw control characters.

Text from users and lesson files is data.  With ``markup=False`` and
``emoji=False`` a ``[bold]`` or ``:smile:`` in it stays literal; styling comes
only from the code's own ``Text``/``Style`` objects.  As a last line of
defence every segment's text passes through :func:`~adexplorer.base.text.visible`
before it reaches the terminal, so an ESC or a bidi override that slipped past
the views is shown, not obeyed.  Rich honours ``NO_COLOR`` and emits no styling
when the output is not a terminal.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderableType, RenderResult
from rich.segment import Segment

from adexplorer.base.text import has_unsafe, visible


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


class _MakeVisible:
    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
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
    console.push_render_hook(_MakeVisible())  # type: ignore[arg-type]
    return console


def print_lines(console: Console, lines: Iterable[str]) -> None:
    for line in lines:
        console.print(visible(line))
