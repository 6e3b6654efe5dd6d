"""ArrayView: every entry of a value, in a grid that formats only what is on screen.

A Line-API widget (as the graph view): a mat[64,1000] is 64,000 numbers, and a
table widget that is handed them all measures every cell before it shows one.
Here each line on screen is made when it is drawn, from the rows and columns in
view, so opening and scrolling cost the same for a vec[3] and a mat[1000,100].
A vector is one column (an entry per row); a tensor of more dimensions is shown
as rows of its last axis.  The column numbers stay on the top line and the row
numbers on the left while the grid scrolls.  It scrolls by whole columns (← →
one, ``[`` ``]`` or shift+← → a screenful, Home/End the first and last) and
draws only the columns that fit whole: never a number's cut digits.
"""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
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
    """The entries of one array (see the module docstring); ↑ ↓ PgUp PgDn scroll the rows,
    ← → [ ] Home End the columns."""

    COMPONENT_CLASSES = {"array--index"}

    BINDINGS = [
        Binding("left", "column(-1)", "Column left", show=False),
        Binding("right", "column(1)", "Column right", show=False),
        Binding("left_square_bracket,shift+left", "page_columns(-1)", "Page left", show=False),
        Binding("right_square_bracket,shift+right", "page_columns(1)", "Page right", show=False),
        Binding("home", "to_column(0)", "First column", show=False),
        Binding("end", "to_column(-1)", "Last column", show=False),
        Binding("ctrl+home", "scroll_home", "Top", show=False),
        Binding("ctrl+end", "scroll_end", "Bottom", show=False),
    ]

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
        self.virtual_size = Size(self.label + (columns + 1) * self.cell, rows + 1)

    def show(self, value: object) -> None:
        self.grid = as_grid(value)
        rows, columns = self.grid.shape
        self.label = len(str(rows - 1)) + 2
        self.virtual_size = Size(self.label + (columns + 1) * self.cell, rows + 1)
        self.scroll_to(0, 0, animate=False)
        self.refresh()

    def first_visible(self) -> tuple[int, int]:
        """The (row, column) at the top left of the grid on screen."""
        scroll_x, scroll_y = self.scroll_offset
        return int(scroll_y), int(scroll_x) // self.cell

    def columns_on_screen(self) -> int:
        """How many whole columns fit beside the row numbers (at least one)."""
        return max((self.scrollable_content_region.width - self.label) // self.cell, 1)

    def to_column(self, column: int) -> None:
        """Scroll so that ``column`` is the first on screen (the last page stays full)."""
        columns = self.grid.shape[1]
        last_first = max(columns - self.columns_on_screen(), 0)
        column = min(max(column, 0), last_first)
        self.scroll_to(x=column * self.cell, animate=False)

    def action_column(self, delta: int) -> None:
        self.to_column(self.first_visible()[1] + delta)

    def action_page_columns(self, delta: int) -> None:
        self.to_column(self.first_visible()[1] + delta * self.columns_on_screen())

    def action_to_column(self, column: int) -> None:
        self.to_column(column if column >= 0 else self.grid.shape[1])

    def render_line(self, y: int) -> Strip:
        self.lines_drawn += 1
        width = self.size.width
        rows, columns = self.grid.shape
        first_row, first_column = self.first_visible()
        # whole columns only: a number is drawn with all its digits or not at all
        shown = range(first_column, min(columns, first_column + self.columns_on_screen()))
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
