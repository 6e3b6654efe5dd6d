"""``adx fd`` and ``adx swell``: AD beside its rivals, numerical and symbolic differentiation."""

from __future__ import annotations

import sys

import click

from adexplorer.base.errors import AdxError
from adexplorer.base.numbers import format_value
from adexplorer.base.text import excerpt
from adexplorer.cli.common import SOURCE_RULE, ExpressionFriendlyCommand, dump_json, fail, load
from adexplorer.core.engines.finite_diff import SCHEMES

FD_EPILOG = f"""\b
Examples:
  adx fd 'x1*sqrt(log(x1/sin(x2^2)))' --at x1=2,x2=1.2 --wrt x2 --plot
  adx fd 'sin(x)' --at x=1 --scheme central --steps 1e-1:1e-12
  adx fd 'exp(x)*y^2' --at x=0.5,y=2 --second x,y
  adx fd 'exp(x)*y^2' --at x=0.5,y=2 --second x,x --plot
  adx fd 'abs(x) + x^2' --at x=0.3 --scheme complex    (explains why it does not apply)

Schemes: forward (f(x+h)-f(x))/h, backward, central (f(x+h)-f(x-h))/2h,
complex Im f(x+ih)/h.  --second X,Y compares the Hessian entry ∂²f/∂X∂Y from
AD (forward-over-reverse) with the four-point formula (three-point for X,X) and
with central differences of AD gradients.  --steps START:STOP gives one step per decade;
START:STOP:COUNT gives COUNT log-spaced steps; or list them: 1e-2,1e-4.

{SOURCE_RULE}
"""

SWELL_EPILOG = f"""\b
Examples:
  adx swell 'x1*sqrt(log(x1/sin(x2^2)))'
  adx swell 'log(x)*sin(x)^2' --wrt x
  adx swell program.adx --at x=2          (with if/for: the path taken at x = 2)
  adx swell --family '4*#*(1-#)' --n 1:40          (the logistic map)
  adx swell --family 'sin(#)*cos(#)' --n 1:20 --plot
  adx swell --family 'exp(#) + #^2' --n 1:12 --json

In a family template, # stands for the previous level; level 1 has # = x.
Sizes are counted over shared structure, never by building the tree, so even
astronomically large trees are reported as exact integers.

{SOURCE_RULE}
"""


def _color() -> bool:
    import os

    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


@click.command("fd", cls=ExpressionFriendlyCommand, epilog=FD_EPILOG)
@click.argument("expr_or_file", metavar="EXPR_OR_FILE")
@click.option(
    "--at", "at", multiple=True, metavar="NAME=VALUE,...", help="Input values; repeatable."
)
@click.option("--wrt", metavar="NAME", help="The input to differentiate by (default: the first).")
@click.option(
    "--scheme",
    "schemes",
    multiple=True,
    type=click.Choice([*SCHEMES, "all"]),
    help="Difference scheme; repeatable (default: all four).",
)
@click.option(
    "--steps",
    default="1e-1:1e-16",
    show_default=True,
    metavar="START:STOP[:COUNT]",
    help="Step sizes h.",
)
@click.option(
    "--second",
    metavar="X,Y",
    help="Also the second partial ∂²f/∂X∂Y (X,X: ∂²f/∂X²) against the AD Hessian entry, by "
    "the four-point (three-point) formula and by central differences of AD gradients.",
)
@click.option("--plot", is_flag=True, help="Draw |error| against h on log-log axes.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (schema adx.fd/1).")
@click.option("--digits", type=click.IntRange(1, 17), default=6, show_default=True)
def fd_command(
    expr_or_file: str,
    at: tuple[str, ...],
    wrt: str | None,
    schemes: tuple[str, ...],
    steps: str,
    second: str | None,
    plot: bool,
    as_json: bool,
    digits: int,
) -> None:
    """Finite differences against AD: the error for each step size h, and why."""
    from adexplorer.compare.fd_study import mixed_second_study, parse_steps, study

    chosen = SCHEMES if not schemes or "all" in schemes else tuple(dict.fromkeys(schemes))
    names = _second_names(second)
    if names and wrt is None:  # the first-order part along X, not along the first input
        wrt = names[0]
    try:
        loaded, bindings = load(expr_or_file, at)
        step_sizes = parse_steps(steps)
        result = study(loaded.graph, bindings, wrt, step_sizes, chosen)
        mixed = None
        if names:
            mixed = mixed_second_study(loaded.graph, bindings, names[0], names[1], step_sizes)
    except AdxError as error:
        fail(error, as_json)
    if as_json:
        from adexplorer.reports.compare import fd_report

        report = fd_report(result, mixed)
        report["warnings"] = loaded.warnings
        dump_json(report)
        return
    from adexplorer.render.compare_tables import print_fd

    print_fd(result, mixed, digits=digits, plot=plot, color=_color(), warnings=loaded.warnings)


