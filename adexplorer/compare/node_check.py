"""The node-by-node check: each operation's local rule against finite differences.

A wrong gradient looks like any other number.  Comparing the whole gradient
with finite differences says *that* something is wrong; this check says
*where*: for every operation node v = φ(u₁, …, u_k) it takes the node's own
argument values from the primal sweep and compares

* the rule's local partial ∂v/∂u_i — the Jacobian block the sweeps use, built
  column by column from the primitive's JVP (and row by row from its VJP, which
  must agree), with the graph's rules (so a deliberately broken rule, see
  :mod:`adexplorer.compare.broken_rules`, is what is checked), and
* a central difference of φ alone, (φ(u_i + h) − φ(u_i − h)) / 2h, entry by
  entry, with h = 2⁻²⁰·max(1, |u_i|).

The *relative difference* is |rule − estimate| / max(1, |rule|, |estimate|)
(largest over the block's entries); above :data:`TOLERANCE` the partial is
wrong.  A point where the one-sided differences disagree is a kink (abs or
relu at 0) where finite differences cannot judge a convention, and a point
where the estimate is not finite (sqrt at 0) is outside the domain: both are
reported, neither counts as wrong.

Bounded: the Jacobian blocks together may hold at most the ``trace_entries``
limit of numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from adexplorer.base import limits
from adexplorer.base.shapes import Array, size
from adexplorer.core.engines.finite_diff import gradient as fd_gradient
from adexplorer.core.ir import Graph
from adexplorer.core.trace import run

#: Above this relative difference a rule's partial disagrees with finite differences.
TOLERANCE = 1e-5
#: Step sizes: h = STEP·max(1, |u|), near the cube root of the machine epsilon.
STEP = 2.0**-20
#: One-sided differences further apart than this (relative) mean a kink.
KINK = 1e-3
#: The whole-gradient check's step and tolerance (a function of many nodes is less tame).
GRADIENT_STEP = 1e-6
GRADIENT_TOLERANCE = 1e-4

STATUSES = ("ok", "wrong", "kink", "undefined")


@dataclass(frozen=True)
class PartialCheck:
    """One argument slot of one node: the rule's block against the estimate."""

    node: int
    slot: int
    argument: int
    rule: Array  # shape: node.shape + argument.shape
    estimate: Array
    difference: float  # largest relative difference over the block (nan if undefined)
    worst: tuple[int, ...]  # the entry (output index + argument index) with that difference
    status: str  # one of STATUSES

    @property
    def wrong(self) -> bool:
        return self.status == "wrong"


@dataclass(frozen=True)
class GradientCheck:
    """The whole gradient by the graph's reverse sweep against central differences."""

    name: str
    ad: Array
    estimate: Array
    difference: float

    @property
    def judged(self) -> bool:
        """False where AD or the estimate is not finite (a domain edge): no verdict."""
        return bool(np.all(np.isfinite(self.ad)) and np.all(np.isfinite(self.estimate)))

    @property
    def wrong(self) -> bool:
        return self.judged and not self.difference <= GRADIENT_TOLERANCE


@dataclass(frozen=True)
class NodeCheck:
    graph: Graph
    inputs: Mapping[str, Array]
    values: tuple[Array, ...]  # every node's value from the primal sweep
    partials: tuple[PartialCheck, ...]
    gradient: tuple[GradientCheck, ...]  # empty unless the output is one real number

    @property
    def wrong(self) -> tuple[PartialCheck, ...]:
        return tuple(p for p in self.partials if p.wrong)

    @property
    def wrong_nodes(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(p.node for p in self.wrong))

    @property
    def ok(self) -> bool:
        return not self.wrong


def relative_difference(a: Array, b: Array) -> Array:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    with np.errstate(all="ignore"):
        return np.abs(a - b) / np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))


