"""Step text of a nested (forward-over-reverse) sweep, in words and numbers.

A nested sweep has three kinds of step, and this module renders each as
:mod:`adexplorer.core.formulas` renders first-order steps (rule with names, the
same rule with the numbers substituted, the result), so the CLI, JSON, the
explorer and the lessons all show the same text:

* the primal and its tangent along u: ``v̇1 = v̇-1/v-1 = 1/2 = 0.5`` (the tangent
  step text of :class:`~adexplorer.core.formulas.FormulaRenderer`, as it is);
* the adjoint contribution ``v̄-1 += v̄1/v-1 = 1/2 = 0.5`` (likewise);
* its tangent, the second-order rule: the first-order rule applied to the adjoint
  tangent, plus the adjoint times the primitive's second partials times the
  arguments' tangents (from the primitive table's ``SecondOrder``)::

      v̄̇-1 += v̄̇1/v-1 - v̄1·v̇-1/v-1^2 = 0/2 - 1·1/2^2 = -0.25

Names: ``v̇`` is a tangent, ``v̄`` an adjoint and ``v̄̇`` an adjoint's tangent.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

import numpy as np

from adexplorer.base.numbers import SHOWN_IN_FULL, display_value, format_value
from adexplorer.base.shapes import Array
from adexplorer.core.engines import AdjointStep, PrimalStep, TangentStep
from adexplorer.core.engines.nested import NestedAdjointStep
from adexplorer.core.formulas import (
    BAR,
    DOT,
    Formula,
    FormulaRenderer,
    _broadcast_sum,
    _join,
    _tidy,
    barred,
    dotted,
    dual_text,
    number_text,
    show,
)
from adexplorer.core.ir import Graph
from adexplorer.core.second_order import NestedSweep, SecondOrderTrace


def barred_dotted(label: str) -> str:
    """``v3`` → ``v̄̇3``: the tangent of an adjoint."""
    return label[0] + BAR + DOT + label[1:] if label and label[0].isalpha() else label


class NestedFormulaRenderer:
    """Renders the steps of a second-order trace's nested sweeps.

    Built from a :class:`SecondOrderTrace` (its graph and values), or from a graph
    and its values.  Each method takes the step and the :class:`NestedSweep` it
    belongs to (whose tangents, and whose final adjoints and adjoint tangents,
    give the numbers: when a node's adjoint flows back it is already complete)."""

    def __init__(
        self,
        trace_or_graph: SecondOrderTrace | Graph,
        values: Sequence[Array] | None = None,
        *,
        numbering: str = "griewank",
        digits: int = 6,
    ):
        if isinstance(trace_or_graph, SecondOrderTrace):
            graph = trace_or_graph.graph
            values = trace_or_graph.values if values is None else values
        else:
            graph = trace_or_graph
        if values is None:
            raise ValueError("a graph needs its values (the trace's primal values)")
        self.graph = graph
        self.values = values
        self.labels = graph.labels(numbering)
        self.digits = digits
        self.first = FormulaRenderer(graph, values, numbering=numbering, digits=digits)

    def _num(self, value: Array | None) -> str:
        return number_text(value, self.digits)

    # -- the forward part ------------------------------------------------------

    def primal(self, step: PrimalStep) -> Formula:
        """``v1 = log(v-1) = log(2) = 0.693147``."""
        return self.first.primal(step)

    def tangent(self, step: TangentStep, sweep: NestedSweep) -> Formula:
        """``v̇1 = v̇-1/v-1 = 1/2 = 0.5``: the primal tangent along the direction."""
        return _unsigned_zeros(self.first.tangent(step, sweep.tangents))

    def dual(self, primal: PrimalStep, tangent: TangentStep, sweep: NestedSweep) -> Formula:
        """One forward step as dual arithmetic, ``v1 = log(v-1 + v̇-1ε) = … = 0.693 + 0.5ε``."""
        return self.first.dual(primal, tangent, sweep.tangents)

    # -- the nested adjoint part -----------------------------------------------

    def adjoint(self, step: NestedAdjointStep, sweep: NestedSweep) -> Formula:
        """The first-order contribution ``ū += v̄·∂v/∂u`` (as in reverse mode)."""
        first = AdjointStep(step.node, step.source, step.slot, step.contribution, step.total)
        return _unsigned_zeros(self.first.adjoint(first, sweep.adjoints))

    def adjoint_dot(self, step: NestedAdjointStep, sweep: NestedSweep) -> Formula:
        """The second-order rule: the change of the contribution ``ū += v̄·∂v/∂u``
        along the direction, ``u̇̄ += v̄̇·∂v/∂u + v̄·Σⱼ ∂²v/∂u∂wⱼ·ẇⱼ``."""
        target = barred_dotted(self.labels[step.node])
        if step.source is None:
            seed = format_value(step.contribution_dot, self.digits)
            return Formula(target, seed, "", seed)
        graph = self.graph
        source = graph.nodes[step.source]
        prim = graph.rule(source.op)
        consts = self.first._consts(source.args)
        names = [self.labels[a] for a in source.args]
        numbers = [self._num(self.values[a]) for a in source.args]
        moving = [not graph.nodes[a].is_const for a in source.args]
        out_label = self.labels[step.source]
        out_number = self._num(self.values[step.source])
        rule_terms = [
            prim.adjoint_text(step.slot, names, out_label, barred_dotted(out_label), consts),
            *prim.adjoint_dot_texts(
                step.slot,
                names,
                out_label,
                barred(out_label),
                [dotted(n) if m else None for n, m in zip(names, moving, strict=True)],
                consts,
            ),
        ]
        # Numbers go in through placeholders: the rule's shape is decided on the partials'
        # text alone, never on a substituted 1 or 0 (1·0 must not shrink to 0).
        tangent_numbers = {
            _slot(j): self._num(sweep.tangents[a]) for j, a in enumerate(source.args)
        }
        seconds = prim.adjoint_dot_texts(
            step.slot,
            numbers,
            out_number,
            _ADJOINT,
            [_slot(j) if m else None for j, m in enumerate(moving)],
            consts,
        )
        adjoint_number = self._num(sweep.adjoints[step.source])
        number_terms = [
            prim.adjoint_text(
                step.slot,
                numbers,
                out_number,
                self._num(sweep.adjoint_dots[step.source]),
                consts,
                substituted=True,
            ),
            *(_fill(term, adjoint_number, tangent_numbers) for term in seconds),
        ]
        rule, numbers_text = _join(rule_terms), _join(number_terms)
        summed = _broadcast_sum(graph.nodes[step.node].shape, source.shape)
        if summed:  # the argument was broadcast: its adjoint (and tangent) adds up the copies
            rule, numbers_text = f"{summed}({rule})", f"{summed}({numbers_text})"
        result = format_value(step.contribution_dot, self.digits)
        numbers_text = _NEGATED_ZERO.sub("0", show(_tidy(numbers_text)))
        return Formula(target, show(rule), numbers_text, result, accumulate=True)

    def adjoint_dual(self, step: NestedAdjointStep) -> Formula:
        """The step as one dual number: ``v̄-1 + v̄̇-1ε += 0.5 − 0.25ε`` (running total
        as the result when it differs from the contribution)."""
        label = self.labels[step.node]
        target = dual_text(barred(label), barred_dotted(label))
        contribution = dual_text(
            format_value(step.contribution, self.digits),
            format_value(step.contribution_dot, self.digits),
        )
        total = dual_text(
            format_value(step.total, self.digits), format_value(step.total_dot, self.digits)
        )
        return Formula(target, contribution, "", total, accumulate=step.source is not None)


#: A unary minus before a substituted 0 (``-v̄̇5`` with v̄̇5 = 0 reads ``-0``, a negative
#: zero to a student): not after a name, number or bracket, not before more digits.
_NEGATED_ZERO = re.compile(r"(?<![\w)\]])-0(?![\w.])")


def _unsigned_zeros(formula: Formula) -> Formula:
    """The formula with each substituted ``-0`` written ``0``."""
    numbers = _NEGATED_ZERO.sub("0", formula.numbers)
    return formula if numbers == formula.numbers else dataclasses.replace(formula, numbers=numbers)


_ADJOINT = "\ue000"  # placeholders (private-use characters) for substituted numbers


def _slot(j: int) -> str:
    return f"\ue001{j}\ue002"


def _fill(text: str, adjoint: str, tangents: dict[str, str]) -> str:
    text = text.replace(_ADJOINT, adjoint)
    for key, value in tangents.items():
        text = text.replace(key, value)
    return text


# ------------------------------------------------------------------ whole trace


def direction_text(trace: SecondOrderTrace, sweep: NestedSweep, digits: int = 6) -> str:
    """``u = (x1: 1, x2: 0)``: the direction of a sweep, every input named (a tensor's
    entries summarized); a unit direction among more than a few entries is just named,
    ``e_v[0]``, so the text stays short for long vectors."""
    if sweep.label != "u" and len(trace.entry_labels) > SHOWN_IN_FULL:
        return f"e_{sweep.label}"
    parts = []
    for i, name in zip(trace.graph.inputs, trace.graph.input_names, strict=True):
        value = sweep.direction.get(i)
        shown = display_value(value, digits) if value is not None else "0"
        parts.append(f"{name}: {shown}")
    return f"{sweep.label if sweep.label == 'u' else 'e_' + sweep.label} = ({', '.join(parts)})"


def nested_trace_lines(
    trace: SecondOrderTrace, sweep: int = 0, *, numbering: str = "griewank", digits: int = 6
) -> list[str]:
    """A nested sweep as plain text: primal with tangents, then each adjoint step with
    its second-order rule, then the gradient and H·u (or the Hessian column)."""
    renderer = NestedFormulaRenderer(trace, numbering=numbering, digits=digits)
    nested = trace.sweeps[sweep]
    lines = [f"nested sweep {sweep + 1} of {len(trace.sweeps)}: {direction_text(trace, nested)}"]
    lines.append("forward (primal and tangent along the direction):")
    tangents = {step.node: step for step in nested.tangent_steps}
    for step in trace.primal_steps:
        lines.append(f"  {renderer.primal(step).text()}")
        if step.node in tangents:
            lines.append(f"  {renderer.tangent(tangents[step.node], nested).text()}")
    lines.append("reverse (each adjoint with its tangent):")
    for nstep in nested.steps:
        lines.append(f"  {renderer.adjoint(nstep, nested).text()}")
        lines.append(f"  {renderer.adjoint_dot(nstep, nested).text()}")
    gradient = ", ".join(
        f"{name} = {format_value(v, digits)}" for name, v in _per_input(trace, nested.adjoints)
    )
    product = ", ".join(
        f"{name} = {format_value(v, digits)}" for name, v in _per_input(trace, nested.adjoint_dots)
    )
    lines.append(f"gradient: {gradient}")
    what = "H·u" if trace.kind == "hvp" else f"H·e_{nested.label} (column {sweep + 1} of H)"
    lines.append(f"{what}: {product}")
    return lines


def _per_input(
    trace: SecondOrderTrace, per_node: Sequence[Array | None]
) -> list[tuple[str, Array]]:
    result = []
    for i in trace.differentiated:
        node = trace.graph.nodes[i]
        value = per_node[i]
        result.append((node.name or "", np.zeros(node.shape) if value is None else value))
    return result
