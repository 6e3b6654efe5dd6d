"""What the explorer saves: the trace as ``adx.eval/1`` JSON, and the steps so far as text."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from adexplorer.base.files import write_atomically
from adexplorer.base.numbers import display_value
from adexplorer.base.shapes import Array
from adexplorer.core.formulas import Formula
from adexplorer.core.trace import Trace


def export_json(
    trace: Trace,
    path: Path,
    *,
    numbering: str,
    digits: int,
    seed: Mapping[str, Array] | None,
) -> Path:
    """Write ``trace`` as ``adx.eval/1`` JSON, atomically (never half a file)."""
    from adexplorer.reports.eval import eval_report

    data = eval_report(trace, numbering=numbering, digits=digits, seed=seed)
    write_atomically(path, json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False))
    return path


def trace_text(
    source: str,
    mode: str,
    values: Mapping[str, Array],
    digits: int,
    formulas: Iterable[Formula],
) -> str:
    """A header (program, mode, inputs), then one formula per line (for the clipboard)."""
    lines = [f"# {source.strip()}   mode: {mode}"]
    lines += [f"# {k} = {display_value(v, digits)}" for k, v in values.items()]
    lines += [f.text() for f in formulas]
    return "\n".join(lines) + "\n"
