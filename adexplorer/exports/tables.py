"""A trace as tables for notes and slides: GitHub-flavoured Markdown, and LaTeX (booktabs).

LaTeX follows the layout of Baydin et al. 2018 ("Automatic differentiation in
machine learning: a survey", tables 2 and 3): the forward primal trace on the
left, beside it the forward tangent trace (read downwards) or the reverse adjoint
trace (listed upwards, so the seed sits at the bottom and each adjoint near its
node, as the paper prints it).  Griewank numbering (v-1, v0, v1 …) unless asked
otherwise; ``\\dot v`` and ``\\bar v`` for tangents and adjoints.  One table per
sweep shown (the primal repeated beside each); a dual-number trace is one block.

Markdown gives the primal table and then each sweep's table in the order it was
computed (adjoint steps numbered, a node's uses marked ``1 of 2`` under fan-out, as
``adx eval`` names that column), then the results.

Every number is the trace's, as adx shows it (:mod:`adexplorer.exports.rows`); user
text is escaped (:mod:`adexplorer.exports.escape`), so a program's comment shows
literally and a standalone LaTeX document compiles with plain ``pdflatex``.
"""

from __future__ import annotations

from adexplorer.base.text import excerpt
from adexplorer.core.trace import Trace
from adexplorer.exports.escape import (
    latex_formula,
    latex_math,
    latex_text,
    markdown_block,
    markdown_code,
    markdown_text,
)
from adexplorer.exports.rows import Export, Row, Section, gather

#: A program shown in a caption or a heading only when it is one line this short;
#: else its file name (or "the program"), and the whole program above the table.
INLINE_SOURCE = 70

_MODE_WORDS = {
    "evaluate": "Evaluation",
    "forward": "Forward mode",
    "reverse": "Reverse mode",
    "dual": "Forward mode as dual numbers",
}


def _inline(export: Export) -> bool:
    source = export.source.strip()
    return "\n" not in source and len(source) <= INLINE_SOURCE


def _expression(row: Row) -> str:
    """``rule = numbers`` (the parts that say something)."""
    parts = [p for p in (row.rule, row.numbers) if p]
    return " = ".join(parts)


# -- Markdown ------------------------------------------------------------------------


def trace_markdown(
    trace: Trace, *, numbering: str = "griewank", digits: int = 6, dual: bool = False
) -> str:
    """The trace as GitHub-flavoured Markdown: a heading, the primal table, each sweep's
    table (tangent, adjoint, or dual numbers with ``dual``), the results."""
    return export_markdown(gather(trace, numbering=numbering, digits=digits, dual=dual))


def export_markdown(export: Export) -> str:
    lines: list[str] = []
    mode = _MODE_WORDS[export.mode]
    source = export.source.strip()
    if _inline(export):
        lines.append(f"**{mode}** of {markdown_code(source)}")
    else:
        name = markdown_text(export.origin) if export.origin else "the program"
        lines += [f"**{mode}** of {name}:", "", markdown_block(source)]
    if export.inputs:
        at = ", ".join(markdown_code(f"{n} = {v}") for n, v in export.inputs)
        lines += ["", f"at {at}"]
    lines += ["", *_markdown_section(export.primal)]
    for section in export.derivatives:
        lines += ["", *_markdown_section(section)]
    lines += ["", "**Results**", ""]
    lines += [f"- {markdown_code(line)}" for line in export.results]
    if export.notes:
        lines += ["", *[f"- {markdown_text(note)}" for note in export.notes]]
    return "\n".join(lines) + "\n"


def _markdown_title(section: Section) -> str:
    said = [f"seed {markdown_code(section.seed)}"] if section.seed else []
    said += [markdown_text(section.detail)] if section.detail else []
    return f"**{markdown_text(section.title)}**" + (f" ({'; '.join(said)})" if said else "")


def _latex_title(section: Section) -> str:
    said = [f"seed ${latex_math(section.seed)}$"] if section.seed else []
    said += [latex_text(section.detail)] if section.detail else []
    return latex_text(section.title) + (f" ({'; '.join(said)})" if said else "")


