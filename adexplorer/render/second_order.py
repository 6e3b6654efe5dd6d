"""Rich tables for ``adx eval … --hvp u`` and ``--hessian``: the nested trace and its results.

A view only: the numbers come from a :class:`~adexplorer.core.second_order.SecondOrderTrace`
and every step's text from :mod:`adexplorer.core.nested_formulas` (the explorer and the
JSON report show the same text).  The order is the order the work happens in: the
primal trace, then for each direction the tangent sweep along it and the nested
adjoint sweep (v̄ and its tangent v̄̇ side by side), then the gradient and H·u (or the
Hessian as a labelled matrix with its symmetry check), then the cost.
A :class:`~adexplorer.render.trace_tables.Mask` (``adx lesson show`` passes what a
lesson's open exercises hide) shows those cells as ``?``, as the explorer's
second-order mode does: a node's v̇, v̄ and v̄̇ belong to the sweep seeded with the
step's direction (mode ``second``), the results are ``f``, ``gradient NAME``,
``hvp NAME`` and ``hessian``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from adexplorer.base.numbers import display_value, format_scalar
from adexplorer.base.shapes import Array
from adexplorer.base.text import visible
from adexplorer.core.formulas import Formula, FormulaRenderer
from adexplorer.core.nested_formulas import NestedFormulaRenderer, direction_text
from adexplorer.core.second_order import NestedSweep, SecondOrderTrace
from adexplorer.core.trace import Trace
from adexplorer.render.console import make_console
from adexplorer.render.trace_tables import (
    ADJOINT_CELL,
    HIDDEN,
    MAX_SWEEPS_SHOWN,
    Mask,
    _shown,
    _title,
    control_flow,
    primal_table,
    shown_value,
)

#: The Hessian as a table: past this many rows and columns, the first ones only
#: (``--json`` has every entry).
MAX_MATRIX_SHOWN = 8
#: The explorer's name for its second-order mode: what a mask's sweeps are asked with.
SECOND_MODE = "second"


class Hides:
    """A mask asked as the explorer's second-order mode asks it (``seed``: the step's
    direction, as the explorer's forward seed), or nothing hidden when there is no mask."""

    def __init__(self, mask: Mask | None, seed: Mapping[str, Array] | None) -> None:
        self.mask, self.seed = mask, seed

    def value(self, *nodes: int) -> bool:
        return self.mask is not None and any(self.mask.hides_value(n) for n in nodes)

    def derivative(self, *nodes: int) -> bool:
        mask = self.mask
        return mask is not None and any(
            mask.hides_derivative(n, SECOND_MODE, self.seed) for n in nodes
        )

    def result(self, what: str) -> bool:
        return self.mask is not None and self.mask.hides_result(what, SECOND_MODE, self.seed)

    def fan_in(self, node: int) -> bool:
        return self.mask is not None and self.mask.hides_fan_in(node)


NO_MASK = Hides(None, None)


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


