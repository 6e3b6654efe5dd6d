"""Rich output for ``adx check``: the whole-gradient check, then the node-by-node table."""

from __future__ import annotations

import math

from rich.table import Table
from rich.text import Text

from adexplorer.base.numbers import display_value, format_scalar
from adexplorer.compare.broken_rules import BrokenRule
from adexplorer.compare.node_check import GRADIENT_TOLERANCE, STEP, TOLERANCE, NodeCheck
from adexplorer.render.console import make_console
from adexplorer.reports.check import STATUS_MARKS, findings, node_text, partial_label, worst_entry


def _difference(x: float) -> str:
    return "—" if not math.isfinite(x) else f"{x:.1e}"


def print_check(check: NodeCheck, broken: BrokenRule | None, *, digits: int) -> None:
    console = make_console()
    inputs = ", ".join(f"{k} = {display_value(v, digits)}" for k, v in check.inputs.items())
    console.print(Text(f"node-by-node check at {inputs}", style="bold"))
    if broken is not None:
        console.print(Text(f"broken on purpose: {broken.describe()}", style="yellow"))
    if check.gradient:
        gradient = Table(title="the whole gradient: reverse mode against central differences")
        for header in ("input", "reverse mode", "central diff.", "rel. diff.", ""):
            gradient.add_column(header, justify="right" if header != "input" else "left")
        for g in check.gradient:
            gradient.add_row(
                g.name,
                display_value(g.ad, digits),
                display_value(g.estimate, digits),
                _difference(g.difference),
                Text("✗", style="bold red") if g.wrong else ("ok" if g.judged else "n/a"),
            )
        console.print(gradient)
    table = Table(title="each operation's local partials: its rule against central differences")
    for header in ("node", "partial", "rule", "central diff.", "rel. diff.", ""):
        table.add_column(header, justify="left" if header in ("node", "partial") else "right")
    previous = None
    for p in check.partials:
        rule, estimate = worst_entry(p)
        mark = STATUS_MARKS[p.status]
        first = p.node != previous  # a node's formula once, on its first row
        previous = p.node
        table.add_row(
            node_text(check, p.node) if first else "",
            partial_label(check, p),
            format_scalar(rule, digits),
            format_scalar(estimate, digits),
            _difference(p.difference),
            Text(mark, style="bold red") if p.wrong else mark,
        )
    console.print(table)
    console.print(
        Text(
            f"central differences of each node alone, h = 2⁻²⁰·max(1, |u|) ≈ {STEP:.1e}"
            "·max(1, |u|); a partial is ✗ "
            f"when the relative difference |rule − estimate| / max(1, |rule|, |estimate|) "
            f"exceeds {TOLERANCE:g} (the whole gradient: {GRADIENT_TOLERANCE:g}).  kink: the "
            "one-sided differences disagree, so differences cannot judge the rule's convention; "
            "n/a: outside the function's domain.",
            style="dim",
        )
    )
    for line in findings(check, digits):
        console.print(Text(line, style="bold red" if line.startswith("✗") else ""))
