"""Deliberately broken derivative rules, for exercises in finding them.

A *broken rule* replaces one primitive's local partial derivative by a formula
of the student's or the lesson author's choosing, written in adx syntax and
read through the grammar (never ``eval``)::

    sin: -cos(u)          ∂sin(u)/∂u taken as -cos(u) instead of cos(u)
    mul b: 2*a            ∂(a*b)/∂b taken as 2a instead of a
    tanh: 1 - y           y is the primitive's output

A unary primitive's argument is ``u``; a binary one's are ``a`` and ``b``, and
the word after the name says which partial is replaced (``a`` when left out);
``y`` is the output.  Only elementwise primitives (those with a partial
derivative formula in the primitive table) can be broken.

The primitive table stays the one source of the real rules: the broken rule is
an override carried by the graph (``Graph.rules``), which the forward and the
reverse sweeps both use, and which the trace formulas display.  Evaluation is
never changed, so finite differences still see the true function, and the
node-by-node check (:mod:`adexplorer.compare.node_check`) finds the node.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from adexplorer.base.errors import AdxError, did_you_mean
from adexplorer.base.shapes import Array, unbroadcast
from adexplorer.base.source import Span
from adexplorer.core.engines.finite_diff import evaluate_outputs
from adexplorer.core.ir import Graph
from adexplorer.core.primitives import FUNCTIONS, PRIMITIVES, Primitive
from adexplorer.lang.lower import compile_source

SYNTAX = "PRIMITIVE [ARGUMENT]: FORMULA, e.g. 'sin: -cos(u)' or 'mul b: 2*a'"
_ARGUMENTS = {1: ("u",), 2: ("a", "b"), 3: ("a", "b", "c")}


@dataclass(frozen=True)
class BrokenRule:
    """``primitive``'s partial with respect to its argument ``slot``, replaced by ``formula``."""

    text: str  # the whole specification, as written
    primitive: str
    slot: int
    formula: str
    graph: Graph  # the formula compiled; its inputs are among the argument names and y

    @property
    def argument(self) -> str:
        return _ARGUMENTS[PRIMITIVES[self.primitive].arity][self.slot]

    def describe(self) -> str:
        return f"∂{self.primitive}/∂{self.argument} is taken as {self.formula}"


def _error(message: str, spec: str, start: int, end: int, origin: str, hint: str) -> AdxError:
    span = Span(start, max(end, start + 1), 1, start + 1)
    return AdxError("usage", message, span=span, source=spec, origin=origin, hint=hint)


def parse_broken_rule(spec: str, origin: str = "--break") -> BrokenRule:
    """Read ``PRIMITIVE [ARGUMENT]: FORMULA``; AdxError with a caret on what is wrong."""
    if "\n" in spec or "\r" in spec:
        raise AdxError("usage", f"{origin} takes one line: {SYNTAX}", origin=origin)
    head, colon, formula = spec.partition(":")
    if not colon:
        raise _error(f"{origin} needs a ':' before the formula", spec, 0, len(spec), origin, SYNTAX)
    words = head.split()
    if not words or len(words) > 2:
        raise _error(
            f"{origin} names one primitive (and for two arguments which one) before ':'",
            spec,
            0,
            len(head),
            origin,
            SYNTAX,
        )
    name = words[0]
    name_at = head.index(name)
    prim = PRIMITIVES.get(name) or FUNCTIONS.get(name)
    if prim is None:
        hint = did_you_mean(name, [*PRIMITIVES, *FUNCTIONS])
        raise _error(
            f"there is no primitive {name!r}",
            spec,
            name_at,
            name_at + len(name),
            origin,
            (hint + " " if hint else "") + "`adx functions` lists them",
        )
    if prim.partials is None or prim.arity not in _ARGUMENTS:
        raise _error(
            f"{prim.name} is not elementwise; only the rules of elementwise primitives can be "
            "broken",
            spec,
            name_at,
            name_at + len(name),
            origin,
            "e.g. sin, exp, mul, div, pow, tanh",
        )
    arguments = _ARGUMENTS[prim.arity]
    slot = 0
    if len(words) == 2:
        which = words[1]
        which_at = head.index(which, name_at + len(name))
        if which not in arguments:
            raise _error(
                f"{prim.name}'s arguments are {' and '.join(arguments)}, not {which!r}",
                spec,
                which_at,
                which_at + len(which),
                origin,
                SYNTAX,
            )
        slot = arguments.index(which)
    offset = len(head) + 1
    if not formula.strip():
        raise _error(f"{origin} needs a formula after ':'", spec, offset, offset, origin, SYNTAX)
    try:
        lowered = compile_source(formula)
    except AdxError as error:
        raise _shifted(error, spec, offset, origin) from None
    graph = lowered.graph
    allowed = (*arguments, "y")
    for index in graph.inputs:
        node = graph.nodes[index]
        if node.name not in allowed or node.shape != ():
            span = node.span
            start = offset + (span.start if span else 0)
            raise _error(
                f"the formula may use {', '.join(allowed)} (the arguments and the output of "
                f"{prim.name}), not {node.name!r}",
                spec,
                start,
                start + len(node.name or ""),
                origin,
                did_you_mean(node.name or "", allowed) or SYNTAX,
            )
    if len(graph.outputs) != 1 or graph.nodes[graph.outputs[0]].shape != ():
        raise _error("the formula must be one real number", spec, offset, len(spec), origin, SYNTAX)
    return BrokenRule(spec, prim.name, slot, formula.strip(), graph)


