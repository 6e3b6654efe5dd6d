"""The ``adx`` command group and ``adx eval``, the stable scripting contract.

``adx eval`` imports neither rich (unless it prints tables) nor Textual, so a
script calling it pays only for numpy, lark and click.
"""

from __future__ import annotations

import io
import os
import sys

import click

from adexplorer import __version__
from adexplorer.base.errors import AdxError
from adexplorer.base.text import excerpt, visible
from adexplorer.cli.common import (
    SOURCE_RULE,
    ExpressionFriendlyCommand,
    dump_json,
    fail,
    first_order_trace,
    prepare_streams,
    report_json_error,
)
from adexplorer.core.ir import NUMBERINGS

EVAL_EPILOG = f"""\b
Examples:
  adx eval 'ln(x1) + x1*x2 - sin(x2)' --at x1=2,x2=5
  adx eval 'x1*x2 + sin(x1)' --at x1=1.5,x2=-0.75 --mode forward --wrt x2
  adx eval '-1/2*((y - mu)/sigma)^2 - log(sigma)' --at y=1,mu=0,sigma=1 --numbering wengert
  adx eval 'sum(sigmoid(W@v))' --at 'W=[[1,2],[3,4]]' --at 'v=[0.5,-1]' --json
  adx eval program.adx --at x=pi/4
  adx eval 'sin(sin(sin(sin(sin(sin(x))))))' --at x=1 --checkpoint snapshots=2
  adx eval 'return x*y, x + sin(y)' --at x=2,y=1 --mode reverse --seed f1=1,f2=-2
  adx eval 'ln(x1) + x1*x2 - sin(x2)' --at x1=2,x2=5 --mode forward --vector
  adx eval -x^2 --at x=3
  adx eval 'where(x > 0, x^2, -x)' --at x=-2
  echo 'x^2' | adx eval - --at x=3
  adx eval 'ln(x1) + x1*x2 - sin(x2)' --at x1=2,x2=5 --hvp x1=1,x2=0
  adx eval 'ln(x1) + x1*x2 - sin(x2)' --at x1=2,x2=5 --hessian
  adx eval 'sum(sigmoid(W@v))' --at 'W=[[1,2],[3,4]]' --at 'v=[0.5,-1]' --hessian --wrt v
  adx eval 'x^2*y + exp(y)' --at x=1,y=0 --hvp x=1,y=-1 --json

{SOURCE_RULE}

\b
Functions: sin cos tan asin acos atan (arcsin arccos arctan) sinh cosh tanh
exp log (ln) log1p expm1 sqrt abs sign step sigmoid relu softplus pow(a, b)
sum mean dot transpose (or A.T), where(c, a, b).  `adx functions` shows their
derivative rules.  Programs may have if/elif/else and for i in range(N): the
trace is then the tape of the run at --at, and the output says which branch
each if took (docs/language.md, "Control flow").

Exit status: 0 success, 1 an error in the expression or the values, 2 a misused
command line, 3 a bug in adx (reported in one line, never a traceback), 130
interrupted.  With --json every error is one JSON object on stdout.
"""


