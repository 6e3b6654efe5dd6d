"""TraceTable: the Wengert list with primal and tangent/adjoint columns filling in step by step."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from adexplorer.core.ir import Graph


class TraceTable(DataTable[Text], can_focus=False):
    """One row per node, in graph order; the current step's row is marked ▶ and selected.

    It never takes focus, so ← and → always step the trace; scroll it with the mouse.
    """

    DEFAULT_CSS = """
    TraceTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._graph: Graph | None = None
        self._rows: dict[int, tuple[str, ...]] = {}
        self._header = ""

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
            self._rows = {}
            for index, cells in rows:
                self.add_row(*[Text(c) for c in cells], key=str(index))
                self._rows[index] = cells
        else:
            keys = ["mark", "id", "operation", "value", derivative_header, "source"]
            for index, cells in rows:
                old = self._rows.get(index)
                if old == cells:
                    continue
                for k, (before, after) in enumerate(zip(old or (), cells, strict=False)):
                    if before != after:
                        self.update_cell(str(index), keys[k], Text(after))
                self._rows[index] = cells
        if current is not None and str(current) in self.rows:
            row = self.get_row_index(str(current))
            if row != self.cursor_row:
                self.move_cursor(row=row, animate=False)
