"""The computation graph of a trace as Graphviz DOT or as a Mermaid flowchart.

One node per graph node (inputs, constants, operations), labelled with its id
(Griewank's v-1, v0, v1 … or Wengert's w1 …), its operation, its value, and its
tangent (forward mode: the first sweep, or the vector of every direction) or its
adjoint (reverse mode: the first sweep) when the trace has one.  One edge per
argument slot from the value to the operation that uses it, so ``x*x`` draws two
edges (numbered by slot when a value is used more than once by one operation).
Inputs are on the left (``rankdir=LR`` and a ``rank=source`` group; Mermaid's
``flowchart LR``).  Labels are quoted for each language
(:mod:`adexplorer.exports.escape`); values are as adx shows them (a large tensor is
a one-line summary), so the output grows linearly with the graph.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from adexplorer.base.numbers import display_value
from adexplorer.base.shapes import Array, type_name
from adexplorer.base.text import visible
from adexplorer.core.formulas import barred, dotted
from adexplorer.core.trace import Trace
from adexplorer.exports.escape import dot_string, mermaid_string
from adexplorer.exports.rows import check_numbering

#: A value in a node's label is cut to this many characters (a tensor's summary).
CELL = 40


@dataclass(frozen=True)
class GraphNode:
    index: int
    kind: str  # "input", "const", "op"
    lines: tuple[str, ...]  # the label's lines


@dataclass(frozen=True)
class GraphEdge:
    source: int
    target: int
    slot: int | None  # the argument position, when one value fills several


def graph_parts(
    trace: Trace, *, numbering: str = "griewank", digits: int = 6
) -> tuple[list[GraphNode], list[GraphEdge], str]:
    """The nodes, edges and a one-line description of what the labels show."""
    check_numbering(numbering)
    graph = trace.graph
    labels = graph.labels(numbering)
    derivative, what = _derivatives(trace)
    nodes: list[GraphNode] = []
    for node in graph.nodes:
        value = display_value(trace.values[node.index], digits, CELL)
        if node.is_const:
            nodes.append(GraphNode(node.index, "const", (labels[node.index], "const")))
            continue
        op = f"input {node.name or ''}: {type_name(node.shape)}" if node.is_input else node.op
        lines = [labels[node.index], op, f"= {value}"]
        if derivative is not None:
            mark = barred if trace.mode == "reverse" else dotted
            d = derivative[node.index]
            if d is not None:
                lines.append(f"{mark(labels[node.index])} = {display_value(d, digits, CELL)}")
        nodes.append(GraphNode(node.index, "input" if node.is_input else "op", tuple(lines)))
    edges: list[GraphEdge] = []
    for node in graph.nodes:
        repeated = Counter(node.args)
        for slot, a in enumerate(node.args, start=1):
            edges.append(GraphEdge(a, node.index, slot if repeated[a] > 1 else None))
    return nodes, edges, what


def _derivatives(trace: Trace) -> tuple[Sequence[Array | None] | None, str]:
    if trace.vector_sweep is not None:
        labels = ", ".join(trace.vector_sweep.labels)
        return trace.vector_sweep.tangents, f"tangents: vectors over the directions {labels}"
    if trace.tangent_sweeps:
        tangents = trace.tangent_sweeps[0].tangents
        return tangents, f"tangents of sweep 1 of {len(trace.tangent_sweeps)}"
    if trace.adjoint_sweeps:
        adjoints = trace.adjoint_sweeps[0].adjoints
        return adjoints, f"adjoints of sweep 1 of {len(trace.adjoint_sweeps)}"
    return None, "values"


def _title(trace: Trace, what: str, digits: int) -> str:
    source = trace.graph.source.strip()
    if "\n" in source or len(source) > 70:
        source = trace.graph.origin or "the program"
    inputs = ", ".join(f"{n} = {display_value(v, digits, CELL)}" for n, v in trace.inputs.items())
    return f"{source}  at {inputs}  ({trace.mode} mode; {what})"


def graph_dot(trace: Trace, *, numbering: str = "griewank", digits: int = 6) -> str:
    """The computation graph in Graphviz DOT (``dot -Tsvg graph.dot > graph.svg``)."""
    nodes, edges, what = graph_parts(trace, numbering=numbering, digits=digits)
    shapes = {"input": "ellipse", "const": "plaintext", "op": "box"}
    lines = [
        "digraph adx {",
        "  rankdir=LR;",
        f"  label={dot_string(_title(trace, what, digits))};",
        "  labelloc=t;",
        '  node [fontname="Helvetica"];',
    ]
    for node in nodes:
        label = dot_string("\n".join(node.lines))
        lines.append(f"  n{node.index} [shape={shapes[node.kind]}, label={label}];")
    inputs = " ".join(f"n{n.index};" for n in nodes if n.kind == "input")
    if inputs:
        lines.append(f"  {{ rank=source; {inputs} }}")
    for edge in edges:
        attributes = f' [label="{edge.slot}"]' if edge.slot is not None else ""
        lines.append(f"  n{edge.source} -> n{edge.target}{attributes};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def graph_mermaid(trace: Trace, *, numbering: str = "griewank", digits: int = 6) -> str:
    """The computation graph as a Mermaid flowchart (``flowchart LR``)."""
    nodes, edges, what = graph_parts(trace, numbering=numbering, digits=digits)
    # a comment, not a title: nothing in it can be read as Mermaid (never "%%{")
    title = visible(_title(trace, what, digits), keep="")
    lines = ["flowchart LR", f"  %% adx: {title}"]
    for node in nodes:
        label = mermaid_string("\n".join(node.lines))
        left, right = {"input": ("([", "])"), "const": ("[/", "/]"), "op": ("[", "]")}[node.kind]
        lines.append(f"  n{node.index}{left}{label}{right}")
    for edge in edges:
        arrow = f'-->|"{edge.slot}"|' if edge.slot is not None else "-->"
        lines.append(f"  n{edge.source} {arrow} n{edge.target}")
    return "\n".join(lines) + "\n"