class LazyGroup(click.Group):
    """Imports a subcommand's module only when that subcommand runs (or help lists it),
    so ``adx eval`` does not pay for the comparison and lesson modules."""

    LAZY = {
        "check": "adexplorer.cli.check:check_command",
        "codegen": "adexplorer.cli.codegen:codegen_command",
        "export": "adexplorer.cli.export:export_command",
        "fd": "adexplorer.cli.compare:fd_command",
        "swell": "adexplorer.cli.compare:swell_command",
        "lesson": "adexplorer.cli.lesson:lesson_group",
        "values": "adexplorer.cli.values:values_command",
        "train": "adexplorer.cli.train:train_command",
        "schema": "adexplorer.cli.schema:schema_command",
        "serve": "adexplorer.cli.serve:serve_command",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.LAZY])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY:
            import importlib

            module, _, attribute = self.LAZY[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="adx")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """AD Explorer: watch automatic differentiation work, step by step.

    With no command, opens the explorer on ln(x1) + x1*x2 - sin(x2) at (2, 5).
    `adx explore EXPR` opens it on your own function; `adx eval EXPR --at ...`
    prints the traces for scripts; `adx fd` and `adx swell` compare AD with
    finite differences and symbolic differentiation; `adx check` checks each
    operation's derivative rule against finite differences (--break one to see
    it found); `adx codegen` writes the derivative code of a program (source
    transformation); `adx values` shows a program's input values and saves them
    (--save start.npz); `adx train` runs gradient descent on a program's loss
    (the texts' network: examples/network.adx); `adx lesson` plays and checks
    lessons (a seventeen-lesson course is built in); `adx export` writes a
    trace as LaTeX or Markdown tables, its graph as DOT or Mermaid, or the
    explorer's screen as SVG (for slides and notes); `adx serve` runs the
    explorer or a lesson in a browser, one session per tab, for a class
    (pip install 'adexplorer[serve]'); `adx functions` lists the
    differentiation rules; `adx schema` prints the JSON Schema of each --json output.
    Programs may branch and loop (if/elif/else, for i in range(N)).
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(explore_command, expr_or_file=None, at=())


@cli.command("eval", cls=ExpressionFriendlyCommand, epilog=EVAL_EPILOG)
@click.argument("expr_or_file", metavar="EXPR_OR_FILE")
@click.option(
    "--at",
    "at",
    multiple=True,
    metavar="NAME=VALUE,...",
    help="Input values; repeatable.  Lists for vectors and matrices: 'v=[1,2]', 'W=[[1,2],[3,4]]'.",
)
@click.option(
    "--mode",
    type=click.Choice(["reverse", "forward", "evaluate"]),
    default=None,
    help="reverse (default): value and full gradient in one adjoint sweep (one per output "
    "entry for a Jacobian; one with --seed: ȳᵀJ).  forward: tangent sweeps (n for a full "
    "gradient, one with --wrt/--seed, one vector sweep with --vector).  evaluate: the primal "
    "trace only.",
)
@click.option(
    "--wrt", metavar="NAME", help="Differentiate with respect to one input (seed it with 1)."
)
@click.option(
    "--seed",
    "seed_text",
    metavar="NAME=VALUE,...",
    help="forward mode: a direction u (names inputs): J·u in one tangent sweep.  reverse "
    "mode: a cotangent ȳ (names outputs): ȳᵀJ in one adjoint sweep.  Values as for --at; "
    "names left out get 0.  Without --mode, names of outputs run reverse mode, else forward.",
)
@click.option(
    "--vector",
    is_flag=True,
    help="Forward mode with every unit direction at once: one sweep whose tangents are "
    "n-vectors (the dual number with n infinitesimal parts); with --wrt, that input's.",
)
@click.option(
    "--checkpoint",
    "checkpoint_text",
    metavar="every=K|snapshots=S",
    help="Reverse mode with checkpointing: a snapshot every K steps, or binomial "
    "checkpointing (revolve) with at most S snapshots.  Shows the schedule, the "
    "recomputed steps and the memory beside plain reverse mode's.",
)
@click.option(
    "--hvp",
    "hvp_text",
    metavar="NAME=VALUE,...",
    help="Second order: the Hessian–vector product H·u along this direction u (inputs left "
    "out move by 0), by one nested sweep (forward-over-reverse: adjoints on dual numbers).",
)
@click.option(
    "--hessian",
    is_flag=True,
    help="Second order: the whole Hessian by one nested sweep per input entry (of the "
    "--wrt inputs, if given: --wrt x1,W), with its cost against differences of gradients.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (schema adx.eval/1).")
@click.option(
    "--digits",
    type=click.IntRange(1, 17),
    default=6,
    show_default=True,
    help="Significant digits in tables and formulas.",
)
@click.option(
    "--numbering",
    type=click.Choice(list(NUMBERINGS)),
    default="griewank",
    show_default=True,
    help="griewank: inputs v-1, v0, intermediates v1…  wengert: w1, w2, … throughout.",
)
def eval_command(
    expr_or_file: str,
    at: tuple[str, ...],
    mode: str | None,
    wrt: str | None,
    seed_text: str | None,
    vector: bool,
    checkpoint_text: str | None,
    hvp_text: str | None,
    hessian: bool,
    as_json: bool,
    digits: int,
    numbering: str,
) -> None:
    """Evaluate and differentiate an expression or a program file, showing every step."""
    if hvp_text is not None or hessian:
        from adexplorer.cli.second_order import second_order_eval

        second_order_eval(
            expr_or_file,
            at,
            hvp_text=hvp_text,
            hessian=hessian,
            mode=mode,
            wrt=wrt,
            seed_text=seed_text,
            checkpoint_text=checkpoint_text,
            as_json=as_json,
            digits=digits,
            numbering=numbering,
            vector=vector,
        )
        return
    try:
        trace, seed = first_order_trace(
            expr_or_file,
            at,
            mode=mode,
            wrt=wrt,
            seed_text=seed_text,
            vector=vector,
            checkpoint_text=checkpoint_text,
        )
    except AdxError as error:
        fail(error, as_json)

    if as_json:
        from adexplorer.reports.eval import eval_report

        dump_json(eval_report(trace, numbering=numbering, digits=digits, wrt=wrt, seed=seed))
    else:
        from adexplorer.render.trace_tables import print_trace

        print_trace(trace, numbering=numbering, digits=digits, wrt=wrt)


@cli.command("explore", cls=ExpressionFriendlyCommand, epilog=SOURCE_RULE)
@click.argument("expr_or_file", metavar="[EXPR_OR_FILE]", required=False)
@click.option(
    "--at", "at", multiple=True, metavar="NAME=VALUE,...", help="Input values; repeatable."
)
def explore_command(expr_or_file: str | None, at: tuple[str, ...]) -> None:
    """Open the explorer (a terminal app): edit f, step or play the traces, compare.

    Keys: → step, ← back, space play, f/r/d forward/reverse/dual, s seed,
    + - nudge an input, 1-5 panes, 7 the program as written (again: the
    generated derivative code), z/Z fold loop iterations, k checkpointing,
    w (or v) a node's whole value (tensors show as summaries), G train with the
    descent pane's settings (loss curve drawn live; G again stops), A
    accumulate gradients (no zero_grad), u type a seed (forward u, reverse ȳ,
    or H·u's direction), V vector forward mode, H second order (the Hessian;
    again: H·u), x export, e edit, ? help, q quit.
    """
    from adexplorer.base.files import serve_dir
    from adexplorer.cli.common import parse_values, read_source, require_terminal
    from adexplorer.explorer.session import DEFAULT_SOURCE, Session

    served = serve_dir()  # a session of adx serve: files only in that folder
    try:
        source = DEFAULT_SOURCE
        if expr_or_file is not None:
            if served is not None:
                from adexplorer.cli.serve import confine_source

                confine_source(expr_or_file)
            source, _ = read_source(expr_or_file)
        given = at or expr_or_file is not None
        values = parse_values(at, "--at", program=source) if given else None
    except AdxError as error:
        fail(error, as_json=False)
    if served is None:  # served, the terminal is textual-serve's, over pipes
        require_terminal("the explorer")
    session = Session.start(source, values)
    from adexplorer.tui.app import ExplorerApp  # Textual is imported only here
    from adexplorer.tui.bugs import run_app

    run_app(ExplorerApp(session, export_dir=served))


@cli.command("functions")
def functions_command() -> None:
    """List the primitives with their derivative rules and conventions."""
    from rich.table import Table

    from adexplorer.core.formulas import show
    from adexplorer.core.primitives import PRIMITIVES
    from adexplorer.render.console import make_console

    table = Table(title="adx primitives (tangent and adjoint rules for y = f(a, b))")
    table.add_column("name", style="bold")
    table.add_column("meaning")
    table.add_column("tangent ẏ", overflow="fold")
    table.add_column("adjoint contributions", overflow="fold")
    table.add_column("notes", style="dim", overflow="fold")
    for prim in PRIMITIVES.values():
        args = {1: ["a"], 2: ["a", "b"], 3: ["c", "a", "b"]}[prim.arity]
        consts: list[float | None] = [None] * prim.arity
        dots = [{"a": "ȧ", "b": "ḃ", "c": "ċ"}[a] for a in args]
        bars = [{"a": "ā", "b": "b̄", "c": "c̄"}[a] for a in args]
        tangent = " + ".join(
            prim.tangent_text(i, args, "y", dots[i], consts) for i in range(prim.arity)
        ).replace("+ -", "- ")
        adjoint = "; ".join(
            f"{bars[i]} += {prim.adjoint_text(i, args, 'y', 'ȳ', consts)}"
            for i in range(prim.arity)
        )
        name = prim.name + (f" ({', '.join(prim.aliases)})" if prim.aliases else "")
        notes = "; ".join(n for n in (prim.kink_note, prim.domain_note) if n)
        table.add_row(name, prim.summary, show(tangent), show(adjoint), notes)
    make_console().print(table)


def main(argv: list[str] | None = None) -> None:
    """The ``adx`` entry point: the exit-status contract lives here.

    0 success · 1 something wrong in what the user wrote · 2 a misused command
    line · 3 a bug in adx (never a traceback: a one-line report instead) ·
    130 interrupted.  With ``--json``, every error, usage errors included, is
    one JSON error object on stdout.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in args[: args.index("--")] if "--" in args else "--json" in args
    prepare_streams()
    try:
        cli.main(args=args, prog_name="adx", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:  # usage errors: unknown option, bad value, …
        if as_json:
            report_json_error("usage", error.format_message())
        # The message quotes what the user typed: escape sequences and bytes that are
        # not UTF-8 (lone surrogates in argv) are shown as escapes, never written raw.
        shown = io.StringIO()
        error.show(file=shown)
        click.echo(visible(shown.getvalue()), err=True, nl=False)
        sys.exit(error.exit_code)
    except AdxError as error:
        # A command that let a user error through (say, a bad ADX_MAX_* value met while
        # checking lessons): it is still the user's to fix, with its message (exit 1).
        fail(error, as_json)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (adx eval … | head): not an error of ours or the user's.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except Exception as bug:
        message = f"{type(bug).__name__}: {bug}"
        if as_json:
            report_json_error("internal", message)
        click.echo(
            visible(
                f"adx: internal error ({excerpt(message, 200)}).\n"
                "This is a bug in adx, not in what you wrote; please report it with the "
                "command you ran."
            ),
            err=True,
        )
        sys.exit(3)
