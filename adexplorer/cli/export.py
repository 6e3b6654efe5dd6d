"""``adx export``: a trace or its graph as LaTeX, Markdown, DOT, Mermaid, SVG, JSON or text.

The trace is the one ``adx eval`` shows for the same options (their reading is
shared: :func:`adexplorer.cli.common.first_order_trace`); ``--mode dual`` is forward
mode written as dual numbers.  Without ``-o`` the export goes to standard output;
with ``-o FILE`` it is written atomically, and an existing file is kept unless
``--force``.  Second-order traces (``adx eval --hvp/--hessian``) are not exported
here: ``adx eval … --json`` writes their nested sweeps.
"""

from __future__ import annotations

from pathlib import Path

import click

from adexplorer.base.errors import AdxError
from adexplorer.base.files import expand_home, write_new_file
from adexplorer.base.text import visible
from adexplorer.cli.common import (
    SOURCE_RULE,
    ExpressionFriendlyCommand,
    fail,
    first_order_trace,
    parse_values,
    read_source,
)
from adexplorer.core.ir import NUMBERINGS
from adexplorer.exports import FORMATS

EXPORT_EPILOG = f"""\b
Examples:
  adx export 'ln(x1) + x1*x2 - sin(x2)' --at x1=2,x2=5 --format latex --standalone -o trace.tex
  adx export 'ln(x1) + x1*x2 - sin(x2)' --at x1=2,x2=5 --mode forward --wrt x1 --format markdown
  adx export 'ln(x1) + x1*x2 - sin(x2)' --at x1=2,x2=5 --format dot | dot -Tsvg > graph.svg
  adx export 'ln(x1) + x1*x2 - sin(x2)' --at x1=2,x2=5 --format mermaid -o graph.mmd
  adx export 'ln(x1) + x1*x2 - sin(x2)' --at x1=2,x2=5 --mode dual --format text
  adx export program.adx --at x=pi/4 --format svg --size 120x40 -o explorer.svg
  adx export 'x^2*y' --at x=3,y=2 -o trace.md          (the format from the suffix)

\b
Formats:
{chr(10).join(f"  {name:<9} {suffix:<5} {words}" for name, (suffix, words) in FORMATS.items())}

{SOURCE_RULE}

\b
LaTeX: compile a --standalone file with `pdflatex trace.tex`; without --standalone
the tables go into your own document, which needs \\usepackage{{booktabs}}.
Second-order sweeps (H·u, the Hessian) are not exported: adx eval --hvp/--hessian
--json writes them.  docs/exports.md shows every format.

Exit status: 0 success, 1 an error in the expression, the values or the file
(an existing file is kept unless --force), 2 a misused command line, 3 a bug in
adx (reported in one line, never a traceback), 130 interrupted.
"""

_BY_SUFFIX = {suffix: name for name, (suffix, _) in FORMATS.items()}
_BY_SUFFIX[".markdown"] = "markdown"
_BY_SUFFIX[".gv"] = "dot"
_BY_SUFFIX[".mermaid"] = "mermaid"