def _markdown_section(section: Section) -> list[str]:
    lines = [_markdown_title(section), ""]
    if section.kind == "primal":
        lines += ["| node | operation | value | source |", "|---|---|--:|---|"]
        for row in section.rows:
            cells = [
                markdown_code(row.target),
                markdown_code(_expression(row)),
                markdown_code(row.value),
                markdown_text(excerpt(row.source)),  # the whole sum at each + would be quadratic
            ]
            lines.append(_markdown_row(cells))
    elif section.kind == "adjoint":
        lines += [
            "| # | adjoint | contribution | value | running total | fan-out |",
            "|--:|---|---|--:|--:|---|",
        ]
        for k, row in enumerate(section.rows, start=1):
            sign = "+= " if row.accumulate else "= "
            rule = sign + (_expression(row) or row.value)
            cells = [
                str(k),
                markdown_code(row.target),
                markdown_code(rule),
                markdown_code(row.value),
                markdown_code(row.total),
                markdown_text(row.note),
            ]
            lines.append(_markdown_row(cells))
    else:
        header = "dual number" if section.kind == "dual" else "tangent"
        lines += [f"| {header} | rule | value |", "|---|---|--:|"]
        for row in section.rows:
            rule = _expression(row) or row.note
            lines.append(
                _markdown_row(
                    [markdown_code(row.target), markdown_code(rule), markdown_code(row.value)]
                )
            )
    return lines


def _markdown_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


# -- LaTeX ---------------------------------------------------------------------------

#: A whole document: booktabs for the rules, a landscape page, and tables wider than the
#: text scaled down to fit (graphicx); every package is in TeX Live's base or
#: recommended set (Debian: texlive-latex-recommended).
PREAMBLE = r"""\documentclass{article}
\usepackage{booktabs}
\usepackage[landscape,margin=2cm]{geometry}
\usepackage{graphicx}
\newsavebox{\adxbox}
\newcommand{\adxfit}{\ifdim\wd\adxbox>\linewidth
  \resizebox{\linewidth}{!}{\usebox{\adxbox}}\else\usebox{\adxbox}\fi}
\begin{document}
"""


def trace_latex(
    trace: Trace,
    *,
    numbering: str = "griewank",
    digits: int = 6,
    standalone: bool = False,
    dual: bool = False,
) -> str:
    """The trace as LaTeX tables (booktabs, ``$…$`` math): one ``table`` per sweep, the
    primal trace beside the tangent or adjoint trace.  ``standalone``: a whole document
    that compiles with plain ``pdflatex``; else a fragment for a document that loads
    ``booktabs``."""
    return export_latex(
        gather(trace, numbering=numbering, digits=digits, dual=dual), standalone=standalone
    )


def export_latex(export: Export, *, standalone: bool = False) -> str:
    parts: list[str] = []
    if standalone:
        parts.append(PREAMBLE)
        if not _inline(export):
            parts.append(_latex_program(export))
    else:
        parts.append("% adx export: needs \\usepackage{booktabs}\n")
    caption = _latex_caption(export)
    if export.mode == "dual" or not export.derivatives:
        blocks = export.derivatives or (export.primal,)
        for block in blocks:
            parts.append(_latex_table([block], caption, fit=standalone))
    else:
        for section in export.derivatives:
            parts.append(_latex_table([export.primal, section], caption, fit=standalone))
    if standalone:
        parts.append("\\end{document}\n")
    return "\n".join(parts)


def _latex_program(export: Export) -> str:
    name = _latex_origin(export.origin) if export.origin else "The program"
    # the typewriter font keeps every space, so loop and branch bodies stay indented
    listing = latex_text(export.source.strip("\n").expandtabs(4), newlines=True, mono=True)
    return f"\\noindent {name}:\\par\\smallskip\n{{\\small\\ttfamily\\noindent {listing}\\par}}\n"


