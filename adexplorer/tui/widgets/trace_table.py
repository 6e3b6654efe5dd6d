"""TraceTable: the Wengert list with primal and tangent/adjoint columns filling in step by step."""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.text import Text
from textual.timer import Timer
from textual.widgets import DataTable

from adexplorer.core.ir import Graph

#: Seconds of rows added at a time when a new graph's rows go in (see TraceTable).
FILL_SLICE = 0.025


class TraceTable(DataTable[Text], can_focus=False):
    """One row per node, in graph order; the current step's row is marked ▶ and selected.

    It never takes focus, so ← and → always step the trace; scroll it with the mouse.

    A new graph's rows go in a slice at a time (:data:`FILL_SLICE`), between
    which the app handles keys: Textual's table measures every cell it is given,
    which took seconds for a program of a few thousand operations, all that time
    with the interface frozen.  :attr:`filling` says whether rows are still to come.
    """

    DEFAULT_CSS = """
    TraceTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._graph: Graph | None = None
        self._rows: dict[int, tuple[str, ...]] = {}  # the latest cells of every row
        self._order: list[int] = []  # node indices, in the order of the rows
        self._added = 0  # how many of them are in the table so far
        self._added_nodes: set[int] = set()
        self._header = ""
        self._current: int | None = None
        self._fill_timer: Timer | None = None
        self._shown: list[int] = []  # which cells of a row have a column (not value in dual)

    @property
    def filling(self) -> bool:
        """Rows of the graph shown are still being added."""
        return self._added < len(self._order)

    def show(
        self,
        graph: Graph,
        rows: Sequence[tuple[int, tuple[str, ...]]],
        derivative_header: str,
        current: int | None,
    ) -> None:
        """Show ``rows`` (node index, cells); only cells that changed are redrawn.

        In dual mode the derivative cell already holds the value (``a + bε``), so the
        value column is left out and the ``a + bε`` column is wide enough for both.
        """
        dual = "ε" in derivative_header
        keys = ["mark", "id", "operation", "value", derivative_header, "source"]
        self._shown = [k for k in range(len(keys)) if not (dual and keys[k] == "value")]
        if graph is not self._graph or derivative_header != self._header:
            self._graph, self._header = graph, derivative_header
            if self._fill_timer is not None:
                self._fill_timer.stop()
                self._fill_timer = None
            self.clear(columns=True)
            # Fixed widths: re-measuring 500 rows on every step would make stepping lag.
            widest = [max((len(cells[k]) for _, cells in rows), default=4) for k in (1, 2, 5)]
            widths = {
                "mark": 1,
                "id": max(widest[0], 3),
                "operation": min(max(widest[1], 9), 32),
                "value": 12,
                # two numbers of up to 12 characters, " + " and ε
                derivative_header: 28 if dual else max(12, len(derivative_header)),
                "source": min(max(widest[2], 6), 40),
            }
            for k in self._shown:
                name = keys[k]
                self.add_column("" if name == "mark" else name, key=name, width=widths[name])
            self._rows = dict(rows)
            self._order = [index for index, _ in rows]
            self._added = 0
            self._added_nodes = set()
            self._current = current
            self._fill()
            return
        for index, cells in rows:
            old = self._rows.get(index)
            if old == cells:
                continue
            self._rows[index] = cells
            if index not in self._added_nodes:
                continue  # it goes in with its latest cells
            for k in self._shown:
                if old is None or old[k] != cells[k]:
                    self.update_cell(str(index), keys[k], Text(cells[k]))
        self._current = current
        self._follow_current()

    def _fill(self) -> None:
        """Add rows for :data:`FILL_SLICE` seconds; come back for the rest after a refresh."""
        self._fill_timer = None
        start = time.perf_counter()
        while self._added < len(self._order):
            index = self._order[self._added]
            cells = self._rows[index]
            self.add_row(*[Text(cells[k]) for k in self._shown], key=str(index))
            self._added_nodes.add(index)
            self._added += 1
            if time.perf_counter() - start > FILL_SLICE:
                break
        if self.filling:
            self._fill_timer = self.set_timer(0.001, self._fill)
        self._follow_current()

    def _follow_current(self) -> None:
        current = self._current
        if current is not None and current in self._added_nodes:
            row = self.get_row_index(str(current))
            if row != self.cursor_row:
                self.move_cursor(row=row, animate=False)
