"""Step formulas in words and numbers: ``v̇2 = v̇-1·v0 + v-1·v̇0 = 1·5 + 2·0 = 5``.

Given a trace and a step, these functions render three strings: the rule with
node names, the same rule with the numbers substituted, and the result.  They
are the only place step text is made, so the CLI, the explorer, JSON and the
golden tests all show the same thing.  Templates come from the primitive table
(:mod:`adexplorer.core.primitives`); ``*`` is shown as ``·``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from adexplorer.base.numbers import format_value
from adexplorer.base.shapes import Array
from adexplorer.core.engines import AdjointStep, PrimalStep, TangentStep
from adexplorer.core.ir import Graph
from adexplorer.core.primitives import needs_parens

DOT = "\u0307"  # combining dot above: v̇
BAR = "\u0304"  # combining macron: v̄
_MAX_INLINE = 6  # arrays with more entries are shown by name, not by value


def dotted(label: str) -> str:
    return label[0] + DOT + label[1:] if label and label[0].isalpha() else label


def barred(label: str) -> str:
    return label[0] + BAR + label[1:] if label and label[0].isalpha() else label


@dataclass(frozen=True, slots=True)
class Formula:
    target: str  # v̇2, v̄-1 …
    rule: str  # v̇-1·v0 + v-1·v̇0
    numbers: str  # 1·5 + 2·0
    result: str  # 5
    accumulate: bool = False  # "+=" rather than "="

    def text(self) -> str:
        sign = "+=" if self.accumulate else "="
        parts = [f"{self.target} {sign} {self.rule}"]
        if self.numbers and self.numbers not in (self.rule, self.result):
            parts.append(self.numbers)
        if self.result != self.rule:
            parts.append(self.result)
        return " = ".join(parts)


def show(text: str) -> str:
    """adx syntax → display: ``*`` becomes ``·``."""
    return text.replace("*", "·")


def number_text(value: Array | None, digits: int) -> str:
    if value is None:
        return "0"
    arr = np.asarray(value)
    if arr.size > _MAX_INLINE:
        from adexplorer.base.shapes import type_name

        return f"⟨{type_name(arr.shape)}⟩"
    text = format_value(arr, digits)
    return f"({text})" if text.startswith("-") else text


_DOUBLE_PARENS = re.compile(r"\(\((-[^()]*)\)\)")


_LONE_NUMBER = re.compile(r"^\((-[^()]*)\)$")


def _tidy(text: str) -> str:
    """Drop parentheses that only a substituted negative number needed: ((-2)) and a lone (-2)."""
    return _LONE_NUMBER.sub(r"\1", _DOUBLE_PARENS.sub(r"(\1)", text))


class FormulaRenderer:
    """Renders the formulas of one trace's steps under a numbering and precision."""

    def __init__(
        self, graph: Graph, values: Sequence[Array], *, numbering: str = "griewank", digits: int = 6
    ):
        self.graph = graph
        self.values = values
        self.labels = graph.labels(numbering)
        self.digits = digits

    def _consts(self, args: Sequence[int]) -> list[float | None]:
        consts: list[float | None] = []
        for a in args:
            node = self.graph.nodes[a]
            value = node.value if node.is_const and node.shape == () else None
            consts.append(None if value is None else float(value))
        return consts

    def _num(self, value: Array | None) -> str:
        return number_text(value, self.digits)

    # -- primal --------------------------------------------------------------

    def primal(self, step: PrimalStep) -> Formula:
        node = self.graph.nodes[step.node]
        label = self.labels[step.node]
        result = format_value(step.value, self.digits)
        if node.is_input:
            return Formula(label, node.name or label, result, result)
        prim = node.primitive
        names = [self.labels[a] for a in node.args]
        numbers = [self._num(self.values[a]) for a in node.args]
        rule = prim.primal_template.format(*names)
        substituted = _tidy(prim.primal_template.format(*numbers))
        return Formula(label, show(rule), show(substituted), result)

    # -- tangent -------------------------------------------------------------

    def tangent(self, step: TangentStep, tangents: Sequence[Array | None]) -> Formula:
        node = self.graph.nodes[step.node]
        target = dotted(self.labels[step.node])
        result = format_value(step.value, self.digits)
        if node.is_input:
            return Formula(target, result, result, result)
        prim = self.graph.rule(node.op)
        consts = self._consts(node.args)
        names = [self.labels[a] for a in node.args]
        numbers = [self._num(self.values[a]) for a in node.args]
        rule_terms, number_terms = [], []
        out_label, out_number = self.labels[step.node], self._num(self.values[step.node])
        for slot, a in enumerate(node.args):
            if self.graph.nodes[a].is_const:
                continue
            rule_terms.append(
                prim.tangent_text(slot, names, out_label, dotted(names[slot]), consts)
            )
            number_terms.append(
                prim.tangent_text(
                    slot, numbers, out_number, self._num(tangents[a]), consts, substituted=True
                )
            )
        return Formula(target, show(_join(rule_terms)), show(_tidy(_join(number_terms))), result)

    # -- adjoint -------------------------------------------------------------

    def adjoint(self, step: AdjointStep, adjoints: Sequence[Array | None]) -> Formula:
        """The contribution ``ū += v̄·∂v/∂u`` of one adjoint step.

        ``adjoints`` are the sweep's final adjoints: when a node's adjoint flows
        back to its arguments it is already complete (reverse order guarantees
        every user of a node has been processed before the node itself).
        """
        target = barred(self.labels[step.node])
        if step.source is None:
            seed = format_value(step.contribution, self.digits)
            return Formula(target, seed, "", seed)
        source = self.graph.nodes[step.source]
        prim = self.graph.rule(source.op)
        consts = self._consts(source.args)
        names = [self.labels[a] for a in source.args]
        numbers = [self._num(self.values[a]) for a in source.args]
        out_label = self.labels[step.source]
        rule = prim.adjoint_text(step.slot, names, out_label, barred(out_label), consts)
        numbers_text = prim.adjoint_text(
            step.slot,
            numbers,
            self._num(self.values[step.source]),
            self._num(adjoints[step.source]),
            consts,
            substituted=True,
        )
        summed = _broadcast_sum(self.graph.nodes[step.node].shape, source.shape)
        if summed:  # the argument was broadcast: its adjoint adds up the copies
            rule, numbers_text = f"{summed}({rule})", f"{summed}({numbers_text})"
        contribution = format_value(step.contribution, self.digits)
        return Formula(target, show(rule), show(_tidy(numbers_text)), contribution, accumulate=True)

    # -- dual numbers ---------------------------------------------------------

    def vector_dual(
        self, primal: PrimalStep, tangent: TangentStep, tangents: Sequence[Array | None]
    ) -> Formula:
        """One step of a vector forward sweep as dual arithmetic with n infinitesimal
        parts: every tangent is the n-vector of its directions (``[ẋ₁, …, ẋₙ]·ε`` stands
        for ẋ₁ε₁ + … + ẋₙεₙ)::

            v2 = (v-1 + v̇-1·ε)·(v0 + v̇0·ε) = v-1·v0 + (v̇-1·v0 + v-1·v̇0)·ε
               = (2 + [1, 0]·ε)·(5 + [0, 1]·ε) = 10 + ([1, 0]·5 + 2·[0, 1])·ε
               = 10 + [5, 2]·ε

        ``tangent`` and ``tangents`` are the vector sweep's (leading axis: the n
        directions); the rule is the scalar one, applied to all n parts at once.
        """
        return self.dual(primal, tangent, tangents, vector=True)

    def dual(
        self,
        primal: PrimalStep,
        tangent: TangentStep,
        tangents: Sequence[Array | None],
        *,
        vector: bool = False,
    ) -> Formula:
        """One forward step as dual arithmetic, built from the same templates as
        :meth:`primal` and :meth:`tangent`, so every primitive has its rule::

            v2 = (v-1 + v̇-1ε)·(v0 + v̇0ε) = v-1·v0 + (v̇-1·v0 + v-1·v̇0)ε
               = (2 + 1ε)·(5 + 0ε) = 10 + (1·5 + 2·0)ε = 10 + 5ε

        Constant arguments stay plain numbers (their ε part is 0).
        """
        node = self.graph.nodes[primal.node]
        label = self.labels[primal.node]
        pair = vector_dual_text if vector else dual_text
        result = pair(
            format_value(primal.value, self.digits), self._part(tangent.value, vector, full=True)
        )
        if node.is_input:
            return Formula(label, result, "", result)
        template = node.primitive.primal_template
        names, numbers = [], []
        for slot, a in enumerate(node.args):
            name, number = self.labels[a], self._num(self.values[a])
            if not self.graph.nodes[a].is_const:
                name = _wrap(template, slot, pair(name, dotted(name)))
                number = _wrap(
                    template,
                    slot,
                    pair(
                        format_value(self.values[a], self.digits),
                        self._part(tangents[a], vector, full=True),
                    ),
                )
            names.append(name)
            numbers.append(number)
        value_part = self.primal(primal)
        tangent_part = self.tangent(tangent, tangents)
        expanded = pair(value_part.rule, tangent_part.rule, group=True)
        with_numbers = pair(value_part.result, tangent_part.numbers, group=True)
        numbers_text = show(template.format(*numbers))
        if with_numbers != result:
            numbers_text += f" = {with_numbers}"
        return Formula(label, f"{show(template.format(*names))} = {expanded}", numbers_text, result)

    def _part(self, tangent: Array | None, vector: bool, *, full: bool = False) -> str:
        """A tangent as its ε part: the whole value (``full``), or as a formula shows it."""
        if tangent is None:
            return "0"
        if full and (not vector or np.size(tangent) <= _MAX_INLINE):
            return format_value(tangent, self.digits)
        return self._num(tangent)