def _second_names(second: str | None) -> tuple[str, str] | None:
    """``--second X,Y`` as two names; anything else is a usage error (exit 2)."""
    if second is None:
        return None
    names = [n.strip() for n in second.split(",")]
    if len(names) != 2 or not all(names):
        raise click.UsageError(
            f"--second takes two input names X,Y (got {excerpt(second)!r}); e.g. "
            "--second x,y for ∂²f/∂x∂y, or --second x,x for ∂²f/∂x²"
        )
    return names[0], names[1]


@click.command("swell", cls=ExpressionFriendlyCommand, epilog=SWELL_EPILOG)
@click.argument("expr_or_file", metavar="[EXPR_OR_FILE]", required=False)
@click.option(
    "--wrt", metavar="NAME", help="Differentiate by this input only (default: each input)."
)
@click.option(
    "--family", "template", metavar="TEMPLATE", help="A growth family; # is the previous level."
)
@click.option(
    "--n",
    "levels",
    default="1:12",
    show_default=True,
    metavar="FIRST:LAST",
    help="Levels of --family.",
)
@click.option(
    "--variable", default="x", show_default=True, help="The variable of --family (level 1: # = it)."
)
@click.option(
    "--plot", is_flag=True, help="With --family: draw the sizes against n on a log scale."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (schema adx.swell/1).")
@click.option(
    "--at",
    "at",
    multiple=True,
    metavar="NAME=VALUE,...",
    help="For a program with if/for: the inputs whose path (the tape) is differentiated.",
)
@click.option(
    "--width",
    default=400,
    show_default=True,
    type=click.IntRange(40, 100_000),
    help="Characters of a derivative to show before eliding its middle.",
)
def swell_command(
    expr_or_file: str | None,
    wrt: str | None,
    template: str | None,
    levels: str,
    variable: str,
    plot: bool,
    as_json: bool,
    at: tuple[str, ...],
    width: int,
) -> None:
    """Symbolic differentiation and expression swell, beside the size of the AD traces.

    A program with if/for has a symbolic form on each path only: adx takes the
    tape of the run at --at (or at the defaults) and says which path that is.
    """
    from adexplorer.compare.swell import family_study, swell_study

    if bool(template) == bool(expr_or_file):
        raise click.UsageError("give either an expression (or file) or --family TEMPLATE")
    try:
        if template:
            rows = family_study(template, levels, variable)
        else:
            assert expr_or_file is not None
            loaded, _ = load(expr_or_file, at)
            graph = loaded.graph
            names = [wrt] if wrt else list(graph.input_names)
            results = [swell_study(graph, name, width) for name in names]
    except AdxError as error:
        fail(error, as_json)
    from adexplorer.reports import compare as compare_report

    if template:
        if as_json:
            dump_json(compare_report.family_report(template, variable, rows))
            return
        from adexplorer.render.compare_tables import print_family

        print_family(template, variable, rows, plot=plot, color=_color())
        return
    path = [d.describe() for d in graph.decisions]
    if as_json:
        report = compare_report.swell_report(graph.source, results)
        report["path"] = path if graph.dynamic else None
        dump_json(report)
        return
    from adexplorer.render.compare_tables import print_swell

    if graph.dynamic:
        inputs = ", ".join(f"{k} = {format_value(v)}" for k, v in graph.taped_at.items())
        click.echo(
            f"This program has if/for: its symbolic form is that of the path the run at "
            f"{inputs} takes ({'; '.join(path)}).  Other inputs may take another path (--at)."
        )
    print_swell(graph, results)