def tangent_table(
    trace: SecondOrderTrace,
    sweep: NestedSweep,
    render: FormulaRenderer,
    title: str,
    hides: Hides = NO_MASK,
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
        numbers = "" if is_input else formula.numbers
        # the direction's own entries are in the title: hidden tangents are the others'
        used = (step.node, *trace.graph.nodes[step.node].args)
        moved = [n for n in used if not trace.graph.nodes[n].is_input]
        if numbers and (hides.value(*used) or hides.derivative(*moved)):
            numbers = HIDDEN
        if not is_input and hides.derivative(step.node):
            value = HIDDEN
        table.add_row(formula.target, "direction" if is_input else formula.rule, numbers, value)
    return table


def _stacked(formula: Formula, value: object, digits: int) -> str:
    """A step's rule, then ``= numbers = result`` on the next line (narrow columns); a
    tensor result summarized (formulas write every entry, for JSON)."""
    result = shown_value(formula.result, value, digits)
    rest = [part for part in (formula.numbers, result) if part and part != formula.rule]
    rest = list(dict.fromkeys(rest))
    return formula.rule + ("\n= " + " = ".join(rest) if rest else "")


def _hidden_numbers(formula: Formula) -> Formula:
    return replace(formula, numbers=HIDDEN, result=HIDDEN)


def nested_table(
    trace: SecondOrderTrace,
    sweep: NestedSweep,
    nested: NestedFormulaRenderer,
    title: str,
    hides: Hides = NO_MASK,
) -> Table:
    """One nested adjoint sweep: each step's adjoint rule and its second-order rule with
    the numbers substituted (the rule on one line, the numbers and the contribution on
    the next), v̄ and v̄̇ side by side."""
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right", style="dim")
    # the node only: the headers say which of its v̄ and v̄̇ each column is (80 columns
    # leave no room to write both names on every row)
    table.add_column("node", style="bold green", no_wrap=True)
    table.add_column("v̄ += rule\n= numbers", overflow="fold")
    table.add_column("v̄ total", justify="right", overflow="fold")
    table.add_column("v̄̇ += rule\n= numbers", overflow="fold")
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
        total = display_value(step.total, digits, ADJOINT_CELL)
        total_dot = display_value(step.total_dot, digits, ADJOINT_CELL)
        first = nested.adjoint(step, sweep)
        second = nested.adjoint_dot(step, sweep)
        target = nested.labels[step.node]
        hides_own = hides.derivative(step.node)
        if hides_own:  # as the explorer hides a nested frame's numbers
            total, total_dot = HIDDEN, HIDDEN
        if step.source is None:
            seed = f"seed {HIDDEN if hides_own else display_value(step.contribution, digits)}"
            seed_dot = (
                f"seed {HIDDEN if hides_own else display_value(step.contribution_dot, digits)}"
            )
            table.add_row(str(index + 1), target, seed, total, seed_dot, total_dot, "")
            continue
        user = step.source
        if hides.derivative(step.node, user) or hides.value(user, *trace.graph.nodes[user].args):
            first, second = _hidden_numbers(first), _hidden_numbers(second)
        marker = f"{ordinal[index]} of {receives[step.node]}" if receives[step.node] > 1 else ""
        if marker and hides.fan_in(step.node):
            marker = HIDDEN
        table.add_row(
            str(index + 1),
            target,
            _stacked(first, step.contribution, digits),
            total,
            _stacked(second, step.contribution_dot, digits),
            total_dot,
            marker,
        )
    return table


def titled(table: Table) -> Group:
    """The table under its title as a line of its own: a title wider than a narrow
    table (``along e_x1 = (x1: 1, x2: 0, x3: 0, x4: 0)``) is not folded to its width."""
    title, table.title = table.title, None
    return Group(Text(str(title or ""), style="italic"), table)


def sweep_tables(
    trace: SecondOrderTrace, numbering: str, digits: int, hides: Hides = NO_MASK
) -> list[Group]:
    """The tangent and nested tables of the first sweeps (at most :data:`MAX_SWEEPS_SHOWN`)."""
    render = FormulaRenderer(trace.graph, trace.values, numbering=numbering, digits=digits)
    nested = NestedFormulaRenderer(trace, numbering=numbering, digits=digits)
    tables = []
    count = len(trace.sweeps)
    for number, sweep in enumerate(trace.sweeps[:MAX_SWEEPS_SHOWN], start=1):
        along = direction_text(trace, sweep, digits)
        which = f"along {along}" if trace.kind == "hvp" else f"{number} of {count}, along {along}"
        tables.append(titled(tangent_table(trace, sweep, render, f"Tangent sweep {which}", hides)))
        tables.append(
            titled(
                nested_table(
                    trace,
                    sweep,
                    nested,
                    f"Nested adjoint sweep {which}: reverse order, each adjoint v̄ with its "
                    "tangent v̄̇ (seed ȳ = 1, ȳ̇ = 0)",
                    hides,
                )
            )
        )
    return tables


def results(trace: SecondOrderTrace, digits: int, hides: Hides = NO_MASK) -> Group:
    """The value, the gradient, and H·u per input or the Hessian with its symmetry check."""
    graph = trace.graph

    def shown(what: str, value: Array, hidden: bool = False) -> str:
        return HIDDEN if hidden or hides.result(what) else display_value(value, digits)

    output = graph.outputs[0]
    value = shown("f", trace.values[output], hides.value(output))
    lines: list[Text | Group] = [
        Text.assemble(("value  ", "bold"), f"{graph.output_names[0]} = {value}")
    ]
    for name, grad in trace.gradient().items():
        lines.append(
            Text.assemble(("gradient ", "bold"), f"∂f/∂{name} = {shown(f'gradient {name}', grad)}")
        )
    if trace.kind == "hvp":
        for name, product in trace.hvp().items():
            lines.append(
                Text.assemble(("H·u ", "bold"), f"row {name}: {shown(f'hvp {name}', product)}")
            )
        lines.append(
            Text(
                "(the inputs' v̄ are the gradient and their v̄̇ are H·u: 1 nested sweep)",
                style="dim",
            )
        )
        return Group(*lines)
    matrix = trace.hessian()
    lines.append(hessian_table(trace.entry_labels, matrix, digits, hidden=hides.result("hessian")))
    asymmetry = symmetry_error(matrix)
    if not trace.defined:  # a symmetric H of an undefined f would be a false comfort
        symmetry = "symmetry: not meaningful (f or its gradient is not finite here)"
    elif not np.isfinite(asymmetry):  # inf − inf: there is nothing to compare
        symmetry = "symmetry: not checked (H has entries that are not finite)"
    else:
        symmetry = f"symmetry: max |H − Hᵀ| = {format_scalar(asymmetry, 3)}" + (
            " (exactly symmetric)" if asymmetry == 0 else " (rounding differences)"
        )
    lines.append(Text(symmetry, style="dim"))
    lines.append(
        Text(
            "(column k of H is the inputs' v̄̇ in nested sweep k, along e_k: "
            f"{len(trace.sweeps)} sweep{'s' if len(trace.sweeps) != 1 else ''})",
            style="dim",
        )
    )
    return Group(*lines)


def symmetry_error(matrix: np.ndarray) -> float:
    """max |H − Hᵀ| (0 for an empty matrix; NaN entries make it NaN)."""
    if matrix.size == 0:
        return 0.0
    with np.errstate(invalid="ignore"):  # inf − inf is NaN, which the caller reports
        return float(np.max(np.abs(matrix - matrix.T)))


def hessian_table(
    labels: Sequence[str], matrix: np.ndarray, digits: int, *, hidden: bool = False
) -> Group:
    """H with its rows and columns labelled by input entries (``x1``, ``W[0,1]``); the
    title is a line of its own, so a narrow matrix does not fold it (``hidden``: every
    entry shown as ``?``)."""
    n = len(labels)
    shown = min(n, MAX_MATRIX_SHOWN)
    title = "Hessian H (row i, column j: ∂²f/∂xᵢ∂xⱼ)"
    if shown < n:
        title += f", first {shown} of {n} rows and columns (--json has all of them)"
    table = Table()
    table.add_column("", style="bold")
    for label in labels[:shown]:
        table.add_column(visible(label), justify="right")
    for row in range(shown):
        table.add_row(
            visible(labels[row]),
            *(
                HIDDEN if hidden else format_scalar(float(matrix[row, col]), digits)
                for col in range(shown)
            ),
        )
    return Group(Text(title), table)


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
        f"  f alone {primal:,};  one gradient (f + an adjoint sweep) {gradient:,};",
        f"  one nested sweep {nested.total:,}: tangent {cost.tangent.total:,}, adjoint on v̄ "
        f"and again on v̄̇ {2 * cost.adjoint.total:,}, second-order terms "
        f"{cost.second.total:,}  (f + 1 nested sweep = {cost.nested_ratio:.2f}× f)",
    ]
    if trace.kind == "hvp":
        one = cost.primal + nested
        lines += [
            f"  H·u by 1 nested sweep: {one.total:,} operations, exact.",
            f"  By central differences of gradients, (∇f(x+hu) − ∇f(x−hu))/2h: 2 gradient "
            f"evaluations, {2 * gradient:,} operations, with an error of about ε^(2/3) at best.",
            _compared(one.total, 2 * gradient),
        ]
    else:
        sweeps = f"{n} nested sweep{'s' if n != 1 else ''}"
        lines += [
            f"  H ({n}×{n}) by {sweeps}: {cost.hessian_nested.total:,} operations (f once), exact.",
            f"  By central differences of gradients: {2 * n} gradient evaluations, "
            f"{cost.hessian_central.total:,} operations; by forward differences: {n + 1}, "
            f"{cost.hessian_forward.total:,} (errors of about ε^(2/3) and ε^(1/2) at best).",
            _compared(cost.hessian_nested.total, cost.hessian_central.total),
        ]
    return Text("\n".join(lines))