@click.command("export", cls=ExpressionFriendlyCommand, epilog=EXPORT_EPILOG)
@click.argument("expr_or_file", metavar="EXPR_OR_FILE")
@click.option(
    "--at", "at", multiple=True, metavar="NAME=VALUE,...", help="Input values; repeatable."
)
@click.option(
    "--format",
    "format_name",
    type=click.Choice(list(FORMATS)),
    default=None,
    help="What to write (see Formats below); default: from the suffix of -o.",
)
@click.option(
    "--mode",
    type=click.Choice(["reverse", "forward", "dual", "evaluate"]),
    default=None,
    help="reverse (default), forward (with --wrt/--seed/--vector by default), dual (forward "
    "mode as dual numbers), evaluate (the primal trace only).",
)
@click.option("--wrt", metavar="NAME", help="Differentiate with respect to one input.")
@click.option(
    "--seed",
    "seed_text",
    metavar="NAME=VALUE,...",
    help="forward/dual: a direction u over the inputs; reverse: a cotangent ȳ over the outputs.",
)
@click.option("--vector", is_flag=True, help="Forward mode: every unit direction in one sweep.")
@click.option(
    "--numbering",
    type=click.Choice(list(NUMBERINGS)),
    default="griewank",
    show_default=True,
    help="griewank: v-1, v0, v1…  wengert: w1, w2, …",
)
@click.option(
    "--digits",
    type=click.IntRange(1, 17),
    default=6,
    show_default=True,
    help="Significant digits.",
)
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (default: standard output).")
@click.option("--force", is_flag=True, help="With -o: replace FILE if it exists.")
@click.option(
    "--standalone", is_flag=True, help="LaTeX: a whole document (compiles with pdflatex)."
)
@click.option(
    "--size",
    metavar="COLSxROWS",
    default="120x40",
    show_default=True,
    help="SVG: the terminal size of the screenshot.",
)
@click.option("--step", type=click.IntRange(0), help="SVG: the explorer after this many steps.")
def export_command(
    expr_or_file: str,
    at: tuple[str, ...],
    format_name: str | None,
    mode: str | None,
    wrt: str | None,
    seed_text: str | None,
    vector: bool,
    numbering: str,
    digits: int,
    output: str | None,
    force: bool,
    standalone: bool,
    size: str,
    step: int | None,
) -> None:
    """Write a trace as LaTeX or Markdown tables, its graph as DOT or Mermaid, the
    explorer's screen as SVG, or the trace as JSON or text (for slides and notes)."""
    name = _format(format_name, output)
    if standalone and name != "latex":
        raise click.UsageError("--standalone makes a whole LaTeX document; use it with latex")
    if step is not None and name != "svg":
        raise click.UsageError("--step chooses the explorer's step for an svg screenshot")
    if name == "svg" and mode == "evaluate":
        raise click.UsageError(
            "the explorer (--format svg) shows forward, reverse or dual mode, not evaluate"
        )
    if wrt and mode == "evaluate":
        raise click.UsageError(
            "--wrt names the input to differentiate by; evaluate mode differentiates "
            "nothing.  Use --mode forward or --mode reverse with --wrt."
        )
    columns_rows = _size(size)
    dual = mode == "dual"
    try:
        trace, seed = first_order_trace(
            expr_or_file,
            at,
            mode="forward" if dual else mode,
            wrt=wrt,
            seed_text=seed_text,
            vector=vector,
            checkpoint_text=None,
        )
        if name == "svg":
            text = _svg(
                expr_or_file, at, trace.mode, dual, wrt, seed_text, vector, columns_rows, step
            )
        else:
            from adexplorer.exports.formats import export_text

            text = export_text(
                name,
                trace,
                numbering=numbering,
                digits=digits,
                dual=dual,
                standalone=standalone,
                seed=seed,
                wrt=wrt,
            )
        if output is None:
            click.echo(text, nl=False)
            return
        path = expand_home(Path(output))
        write_new_text(path, text, force=force)
    except AdxError as error:
        fail(error, as_json=False)
    click.echo(visible(f"wrote {path} ({name})"), err=True)


def _format(format_name: str | None, output: str | None) -> str:
    if format_name is not None:
        return format_name
    suffix = Path(output).suffix.lower() if output else ""
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    where = f"-o {output} has no known suffix" if output else "no -o FILE to take it from"
    raise click.UsageError(f"give --format ({', '.join(FORMATS)}): {visible(where)}")


def _size(text: str) -> tuple[int, int]:
    columns, sep, rows = text.lower().partition("x")
    if not (sep and columns.isdigit() and rows.isdigit()):
        raise click.BadParameter(
            f"{visible(text)!r}: write COLSxROWS, e.g. 120x40", param_hint="--size"
        )
    size = int(columns), int(rows)
    if not (40 <= size[0] <= 400 and 12 <= size[1] <= 200):
        raise click.BadParameter(
            f"{text}: columns from 40 to 400, rows from 12 to 200", param_hint="--size"
        )
    return size


def _svg(
    expr_or_file: str,
    at: tuple[str, ...],
    mode: str,
    dual: bool,
    wrt: str | None,
    seed_text: str | None,
    vector: bool,
    size: tuple[int, int],
    step: int | None,
) -> str:
    """The explorer on the same function, values and mode, as Textual's screenshot."""
    from adexplorer.explorer.session import Session
    from adexplorer.tui.screenshot import explorer_svg  # Textual is imported only here

    source, _ = read_source(expr_or_file)
    session = Session.start(source, parse_values(at, "--at", program=source))
    if session.error is not None:
        raise session.error
    session.set_mode("dual" if dual else mode)
    if mode == "reverse" and seed_text:
        session.set_cotangent(seed_text)
    elif mode == "forward" and (seed_text or wrt):
        session.set_seed(seed_text or wrt or "", switch_mode=False)
    if vector and not session.vector:
        session.toggle_vector()
    return explorer_svg(session, size=size, step=step)


def write_new_text(path: Path, text: str, *, force: bool = False) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically; an existing file is kept unless
    ``force`` (:func:`adexplorer.base.files.write_new_file`)."""
    write_new_file(path, text.encode("utf-8"), force=force)
