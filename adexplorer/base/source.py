"""Source positions: where in the user's text a piece of the graph came from.

A :class:`Span` is attached to every graph node and every error so the CLI can
print a caret under the text and the explorer can highlight it.  Also home to
:func:`gc_paused`, used while turning text into large trees and graphs.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from adexplorer.base.text import visible


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range ``[start, end)`` with 1-based line/column of its start."""

    start: int
    end: int
    line: int
    column: int

    def text(self, source: str) -> str:
        return source[self.start : self.end]

    def cover(self, other: Span) -> Span:
        """The smallest span containing both ``self`` and ``other``."""
        first = self if self.start <= other.start else other
        return Span(first.start, max(self.end, other.end), first.line, first.column)


def caret_excerpt(source: str, span: Span, *, width: int = 100) -> str:
    """The source line holding ``span`` with ``^^^`` under the spanned text.

    Only the first line of a multi-line span is underlined.  Long lines are cut
    around the span so the caret stays visible in a terminal.  Control
    characters in the line are shown as escapes (``\\x1b``) and the caret
    still points at the right place.
    """
    lines = source.split("\n")
    line_index = min(max(span.line - 1, 0), len(lines) - 1)
    raw = lines[line_index].rstrip("\r").expandtabs(1)
    col = min(max(span.column - 1, 0), len(raw))
    length = max(0, min(span.end - span.start, len(raw) - col))
    before, spanned, after = (
        visible(raw[:col], keep=""),
        visible(raw[col : col + length], keep=""),
        visible(raw[col + length :], keep=""),
    )
    line, col, length = before + spanned + after, len(before), max(1, len(spanned))
    offset = 0
    if len(line) > width:
        offset = max(0, min(col - width // 3, len(line) - width))
        line = ("…" if offset else "") + line[offset : offset + width] + "…"
        col = col - offset + (1 if offset else 0)
    gutter = f"{span.line} | "
    return f"{gutter}{line}\n{' ' * (len(gutter) + col)}{'^' * length}"


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while building large acyclic structures.

    Parse trees and graphs hold no reference cycles, but the collector still
    rescans every live object as millions are allocated, which made parsing a
    100,000-line program more than twice as slow.  Reference counting still
    frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
