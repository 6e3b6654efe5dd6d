"""FormulaBar: the current step's rule with its numbers substituted, and the results."""

from __future__ import annotations

from textual.widgets import Static


class FormulaBar(Static):
    """E.g. ``▶ step 4/7  v̇2 = v̇-1·v0 + v-1·v̇0 = 1·5 + 2·0 = 5``."""

    DEFAULT_CSS = """
    FormulaBar { height: auto; max-height: 6; padding: 0 1; background: $boost; color: $text; }
    """
