"""The ``"second_order"`` part of the ``adx.eval/1`` report (``adx eval … --hvp/--hessian
--json``; documented in docs/json-schema.md, section "Second order").

The report around it is the first-order report of the same point (value, gradient,
primal rows: :func:`adexplorer.reports.eval.eval_report` of a reverse-mode trace), so
a script reads a second-order run as it reads any other; ``"second_order"`` adds the
direction, H·u or the labelled Hessian, every nested sweep's steps with both rules
in words and numbers (the text :mod:`adexplorer.core.nested_formulas` makes for the
CLI and the explorer alike), and the cost.  Plain data only, no rich.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from adexplorer.core.formulas import FormulaRenderer
from adexplorer.core.nested_formulas import NestedFormulaRenderer
from adexplorer.core.second_order import NestedSweep, SecondOrderTrace
from adexplorer.core.trace import run
from adexplorer.reports.eval import _Json, eval_report

METHOD = "forward-over-reverse: an adjoint sweep on dual numbers, every v̄ with its tangent v̄̇"


def second_order_eval_report(
    trace: SecondOrderTrace,
    *,
    numbering: str = "griewank",
    digits: int = 6,
    warnings: Sequence[str] = (),
) -> dict[str, Any]:
    """The ``adx.eval/1`` report of a second-order run: the first-order report of the
    point (mode "reverse", the same inputs and ``wrt``) with ``"second_order"`` added."""
    first = run(trace.graph, trace.inputs, "reverse", wrt=trace.wrt)
    report = eval_report(first, numbering=numbering, digits=digits)
    conv = _Json()
    report["second_order"] = second_order_json(trace, conv, numbering=numbering, digits=digits)
    report["warnings"] = list(
        dict.fromkeys([*warnings, *trace.warnings, *report["warnings"], *conv.warnings])
    )
    return report


def second_order_json(
    trace: SecondOrderTrace, conv: _Json, *, numbering: str, digits: int
) -> dict[str, Any]:
    graph = trace.graph
    labels = graph.labels(numbering)
    render = FormulaRenderer(graph, trace.values, numbering=numbering, digits=digits)
    nested = NestedFormulaRenderer(trace, numbering=numbering, digits=digits)
    result: dict[str, Any] = {
        "kind": trace.kind,
        "method": METHOD,
        "wrt": list(trace.wrt) if trace.wrt is not None else None,
        "gradient": {
            name: conv(value, f"the gradient entry for {name}")
            for name, value in trace.gradient().items()
        },
    }
    if trace.kind == "hvp":
        sweep = trace.sweeps[0]
        result["direction"] = {
            graph.nodes[i].name or labels[i]: conv(
                sweep.direction.get(i, np.zeros(graph.nodes[i].shape)), "the direction"
            )
            for i in graph.inputs
        }
        result["hvp"] = {name: conv(value, f"(H·u)[{name}]") for name, value in trace.hvp().items()}
    else:
        matrix = trace.hessian()
        with np.errstate(invalid="ignore"):  # inf − inf: NaN, reported as null with a warning
            asymmetry = float(np.max(np.abs(matrix - matrix.T))) if matrix.size else 0.0
        result["direction"] = None
        result["hessian"] = {
            "labels": list(trace.entry_labels),
            "matrix": conv(matrix, "a Hessian entry"),
            "symmetry_error": conv(np.float64(asymmetry), "max |H - Hᵀ|"),
        }
    result["sweeps"] = [_sweep(sweep, labels, render, nested, conv) for sweep in trace.sweeps]
    result["cost"] = trace.cost.as_json()
    return result


def _sweep(
    sweep: NestedSweep,
    labels: Sequence[str],
    render: FormulaRenderer,
    nested: NestedFormulaRenderer,
    conv: _Json,
) -> dict[str, Any]:
    return {
        "label": sweep.label,
        "direction": {labels[i]: conv(v, "a direction") for i, v in sweep.direction.items()},
        "tangent_steps": [
            {
                "id": labels[s.node],
                "value": conv(s.value, f"the tangent of {labels[s.node]}"),
                "formula": render.tangent(s, sweep.tangents).text(),
            }
            for s in sweep.tangent_steps
        ],
        "steps": [
            {
                "id": labels[s.node],
                "from": labels[s.source] if s.source is not None else None,
                "slot": s.slot,
                "contribution": conv(s.contribution, f"a contribution to {labels[s.node]}"),
                "total": conv(s.total, f"the adjoint of {labels[s.node]}"),
                "contribution_dot": conv(
                    s.contribution_dot, f"a contribution to the adjoint tangent of {labels[s.node]}"
                ),
                "total_dot": conv(s.total_dot, f"the adjoint tangent of {labels[s.node]}"),
                "rule": nested.adjoint(s, sweep).text(),
                "second_rule": nested.adjoint_dot(s, sweep).text(),
            }
            for s in sweep.steps
        ],
    }
