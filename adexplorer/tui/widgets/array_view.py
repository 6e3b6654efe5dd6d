"""ArrayView: every entry of a value, in a grid that formats only what is on screen.

A Line-API widget (as the graph view): a mat[64,1000] is 64,000 numbers, and a
table widget that is handed them all measures every cell before it shows one.
Here each line on screen is made when it is drawn, from the rows and columns in
view, so opening and scrolling cost the same for a vec[3] and a mat[1000,100].
A vector is one column (an entry per row); a tensor of more dimensions is shown
as rows of its last axis.  The column numbers stay on the top line and the row
numbers on the left while the grid scrolls.
"""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from adexplorer.base.numbers import format_scalar


def as_grid(value: object) -> np.ndarray:
    """The value as rows and columns: a scalar 1×1, a vector one column, a matrix itself,
    more dimensions as rows of the last axis."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return arr.reshape(1, 1)
    if arr.ndim == 1:
        return arr.reshape(-1, 1)
    return arr.reshape(-1, arr.shape[-1])


class ArrayView(ScrollView, can_focus=True):
    """The entries of one array (see the module docstring); arrows, PgUp/PgDn, Home/End scroll."""

    COMPONENT_CLASSES = {"array--index"}

    DEFAULT_CSS = """
    ArrayView { background: $surface; height: 1fr; }
    ArrayView > .array--index { color: $text-muted; text-style: bold; }
    """

    def __init__(self, value: object, digits: int = 6, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.digits = digits
        self.grid = as_grid(value)
        self.lines_drawn = 0  # how many lines were made (tests check it stays small)
        rows, columns = self.grid.shape
        self.cell = digits + 8  # sign, point, e-05, and a space between columns
        self.label = len(str(rows - 1)) + 2
        self.virtual_size = Size(self.label + columns * self.cell, rows + 1)

    def show(self, value: object) -> None:
        self.grid = as_grid(value)
        rows, columns = self.grid.shape
        self.label = len(str(rows - 1)) + 2
        self.virtual_size = Size(self.label + columns * self.cell, rows + 1)
        self.scroll_to(0, 0, animate=False)
        self.refresh()

    def first_visible(self) -> tuple[int, int]:
        """The (row, column) at the top left of the grid on screen."""
        scroll_x, scroll_y = self.scroll_offset
        return int(scroll_y), int(scroll_x) // self.cell

    def render_line(self, y: int) -> Strip:
        self.lines_drawn += 1
        width = self.size.width
        rows, columns = self.grid.shape
        first_row, first_column = self.first_visible()
        shown = range(first_column, min(columns, first_column + max(width // self.cell, 0) + 1))
        index_style = self.get_component_rich_style("array--index")
        if y == 0:
            head = "".join(f"{c:>{self.cell}}" for c in shown)
            segments = [Segment(" " * self.label + head, index_style)]
        else:
            row = first_row + y - 1
            if row >= rows:
                return Strip.blank(width, self.rich_style)
            cells = "".join(
                f"{format_scalar(self.grid[row, c], self.digits):>{self.cell}}" for c in shown
            )
            segments = [
                Segment(f"{row:>{self.label - 1}} ", index_style),
                Segment(cells, self.rich_style or Style()),
            ]
        return Strip(segments).crop(0, width).extend_cell_length(width, self.rich_style)