def _shifted(error: AdxError, spec: str, offset: int, origin: str) -> AdxError:
    """A formula's error, its caret moved to where the formula sits in the whole spec."""
    span = error.span
    if span is not None and span.line == 1:
        error.span = Span(span.start + offset, span.end + offset, 1, span.column + offset)
    error.source = spec
    error.origin = origin
    return error


def broken_primitive(rule: BrokenRule) -> Primitive:
    """The table's primitive with one partial replaced; JVP, VJP and display follow it."""
    prim = PRIMITIVES[rule.primitive]
    names = _ARGUMENTS[prim.arity]

    def derivative(args: Sequence[Array], out: Array) -> Array:
        bound = {name: np.asarray(value) for name, value in zip(names, args, strict=True)}
        bound["y"] = np.asarray(out)
        used = {
            n.name or "": bound[n.name or ""]
            for n in (rule.graph.nodes[i] for i in rule.graph.inputs)
        }
        with np.errstate(all="ignore"):
            return np.asarray(evaluate_outputs(rule.graph, used)[0], dtype=np.float64)

    slot = rule.slot
    target = prim.arity

    def jvp(args: tuple[Array, ...], out: Array, t: Array) -> Array:
        return derivative(args, out) * t

    def vjp(args: tuple[Array, ...], out: Array, ct: Array) -> Array:
        contribution = np.broadcast_to(derivative(args, out) * ct, np.shape(out))
        if target == 1:
            return np.asarray(contribution, dtype=np.float64)
        return unbroadcast(np.asarray(contribution, dtype=np.float64), np.shape(args[slot]))

    pattern = re.compile(r"\b(" + "|".join((*names, "y")) + r")\b")

    def text(args: Sequence[str], out: str, consts: Sequence[float | None]) -> str:
        values = dict(zip(names, args, strict=True))
        values["y"] = out
        return pattern.sub(lambda m: values[m.group(1)], rule.formula)

    assert prim.partials is not None
    return dataclasses.replace(
        prim,
        jvp=_replace(prim.jvp, slot, jvp),
        vjp=_replace(prim.vjp, slot, vjp),
        partials=_replace(prim.partials, slot, text),
        tangent_terms=_replace(prim.tangent_terms, slot, None),
        adjoint_terms=_replace(prim.adjoint_terms, slot, None),
    )


def _replace(items: tuple, slot: int, item: object) -> tuple:
    return (*items[:slot], item, *items[slot + 1 :])


def with_broken_rule(graph: Graph, rule: BrokenRule) -> Graph:
    """``graph`` with ``rule`` in force; AdxError if the program never uses the primitive."""
    if not any(node.op == rule.primitive for node in graph.nodes):
        raise AdxError(
            "usage",
            f"the program has no {rule.primitive} to break",
            hint=(
                "the operations it uses are " + ", ".join(used)
                if (used := sorted({n.op for n in graph.nodes if n.is_op}))
                else "it has no operations"
            ),
        )
    rules = dict(graph.rules)
    rules[rule.primitive] = broken_primitive(rule)
    return dataclasses.replace(graph, rules=MappingProxyType(rules))
