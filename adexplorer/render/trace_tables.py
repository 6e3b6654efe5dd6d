"""Rich tables for a trace: the human output of ``adx eval`` (its cost view is ``cost.py``).

A view only: every number and formula comes from the trace and
:mod:`adexplorer.core.formulas`; nothing is computed here.  A tensor of more than a
dozen entries is shown as a summary (type, first entries, min, max, norm: see
:func:`~adexplorer.base.numbers.display_value`); ``--json`` keeps every entry.
A :class:`Mask` (``adx lesson show`` passes what a lesson's open exercises hide) turns
the cells that would give an answer away into ``?``, as the explorer shows them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Protocol, TypeVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from adexplorer.base.numbers import display_value, is_summarized
from adexplorer.base.shapes import Array, type_name
from adexplorer.base.text import excerpt, visible
from adexplorer.core.formulas import FormulaRenderer, barred, dotted
from adexplorer.core.trace import Trace
from adexplorer.render.console import make_console
from adexplorer.render.cost import cost_view
from adexplorer.render.vector import vector_cost_line, vector_table

T = TypeVar("T")

MAX_SWEEPS_SHOWN = 4
#: A table longer than this shows its first ROWS_HEAD and last ROWS_TAIL rows and says
#: how many it left out (a 30,000-iteration loop is 90,000 rows; --json has them all).
ROWS_HEAD = 150
ROWS_TAIL = 50
#: Decisions listed under the results (an if inside a 10,000-iteration loop decides
#: 10,000 times; the JSON report lists them all).
MAX_DECISIONS_SHOWN = 12
#: The adjoint table has seven columns: its two tensor cells leave the first entries out.
ADJOINT_CELL = 32
#: What a hidden cell shows (the explorer's CONCEALED_TEXT).
HIDDEN = "?"


class Mask(Protocol):
    """What a lesson hides (``adexplorer.lessons.concealment.Hidden`` is one): node values,
    a sweep's derivatives, result lines, fan-out counts."""

    def hides_value(self, node: int) -> bool: ...

    def hides_derivative(self, node: int, mode: str, seed: Mapping[str, Array] | None) -> bool: ...

    def hides_result(self, what: str, mode: str, seed: Mapping[str, Array] | None) -> bool: ...

    def hides_fan_in(self, node: int) -> bool: ...


def _named_seed(trace: Trace, seed: Mapping[int, Array]) -> dict[str, Array]:
    """A sweep's seed by input name, as the mask's sweeps are named."""
    return {trace.graph.nodes[i].name or str(i): v for i, v in seed.items()}


def _title(trace: Trace, mask: Mask | None = None) -> str:
    graph = trace.graph

    def shown(name: str, value: Array) -> str:
        index = graph.input_index(name)
        hidden = mask is not None and index is not None and mask.hides_value(index)
        return HIDDEN if hidden else display_value(value)

    inputs = ", ".join(f"{n} = {shown(n, v)}" for n, v in trace.inputs.items())
    source = graph.source.strip()
    if "\n" in source or len(source) > 70:
        source = graph.origin or "the program"
    return visible(f"{source}   at {inputs}" if inputs else source)


def shown_value(text: str, value: object, digits: int, width: int | None = None) -> str:
    """A formula's number as a table shows it: the formula's own text for a small value,
    the summary for a tensor (formulas write every entry, for JSON)."""
    return display_value(value, digits, width) if is_summarized(value) else text


