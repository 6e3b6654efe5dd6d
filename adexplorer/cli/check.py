"""``adx check``: every operation's local derivative rule against finite differences."""

from __future__ import annotations

import sys

import click

from adexplorer.base.errors import AdxError
from adexplorer.cli.common import SOURCE_RULE, ExpressionFriendlyCommand, dump_json, fail, load

CHECK_EPILOG = f"""\b
Examples:
  adx check 'ln(x1) + x1*x2 - sin(x2)' --at x1=2,x2=5
  adx check 'ln(x1) + x1*x2 - sin(x2)' --at x1=2,x2=5 --break 'sin: -cos(u)'
  adx check 'x*y/(1 + y^2)' --at x=1,y=2 --break 'div b: a/b^2' --json

\b
--break PRIMITIVE [ARGUMENT]: FORMULA replaces one local derivative by FORMULA,
written in adx syntax: u is a unary primitive's argument, a and b a binary
one's (the word after the name says which partial, a when left out), y the
output.  Forward and reverse mode both use the broken rule; evaluation does not
change, so finite differences still see the true function.

\b
Exit status: 0 every rule agrees; 1 a rule disagrees (or the input is wrong:
the message says which); 2 the command line is misused.

{SOURCE_RULE}
"""


@click.command("check", cls=ExpressionFriendlyCommand, epilog=CHECK_EPILOG)
@click.argument("expr_or_file", metavar="EXPR_OR_FILE")
@click.option(
    "--at", "at", multiple=True, metavar="NAME=VALUE,...", help="Input values; repeatable."
)
@click.option(
    "--break",
    "broken",
    metavar="'PRIMITIVE [ARGUMENT]: FORMULA'",
    help="Break one local derivative on purpose, e.g. 'sin: -cos(u)'.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (schema adx.check/1).")
@click.option("--digits", type=click.IntRange(1, 17), default=6, show_default=True)
def check_command(
    expr_or_file: str, at: tuple[str, ...], broken: str | None, as_json: bool, digits: int
) -> None:
    """Check each operation's local derivative rule against finite differences."""
    from adexplorer.compare.broken_rules import parse_broken_rule, with_broken_rule
    from adexplorer.compare.node_check import check_nodes
    from adexplorer.core.trace import input_values

    rule = None
    try:
        loaded, bindings = load(expr_or_file, at)
        graph = loaded.graph
        if broken is not None:
            rule = parse_broken_rule(broken, "--break")
            graph = with_broken_rule(graph, rule)
        values = input_values(graph, bindings)
        result = check_nodes(graph, values)
    except AdxError as error:
        fail(error, as_json)
    if as_json:
        from adexplorer.reports.check import check_report

        report = check_report(result, rule)
        report["warnings"] = loaded.warnings
        dump_json(report)
    else:
        from adexplorer.render.check_tables import print_check

        print_check(result, rule, digits=digits)
    sys.exit(0 if result.ok else 1)
