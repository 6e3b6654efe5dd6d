"""Exports for slides and notes: a trace as LaTeX or Markdown tables, its graph as DOT or Mermaid.

``rows`` gathers what a trace shows (the primal trace, the tangent, adjoint or dual
trace, the results) once; ``tables`` writes it as LaTeX (the layout of Baydin et al.
2018: the primal trace beside the tangent or adjoint trace, booktabs rules) or as
GitHub-flavoured Markdown; ``graphs`` writes the computation graph as Graphviz DOT
or a Mermaid flowchart; ``escape`` makes user text literal in each language.
:data:`FORMATS` lists every format ``adx export`` and the explorer offer (``svg``,
the explorer's screenshot, is made by the tui layer; ``json`` is ``adx.eval/1``).

A layer beside ``render``.  May import: ``base``, ``core``, ``lang``, ``compare``,
``reports``.  Never rich or textual.
"""

from __future__ import annotations

#: Format name -> (file suffix, what it is, in one line).
FORMATS: dict[str, tuple[str, str]] = {
    "latex": (
        ".tex",
        "LaTeX tables (booktabs): the primal trace beside the tangent or adjoint trace",
    ),
    "markdown": (".md", "GitHub-flavoured Markdown tables of the traces"),
    "dot": (".dot", "the computation graph in Graphviz DOT (render: dot -Tsvg)"),
    "mermaid": (".mmd", "the computation graph as a Mermaid flowchart"),
    "svg": (".svg", "the explorer's screen as SVG (Textual's screenshot)"),
    "json": (".json", "the adx.eval/1 JSON report"),
    "text": (".txt", "the trace as plain text, one formula per line"),
}
