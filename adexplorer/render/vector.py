"""Rich views of vector forward mode: the one sweep's table and its cost line.

The table has a row per node of the vector sweep: the tangent rule (the scalar one,
applied to all n directions at once), the numbers substituted, and the tangent
itself: one column per direction when there are few (at most
:data:`MAX_DIRECTION_COLUMNS`), else the n-vector in one column.  Cells follow
:func:`~adexplorer.base.numbers.display_value` (a tensor of more than a dozen
entries is a summary; ``--json`` has every entry).  A view only: the numbers come
from the trace and :mod:`adexplorer.core.formulas`.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from adexplorer.base.numbers import display_value
from adexplorer.base.text import visible
from adexplorer.core.formulas import FormulaRenderer, dotted
from adexplorer.core.trace import Cost, Trace

#: Up to this many directions, each gets its own column.
MAX_DIRECTION_COLUMNS = 4
#: A cell's width for a tensor tangent (the summary fits it).
CELL = 32


def vector_table(trace: Trace, render: FormulaRenderer) -> Table:
    """The vector sweep: one row per node, every direction's tangent in it."""
    from adexplorer.render.trace_tables import _shown  # the long-table gap, as elsewhere

    sweep = trace.vector_sweep
    assert sweep is not None
    n = sweep.n
    by_column = n <= MAX_DIRECTION_COLUMNS
    # the table shows direction k as a column; past the column limit, as row k of a value
    where = "one column per direction" if by_column else "row k for direction k"
    title = (
        f"Vector tangent sweep (1 sweep carrying {n} direction{'s' if n != 1 else ''}: "
        f"{visible(', '.join(sweep.labels[:8]))}{', …' if n > 8 else ''}; "
        f"each tangent is an n-vector, {where})"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("tangent", style="bold magenta", no_wrap=True)
    table.add_column("rule", overflow="fold")
    table.add_column("with numbers", overflow="fold")
    if by_column:
        for label in sweep.labels:
            table.add_column(f"∂/∂{visible(label)}", justify="right", overflow="fold")
    else:
        table.add_column(f"value ({n} directions)", justify="right", overflow="fold")
    for _, step in _shown(table, sweep.steps):
        f = render.tangent(step, sweep.tangents)
        is_input = trace.graph.nodes[step.node].is_input
        rule = "seed (unit directions)" if is_input else f.rule
        numbers = "" if is_input else f.numbers
        if by_column:
            cells = [display_value(step.value[k], render.digits, CELL) for k in range(n)]
        else:
            cells = [display_value(step.value, render.digits, CELL)]
        table.add_row(dotted(render.labels[step.node]), rule, numbers, *cells)
    return table


def vector_cost_line(cost: Cost) -> Text:
    """What the one vector sweep costs beside n scalar sweeps (the cost model's counts)."""
    n = cost.vector or 0
    vector, scalar = cost.vector_sweep_cost(), cost.scalar_sweeps_cost()
    return Text(
        f"Vector forward mode: one vector sweep: {vector.total:,} operations "
        f"(the primal once, {n} tangent parts); {n} scalar sweeps: {scalar.total:,} "
        f"(the primal {n} times).  The tangent work is the same; the vector sweep saves "
        f"{scalar.total - vector.total:,} primal operations."
    )
