"""Rich tables for ``adx eval … --hvp u`` and ``--hessian``: the nested trace and its results.

A view only: the numbers come from a :class:`~adexplorer.core.second_order.SecondOrderTrace`
and every step's text from :mod:`adexplorer.core.nested_formulas` (the explorer and the
JSON report show the same text).  The order is the order the work happens in: the
primal trace, then for each direction the tangent sweep along it and the nested
adjoint sweep (v̄ and its tangent v̄̇ side by side), then the gradient and H·u (or the
Hessian as a labelled matrix with its symmetry check), then the cost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text

from adexplorer.base.numbers import display_value, format_scalar
from adexplorer.base.shapes import Array
from adexplorer.base.text import visible
from adexplorer.core.formulas import FormulaRenderer, dotted
from adexplorer.core.nested_formulas import NestedFormulaRenderer
from adexplorer.core.second_order import NestedSweep, SecondOrderTrace
from adexplorer.core.trace import Trace
from adexplorer.render.console import make_console
from adexplorer.render.trace_tables import (
    ADJOINT_CELL,
    MAX_SWEEPS_SHOWN,
    _shown,
    _title,
    primal_table,
    shown_value,
)

#: The Hessian as a table: past this many rows and columns, the first ones only
#: (``--json`` has every entry).
MAX_MATRIX_SHOWN = 8


def first_order_view(trace: SecondOrderTrace) -> Trace:
    """The primal part of a second-order run as a first-order :class:`Trace` (mode
    "evaluate"), so the primal table and the title are drawn as ``adx eval`` draws them."""
    return Trace(
        graph=trace.graph,
        mode="evaluate",
        inputs=trace.inputs,
        primal_steps=trace.primal_steps,
        values=trace.values,
    )


def direction_text(trace: SecondOrderTrace, sweep: NestedSweep, render: FormulaRenderer) -> str:
    """``u̇: v̇-1 = 1, v̇0 = 0`` for a sweep's direction (every input, zeros included)."""
    parts = []
    for index in trace.graph.inputs:
        value = sweep.direction.get(index)
        shown = display_value(value, render.digits) if value is not None else "0"
        parts.append(f"{dotted(render.labels[index])} = {shown}")
    return ", ".join(parts)


def tangent_table(
    trace: SecondOrderTrace, sweep: NestedSweep, render: FormulaRenderer, title: str
) -> Table:
    """The primal tangents v̇ along the sweep's direction: what the second-order rules use."""
    table = Table(title=title, title_justify="left")
    table.add_column("tangent", style="bold magenta", no_wrap=True)
    table.add_column("rule", overflow="fold")
    table.add_column("with numbers", overflow="fold")
    table.add_column("value", justify="right", overflow="fold")
    for _, step in _shown(table, sweep.tangent_steps):
        formula = render.tangent(step, sweep.tangents)
        is_input = trace.graph.nodes[step.node].is_input
        value = shown_value(formula.result, step.value, render.digits)
        table.add_row(
            formula.target,
            "direction" if is_input else formula.rule,
            "" if is_input else formula.numbers,
            value,
        )
    return table


