"""One entry point for every text format: :func:`export_text` (all but ``svg``, which is a
screenshot the tui layer takes).  ``adx export`` and the explorer's export action both
call it, so a format says the same thing wherever it is made.
"""

from __future__ import annotations

from collections.abc import Mapping

from adexplorer.base.shapes import Array
from adexplorer.base.text import json_dumps
from adexplorer.core.trace import Trace
from adexplorer.exports import FORMATS

#: The formats :func:`export_text` writes (svg is the explorer's screenshot).
TEXT_FORMATS = tuple(name for name in FORMATS if name != "svg")


def export_text(
    name: str,
    trace: Trace,
    *,
    numbering: str = "griewank",
    digits: int = 6,
    dual: bool = False,
    standalone: bool = False,
    seed: Mapping[str, Array] | None = None,
    wrt: str | None = None,
) -> str:
    """``trace`` in format ``name`` (one of :data:`TEXT_FORMATS`); ``dual``: a forward
    trace written as dual numbers; ``standalone``: LaTeX as a whole document; ``seed``
    and ``wrt``: what the JSON report records (as ``adx eval --json``)."""
    if name == "latex":
        from adexplorer.exports.tables import trace_latex

        return trace_latex(
            trace, numbering=numbering, digits=digits, standalone=standalone, dual=dual
        )
    if name == "markdown":
        from adexplorer.exports.tables import trace_markdown

        return trace_markdown(trace, numbering=numbering, digits=digits, dual=dual)
    if name == "dot":
        from adexplorer.exports.graphs import graph_dot

        return graph_dot(trace, numbering=numbering, digits=digits)
    if name == "mermaid":
        from adexplorer.exports.graphs import graph_mermaid

        return graph_mermaid(trace, numbering=numbering, digits=digits)
    if name == "text":
        from adexplorer.exports.text import trace_plain

        return trace_plain(trace, numbering=numbering, digits=digits, dual=dual)
    if name == "json":
        from adexplorer.reports.eval import eval_report

        report = eval_report(trace, numbering=numbering, digits=digits, wrt=wrt, seed=seed)
        return json_dumps(report) + "\n"
    raise ValueError(f"format {name!r}: use one of {', '.join(TEXT_FORMATS)}")
