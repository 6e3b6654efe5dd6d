"""The node-by-node check as data: the ``adx.check/1`` JSON report and the words both views use.

``check_report`` is what ``adx check --json`` prints; ``partial_label`` and
``findings`` give the table's labels and the closing sentences, so the rich
table and the JSON say the same thing.  Plain data, no rich.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from adexplorer.base.numbers import format_value, to_json_value
from adexplorer.compare.broken_rules import BrokenRule
from adexplorer.compare.node_check import (
    GRADIENT_TOLERANCE,
    STEP,
    TOLERANCE,
    NodeCheck,
    PartialCheck,
)

STATUS_MARKS = {"ok": "ok", "wrong": "✗", "kink": "kink", "undefined": "n/a"}


def partial_label(check: NodeCheck, partial: PartialCheck) -> str:
    """``∂v3/∂v0``; for vectors and matrices the entry that differs most, ``∂v5[1]/∂v2[1,0]``."""
    labels = check.graph.labels("griewank")
    out_rank = len(check.graph.nodes[partial.node].shape)
    out_index, arg_index = partial.worst[:out_rank], partial.worst[out_rank:]

    def entry(index: tuple[int, ...]) -> str:
        return f"[{','.join(str(k) for k in index)}]" if index else ""

    return (
        f"∂{labels[partial.node]}{entry(out_index)}/∂{labels[partial.argument]}{entry(arg_index)}"
    )


def worst_entry(partial: PartialCheck) -> tuple[float, float]:
    """The rule's and the estimate's value at the entry that differs most."""
    rule, estimate = np.asarray(partial.rule), np.asarray(partial.estimate)
    if rule.ndim == 0:
        return float(rule), float(estimate)
    return float(rule[partial.worst]), float(estimate[partial.worst])


def node_text(check: NodeCheck, index: int) -> str:
    """``v3 = sin(v0)``, the node as the trace writes it."""
    graph = check.graph
    labels = graph.labels("griewank")
    node = graph.nodes[index]
    arguments = (labels[a] for a in node.args)
    return f"{labels[index]} = {node.primitive.primal_template.format(*arguments)}"


def findings(check: NodeCheck, digits: int = 6) -> list[str]:
    """What the check found, in sentences: each disagreeing partial and where it comes from."""
    lines: list[str] = []
    wrong_gradient = [g.name for g in check.gradient if g.wrong]
    ties = [f"line {d.line}: {tie}" for d in check.graph.decisions for tie in d.ties]
    if wrong_gradient:
        if check.wrong:
            why = ": some local rule is wrong"
        elif ties:
            why = (
                ", but every local rule agrees: the point sits exactly on a branch boundary ("
                + "; ".join(ties)
                + "), where the function jumps or kinks; differences straddle the two "
                "branches, AD differentiates the branch taken"
            )
        else:
            why = (
                ", but every local rule that can be judged agrees: a kink or a domain "
                "edge on the way (rows marked kink or n/a), or the differences' own error"
            )
        lines.append(
            "the whole gradient disagrees with central differences for "
            + ", ".join(wrong_gradient)
            + why
        )
    for partial in check.wrong:
        rule, estimate = worst_entry(partial)
        source = check.graph.source_text(partial.node)
        lines.append(
            f"✗ {node_text(check, partial.node)}"
            + (f" (from `{source}`)" if source else "")
            + f": its rule gives {partial_label(check, partial)} = {format_value(rule, digits)}, "
            f"finite differences {format_value(estimate, digits)}"
        )
    if not check.wrong:
        lines.append(
            "every local rule agrees with finite differences"
            + (" (kinks and points outside a domain are not judged)" if _unjudged(check) else "")
        )
    return lines


def _unjudged(check: NodeCheck) -> bool:
    return any(p.status in ("kink", "undefined") for p in check.partials)


def _number(x: float) -> float | None:
    return x if math.isfinite(x) else None


def check_report(check: NodeCheck, broken: BrokenRule | None = None) -> dict[str, Any]:
    labels = check.graph.labels("griewank")
    return {
        "schema": "adx.check/1",
        "inputs": {k: to_json_value(v)[0] for k, v in check.inputs.items()},
        "broken_rule": broken.text if broken is not None else None,
        "tolerance": TOLERANCE,
        "step": f"h = {STEP!r}*max(1, |u|)",
        "ok": check.ok,
        "wrong_nodes": [labels[i] for i in check.wrong_nodes],
        "nodes": [
            {
                "node": labels[p.node],
                "operation": check.graph.nodes[p.node].op,
                "formula": node_text(check, p.node),
                "source": check.graph.source_text(p.node),
                "argument": labels[p.argument],
                "partial": partial_label(check, p),
                "rule": to_json_value(p.rule)[0],
                "estimate": to_json_value(p.estimate)[0],
                "relative_difference": _number(p.difference),
                "status": p.status,
            }
            for p in check.partials
        ],
        "gradient": {
            "tolerance": GRADIENT_TOLERANCE,
            "inputs": {
                g.name: {
                    "ad": to_json_value(g.ad)[0],
                    "central_difference": to_json_value(g.estimate)[0],
                    "relative_difference": _number(g.difference),
                    "ok": not g.wrong if g.judged else None,
                }
                for g in check.gradient
            },
        },
        "findings": findings(check),
    }