def primal_table(trace: Trace, render: FormulaRenderer, mask: Mask | None = None) -> Table:
    graph = trace.graph
    table = Table(title="Primal trace (evaluation order)", title_justify="left", expand=False)
    table.add_column("id", style="bold cyan", no_wrap=True)
    taped = graph.dynamic
    if taped:  # which line, and which loop iteration, each row of the tape ran in
        table.add_column("line", justify="right", style="dim", no_wrap=True)
        table.add_column("loop", style="dim", no_wrap=True)
    table.add_column("source", style="dim", overflow="fold", max_width=28)
    table.add_column("operation", overflow="fold")
    table.add_column("value", justify="right", overflow="fold")
    for _, step in _shown(table, trace.primal_steps):
        formula = render.primal(step)
        node = graph.nodes[step.node]
        operation = formula.rule if node.is_op else f"input {node.name}: {type_name(node.shape)}"
        numbers = (
            f" = {formula.numbers}" if node.is_op and formula.numbers != formula.result else ""
        )
        where = [str(node.line or ""), iteration_text(node.context)] if taped else []
        value = shown_value(formula.result, step.value, render.digits)
        if mask is not None:
            if numbers and any(mask.hides_value(n) for n in (step.node, *node.args)):
                numbers = f" = {HIDDEN}"
            if mask.hides_value(step.node):
                value = HIDDEN
        table.add_row(
            formula.target,
            *where,
            visible(excerpt(graph.source_text(step.node) or ""), keep=""),
            f"{operation}{numbers}",
            value,
        )
    return table


def _hidden(k: int, count: int) -> bool:
    """Whether row ``k`` (from 0) of ``count`` falls in the part a long table leaves out."""
    return count > ROWS_HEAD + ROWS_TAIL and ROWS_HEAD <= k < count - ROWS_TAIL


def _shown(table: Table, rows: Sequence[T]) -> Iterator[tuple[int, T]]:
    """The rows a table shows, with their index; the gap row stands in for the rest."""
    count = len(rows)
    for k, row in enumerate(rows):
        if _hidden(k, count):
            if k == ROWS_HEAD:
                _gap(table, count)
            continue
        yield k, row


def _gap(table: Table, count: int) -> None:
    """The one row that stands for the rows a long table leaves out."""
    left_out = count - ROWS_HEAD - ROWS_TAIL
    cells = [""] * len(table.columns)
    widest = next(
        (k for k, c in enumerate(table.columns) if str(c.header) in ("operation", "rule")), 0
    )
    cells[widest] = f"… {left_out:,} rows not shown (--json lists them all) …"
    table.add_row(*cells, style="dim")


def iteration_text(context: tuple[tuple[str, int], ...]) -> str:
    """``i=3`` (``i=3 j=0`` in nested loops); empty outside loops."""
    return " ".join(f"{var}={k}" for var, k in context)


def control_flow(trace: Trace) -> Group:
    """What this run decided at each if and for: the tape is the path it took."""
    lines = [Text("control flow (this run's tape)", style="bold")]
    decisions = trace.graph.decisions
    shown = decisions[:MAX_DECISIONS_SHOWN]
    lines.extend(Text(f"  {visible(d.describe())}") for d in shown)
    if len(decisions) > len(shown):
        lines.append(
            Text(f"  ({len(decisions) - len(shown)} more; --json lists them all)", style="dim")
        )
    return Group(*lines)


def tangent_tables(trace: Trace, render: FormulaRenderer, mask: Mask | None = None) -> list[Table]:
    tables = []
    sweeps = trace.tangent_sweeps
    for number, sweep in enumerate(sweeps[:MAX_SWEEPS_SHOWN], start=1):
        seeds = ", ".join(
            f"{dotted(render.labels[i])} = {display_value(v)}" for i, v in sweep.seed.items()
        )
        title = f"Tangent sweep {number} of {len(sweeps)} (seed {seeds}; other inputs 0)"
        table = Table(title=title, title_justify="left")
        table.add_column("tangent", style="bold magenta", no_wrap=True)
        table.add_column("rule", overflow="fold")
        table.add_column("with numbers", overflow="fold")
        table.add_column("value", justify="right", overflow="fold")
        named = _named_seed(trace, sweep.seed)
        for _, step in _shown(table, sweep.steps):
            f = render.tangent(step, sweep.tangents)
            is_input = trace.graph.nodes[step.node].is_input
            numbers = "" if is_input else f.numbers
            value = shown_value(f.result, step.value, render.digits)
            if mask is not None:
                used = (step.node, *trace.graph.nodes[step.node].args)
                if numbers and any(
                    mask.hides_value(n) or mask.hides_derivative(n, "forward", named) for n in used
                ):
                    numbers = HIDDEN
                if mask.hides_derivative(step.node, "forward", named):
                    value = HIDDEN
            table.add_row(f.target, "seed" if is_input else f.rule, numbers, value)
        tables.append(table)
    return tables


