"""The human output of ``adx train``: what is trained, a progress bar, the loss table, the curve.

A view only: every number comes from :class:`~adexplorer.core.training.Training`
and its records.  A long table shows its first and last rows and says how many
it left out, as the trace tables do (``--every K`` picks rows instead).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from adexplorer.base.numbers import format_scalar
from adexplorer.base.text import visible
from adexplorer.core.training import Training, TrainingRecord

#: Without --every, a table of more than HEAD + TAIL steps shows only those.
HEAD = 10
TAIL = 10


def _names(names: Sequence[str]) -> str:
    return ", ".join(names)


def header(training: Training, origin: str) -> Text:
    """What moves, by which rule, and what stays."""
    rule = f"w ← w − {format_scalar(training.lr)}·∂L/∂w"
    steps = f"{training.steps:,} step{'s' if training.steps != 1 else ''}"
    lines = [
        f"Training {_names(training.trained)} of {origin}: {steps} of {rule}.",
        "Step t's loss is computed at the parameters after t updates (what PyTorch's "
        "loop prints at t).",
    ]
    if training.fixed:
        verb = "stays" if len(training.fixed) == 1 else "stay"
        lines.append(f"{_names(training.fixed)} {verb} fixed (the data).")
    if training.accumulate:
        lines.append(
            "--accumulate: the gradients are never zeroed, so each update uses the sum of "
            "every gradient so far (PyTorch's loop without zero_grad())."
        )
    return Text(visible("\n".join(lines)))


def progress_bar(console: Console) -> Progress:
    """The bar shown on a terminal while the steps run (it disappears when done)."""
    return Progress(
        TextColumn("training"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[loss]}"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def loss_text(record: TrainingRecord) -> str:
    return f"loss {format_scalar(record.loss)}"


def shown_rows(
    records: Sequence[TrainingRecord], every: int | None
) -> Iterator[TrainingRecord | int]:
    """The records a table shows, in order; an int stands for that many rows left out.

    With ``every``, the steps that are multiples of it and the last one; otherwise
    all of a short table, or the first HEAD and last TAIL rows of a long one.
    """
    count = len(records)
    if every is not None:
        yield from (r for k, r in enumerate(records) if r.step % every == 0 or k == count - 1)
        return
    if count <= HEAD + TAIL:
        yield from records
        return
    yield from records[:HEAD]
    yield count - HEAD - TAIL
    yield from records[-TAIL:]


def loss_table(
    records: Sequence[TrainingRecord], *, every: int | None, digits: int, accumulate: bool
) -> Table:
    """One row per step shown: the loss before that step's update, and the gradient's norm."""
    table = Table(title="Loss per step", title_justify="left")
    table.add_column("step", justify="right")
    table.add_column("loss", justify="right")
    table.add_column("‖∂L/∂w‖", justify="right")
    if accumulate:
        table.add_column("‖Σ ∂L/∂w‖ (the update's)", justify="right")
    for row in shown_rows(records, every):
        if isinstance(row, int):
            table.add_row(*["…"] * len(table.columns), style="dim")
            continue
        numbers = [row.loss, row.gradient_norm, *([row.update_norm] if accumulate else [])]
        table.add_row(str(row.step), *(format_scalar(x, digits) for x in numbers))
    return table


def closing_lines(
    training: Training,
    *,
    status: str,
    final_loss: float | None,
    saved: str | None,
    digits: int,
) -> list[str]:
    """What the run came to: the loss from first to last, where it stopped, what was saved."""
    records = training.records
    lines = []
    if records:
        first, last = records[0], records[-1]
        lines.append(
            f"loss {format_scalar(first.loss, digits)} at step {first.step} → "
            f"{format_scalar(last.loss, digits)} at step {last.step}"
        )
    if final_loss is not None and training.updates:
        lines.append(
            f"after {training.updates:,} update{'s' if training.updates != 1 else ''}: "
            f"loss {format_scalar(final_loss, digits)}"
        )
    if status == "interrupted":
        lines.append(
            f"interrupted at step {training.updates}: {training.updates:,} of "
            f"{training.steps:,} steps done, the parameters are those after "
            f"{training.updates:,} update{'s' if training.updates != 1 else ''}"
        )
    if saved is not None:
        kept = f"; {_names(training.fixed)} as given" if training.fixed else ""
        lines.append(
            f"saved every input to {saved} ({_names(training.trained)} trained{kept}); "
            f"use it with --at @{saved}"
        )
    return [visible(line) for line in lines]


def print_result(
    console: Console,
    training: Training,
    *,
    status: str,
    final_loss: float | None,
    saved: str | None,
    every: int | None,
    digits: int,
    color: bool,
) -> None:
    """The table, the loss curve and the closing lines."""
    records = training.records
    if records:
        console.print(
            loss_table(records, every=every, digits=digits, accumulate=training.accumulate)
        )
        left_out = sum(row for row in shown_rows(records, every) if isinstance(row, int))
        if left_out:
            note = f"({left_out:,} steps not shown: --every K or --json shows them)"
            console.print(Text(note, style="dim"))
        from adexplorer.render.plots import loss_plot

        width = min(console.width, 100)
        title = "loss against step" + (" (--accumulate)" if training.accumulate else "")
        plot = loss_plot(
            [r.loss for r in records],
            first_step=records[0].step,
            width=width,
            height=20,
            color=color,
            title=title,
        )
        console.print(Text.from_ansi(plot))
    for line in closing_lines(
        training, status=status, final_loss=final_loss, saved=saved, digits=digits
    ):
        console.print(Text(line))
    for warning in training.warnings:
        console.print(Text(visible(f"warning: {warning}"), style="yellow"))
