"""``adx codegen``: a program's derivative as a standalone numpy module (source transformation)."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from adexplorer.base.errors import AdxError, did_you_mean
from adexplorer.base.text import visible
from adexplorer.cli.common import SOURCE_RULE, ExpressionFriendlyCommand, fail, parse_values

CODEGEN_EPILOG = f"""\b
Examples:
  adx codegen 'ln(x1) + x1*x2 - sin(x2)' --mode reverse
  adx codegen 'ln(x1) + x1*x2 - sin(x2)' --mode forward
  adx codegen 'sum(tanh(W @ v))' --at 'W=[[1,2],[3,4]]' --at 'v=[0.5,-1]'
  adx codegen program.adx --mode reverse -o f_vjp.py

\b
The module defines f_jvp(inputs..., tangents...) (forward: returns the value
and the tangent in the given direction) or f_vjp(inputs..., f_bar=1.0)
(reverse: returns the value and the adjoint of every input).  Names follow the
trace: v-1 is v_1, v3's tangent v3_dot, its adjoint v3_bar.  Programs with if
and for keep them; reverse mode then saves what it needs on a stack.  See
docs/codegen.md.  --at gives an expression's free names their shapes
(vectors, matrices); the values themselves are not used.

{SOURCE_RULE}
"""


@click.command("codegen", cls=ExpressionFriendlyCommand, epilog=CODEGEN_EPILOG)
@click.argument("expr_or_file", metavar="EXPR_OR_FILE")
@click.option(
    "--mode",
    type=click.Choice(["reverse", "forward"]),
    default="reverse",
    show_default=True,
    help="reverse: f_vjp, the adjoint code (gradient).  forward: f_jvp, the tangent code.",
)
@click.option(
    "--at",
    "at",
    multiple=True,
    metavar="NAME=VALUE,...",
    help="Values whose shapes the expression's free names take, e.g. 'v=[1,2,3]'; repeatable.",
)
@click.option(
    "-o",
    "--output",
    "output",
    metavar="FILE",
    help="Write the module to FILE instead of printing it.",
)
@click.option("--force", is_flag=True, help="With -o: replace FILE if it exists.")
def codegen_command(
    expr_or_file: str, mode: str, at: tuple[str, ...], output: str | None, force: bool
) -> None:
    """Print Python (numpy) code that computes the function and its derivative."""
    from adexplorer.cli.common import read_source
    from adexplorer.codegen import generate_source

    try:
        source, origin = read_source(expr_or_file)
        bindings = parse_values(at, "--at", program=source)
        code = generate_source(
            source, mode, origin, input_shapes={n: np.shape(v) for n, v in bindings.items()}
        )
        for name in bindings:
            if name not in code.inputs:
                raise AdxError(
                    "input",
                    f"--at gives a value for '{name}', which is not an input of this program",
                    hint=did_you_mean(name, code.inputs)
                    or f"the inputs are {', '.join(code.inputs)}",
                )
        if output is not None:
            _write(Path(output), code.text, force)
    except AdxError as error:
        fail(error, as_json=False)
    if output is None:
        click.echo(code.text, nl=False)
    else:
        lines = code.text.count("\n")
        click.echo(visible(f"wrote {code.function} ({lines} lines) to {output}"), err=True)


def _write(path: Path, text: str, force: bool) -> None:
    from adexplorer.base.files import write_atomically

    shown = visible(str(path))
    if path.is_dir():
        raise AdxError("file", f"{shown} is a directory", hint="give a file name, e.g. -o f.py")
    if path.exists() or path.is_symlink():
        if not force:
            raise AdxError(
                "file",
                f"{shown} exists; adx codegen does not overwrite it",
                hint="add --force to replace it, or choose another name",
            )
        if not path.is_file():
            raise AdxError("file", f"{shown} is not a regular file; adx codegen writes files only")
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise AdxError("file", f"cannot write {shown}: {exc.strerror or exc}") from None