def adjoint_tables(trace: Trace, render: FormulaRenderer, mask: Mask | None = None) -> list[Table]:
    tables = []
    sweeps = trace.adjoint_sweeps
    for number, sweep in enumerate(sweeps[:MAX_SWEEPS_SHOWN], start=1):
        receives = Counter(s.node for s in sweep.steps if s.source is not None)
        seeds = ", ".join(
            f"{barred(render.labels[i])} = {display_value(v)}" for i, v in sweep.seed.items()
        )
        title = f"Adjoint sweep {number} of {len(sweeps)} (reverse order; seed {seeds})"
        if trace.directional:  # one sweep seeded with the cotangent the user gave
            rest = "; other outputs 0" if len(sweep.seed) < len(set(trace.graph.outputs)) else ""
            title = f"Adjoint sweep (reverse order; seed: the cotangent ȳ, {seeds}{rest})"
        table = Table(title=title, title_justify="left")
        table.add_column("#", justify="right", style="dim")
        table.add_column("adjoint", style="bold green", no_wrap=True)
        table.add_column("rule", overflow="fold")
        table.add_column("with numbers", overflow="fold")
        table.add_column("contribution", justify="right")
        table.add_column("running total", justify="right")
        table.add_column("fan-out", style="yellow")
        # which use of its node each contribution is (counted over the rows left out too)
        seen: Counter[int] = Counter()
        ordinal = []
        for step in sweep.steps:
            seen[step.node] += step.source is not None
            ordinal.append(seen[step.node])
        for index, step in _shown(table, sweep.steps):
            k = index + 1
            f = render.adjoint(step, sweep.adjoints)
            total = display_value(step.total, render.digits, ADJOINT_CELL)
            result = shown_value(f.result, step.contribution, render.digits, ADJOINT_CELL)
            numbers = f.numbers
            if mask is not None:  # as the explorer hides a frame's numbers (its _hides_formula)
                hides_own = mask.hides_derivative(step.node, "reverse", None)
                hides_numbers = hides_own
                if step.source is not None:
                    user = step.source
                    hides_numbers = (
                        hides_own
                        or mask.hides_derivative(user, "reverse", None)
                        or any(mask.hides_value(n) for n in (user, *trace.graph.nodes[user].args))
                    )
                if hides_numbers:
                    numbers, result = HIDDEN, HIDDEN
                if hides_own:
                    total = HIDDEN
            if step.source is None:
                table.add_row(str(k), f.target, "seed", "", result, total, "")
                continue
            marker = ""
            if receives[step.node] > 1:
                marker = f"{ordinal[index]} of {receives[step.node]}"
                if mask is not None and mask.hides_fan_in(step.node):
                    marker = HIDDEN
            table.add_row(str(k), f.target, f"+= {f.rule}", numbers, result, total, marker)
        tables.append(table)
    return tables


