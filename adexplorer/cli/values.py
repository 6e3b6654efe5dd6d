"""``adx values``: every input's value as a program gets it, summarized, and saved on request.

The values are the program's defaults (seeded random ones included) with the
``--at`` values over them, exactly as ``adx eval`` and ``adx train`` use them.
Each is shown as a summary whose size does not grow with the value's (type, a
few entries, min, max, mean, norm); ``--save FILE.npz`` writes them all, bit
for bit, for ``--at @FILE.npz`` to read back later.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import numpy as np

from adexplorer.base.errors import AdxError
from adexplorer.base.numbers import format_scalar, to_json_value
from adexplorer.base.shapes import Array, type_name
from adexplorer.cli.common import SOURCE_RULE, ExpressionFriendlyCommand, dump_json, fail, load

#: How many entries a summary shows, from the start of the value (C order).
FIRST_ENTRIES = 3

VALUES_EPILOG = f"""\b
Examples:
  adx values examples/network.adx
  adx values examples/network.adx --save start.npz
  adx train examples/network.adx --at @start.npz --wrt W1,b1,W2,b2
  adx values 'sum(W*W)' --at 'W=normal(seed=7, shape=[3,4])' --json
  adx values prog.adx --at X=@x.npy --at W=@weights.npz:W1

\b
Random values are numpy's: normal(seed=S) is
numpy.random.default_rng(S).standard_normal(shape) and uniform(LO, HI, seed=S)
is numpy.random.default_rng(S).uniform(LO, HI, shape), float64 in C order
(docs/language.md, "Values").  --save writes an .npz that numpy.load reads
(np.load('start.npz')['W1']) and that --at @start.npz binds member by member.

\b
Exit status: 0 success, 1 an error in the program, the values or a file, 2 a
misused command line.

{SOURCE_RULE}
"""


def summary(value: Array) -> dict[str, Any]:
    """A value's summary: type, shape, its first entries, min, max, mean and norm
    (the Euclidean norm of all entries), in time linear in its size."""
    arr = np.asarray(value, dtype=np.float64)
    flat = arr.reshape(-1)
    return {
        "type": type_name(arr.shape),
        "shape": list(arr.shape),
        "first": flat[:FIRST_ENTRIES].tolist(),
        "entries": int(arr.size),
        "min": float(flat.min()),
        "max": float(flat.max()),
        "mean": float(flat.mean()),
        "norm": float(np.sqrt(np.dot(flat, flat))),
    }


def _json_number(x: float) -> float | None:
    number, _ = to_json_value(x)
    return number


@click.command("values", cls=ExpressionFriendlyCommand, epilog=VALUES_EPILOG)
@click.argument("expr_or_file", metavar="EXPR_OR_FILE")
@click.option(
    "--at",
    "at",
    multiple=True,
    metavar="NAME=VALUE,...",
    help="Input values over the defaults; repeatable (X=@x.npy, @start.npz, W=normal(seed=7)).",
)
@click.option("--save", "save", metavar="FILE.npz", help="Write every input's value to FILE.npz.")
@click.option("--force", is_flag=True, help="With --save: replace FILE.npz if it exists.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object (schema adx.values/1)."
)
@click.option("--digits", type=click.IntRange(1, 17), default=6, show_default=True)
def values_command(
    expr_or_file: str,
    at: tuple[str, ...],
    save: str | None,
    force: bool,
    as_json: bool,
    digits: int,
) -> None:
    """Show every input's value (a summary of each), and save them all with --save."""
    from adexplorer.base.value_files import write_npz
    from adexplorer.core.trace import input_values

    try:
        loaded, bindings = load(expr_or_file, at)
        if not loaded.graph.inputs:
            raise AdxError("input", "this program has no inputs, so there are no values to show")
        values = input_values(loaded.graph, bindings)
        if save is not None:
            write_npz(Path(save), values, force=force)
    except AdxError as error:
        fail(error, as_json)
    origins = {name: "--at" if name in bindings else "default" for name in loaded.graph.input_names}
    summaries = {name: summary(value) for name, value in values.items()}
    if as_json:
        dump_json(
            {
                "schema": "adx.values/1",
                "inputs": [
                    {
                        "name": name,
                        "from": origins[name],
                        **{
                            key: [_json_number(x) for x in item]
                            if key == "first"
                            else _json_number(item)
                            if key in ("min", "max", "mean", "norm")
                            else item
                            for key, item in s.items()
                        },
                    }
                    for name, s in summaries.items()
                ],
                "saved": save,
                "warnings": loaded.warnings,
            }
        )
        return
    _print_table(summaries, origins, digits, save)
    for warning in loaded.warnings:
        click.echo(f"warning: {warning}", err=True)


def _print_table(
    summaries: dict[str, dict[str, Any]], origins: dict[str, str], digits: int, save: str | None
) -> None:
    """One line per input, in aligned columns (plain text: a line never wraps
    inside a cell, and the entries come last so a narrow terminal cuts only them)."""
    from adexplorer.base.text import visible

    rows = [["name", "type", "from", "min", "max", "mean", "norm", "first entries"]]
    for name, s in summaries.items():
        first = ", ".join(format_scalar(x, digits) for x in s["first"])
        if s["entries"] > len(s["first"]):
            first += ", …"
        stats = [format_scalar(s[key], digits) for key in ("min", "max", "mean", "norm")]
        rows.append([name, s["type"], origins[name], *stats, f"[{first}]"])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [
            cell.rjust(width) if 3 <= position <= 6 else cell.ljust(width)
            for position, (cell, width) in enumerate(zip(row, widths, strict=False))
        ]
        click.echo(visible("  ".join([*cells, row[-1]]).rstrip()))
    if save is not None:
        count = len(summaries)
        click.echo(visible(f"saved {count} value{'s' if count != 1 else ''} to {save}"))
