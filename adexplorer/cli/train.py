"""``adx train``: gradient descent on a program's loss, with a progress bar, a loss table and curve.

The loop is :class:`~adexplorer.core.training.Training`'s; this module reads the
command line, shows or streams the records, saves the inputs on request and
turns Ctrl-C into a clean stop (what was computed is printed and saved, exit 130).
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from adexplorer.base.errors import AdxError
from adexplorer.base.text import json_dumps, visible
from adexplorer.base.value_files import check_npz_target, write_npz
from adexplorer.cli.common import SOURCE_RULE, ExpressionFriendlyCommand, fail, load
from adexplorer.core.training import Training, diverged_hint

if TYPE_CHECKING:
    from rich.console import Console

TRAIN_EPILOG = f"""\b
Examples:
  adx train examples/network.adx --wrt W1,b1,W2,b2 --lr 1e-4 --steps 500
  adx train examples/network.adx --wrt W1,b1,W2,b2 --lr 1e-4 --steps 500 --save trained.npz
  adx train examples/network.adx --wrt W1,b1,W2,b2 --lr 1e-4 --steps 50 --accumulate
  adx train examples/network.adx --wrt W1,b1,W2,b2 --lr 1e-4 --steps 500 --json
  adx train '(x - 3)^2 + (y + 1)^2' --at x=0,y=0 --lr 0.1 --steps 40 --every 5

Each step computes the loss and its gradient at the current parameters (one
reverse sweep), then moves the --wrt inputs by w ← w − lr·∂L/∂w; the other
inputs (the data) stay fixed.  The loss of step t is the one PyTorch's loop
prints at t.  --accumulate never zeroes the gradients: each update uses the
sum of all gradients so far, as PyTorch does when zero_grad() is forgotten.
Ctrl-C stops cleanly: the steps done so far are shown (and saved with --save),
exit status 130.  docs/train.md explains the output and the PyTorch match.

{SOURCE_RULE}

\b
Exit status: 0 success, 1 an error in the program or the values (or the loss
stopped being finite), 2 a misused command line, 130 interrupted.  With --json:
one JSON object per step, then a summary object (schema adx.train/1).
"""


def _learning_rate(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if not (math.isfinite(value) and value > 0):
        raise click.BadParameter(f"must be a positive number, e.g. 1e-4 (got {value})")
    return value


def _names(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    names = [name.strip() for text in value for name in text.split(",")]
    if any(not name for name in names):
        raise click.BadParameter(f"an empty name in {','.join(value)!r}; e.g. --wrt W1,b1")
    return tuple(dict.fromkeys(names))


@click.command("train", cls=ExpressionFriendlyCommand, epilog=TRAIN_EPILOG)
@click.argument("expr_or_file", metavar="EXPR_OR_FILE")
@click.option(
    "--wrt",
    multiple=True,
    callback=_names,
    metavar="NAME,...",
    help="The inputs to train (the parameters); repeatable.  Default: every input.",
)
@click.option(
    "--lr",
    type=float,
    default=1e-4,
    show_default=True,
    callback=_learning_rate,
    help="The learning rate (step size) of w ← w − lr·∂L/∂w.",
)
@click.option(
    "--steps", type=click.IntRange(min=1), default=500, show_default=True, help="Steps to take."
)
@click.option(
    "--at", "at", multiple=True, metavar="NAME=VALUE,...", help="Input values; repeatable."
)
@click.option(
    "--accumulate",
    is_flag=True,
    help="Never zero the gradients: each update uses the sum of every gradient so far "
    "(PyTorch without zero_grad()).",
)
@click.option(
    "--save",
    metavar="FILE.npz",
    help="Write every input (the trained ones updated) to a .npz archive.",
)
@click.option("--force", is_flag=True, help="Let --save replace an existing file.")
@click.option(
    "--every",
    type=click.IntRange(min=1),
    metavar="K",
    help="Show every K-th step in the table (and the last), instead of the first and last rows.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print JSON lines: one object per step, then a summary (schema adx.train/1).",
)
@click.option("--digits", type=click.IntRange(1, 17), default=6, show_default=True)
def train_command(
    expr_or_file: str,
    wrt: tuple[str, ...],
    lr: float,
    steps: int,
    at: tuple[str, ...],
    accumulate: bool,
    save: str | None,
    force: bool,
    every: int | None,
    as_json: bool,
    digits: int,
) -> None:
    """Train a program's inputs by gradient descent on its scalar output (the loss)."""
    if save is not None and not save.endswith(".npz"):
        raise click.BadParameter(
            f"{save!r} does not end in .npz; --save writes a numpy .npz archive "
            "(e.g. --save trained.npz)",
            param_hint="--save",
        )
    try:
        if save is not None:
            check_npz_target(Path(save), force=force)
        loaded, bindings = load(expr_or_file, at)
        training = Training(
            loaded.graph, bindings, lr=lr, steps=steps, wrt=wrt, accumulate=accumulate
        )
    except AdxError as bad_input:
        fail(bad_input, as_json)
    training.warnings.extend(loaded.warnings)
    origin = loaded.graph.origin or _short(loaded.graph.source)
    console = None
    if not as_json:
        from adexplorer.render.console import make_console
        from adexplorer.render.training import header

        console = make_console()
        console.print(header(training, visible(origin)))

    status = "done"
    try:
        if as_json:
            from adexplorer.reports.train import step_json

            for record in training.run():
                _echo_json(step_json(record))
        else:
            assert console is not None
            _run_with_progress(training, console)
    except KeyboardInterrupt:
        status = "interrupted"
    error: AdxError | None = None
    if training.diverged is not None:
        status = "diverged"
        error = AdxError("input", training.diverged, hint=diverged_hint(training))
    final_loss = training.final_loss() if status != "diverged" and training.updates else None
    saved = None
    if save is not None and status != "diverged":
        try:
            write_npz(Path(save), training.values, force=force)
            saved = save
        except AdxError as save_error:
            error = save_error
    _report(
        training,
        status=status,
        final_loss=final_loss,
        saved=saved,
        error=error,
        as_json=as_json,
        every=every,
        digits=digits,
        skipped_save=save is not None and status == "diverged",
    )
    if status == "interrupted":
        sys.exit(130)
    if error is not None:
        sys.exit(1)


