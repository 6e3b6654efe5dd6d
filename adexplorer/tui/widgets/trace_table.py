"""TraceTable: the Wengert list with primal and tangent/adjoint columns filling in step by step.

For a program with ``if``/``for`` (a taped run) each row also says its source
line and loop iteration, and the rows of one loop iteration are a group under a
header row (``▾ i=3 · line 4 · 2 ops``) that ``z`` folds into that one row and
unfolds again (``Z``: every group).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from rich.text import Text
from textual.timer import Timer
from textual.widgets import DataTable

from adexplorer.base.numbers import SHOWN_IN_FULL
from adexplorer.core.ir import Graph
from adexplorer.explorer.control_flow import IterationGroup

#: Seconds of rows added at a time when a new graph's rows go in (see TraceTable).
FILL_SLICE = 0.025
#: Row marks: the current step, an unfolded group, a folded group.
CURRENT, OPEN, FOLDED = "▶", "▾", "▸"

Item = IterationGroup | int
#: In the derivative column's header in second-order mode (v̄̇: each cell holds v̄ and v̄̇).
SECOND_ORDER_MARK = "v\u0304\u0307"
#: The width of the value and derivative columns when the graph has tensors (their summaries).
TENSOR_CELL = 28


class TraceTable(DataTable[Text], can_focus=False):
    """One row per node, in graph order; the current step's row is marked ▶ and selected.

    It never takes focus, so ← and → always step the trace; scroll it with the mouse.

    A new graph's rows go in a slice at a time (:data:`FILL_SLICE`), between
    which the app handles keys: Textual's table measures every cell it is given,
    which took seconds for a program of a few thousand operations, all that time
    with the interface frozen.  :attr:`filling` says whether rows are still to come.

    Rows of loop iterations are grouped (see the module docstring); a folded
    group's header stands for its rows, and is marked ▶ while the current step
    is one of them.
    """

    DEFAULT_CSS = """
    TraceTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._graph: Graph | None = None
        self._rows: dict[int, tuple[str, ...]] = {}  # the latest cells of every row
        self._items: list[Item] = []  # rows and iteration groups, in tape order
        self._folded: set[int] = set()  # numbers of the folded groups
        self._group_of: dict[int, IterationGroup] = {}  # node → its group
        self._order: list[str] = []  # row keys, in the order of the rows shown
        self._added = 0  # how many of them are in the table so far
        self._added_keys: set[str] = set()
        self._header = ""
        self._keys: list[str] = []
        self._current: int | None = None
        self._marked_group: int | None = None  # the folded group marked ▶
        self._fill_timer: Timer | None = None
        self._shown: list[int] = []  # which cells of a row have a column (not value in dual)

    @property
    def filling(self) -> bool:
        """Rows of the graph shown are still being added."""
        return self._added < len(self._order)

    @property
    def groups(self) -> list[IterationGroup]:
        return [item for item in self._items if isinstance(item, IterationGroup)]

    @property
    def folded(self) -> frozenset[int]:
        return frozenset(self._folded)

    def step_rows(self) -> tuple[int, int]:
        """(rows of steps in the table, steps folded away in groups): together, every step
        (once the rows are all in, see :attr:`filling`)."""
        groups = self.groups
        hidden = sum(g.ops for g in groups if g.number in self._folded)
        return self.row_count - len(groups), hidden

    def show(
        self,
        graph: Graph,
        rows: Sequence[tuple[int, tuple[str, ...]]],
        derivative_header: str,
        current: int | None,
        groups: Sequence[Item] = (),
    ) -> None:
        """Show ``rows`` (node index, cells); only cells that changed are redrawn.

        The cells are mark, id, line, iteration, operation, value, derivative,
        source; line and iteration have a column only for a taped program.  In
        dual mode the derivative cell already holds the value (``a + bε``), so the
        value column is left out and the ``a + bε`` column is wide enough for both.
        ``groups``: the rows in order with loop iterations grouped (empty: no groups).
        """
        dual = "ε" in derivative_header
        keys = ["mark", "id", "line", "loop", "operation", "value", derivative_header, "source"]
        self._keys = keys
        taped = graph.dynamic
        tensors = any(math.prod(node.shape) > SHOWN_IN_FULL for node in graph.nodes)
        # With tensors the cells are wide and the pane may be narrow: the derivative (what
        # the sweep is computing) comes before the value, so it is the one that shows.
        order = [0, 1, 2, 3, 4, 6, 5, 7] if tensors and not dual else range(len(keys))
        self._shown = [
            k
            for k in order
            if not (dual and keys[k] == "value") and (taped or keys[k] not in ("line", "loop"))
        ]
        if graph is not self._graph or derivative_header != self._header:
            new_groups = [g for g in groups if isinstance(g, IterationGroup)]
            if len(new_groups) != len(self.groups):
                self._folded = set()  # another loop: every group starts unfolded
            self._graph, self._header = graph, derivative_header
            self._items = list(groups) or [index for index, _ in rows]
            self._group_of = {n: g for g in new_groups for n in g.nodes}
            self._folded &= {g.number for g in new_groups}
            self.clear(columns=True)
            # Fixed widths: re-measuring 500 rows on every step would make stepping lag.
            widest = [max((len(cells[k]) for _, cells in rows), default=4) for k in (1, 3, 4, 7)]
            titles = max((len(g.title()) for g in new_groups), default=0)
            # A tensor's cell is its summary (TENSOR_CELL characters at most).
            number = TENSOR_CELL if tensors else 12
            widths = {
                "mark": 1,
                "id": max(widest[0], 3),
                "line": 4,
                "loop": max(widest[1], 4),
                "operation": min(max(widest[2], 9, titles), 32),
                "value": number,
                # two numbers of up to 12 characters, " + " and ε (second order: v̇, v̄
                # and v̄̇ with their names)
                derivative_header: 2 * number + 4
                if dual
                else 3 * number + 12
                if SECOND_ORDER_MARK in derivative_header
                else max(number, len(derivative_header)),
                "source": min(max(widest[3], 6), 40),
            }
            for k in self._shown:
                name = keys[k]
                self.add_column("" if name == "mark" else name, key=name, width=widths[name])
            self._rows = dict(rows)
            self._current = current
            self._restart()
            return
        for index, cells in rows:
            old = self._rows.get(index)
            if old == cells:
                continue
            self._rows[index] = cells
            key = str(index)
            if key not in self._added_keys:
                continue  # it goes in with its latest cells
            for k in self._shown:
                if old is None or old[k] != cells[k]:
                    self.update_cell(key, keys[k], Text(cells[k]))
        self._current = current
        self._follow_current()

    # -- folding -------------------------------------------------------------------

    def toggle_group(self, group: int | None = None) -> bool:
        """Fold or unfold a group (default: the one under the cursor, else the current
        step's); False if there is no such group."""
        number = group if group is not None else self._group_under_cursor()
        if number is None or number not in {g.number for g in self.groups}:
            return False
        self._folded ^= {number}
        self._restart()
        return True

    def toggle_all(self) -> bool:
        """Fold every group, or unfold them all if all are folded; False if there are none."""
        numbers = {g.number for g in self.groups}
        if not numbers:
            return False
        self._folded = set() if self._folded >= numbers else numbers
        self._restart()
        return True

    def _group_under_cursor(self) -> int | None:
        if self._order and 0 <= self.cursor_row < min(self._added, len(self._order)):
            key = self._order[self.cursor_row]
            if key.startswith("g"):
                return int(key[1:])
            group = self._group_of.get(int(key))
            if group is not None:
                return group.number
        if self._current is not None and self._current in self._group_of:
            return self._group_of[self._current].number
        return None

    # -- rows --------------------------------------------------------------------------

    def _restart(self) -> None:
        """Put the rows in again (a new graph, or a group folded or unfolded)."""
        if self._fill_timer is not None:
            self._fill_timer.stop()
            self._fill_timer = None
        self.clear()
        order: list[str] = []
        for item in self._items:
            if isinstance(item, IterationGroup):
                order.append(f"g{item.number}")
                if item.number not in self._folded:
                    order.extend(str(n) for n in item.nodes)
            else:
                order.append(str(item))
        self._order = order
        self._added = 0
        self._added_keys = set()
        self._marked_group = None
        self._fill()

    def _cells(self, key: str) -> list[Text]:
        if not key.startswith("g"):
            cells = self._rows[int(key)]
            return [Text(cells[k]) for k in self._shown]
        number = int(key[1:])
        group = next(g for g in self.groups if g.number == number)
        mark = FOLDED if number in self._folded else OPEN
        if number == self._marked_group:
            mark = CURRENT
        header = {"mark": Text(mark), "operation": Text(group.title(), style="bold")}
        return [header.get(self._keys[k], Text("")) for k in self._shown]

    def _fill(self) -> None:
        """Add rows for :data:`FILL_SLICE` seconds; come back for the rest after a refresh."""
        self._fill_timer = None
        start = time.perf_counter()
        while self._added < len(self._order):
            key = self._order[self._added]
            self.add_row(*self._cells(key), key=key)
            self._added_keys.add(key)
            self._added += 1
            if time.perf_counter() - start > FILL_SLICE:
                break
        if self.filling:
            self._fill_timer = self.set_timer(0.001, self._fill)
        self._follow_current()

    def _follow_current(self) -> None:
        current = self._current
        target: str | None = None
        marked: int | None = None
        if current is not None:
            group = self._group_of.get(current)
            if group is not None and group.number in self._folded:
                marked = group.number
                target = f"g{group.number}"
            else:
                target = str(current)
        if marked != self._marked_group:
            self._mark_group(self._marked_group, FOLDED)
            self._mark_group(marked, CURRENT)
            self._marked_group = marked
        if target is not None and target in self._added_keys:
            row = self.get_row_index(target)
            if row != self.cursor_row:
                self.move_cursor(row=row, animate=False)

    def _mark_group(self, number: int | None, mark: str) -> None:
        key = f"g{number}"
        if number is not None and key in self._added_keys:
            self.update_cell(key, "mark", Text(mark))
