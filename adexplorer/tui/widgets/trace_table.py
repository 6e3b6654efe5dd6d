"""TraceTable: the Wengert list with primal and tangent/adjoint columns filling in step by step."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from adexplorer.ir import Graph


class TraceTable(DataTable[Text]):
    """One row per node, in graph order; the current step's row is marked ▶ and selected."""

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
            for name in ("id", "operation", "value", derivative_header, "source"):
                self.add_column(name, key=name)
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
                        self.update_cell(str(index), keys[k], Text(after), update_width=True)
                self._rows[index] = cells
        if current is not None and str(current) in self.rows:
            row = self.get_row_index(str(current))
            if row != self.cursor_row:
                self.move_cursor(row=row, animate=False)