def _short(source: str) -> str:
    """An expression as the header names it: itself if it is short, else "the program"."""
    text = source.strip()
    return text if "\n" not in text and len(text) <= 60 else "the program"


def _echo_json(data: object) -> None:
    click.echo(json_dumps(data))
    sys.stdout.flush()  # a reader of the lines sees each step as it is done


def _run_with_progress(training: Training, console: Console) -> None:
    """Take the steps, with a progress bar on a terminal (never into a pipe or file)."""
    from adexplorer.render.training import loss_text, progress_bar

    if not (console.is_terminal and sys.stdout.isatty()):
        for _ in training.run():
            pass
        return
    with progress_bar(console) as progress:
        task = progress.add_task("training", total=training.steps, loss="")
        for record in training.run():
            progress.update(task, advance=1, loss=loss_text(record))


def _report(
    training: Training,
    *,
    status: str,
    final_loss: float | None,
    saved: str | None,
    error: AdxError | None,
    as_json: bool,
    every: int | None,
    digits: int,
    skipped_save: bool,
) -> None:
    if as_json:
        from adexplorer.reports.train import summary_json

        _echo_json(
            summary_json(
                training,
                status=status,
                final_loss=final_loss,
                saved=saved,
                error=error,
                source=training.graph.origin,
            )
        )
    else:
        from adexplorer.render.console import make_console
        from adexplorer.render.training import print_result

        console = make_console()
        color = console.is_terminal and "NO_COLOR" not in os.environ
        print_result(
            console,
            training,
            status=status,
            final_loss=final_loss,
            saved=saved,
            every=every,
            digits=digits,
            color=color,
        )
    if skipped_save:
        click.echo(
            "nothing saved: the values reached are not finite (--save keeps finite ones only)",
            err=True,
        )
    if status == "interrupted" and as_json:  # the human output says it on stdout
        click.echo(f"interrupted at step {training.updates}", err=True)
    if error is not None:
        click.echo(error.render(), err=True)