def _broadcast_sum(argument: tuple[int, ...], result: tuple[int, ...]) -> str:
    """How an adjoint comes back to an argument that broadcasting spread over a larger
    result: "" (same shape), "Σrows" (a vec or a one-row mat added to every row),
    "Σcols" (a one-column mat added to every column), or "Σ" (a scalar, over every
    entry)."""
    if argument == result or math.prod(argument) >= math.prod(result):
        return ""  # not spread (a reduction such as sum goes the other way)
    if argument == () or all(n == 1 for n in argument):
        return "Σ"
    if len(result) == 2 and (argument == result[1:] or argument == (1, result[1])):
        return "Σrows"
    if len(result) == 2 and argument == (result[0], 1):
        return "Σcols"
    return "Σ"


def _join(terms: Sequence[str]) -> str:
    if not terms:
        return "0"
    text = terms[0]
    for term in terms[1:]:
        text += f" - {term[1:]}" if term.startswith("-") else f" + {term}"
    return text


def dual_text(real: str, eps: str, *, group: bool = False) -> str:
    """``a + bε`` (``a − bε`` for a negative b); ``group`` brackets a b that is a sum,
    a product or a quotient, ``a + (b1 + b2)ε``, ``a + (cos(v0)·v̇0)ε``, ``a + (v̇0/v0)ε``,
    so that ε never reads as a factor of the last term only."""
    sign = "+"
    if eps.startswith("-") and not needs_parens(eps[1:]):
        sign, eps = "−", eps[1:]
    if group and needs_parens(real):
        real = f"({real})"
    if group and (needs_parens(eps) or not _plain_number(eps)):
        return f"{real} {sign} ({eps})ε"
    return f"{real} {sign} {eps}ε"