def nested_table(
    trace: SecondOrderTrace, sweep: NestedSweep, nested: NestedFormulaRenderer, title: str
) -> Table:
    """One nested adjoint sweep: each step's adjoint rule and its second-order rule, with
    the numbers substituted, v̄ and v̄̇ side by side."""
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right", style="dim")
    table.add_column("adjoint", style="bold green", no_wrap=True)
    table.add_column("rule", overflow="fold")
    table.add_column("numbers", overflow="fold")
    table.add_column("v̄ total", justify="right", overflow="fold")
    table.add_column("v̄̇ rule", overflow="fold")
    table.add_column("numbers ", overflow="fold")
    table.add_column("v̄̇ total", justify="right", overflow="fold")
    table.add_column("fan-out", style="yellow")
    receives = Counter(s.node for s in sweep.steps if s.source is not None)
    seen: Counter[int] = Counter()
    ordinal = []
    for step in sweep.steps:
        seen[step.node] += step.source is not None
        ordinal.append(seen[step.node])
    digits = nested.digits
    for index, step in _shown(table, sweep.steps):
        first = nested.adjoint(step, sweep)
        second = nested.adjoint_dot(step, sweep)
        total = display_value(step.total, digits, ADJOINT_CELL)
        total_dot = display_value(step.total_dot, digits, ADJOINT_CELL)
        target = f"{first.target} · {second.target}"
        if step.source is None:
            table.add_row(str(index + 1), target, "seed", "", total, "seed", "", total_dot, "")
            continue
        marker = f"{ordinal[index]} of {receives[step.node]}" if receives[step.node] > 1 else ""
        table.add_row(
            str(index + 1),
            target,
            f"+= {first.rule}",
            first.numbers,
            total,
            f"+= {second.rule}",
            second.numbers,
            total_dot,
            marker,
        )
    return table


def sweep_tables(trace: SecondOrderTrace, numbering: str, digits: int) -> list[Table]:
    """The tangent and nested tables of the first sweeps (at most :data:`MAX_SWEEPS_SHOWN`)."""
    render = FormulaRenderer(trace.graph, trace.values, numbering=numbering, digits=digits)
    nested = NestedFormulaRenderer(trace, numbering=numbering, digits=digits)
    tables = []
    count = len(trace.sweeps)
    for number, sweep in enumerate(trace.sweeps[:MAX_SWEEPS_SHOWN], start=1):
        which = (
            f"along u ({direction_text(trace, sweep, render)})"
            if trace.kind == "hvp"
            else f"{number} of {count}, along e_{sweep.label} "
            f"({direction_text(trace, sweep, render)})"
        )
        tables.append(tangent_table(trace, sweep, render, f"Tangent sweep {which}"))
        tables.append(
            nested_table(
                trace,
                sweep,
                nested,
                f"Nested adjoint sweep {which}: reverse order, v̄ and its tangent v̄̇ "
                "(seed ȳ = 1, ȳ̇ = 0)",
            )
        )
    return tables


def _per_input(values: Mapping[str, Array], symbol: str, digits: int) -> list[Text]:
    return [
        Text.assemble((f"{symbol} ", "bold"), f"{name}: {display_value(value, digits)}")
        for name, value in values.items()
    ]


def results(trace: SecondOrderTrace, digits: int) -> Group:
    """The value, the gradient, and H·u per input or the Hessian with its symmetry check."""
    graph = trace.graph
    value = trace.values[graph.outputs[0]]
    lines: list[Text | Table] = [
        Text.assemble(("value  ", "bold"), f"{graph.output_names[0]} = {display_value(value)}")
    ]
    for name, grad in trace.gradient().items():
        lines.append(
            Text.assemble(("gradient ", "bold"), f"∂f/∂{name} = {display_value(grad, digits)}")
        )
    if trace.kind == "hvp":
        for name, product in trace.hvp().items():
            lines.append(
                Text.assemble(("H·u ", "bold"), f"(H·u)[{name}] = {display_value(product, digits)}")
            )
        lines.append(
            Text(
                "(v̄ of the inputs: the gradient; v̄̇ of the inputs: H·u, from 1 nested sweep)",
                style="dim",
            )
        )
        return Group(*lines)
    matrix = trace.hessian()
    lines.append(hessian_table(trace.entry_labels, matrix, digits))
    asymmetry = symmetry_error(matrix)
    lines.append(
        Text(
            f"symmetry: max |H − Hᵀ| = {format_scalar(asymmetry, 3)}"
            + (" (exactly symmetric)" if asymmetry == 0 else " (rounding differences)"),
            style="dim",
        )
    )
    lines.append(
        Text(
            f"(column k of H is v̄̇ of the inputs in nested sweep k, along e_k: {len(trace.sweeps)} "
            "sweeps)",
            style="dim",
        )
    )
    return Group(*lines)


