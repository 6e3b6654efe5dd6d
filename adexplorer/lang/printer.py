"""The pretty-printer: a graph as an adx program (one line per Wengert-list entry).

The output is valid adx source that parses back to the same graph, so it is
also the canonical text form used by golden tests::

    x1: real = 2
    x2: real = 5
    v1 = log(x1)
    v2 = x1 * x2
    v3 = v1 + v2
    v4 = sin(x2)
    v5 = v3 - v4
    return v5

Inputs keep their names (``v-1`` is not a valid name); intermediate values are
named by their number, with a trailing ``_`` if that would clash with an input.
"""

from __future__ import annotations

from adexplorer.base.numbers import source_literal
from adexplorer.base.shapes import type_name
from adexplorer.core.ir import Graph


def program_names(graph: Graph, numbering: str = "griewank") -> list[str]:
    """A valid, unique adx name (or literal, for constants) for every node."""
    labels = graph.labels(numbering)
    taken = {graph.nodes[i].name for i in graph.inputs}
    names: list[str] = []
    for node, label in zip(graph.nodes, labels, strict=True):
        if node.is_input:
            names.append(node.name or label)
        elif node.is_const:
            names.append(source_literal(node.value))
        else:
            name = label
            while name in taken:
                name += "_"
            names.append(name)
    return names


def format_program(graph: Graph, numbering: str = "griewank", *, defaults: bool = True) -> str:
    names = program_names(graph, numbering)
    lines = []
    for i in graph.inputs:
        node = graph.nodes[i]
        line = f"{names[i]}: {type_name(node.shape)}"
        if defaults and node.name is not None and node.name in graph.defaults:
            line += f" = {source_literal(graph.defaults[node.name])}"
        lines.append(line)
    for node in graph.nodes:
        if not node.is_op:
            continue
        args = [names[a] for a in node.args]
        lines.append(f"{names[node.index]} = {node.primitive.primal_template.format(*args)}")
    lines.append("return " + ", ".join(names[o] for o in graph.outputs))
    return "\n".join(lines) + "\n"