def _latex_origin(origin: str) -> str:
    """A file name in the typewriter font, every character as it is."""
    return f"\\texttt{{{latex_text(origin, mono=True)}}}"


def _latex_caption(export: Export) -> str:
    mode = _MODE_WORDS[export.mode]
    if _inline(export):
        program = latex_text(export.source.strip(), mono=True)  # wraps at its spaces
        what = f"$f$ = \\texttt{{{program}}}"
    else:
        what = _latex_origin(export.origin) if export.origin else "the program"
    inputs = ", ".join(
        latex_formula(value, prefix=f"{latex_math(name)} = ") for name, value in export.inputs
    )
    text = f"{mode} of {what}" + (f" at {inputs}" if inputs else "") + "."
    if export.results:
        text += " " + "; ".join(latex_formula(line) for line in export.results) + "."
    for note in export.notes:  # each note a sentence of its own
        text += f" {latex_text(note[:1].upper() + note[1:])}."
    return text


_COLUMNS = {"primal": 3, "tangent": 3, "vector": 3, "dual": 3, "adjoint": 4}
_HEADERS = {
    "primal": ("node", "operation", "value"),
    "tangent": ("tangent", "rule", "value"),
    "vector": ("tangent", "rule", "value"),
    "dual": ("node", "dual numbers", "value"),
    "adjoint": ("adjoint", "contribution", "value", "total"),
}


def _latex_cells(section: Section, row: Row) -> list[str]:
    target = f"${latex_math(row.target)}$"
    value = latex_formula(row.value)
    if section.kind == "adjoint":
        if row.note == "seed":
            return [target, "seed", value, value]
        expression = latex_formula(_expression(row), prefix="\\mathrel{+}= ")
        return [target, expression, value, latex_formula(row.total)]
    expression = _expression(row)
    if section.kind in ("tangent", "vector") and row.note == "seed":
        expression = row.rule if section.kind == "tangent" else ""
        if not expression:
            return [target, "seed", value]
    return [target, latex_formula(expression, prefix="= ") if expression else "", value]


def _latex_table(sections: list[Section], caption: str, *, fit: bool = False) -> str:
    """One ``table``; ``fit`` (a standalone document): scaled down to the text width if
    wider (the preamble's ``\\adxfit``)."""
    spec = "@{\\qquad}".join("r" + "l" * (_COLUMNS[s.kind] - 1) for s in sections)
    lines = [
        "\\begin{table}[htbp]",
        "\\centering",
        "\\small",
        f"\\caption{{{caption}}}",
        *(["\\begin{lrbox}{\\adxbox}"] if fit else []),
        f"\\begin{{tabular}}{{@{{}}{spec}@{{}}}}",
        "\\toprule",
    ]
    titles, rules, headers = [], [], []
    first = 1
    for s in sections:
        width = _COLUMNS[s.kind]
        arrow = "\\uparrow" if s.kind == "adjoint" else "\\downarrow"
        titles.append(f"\\multicolumn{{{width}}}{{l}}{{{_latex_title(s)} ${arrow}$}}")
        rules.append(f"\\cmidrule(lr){{{first}-{first + width - 1}}}")
        headers += [f"\\emph{{{h}}}" for h in _HEADERS[s.kind]]
        first += width
    lines += [
        " & ".join(titles) + " \\\\",
        "".join(rules),
        " & ".join(headers) + " \\\\",
        "\\midrule",
    ]
    # the adjoint trace is listed upwards (the paper's layout): its seed at the bottom
    columns = [
        [_latex_cells(s, row) for row in (reversed(s.rows) if s.kind == "adjoint" else s.rows)]
        for s in sections
    ]
    height = max(len(c) for c in columns)
    for k in range(height):
        cells: list[str] = []
        for s, column in zip(sections, columns, strict=True):
            cells += column[k] if k < len(column) else [""] * _COLUMNS[s.kind]
        lines.append(" & ".join(cells) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}"]
    lines += ["\\end{lrbox}", "\\adxfit"] if fit else []
    lines += ["\\end{table}", ""]
    return "\n".join(lines)
