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
from adexplorer.base.text import visible
from adexplorer.core.formulas import Formula, FormulaRenderer
from adexplorer.core.trace import Trace
from adexplorer.exports.rows import (
    MAX_SWEEPS,
    bracketed,
    check_numbering,
    result_lines,
    short,
    short_dual,
)


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
    # every program line a comment (the program's indentation kept), the mode a line of
    # its own; controls in user text shown as escapes, never sent raw to a terminal
    lines = [f"# {line}".rstrip() for line in source.strip("\n").splitlines()]
    lines.append(f"# mode: {mode}")
    lines += [f"# {k} = {display_value(v, digits)}" for k, v in values.items()]
    lines += [f"# {f}" if isinstance(f, str) else f.text() for f in formulas]
    lines += [f"# {line}" for line in results]
    return "\n".join(visible(line, keep="") for line in lines) + "\n"


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
        formulas += [short(render.primal(step), step.value) for step in trace.primal_steps]
    if trace.vector_sweep is not None:
        sweep = trace.vector_sweep
        if dual:
            formulas.append(f"dual numbers with {sweep.n} infinitesimal parts (one vector sweep)")
            pairs = zip(trace.primal_steps, sweep.steps, strict=True)
            formulas += [
                short_dual(render.vector_dual(p, t, sweep.tangents), p.value, t.value, True)
                for p, t in pairs
            ]
        else:
            formulas.append(f"vector tangent sweep ({sweep.n} directions)")
            formulas += [
                short(render.tangent(step, sweep.tangents), step.value) for step in sweep.steps
            ]
    for k, tangents in enumerate(trace.tangent_sweeps[:MAX_SWEEPS]):
        formulas.append(f"{'dual numbers' if dual else 'tangent sweep'} {k + 1}")
        if dual:
            pairs = zip(trace.primal_steps, tangents.steps, strict=True)
            formulas += [
                bracketed(short_dual(render.dual(p, t, tangents.tangents), p.value, t.value))
                for p, t in pairs
            ]
        else:
            formulas += [
                short(render.tangent(step, tangents.tangents), step.value)
                for step in tangents.steps
            ]
    for k, adjoints in enumerate(trace.adjoint_sweeps[:MAX_SWEEPS]):
        formulas.append(f"adjoint sweep {k + 1}")
        formulas += [
            short(render.adjoint(step, adjoints.adjoints), step.contribution)
            for step in adjoints.steps
        ]
    mode = "dual" if dual else trace.mode
    return trace_text(
        trace.graph.source, mode, trace.inputs, digits, formulas, result_lines(trace, digits)
    )
