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
        """Show ``rows`` (node index, cells); only cells that changed are redrawn.

        In dual mode the derivative cell already holds the value (``a + bε``), so the
        value column is left out and the ``a + bε`` column is wide enough for both.
        """
        dual = "ε" in derivative_header
        keys = ["mark", "id", "operation", "value", derivative_header, "source"]
        shown = [k for k in range(len(keys)) if not (dual and keys[k] == "value")]
        if graph is not self._graph or derivative_header != self._header:
            self._graph, self._header = graph, derivative_header
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
            for k in shown:
                name = keys[k]
                self.add_column("" if name == "mark" else name, key=name, width=widths[name])
            self._rows = {}
            for index, cells in rows:
                self.add_row(*[Text(cells[k]) for k in shown], key=str(index))
                self._rows[index] = cells
        else:
            for index, cells in rows:
                old = self._rows.get(index)
                if old == cells:
                    continue
                for k in shown:
                    if old is None or old[k] != cells[k]:
                        self.update_cell(str(index), keys[k], Text(cells[k]))
                self._rows[index] = cells
        if current is not None and str(current) in self.rows:
            row = self.get_row_index(str(current))
            if row != self.cursor_row:
                self.move_cursor(row=row, animate=False)
