"""One operation as numpy statements: its primal, its tangent, its adjoint contributions.

All text comes from the primitive table (``Primitive.numpy_template``); this
module only fills the templates with names and shapes, and adds what the engines
do around a rule: a tangent that broadcasting would leave too small is
broadcast to the output's shape, and an adjoint contribution to an argument
that was broadcast is summed back to its shape (as ``shapes.unbroadcast``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from adexplorer.base.shapes import Shape, size
from adexplorer.core.ir import Graph, Node

#: A node's Python atom (a name or literal), or None where a node carries no derivative.
Namer = Callable[[int], str]
MaybeNamer = Callable[[int], str | None]


def _fill(template: str, node: Node, graph: Graph, atoms: Sequence[str], **extra: str) -> str:
    shapes = {}
    for k in range(3):
        shape = graph.nodes[node.args[k]].shape if k < len(node.args) else ()
        shapes[f"s{k}"] = repr(shape)
        shapes[f"n{k}"] = str(size(shape))
    return template.format(*atoms, **shapes, **extra)


def _consts(graph: Graph, node: Node) -> list[float | None]:
    values: list[float | None] = []
    for a in node.args:
        arg = graph.nodes[a]
        values.append(
            float(arg.value) if arg.is_const and np.ndim(arg.value) == 0 else None  # type: ignore[arg-type]
        )
    return values


def _shapes(graph: Graph, node: Node) -> list[Shape]:
    return [graph.nodes[a].shape for a in node.args]


def primal(graph: Graph, node: Node, name: Namer) -> str:
    """The right-hand side computing ``node``'s value."""
    template = node.primitive.numpy_template(
        "primal", 0, _shapes(graph, node), _consts(graph, node)
    )
    return _fill(template, node, graph, [name(a) for a in node.args])


def tangent(graph: Graph, node: Node, name: Namer, dot: MaybeNamer) -> str:
    """The right-hand side computing ``node``'s tangent: the sum of its arguments' JVP terms."""
    prim = node.primitive
    shapes, consts = _shapes(graph, node), _consts(graph, node)
    atoms = [name(a) for a in node.args]
    terms: list[str] = []
    short = False
    for slot, a in enumerate(node.args):
        t = dot(a)
        if t is None:
            continue
        template = prim.numpy_template("jvp", slot, shapes, consts)
        terms.append(_fill(template, node, graph, atoms, y=name(node.index), t=t))
        short = short or shapes[slot] != node.shape
    if not terms:
        return "0.0" if node.shape == () else f"np.zeros({node.shape!r})"
    text = terms[0]
    for term in terms[1:]:
        if term.startswith("-") and not _has_top_level_sum(term[1:]):
            text += " - " + term[1:]
        else:
            text += " + " + term
    if prim.broadcasts and short:
        # only some arguments have the output's shape: the sum may be smaller than it
        text = f"np.broadcast_to({text}, {node.shape!r})"
    return text


def adjoints(graph: Graph, node: Node, name: Namer, bar: MaybeNamer) -> list[tuple[int, int, str]]:
    """(slot, argument, right-hand side) for each contribution ``ā += …`` of ``node``'s adjoint."""
    prim = node.primitive
    shapes, consts = _shapes(graph, node), _consts(graph, node)
    atoms = [name(a) for a in node.args]
    b = bar(node.index)
    assert b is not None
    found = []
    for slot, a in enumerate(node.args):
        if bar(a) is None:
            continue
        template = prim.numpy_template("vjp", slot, shapes, consts)
        text = _fill(template, node, graph, atoms, y=name(node.index), b=b)
        if prim.broadcasts and shapes[slot] != node.shape:
            text = sum_to(text, node.shape, shapes[slot])
        found.append((slot, a, text))
    return found


def sum_to(text: str, shape: Shape, target: Shape) -> str:
    """``text`` (of ``shape``) summed over the axes broadcasting added or stretched."""
    if target == ():
        return f"np.sum({text})"
    extra = len(shape) - len(target)
    stretched = [extra + k for k, n in enumerate(target) if n == 1 and shape[extra + k] != 1]
    axes = tuple(range(extra)) + tuple(stretched)
    axis = str(axes[0]) if len(axes) == 1 else repr(axes)
    if not stretched:
        return f"np.sum({text}, axis={axis})"
    return f"np.sum({text}, axis={axis}).reshape({target!r})"


def _has_top_level_sum(text: str) -> bool:
    depth = 0
    for k, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and ch in "+-" and text[k - 1 : k] == " " and text[k + 1 : k + 2] == " ":
            return True
    return False