def check_nodes(graph: Graph, inputs: Mapping[str, Array]) -> NodeCheck:
    """Check every operation's local partials at ``inputs`` (and the whole gradient)."""
    graph = graph.retaped(inputs)  # a program with if/for: the operations this run performs
    entries = sum(
        size(node.shape) * size(graph.nodes[a].shape)
        for node in graph.nodes
        if node.is_op
        for a in node.args
    )
    limits.check(
        "trace_entries", 4 * entries, hint="the node check builds every local Jacobian block"
    )
    trace = run(graph, inputs, "reverse" if _scalar(graph) else "evaluate")
    values = trace.values
    partials = []
    for node in graph.nodes:
        if not node.is_op:
            continue
        for slot, a in enumerate(node.args):
            if graph.nodes[a].is_const:
                continue
            partials.append(_check_partial(graph, node.index, slot, values))
    gradient: list[GradientCheck] = []
    if _scalar(graph):
        with np.errstate(all="ignore"):
            estimate = fd_gradient(graph, inputs, GRADIENT_STEP)
        for name, ad in trace.gradient().items():
            difference = float(np.max(relative_difference(ad, estimate[name]), initial=0.0))
            gradient.append(GradientCheck(name, ad, estimate[name], difference))
    return NodeCheck(graph, inputs, tuple(values), tuple(partials), tuple(gradient))


def _scalar(graph: Graph) -> bool:
    return len(graph.outputs) == 1 and graph.nodes[graph.outputs[0]].shape == ()


def _check_partial(graph: Graph, index: int, slot: int, values: tuple[Array, ...]) -> PartialCheck:
    node = graph.nodes[index]
    prim = graph.rule(node.op)
    real = node.primitive  # evaluation is never overridden
    args = tuple(np.asarray(values[a], dtype=np.float64) for a in node.args)
    out = np.asarray(values[index], dtype=np.float64)
    arg = args[slot]
    out_shape, arg_shape = out.shape, arg.shape
    n_out, n_arg = max(out.size, 1), max(arg.size, 1)
    rule = np.zeros((n_out, n_arg))
    from_vjp = np.zeros((n_out, n_arg))
    estimate = np.zeros((n_out, n_arg))
    forward = np.zeros((n_out, n_arg))
    backward = np.zeros((n_out, n_arg))

    def at(shift: float, j: int) -> np.ndarray:
        moved = arg.copy().reshape(-1)
        moved[j] += shift
        shifted = list(args)
        shifted[slot] = moved.reshape(arg_shape) if arg_shape else moved[0]
        return np.asarray(real.evaluate(*shifted), dtype=np.float64).reshape(-1)

    with np.errstate(all="ignore"):
        for j in range(n_arg):
            unit = np.zeros(n_arg)
            unit[j] = 1.0
            tangent = unit.reshape(arg_shape) if arg_shape else np.float64(1.0)
            column = np.broadcast_to(prim.jvp[slot](args, out, tangent), out_shape)
            rule[:, j] = np.asarray(column, dtype=np.float64).reshape(-1)
            h = STEP * max(1.0, abs(float(arg.reshape(-1)[j])))
            up, down, here = at(h, j), at(-h, j), out.reshape(-1)
            estimate[:, j] = (up - down) / (2 * h)
            forward[:, j] = (up - here) / h
            backward[:, j] = (here - down) / h
        for i in range(n_out):
            unit = np.zeros(n_out)
            unit[i] = 1.0
            cotangent = unit.reshape(out_shape) if out_shape else np.float64(1.0)
            row = np.broadcast_to(prim.vjp[slot](args, out, cotangent), arg_shape)
            from_vjp[i, :] = np.asarray(row, dtype=np.float64).reshape(-1)
        difference = np.maximum(
            relative_difference(rule, estimate), relative_difference(from_vjp, estimate)
        )
        kinks = relative_difference(forward, backward) > KINK
    undefined = ~np.isfinite(estimate) | ~np.isfinite(forward) | ~np.isfinite(backward)
    judged = ~undefined & ~kinks
    status = "ok"
    if np.any(judged & ~(difference <= TOLERANCE)):
        status = "wrong"
    elif np.any(kinks & ~undefined & ~(difference <= TOLERANCE)):
        status = "kink"
    elif np.any(undefined):
        status = "undefined"
    scored = np.where(judged, np.nan_to_num(difference, nan=np.inf), -1.0)
    flat = int(np.argmax(scored))
    worst_difference = float(scored.reshape(-1)[flat]) if np.any(judged) else float("nan")
    i, j = divmod(flat, n_arg)
    worst = (
        *(np.unravel_index(i, out_shape) if out_shape else ()),
        *(np.unravel_index(j, arg_shape) if arg_shape else ()),
    )
    block = out_shape + arg_shape
    return PartialCheck(
        node=index,
        slot=slot,
        argument=node.args[slot],
        rule=rule.reshape(block) if block else np.float64(rule[0, 0]),
        estimate=estimate.reshape(block) if block else np.float64(estimate[0, 0]),
        difference=worst_difference,
        worst=tuple(int(k) for k in worst),
        status=status,
    )