def results(trace: Trace, digits: int, wrt: str | None, mask: Mask | None = None) -> Group:
    graph = trace.graph
    lines: list[Text] = []
    seed = _named_seed(trace, trace.tangent_sweeps[0].seed) if trace.tangent_sweeps else None

    def shown(what: str, value: Array, hidden: bool = False) -> str:
        if mask is not None and (hidden or mask.hides_result(what, trace.mode, seed)):
            return HIDDEN
        return display_value(value, digits)

    for k, o in enumerate(graph.outputs):
        name = graph.output_names[k]
        value = shown("f", trace.values[o], mask is not None and mask.hides_value(o))
        lines.append(Text.assemble(("value  ", "bold"), f"{name} = {value}"))
    if trace.mode == "forward" and trace.directional:
        for k, t in enumerate(trace.output_tangents()):
            name = graph.output_names[k]
            lines.append(
                Text.assemble(
                    ("tangent ", "bold"),
                    f"{name}̇ = J·u = {shown('directional', t)}  (1 sweep, u the seed)",
                )
            )
    elif trace.mode == "reverse" and trace.directional:
        cotangent = ", ".join(
            f"{name} = {display_value(v, digits)}" for name, v in (trace.cotangent or {}).items()
        )
        given = trace.cotangent or {}
        rest = "  (other outputs 0)" if any(n not in given for n in graph.output_names) else ""
        lines.append(Text.assemble(("cotangent ", "bold"), f"ȳ: {cotangent}{rest}"))
        for name, value in trace.vjp().items():
            shown_vjp = shown(f"vjp {name}", value)
            lines.append(Text.assemble(("vjp ", "bold"), f"ȳᵀJ for {name} = {shown_vjp}"))
        m = trace.cost.n_outputs if trace.cost is not None else len(graph.outputs)
        lines.append(
            Text(
                f"(by 1 reverse sweep{f', instead of {m} for the full Jacobian' if m > 1 else ''})",
                style="dim",
            )
        )
    elif trace.mode in ("forward", "reverse"):
        if trace.vector_sweep is not None:
            n = trace.vector_sweep.n
            how = f"1 vector forward sweep carrying {n} direction{'s' if n != 1 else ''}"
        elif trace.mode == "forward":
            how = f"{len(trace.tangent_sweeps)} forward sweep(s)"
        else:
            how = f"{len(trace.adjoint_sweeps)} reverse sweep(s)"
        for k in range(len(graph.outputs)):
            label = "gradient" if trace.scalar_output else f"jacobian of {graph.output_names[k]}"
            for name, value in trace.jacobian(k).items():
                if wrt is not None and name != wrt:
                    continue
                what = f"gradient {name}" if trace.mode == "reverse" else ""
                lines.append(
                    Text.assemble((f"{label} ", "bold"), f"∂/∂{name} = {shown(what, value)}")
                )
        lines.append(Text(f"(by {how})", style="dim"))
    return Group(*lines)


def trace_renderables(
    trace: Trace, *, numbering: str, digits: int, wrt: str | None = None, mask: Mask | None = None
) -> list[RenderableType]:
    """What ``adx eval`` prints on stdout, in order (the warnings go to stderr apart);
    the Python API's ``__rich__`` shows the same."""
    render = FormulaRenderer(trace.graph, trace.values, numbering=numbering, digits=digits)
    shown: list[RenderableType] = [Text(_title(trace, mask), style="bold")]
    shown.append(primal_table(trace, render, mask))
    shown.extend(tangent_tables(trace, render, mask))
    if trace.vector_sweep is not None:
        shown.append(vector_table(trace, render))
    shown.extend(adjoint_tables(trace, render, mask))
    hidden = max(len(trace.tangent_sweeps), len(trace.adjoint_sweeps)) - MAX_SWEEPS_SHOWN
    if hidden > 0:
        shown.append(Text(f"({hidden} more sweeps not shown; --json lists them all)", style="dim"))
    shown.append(results(trace, digits, wrt, mask))
    if trace.graph.dynamic:
        shown.append(control_flow(trace))
    assert trace.cost is not None
    shown.append(cost_view(trace.cost))
    if trace.cost.vector is not None:
        shown.append(vector_cost_line(trace.cost))
    return shown


def print_trace(
    trace: Trace, *, numbering: str, digits: int, wrt: str | None = None, mask: Mask | None = None
) -> None:
    """The tables ``adx eval`` prints; ``mask``: the cells a lesson hides, shown as ``?``."""
    console = make_console()
    err = make_console(stderr=True)
    for renderable in trace_renderables(
        trace, numbering=numbering, digits=digits, wrt=wrt, mask=mask
    ):
        console.print(renderable)
    for warning in trace.warnings:
        err.print(Text(visible(f"warning: {warning}"), style="yellow"))