def symmetry_error(matrix: np.ndarray) -> float:
    """max |H − Hᵀ| (0 for an empty matrix; NaN entries make it NaN)."""
    if matrix.size == 0:
        return 0.0
    return float(np.max(np.abs(matrix - matrix.T)))


def hessian_table(labels: Sequence[str], matrix: np.ndarray, digits: int) -> Table:
    """H with its rows and columns labelled by input entries (``x1``, ``W[0,1]``)."""
    n = len(labels)
    shown = min(n, MAX_MATRIX_SHOWN)
    title = "Hessian H = ∂²f/∂xᵢ∂xⱼ"
    if shown < n:
        title += f" (first {shown} of {n} rows and columns; --json has all of them)"
    table = Table(title=title, title_justify="left")
    table.add_column("", style="bold")
    for label in labels[:shown]:
        table.add_column(visible(label), justify="right")
    for row in range(shown):
        table.add_row(
            visible(labels[row]),
            *(format_scalar(float(matrix[row, col]), digits) for col in range(shown)),
        )
    return table


def cost_text(trace: SecondOrderTrace) -> Text:
    """Operations of the nested sweeps against differences of gradients (the cost model's
    counts, :class:`~adexplorer.core.second_order.SecondOrderCost`)."""
    cost = trace.cost
    primal = cost.primal.total
    nested = cost.nested_sweep
    gradient = cost.gradient.total
    n = cost.n
    lines = [
        "Cost (Griewank–Walther operation counts, unit weights):",
        f"  f alone: {primal:,};  one gradient (f + adjoint sweep): {gradient:,};  one nested "
        f"sweep: {nested.total:,} (tangent {cost.tangent.total:,}, adjoint on v̄ and again on "
        f"v̄̇ {2 * cost.adjoint.total:,}, second-order terms {cost.second.total:,}): "
        f"f + 1 nested sweep = {cost.nested_ratio:.2f}× f.",
    ]
    if trace.kind == "hvp":
        one = cost.primal + nested
        lines.append(
            f"  H·u: 1 nested sweep, {one.total:,} operations, exact; by central differences "
            f"of gradients, (∇f(x+hu) − ∇f(x−hu))/2h: 2 gradient evaluations, "
            f"{2 * gradient:,} operations, with an error of about ε^(2/3) at best."
        )
    else:
        lines.append(
            f"  H ({n}×{n}): {n} nested sweep{'s' if n != 1 else ''}, "
            f"{cost.hessian_nested.total:,} operations (f once), exact; by central "
            f"differences of gradients: {2 * n} gradient evaluations, "
            f"{cost.hessian_central.total:,}; by forward differences: {n + 1}, "
            f"{cost.hessian_forward.total:,} (with errors of about ε^(2/3) and ε^(1/2) at best)."
        )
    return Text("\n".join(lines))


def print_second_order(
    trace: SecondOrderTrace, *, numbering: str, digits: int, warnings: Sequence[str] = ()
) -> None:
    """What ``adx eval … --hvp/--hessian`` prints."""
    console = make_console()
    err = make_console(stderr=True)
    view = first_order_view(trace)
    render = FormulaRenderer(trace.graph, trace.values, numbering=numbering, digits=digits)
    console.print(Text(_title(view), style="bold"))
    console.print(primal_table(view, render))
    for table in sweep_tables(trace, numbering, digits):
        console.print(table)
    hidden = len(trace.sweeps) - MAX_SWEEPS_SHOWN
    if hidden > 0:
        console.print(
            Text(f"({hidden} more nested sweeps not shown; --json lists them all)", style="dim")
        )
    console.print(results(trace, digits))
    console.print(cost_text(trace))
    for warning in warnings:
        err.print(Text(visible(f"warning: {warning}"), style="yellow"))