def _compared(nested: int, central: int) -> str:
    """How the nested sweeps compare in operations with central differences of gradients."""
    ratio = nested / max(central, 1)
    return (
        f"  Here forward-over-reverse takes {ratio:.2f}× the operations of central differences "
        "of gradients, and is exact: there is no step h to choose."
    )


def second_order_renderables(
    trace: SecondOrderTrace,
    *,
    numbering: str,
    digits: int,
    mask: Mask | None = None,
    seed: Mapping[str, Array] | None = None,
) -> list[RenderableType]:
    """What ``adx eval … --hvp/--hessian`` prints on stdout, in order (the warnings go
    to stderr apart); the Python API's ``__rich__`` shows the same."""
    view = first_order_view(trace)
    hides = Hides(mask, seed)
    render = FormulaRenderer(trace.graph, trace.values, numbering=numbering, digits=digits)
    shown: list[RenderableType] = [Text(_title(view, mask), style="bold")]
    shown.append(primal_table(view, render, mask))
    shown.extend(sweep_tables(trace, numbering, digits, hides))
    hidden = len(trace.sweeps) - MAX_SWEEPS_SHOWN
    if hidden > 0:
        shown.append(
            Text(f"({hidden} more nested sweeps not shown; --json lists them all)", style="dim")
        )
    shown.append(results(trace, digits, hides))
    if trace.graph.dynamic:
        shown.append(control_flow(view))
    shown.append(cost_text(trace))
    return shown


def print_second_order(
    trace: SecondOrderTrace,
    *,
    numbering: str,
    digits: int,
    warnings: Sequence[str] = (),
    mask: Mask | None = None,
    seed: Mapping[str, Array] | None = None,
) -> None:
    """What ``adx eval … --hvp/--hessian`` prints; ``mask``: the cells a lesson hides
    (``adx lesson show``), asked with ``seed``, the step's direction, as the explorer
    asks them."""
    console = make_console()
    err = make_console(stderr=True)
    for renderable in second_order_renderables(
        trace, numbering=numbering, digits=digits, mask=mask, seed=seed
    ):
        console.print(renderable)
    for warning in warnings:
        err.print(Text(visible(f"warning: {warning}"), style="yellow"))
