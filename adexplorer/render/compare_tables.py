"""Rich output for ``adx fd`` and ``adx swell`` (views only; the studies compute everything)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from adexplorer.base.numbers import display_value, format_scalar
from adexplorer.base.text import visible
from adexplorer.compare.fd_study import (
    RULE_OF_THUMB,
    SECOND_RULE_OF_THUMB,
    FdStudy,
    MixedStudy,
)
from adexplorer.compare.swell import FamilyRow, SwellResult
from adexplorer.core.ir import Graph
from adexplorer.render.console import make_console

_REGIME_MARK = {"truncation": "T", "round-off": "R", "exact": "="}


def _h(h: float) -> str:
    short = f"{h:.0e}"
    return short if float(short) == h else f"{h:.2e}"


def _err(x: float | None) -> str:
    return "—" if x is None else f"{x:.2e}"


def print_fd(
    study: FdStudy,
    mixed: MixedStudy | None,
    *,
    digits: int,
    plot: bool,
    color: bool,
    warnings: Sequence[str] = (),
) -> None:
    console = make_console()
    inputs = ", ".join(f"{k} = {display_value(v, digits)}" for k, v in study.inputs.items())
    console.print(Text(f"d/d{study.wrt} at {inputs}", style="bold"))
    console.print(
        f"  f = {format_scalar(study.value, digits)};  AD (exact to rounding): "
        f"{format_scalar(study.exact, 17)}"
    )
    applicable = [s for s in study.schemes if s not in study.not_applicable]
    if len(applicable) == 1:
        console.print(detail_table(study, applicable[0], digits))
    elif applicable:
        console.print(error_table(study, applicable))
    console.print(summary_table(study))
    for scheme, reason in study.not_applicable.items():
        console.print(Text(f"{scheme} step does not apply: {reason}", style="yellow"))
    n = study.n_inputs
    # The complex step is offered only where it applies (it was just refused otherwise).
    complex_step = "" if "complex" in study.not_applicable else f" or {n} complex ones"
    console.print(
        Text(
            f"A full gradient of f: R^{n} → R by differences needs {n + 1} evaluations (forward)"
            f"{',' if complex_step else ' or'} {2 * n} (central){complex_step}; reverse-mode AD "
            "needs 1 sweep (at most about 4× one evaluation) and is exact.",
            style="dim",
        )
    )
    if mixed is not None:
        console.print(mixed_table(mixed, digits))
        console.print(second_why(mixed))
    if plot:
        from adexplorer.render.plots import error_plot, second_error_plot

        width = min(console.width, 100)
        console.print(Text.from_ansi(error_plot(study, width=width, height=22, color=color)))
        if mixed is not None:
            drawn = second_error_plot(mixed, width=width, height=22, color=color)
            console.print(Text.from_ansi(drawn))
    err = make_console(stderr=True)
    every = [*warnings, *(mixed.warnings if mixed is not None else ())]
    for warning in dict.fromkeys(every):
        err.print(Text(visible(f"warning: {warning}"), style="yellow"))


def summary_lines(study: FdStudy) -> Text:
    """The best-step summary as short lines, for narrow panes."""
    text = Text()
    for scheme in study.schemes:
        evals = study.evaluations(scheme)
        if scheme in study.not_applicable:
            text.append(f"{scheme}: does not apply · {evals} evals/gradient\n", style="italic")
            continue
        best = study.best.get(scheme)
        found = f"best h {best[0]:.0e} (|error| {_err(best[1])})" if best else "no finite estimate"
        optimum = study.model_optimum.get(scheme)
        theory = f" · theory h* {optimum:.1e}" if optimum else " · smaller h is better"
        text.append(f"{scheme}: {found}{theory} · {evals} evals/gradient\n")
    return text


def error_table(study: FdStudy, schemes: Sequence[str]) -> Table:
    table = Table(
        title="|estimate − AD| for each step h  (T: truncation dominates, R: round-off)",
        title_justify="left",
    )
    table.add_column("h", justify="right", style="bold")
    for scheme in schemes:
        table.add_column(scheme, justify="right")
    best = {s: study.best.get(s, (None, None))[0] for s in schemes}
    for h in study.steps:
        cells = []
        for scheme in schemes:
            row = next((r for r in study.rows_for(scheme) if r.h == h), None)
            if row is None:
                cells.append(Text(""))
                continue
            cell = f"{_err(row.abs_error)} {_REGIME_MARK[row.regime]}"
            cells.append(Text(cell, style="reverse") if best[scheme] == h else Text(cell))
        table.add_row(_h(h), *cells)
    return table


def detail_table(study: FdStudy, scheme: str, digits: int) -> Table:
    table = Table(title=f"{scheme} differences for each step h", title_justify="left")
    for name in ("h", "estimate", "|error|", "relative", "dominant error"):
        table.add_column(name, justify="right" if name != "dominant error" else "left")
    best_h = study.best.get(scheme, (None, None))[0]
    for row in study.rows_for(scheme):
        estimate = "—" if row.estimate is None else format_scalar(row.estimate, max(digits, 10))
        cells = [_h(row.h), estimate, _err(row.abs_error), _err(row.rel_error), row.regime]
        style = "reverse" if row.h == best_h else None
        table.add_row(*cells, style=style)
    return table


def summary_table(study: FdStudy) -> Table:
    table = Table(title="Best step against theory", title_justify="left")
    for name in (
        "scheme",
        "order",
        "best h (its |error|)",
        "theory h* (rule of thumb)",
        "evals/gradient",
    ):
        table.add_column(name, justify="right" if name != "scheme" else "left")
    orders = {"forward": "O(h)", "backward": "O(h)", "central": "O(h²)", "complex": "O(h²)"}
    for scheme in study.schemes:
        evals = str(study.evaluations(scheme))
        if scheme in study.not_applicable:
            table.add_row(scheme, orders[scheme], "does not apply", "", evals)
            continue
        best = study.best.get(scheme)
        found = f"{best[0]:.0e} ({_err(best[1])})" if best else "—"
        optimum = study.model_optimum.get(scheme)
        thumb = RULE_OF_THUMB.get(scheme)
        if scheme == "complex":
            theory = "none: smaller h is better"
        else:
            root = "√ε" if scheme in ("forward", "backward") else "∛ε"
            theory = f"{optimum:.1e}" if optimum else "—"
            theory += f" ({root} = {thumb:.1e})" if thumb else ""
        table.add_row(scheme, orders[scheme], found, theory, evals)
    return table


def mixed_table(mixed: MixedStudy, digits: int) -> Table:
    """Both second-difference estimates for each h beside the AD Hessian entry."""
    what = (
        f"Second partial ∂²f/∂{mixed.x}²"
        if mixed.pure
        else f"Mixed partial ∂²f/∂{mixed.x}∂{mixed.y}"
    )
    points = "three-point" if mixed.pure else "four-point"
    table = Table(
        title=f"{what}: AD (forward-over-reverse): {format_scalar(mixed.exact, 17)}",
        title_justify="left",
        caption=f"{points}: {mixed.formula}\ngradients: {mixed.gradient_formula}",
        caption_justify="left",
    )
    for name in ("h", f"{points} estimate", "|error|", "gradients estimate", "|error| "):
        table.add_column(name, justify="right")
    best = mixed.best("points")
    best_gradients = mixed.best("gradients")
    shown = max(digits, 10)
    for (h, estimate, error), (_, by_gradients, gradient_error) in zip(
        mixed.rows, mixed.gradient_rows, strict=True
    ):
        own = "reverse" if best is not None and h == best[0] else ""
        other = "reverse" if best_gradients is not None and h == best_gradients[0] else ""
        table.add_row(
            _h(h),
            Text(format_scalar(estimate, shown), style=own),
            Text(_err(error if math.isfinite(error) else None), style=own),
            Text(format_scalar(by_gradients, shown), style=other),
            Text(_err(gradient_error if math.isfinite(gradient_error) else None), style=other),
        )
    return table


def second_why(mixed: MixedStudy) -> Text:
    """Why the two curves bottom out where they do, with the best h each one measured."""
    points = "three-point" if mixed.pure else "four-point"
    rule = SECOND_RULE_OF_THUMB
    best = mixed.best("points")
    best_gradients = mixed.best("gradients")

    def measured(found: tuple[float, float] | None) -> str:
        return f"h = {_h(found[0])} (|error| {_err(found[1])})" if found else "no finite estimate"

    text = Text(
        f"Why: the {points} formula combines values of f and divides by h², so its round-off "
        f"is about ε|f|/h² against a truncation of about C·h²: best near ε^(1/4) ≈ "
        f"{rule['points']:.1e}.  A central difference of AD gradients divides exact slopes by "
        f"h only: round-off ε|∇f|/h, truncation C·h², best near ε^(1/3) ≈ "
        f"{rule['gradients']:.1e}, and a smaller least error.\n"
        f"Measured: {points} best at {measured(best)}; gradients best at "
        f"{measured(best_gradients)}.",
        style="dim",
    )
    # Only an error that is tiny at a large h shows that the truncation term vanishes;
    # a large one (a kink or a branch boundary at the point) says the opposite.
    tiny = 1e-6 * max(1.0, abs(mixed.exact)) if math.isfinite(mixed.exact) else 0.0
    far = [
        name
        for name, found, which in (
            (points, best, "points"),
            ("gradients", best_gradients, "gradients"),
        )
        if found is not None and found[0] >= 100 * rule[which] and found[1] <= tiny
    ]
    rough = [
        name
        for name, found in ((points, best), ("gradients", best_gradients))
        if found is not None and found[1] > 1e-2 * max(1.0, abs(mixed.exact))
    ]
    if rough:
        text.append(
            f"\n{' and '.join(rough).capitalize()}: the error stays large at every h, so the "
            "differences do not converge to the AD value: f is not twice differentiable at "
            "this point (a kink or a branch boundary), and AD's value there is a convention "
            "(see the warnings).",
            style="dim",
        )
    if far:
        text.append(
            f"\n{' and '.join(far).capitalize()}: best far above the rule of thumb, because "
            "the truncation term is (nearly) 0 here: the higher derivatives it comes from "
            "vanish or cancel for this f (a term in one variable drops out of a mixed "
            "difference; a low-degree polynomial has none), so a large h loses nothing to it.",
            style="dim",
        )
    if math.isfinite(mixed.symbolic):
        text.append(
            f"\nSymbolic differentiation, twice, gives {format_scalar(mixed.symbolic, 17)}.",
            style="dim",
        )
    return text


#: Digits of an exact count printed in full before it is shown as 1.23e456.
_MAX_EXACT_DIGITS = 40


def _size(n: int) -> str:
    """Exact, with thousands separators, unless the number has hundreds of digits."""
    return f"{n:,}" if n < 10**_MAX_EXACT_DIGITS else _scientific(n)


def _compact(n: int) -> str:
    """Exact up to a billion, then 4.00e14: keeps a growth table inside 80 columns."""
    return f"{n:,}" if n < 1_000_000_000 else _scientific(n)


def _scientific(n: int) -> str:
    """``n`` as 4.00e14, from its digits (a float cannot hold counts above 1.8e308)."""
    digits = str(n)
    mantissa = round(int(digits[:4]) / 1000, 2)
    exponent = len(digits) - 1
    if mantissa >= 10:  # 9.996… rounds up to 10.00
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{mantissa:.2f}e{exponent}"


def print_swell(graph: Graph, results: Sequence[SwellResult]) -> None:
    console = make_console()
    console.print(Text(visible(f"f = {graph.source.strip()}"), style="bold"))
    if graph.dynamic and results:
        # the program is not one formula; the tape of this run is
        path = results[0].function_text + (
            "   [middle elided]" if results[0].function_elided else ""
        )
        console.print(Text(visible(f"\non this path, f = {path}"), style="bold"))
    for result in results:
        s = result.sizes
        console.print(
            Text(
                f"\n∂f/∂{result.wrt} by the textbook rules, unsimplified "
                f"({_size(s.df_tree)} nodes as a tree):",
                style="bold",
            )
        )
        console.print(
            Text(
                result.derivative_text + ("   [middle elided]" if result.derivative_elided else "")
            )
        )
        console.print(
            Text(f"after light simplification ({_size(s.simplified_tree)} nodes):", style="bold")
        )
        console.print(
            Text(
                result.simplified_text + ("   [middle elided]" if result.simplified_elided else "")
            )
        )
        table = size_table(result)
        console.print(table)


def size_table(result: SwellResult) -> Table:
    s = result.sizes
    table = Table(
        title=f"Sizes for ∂f/∂{result.wrt}",
        title_justify="left",
        caption="tree: what a CAS without sharing stores; "
        "AD traces: primal + tangent or adjoint lines",
        caption_justify="left",
    )
    table.add_column("")
    table.add_column("tree", justify="right")
    table.add_column("shared", justify="right")
    table.add_row("f", _size(s.f_tree), _size(s.f_dag))
    table.add_row("∂f, naive rules", _size(s.df_tree), _size(s.df_dag))
    table.add_row("∂f, simplified", _size(s.simplified_tree), _size(s.simplified_dag))
    table.add_row("AD forward trace", "", _size(s.ad_forward))
    table.add_row("AD reverse trace", "", _size(s.ad_reverse))
    return table


def family_table(rows: Sequence[FamilyRow]) -> Table:
    """Sizes per level.  Headers take two lines and numbers never wrap or shrink, so the
    table fits a 70-column pane with every digit shown."""
    table = Table(
        title="Sizes per level (trees counted exactly over shared structure)", title_justify="left"
    )
    names = (
        "n",
        "f\ntree",
        "f\nDAG",
        "∂f tree\n(naive)",
        "∂f\nDAG",
        "∂f simpl.\ntree",
        "AD fwd\ntrace",
        "AD rev\ntrace",
    )
    cells = [
        (
            str(row.n),
            _compact(row.sizes.f_tree),
            _size(row.sizes.f_dag),
            _compact(row.sizes.df_tree),
            _size(row.sizes.df_dag),
            _compact(row.sizes.simplified_tree),
            _size(row.sizes.ad_forward),
            _size(row.sizes.ad_reverse),
        )
        for row in rows
    ]
    for k, name in enumerate(names):
        widest = max((len(line[k]) for line in cells), default=1)
        table.add_column(name, justify="right", no_wrap=True, min_width=widest)
    for line in cells:
        table.add_row(*line)
    return table


def family_summary(rows: Sequence[FamilyRow]) -> Text:
    """Exact sizes at the last level, and the growth per level."""
    last, before = rows[-1].sizes, rows[-2].sizes if len(rows) >= 2 else None
    exact = last.df_tree < 10**_MAX_EXACT_DIGITS
    how = "exactly" if exact else "rounded (--json gives every digit)"
    text = Text(
        f"At n = {rows[-1].n}, {how}: f has {_size(last.f_tree)} tree nodes; its naive "
        f"derivative {_size(last.df_tree)} ({_size(last.simplified_tree)} simplified), against "
        f"{_size(last.df_dag)} shared nodes and a reverse-mode trace of "
        f"{_size(last.ad_reverse)} lines."
    )
    if before is not None and before.df_tree:
        growth = last.df_tree / before.df_tree
        text.append(
            f"\nThe naive derivative's tree grows about {growth:.2f}× per level; the shared DAG "
            f"and the AD traces grow by a constant amount ({last.df_dag - before.df_dag} and "
            f"{last.ad_reverse - before.ad_reverse} per level).",
            style="dim",
        )
    return text


def print_family(
    template: str, variable: str, rows: Sequence[FamilyRow], *, plot: bool, color: bool
) -> None:
    console = make_console()
    console.print(
        Text(
            visible(f"Family {template}: level 1 has # = {variable}, level n puts level n-1 in #"),
            style="bold",
        )
    )
    console.print(family_table(rows))
    console.print(family_summary(rows))
    if plot:
        from adexplorer.render.plots import growth_plot

        console.print(
            Text.from_ansi(growth_plot(rows, width=min(console.width, 100), height=22, color=color))
        )
