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
        """Show ``rows`` (node index, cells); only cells that changed are redrawn."""
        if graph is not self._graph or derivative_header != self._header:
            self._graph, self._header = graph, derivative_header
            if self._fill_timer is not None:
                self._fill_timer.stop()
                self._fill_timer = None
            self.clear(columns=True)
            self.add_column("", key="mark", width=1)
            # Fixed widths: re-measuring 500 rows on every step would make stepping lag.
            widest = [max((len(cells[k]) for _, cells in rows), default=4) for k in (1, 2, 5)]
            dual = "ε" in derivative_header
            widths = {
                "id": max(widest[0], 3),
                "operation": min(max(widest[1], 9), 32),
                "value": 12,
                derivative_header: 26 if dual else max(12, len(derivative_header)),
                "source": min(max(widest[2], 6), 40),
            }
            for name, width in widths.items():
                self.add_column(name, key=name, width=width)
            self._rows = dict(rows)
            self._order = [index for index, _ in rows]
            self._added = 0
            self._added_nodes = set()
            self._current = current
            self._fill()
            return
        keys = ["mark", "id", "operation", "value", derivative_header, "source"]
        for index, cells in rows:
            old = self._rows.get(index)
            if old == cells:
                continue
            self._rows[index] = cells
            if index not in self._added_nodes:
                continue  # it goes in with its latest cells
            for k, (before, after) in enumerate(zip(old or (), cells, strict=False)):
                if before != after:
                    self.update_cell(str(index), keys[k], Text(after))
        self._current = current
        self._follow_current()

    def _fill(self) -> None:
        """Add rows for :data:`FILL_SLICE` seconds; come back for the rest after a refresh."""
        self._fill_timer = None
        start = time.perf_counter()
        while self._added < len(self._order):
            index = self._order[self._added]
            self.add_row(*[Text(c) for c in self._rows[index]], key=str(index))
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
