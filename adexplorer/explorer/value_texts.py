"""ValueTexts: what the explorer shows for each value, computed once per array.

Stepping redraws the trace table and the graph at every key; a tensor's summary
(its min, max and norm: a few passes over up to 100,000 entries) is made once
per array, width and precision, and kept while the trace that holds the array
lives.  Small values are formatted in full, which is as cheap as a lookup.
"""

from __future__ import annotations

from adexplorer.base.numbers import display_value, is_summarized

#: Entries kept before the cache starts again (a trace holds a few hundred arrays).
MAX_KEPT = 4096


class ValueTexts:
    """:func:`~adexplorer.base.numbers.display_value`, cached per array (see the module
    docstring); :meth:`forget` when the trace changes."""

    def __init__(self) -> None:
        # id → (the array itself, so that its id is not reused while it is kept; text)
        self._texts: dict[tuple[int, int, int | None], tuple[object, str]] = {}

    def forget(self) -> None:
        self._texts.clear()

    def text(self, value: object, digits: int, width: int | None = None) -> str:
        if not is_summarized(value) and (width is None or getattr(value, "ndim", 0) == 0):
            return display_value(value, digits, width)  # cheap: nothing to summarize
        key = (id(value), digits, width)
        kept = self._texts.get(key)
        if kept is not None and kept[0] is value:
            return kept[1]
        if len(self._texts) >= MAX_KEPT:
            self._texts.clear()
        text = display_value(value, digits, width)
        self._texts[key] = (value, text)
        return text
