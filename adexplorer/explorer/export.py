"""What the explorer saves: the trace as ``adx.eval/1`` JSON, and the steps so far as text.

In second-order mode both say what the mode shows: the JSON is the report of
``adx eval … --hvp/--hessian --json`` (its ``"second_order"`` part holds the direction,
H·u or the Hessian, and every nested sweep's steps), and the text names the mode and
ends with H·u or H as the explorer shows it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from adexplorer.base.files import write_atomically
from adexplorer.base.numbers import display_value
from adexplorer.base.shapes import Array
from adexplorer.core.formulas import Formula
from adexplorer.core.second_order import SecondOrderTrace
from adexplorer.core.trace import Trace


def export_json(
    trace: Trace,
    path: Path,
    *,
    numbering: str,
    digits: int,
    seed: Mapping[str, Array] | None,
    second: SecondOrderTrace | None = None,
) -> Path:
    """Write ``trace`` as ``adx.eval/1`` JSON, atomically (never half a file); with
    ``second`` (second-order mode) the report of its nested sweeps, as the CLI writes it."""
    from adexplorer.reports.eval import eval_report
    from adexplorer.reports.second_order import second_order_eval_report

    if second is not None:
        data = second_order_eval_report(second, numbering=numbering, digits=digits)
    else:
        data = eval_report(trace, numbering=numbering, digits=digits, seed=seed)
    write_atomically(path, json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False))
    return path


def trace_text(
    source: str,
    mode: str,
    values: Mapping[str, Array],
    digits: int,
    formulas: Iterable[Formula | str],
    results: Iterable[str] = (),
) -> str:
    """A header (program, mode in words, inputs), then one formula per line (a text
    among them is a heading, such as which nested sweep begins, written as a comment),
    then ``results`` (what the explorer's result lines say) as comments (for the
    clipboard)."""
    lines = [f"# {source.strip()}   mode: {mode}"]
    lines += [f"# {k} = {display_value(v, digits)}" for k, v in values.items()]
    lines += [f"# {f}" if isinstance(f, str) else f.text() for f in formulas]
    lines += [f"# {line}" for line in results]
    return "\n".join(lines) + "\n"
