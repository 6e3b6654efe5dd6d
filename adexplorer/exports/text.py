"""A trace as plain text: a header (program, mode, inputs), then one formula per line.

:func:`trace_text` is the layout (the explorer's clipboard and text export write the
steps run so far through it); :func:`trace_plain` writes a whole trace that way, as
``adx export --format text`` does: the primal sweep, then each sweep shown (or the
dual numbers), then the results as comments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from adexplorer.base.numbers import display_value
from adexplorer.base.shapes import Array
from adexplorer.core.formulas import Formula, FormulaRenderer
from adexplorer.core.trace import Trace
from adexplorer.exports.rows import MAX_SWEEPS, check_numbering, result_lines


def trace_text(
    source: str,
    mode: str,
    values: Mapping[str, Array],
    digits: int,
    formulas: Iterable[Formula | str],
    results: Iterable[str] = (),
) -> str:
    """A header (program, mode in words, inputs), then one formula per line (a text
    among them is a heading, such as which sweep begins, written as a comment), then
    ``results`` as comments."""
    lines = [f"# {source.strip()}   mode: {mode}"]
    lines += [f"# {k} = {display_value(v, digits)}" for k, v in values.items()]
    lines += [f"# {f}" if isinstance(f, str) else f.text() for f in formulas]
    lines += [f"# {line}" for line in results]
    return "\n".join(lines) + "\n"


def trace_plain(
    trace: Trace, *, numbering: str = "griewank", digits: int = 6, dual: bool = False
) -> str:
    """Every step of ``trace`` as a formula, one per line (``dual``: forward sweeps as
    dual numbers); at most :data:`~adexplorer.exports.rows.MAX_SWEEPS` sweeps."""
    check_numbering(numbering)
    render = FormulaRenderer(trace.graph, trace.values, numbering=numbering, digits=digits)
    formulas: list[Formula | str] = []
    if not dual:
        formulas.append("primal sweep")
        formulas += [render.primal(step) for step in trace.primal_steps]
    if trace.vector_sweep is not None:
        sweep = trace.vector_sweep
        formulas.append(f"vector tangent sweep ({sweep.n} directions)")
        formulas += [render.tangent(step, sweep.tangents) for step in sweep.steps]
    for k, tangents in enumerate(trace.tangent_sweeps[:MAX_SWEEPS]):
        formulas.append(f"{'dual numbers' if dual else 'tangent sweep'} {k + 1}")
        if dual:
            pairs = zip(trace.primal_steps, tangents.steps, strict=True)
            formulas += [render.dual(p, t, tangents.tangents) for p, t in pairs]
        else:
            formulas += [render.tangent(step, tangents.tangents) for step in tangents.steps]
    for k, adjoints in enumerate(trace.adjoint_sweeps[:MAX_SWEEPS]):
        formulas.append(f"adjoint sweep {k + 1}")
        formulas += [render.adjoint(step, adjoints.adjoints) for step in adjoints.steps]
    mode = "dual" if dual else trace.mode
    return trace_text(
        trace.graph.source, mode, trace.inputs, digits, formulas, result_lines(trace, digits)
    )