def vector_dual_text(real: str, parts: str, *, group: bool = False) -> str:
    """``a + [b₁, …, bₙ]·ε``: a dual number with n infinitesimal parts (the vector
    stands for b₁ε₁ + … + bₙεₙ); ``group`` brackets a part that is a sum."""
    if group and needs_parens(real):
        real = f"({real})"
    if group and not re.fullmatch(r"\[[^\[\]]*\]|⟨[^⟩]*⟩|[0-9.e+-]+|[^\s·/()\[\]+-]+", parts):
        parts = f"({parts})"  # a product or quotient too: (v̇-1/v-1)·ε, not v̇-1/v-1·ε
    return f"{real} + {parts}·ε"


def accumulation(target: str, before: Array, contribution: Array, total: Array, digits: int) -> str:
    """A running adjoint total after one contribution: ``v̄0 = 0 + 2 = 2``."""
    return (
        f"{target} = {number_text(before, digits)} + {number_text(contribution, digits)}"
        f" = {format_value(total, digits)}"
    )


def _plain_number(text: str) -> bool:
    """A number or a single name (``v̇0``): written next to ε with no brackets."""
    plain = re.fullmatch(r"\(?-?[0-9.e+-]+\)?|[A-Za-z]+\S*", text) is not None
    return plain and not any(op in text for op in "·/")


def _wrap(template: str, slot: int, text: str) -> str:
    """``text`` in brackets, unless the template already brackets this argument (``sin({0})``)."""
    if re.search(r"[(,] ?\{" + str(slot) + r"\}[),]", template):
        return text
    return f"({text})"
