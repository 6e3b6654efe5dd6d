"""What the explorer saves: the trace as ``adx.eval/1`` JSON, and the steps so far as text
(the text layout is ``exports.text.trace_text``, kept here under its old name).

In second-order mode both say what the mode shows: the JSON is the report of
``adx eval … --hvp/--hessian --json`` (its ``"second_order"`` part holds the direction,
H·u or the Hessian, and every nested sweep's steps), and the text names the mode and
ends with H·u or H as the explorer shows it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from adexplorer.base.files import write_atomically
from adexplorer.base.shapes import Array
from adexplorer.core.second_order import SecondOrderTrace
from adexplorer.core.trace import Trace
from adexplorer.exports.text import trace_text

__all__ = ["export_json", "trace_text"]


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
