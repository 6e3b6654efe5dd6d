"""Generated code: its text, and what each of its lines belongs to.

Each :class:`CodeLine` says which part of the computation it is (``role``) and
which graph node or program line it came from, so a view can highlight "the
line of the current step": :meth:`GeneratedCode.line_for_step` maps a trace's
step record to the generated line that performs it.

Roles: ``input`` (an argument bound to a trace name), ``primal``, ``tangent``,
``seed`` (an output's adjoint set from the caller's cotangent), ``init`` (an
adjoint set to 0 before its first contribution), ``adjoint`` (one contribution,
``ū += …``), ``push`` and ``pop`` (the stack of a reverse program with control
flow), ``control`` (``if``/``for``), ``return`` and ``text`` (docstrings,
comments, blank lines).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from adexplorer.core.engines.steps import AdjointStep, PrimalStep, TangentStep
from adexplorer.core.ir import Graph

INDENT = "    "


@dataclass(frozen=True)
class CodeLine:
    number: int  # 1-based line of the generated text
    text: str
    role: str = "text"
    node: int | None = None  # the graph node (straight-line programs)
    source: int | None = None  # an adjoint contribution: the node whose adjoint flows back
    slot: int | None = None  # … along this argument slot of ``source``
    source_line: int | None = None  # the adx program line (programs with control flow)


@dataclass(frozen=True)
class GeneratedCode:
    text: str
    mode: str  # "forward" or "reverse"
    function: str  # the name of the generated function
    lines: tuple[CodeLine, ...]
    inputs: tuple[str, ...] = ()  # the program's input names, as the user wrote them

    def line_of(
        self, role: str, node: int, source: int | None = None, slot: int | None = None
    ) -> int | None:
        """The number of the first line with this role for this node (and contribution)."""
        for line in self.lines:
            if (
                line.role == role
                and line.node == node
                and (role != "adjoint" or (line.source == source and line.slot == slot))
            ):
                return line.number
        return None

    def line_for_step(
        self, step: PrimalStep | TangentStep | AdjointStep, graph: Graph | None = None
    ) -> int | None:
        """The line that performs a step of a trace.

        For code written from the trace's own Wengert list, the exact line.  For code
        that keeps a program's ``if``/``for`` (the trace is one run's tape), give the
        tape as ``graph``: the first line of the step's kind among those of the
        program line the step came from.
        """
        if isinstance(step, PrimalStep):
            role, node = "primal", step.node
            found = self.line_of("primal", node) or self.line_of("input", node)
        elif isinstance(step, TangentStep):
            role, node = "tangent", step.node
            found = self.line_of("tangent", node)
        elif step.source is None:
            role, node = "seed", step.node
            found = self.line_of("seed", node)
        else:  # a contribution happens where the operation it flows back through is
            role, node = "adjoint", step.source
            found = self.line_of("adjoint", step.node, step.source, step.slot)
        if found is not None or graph is None:
            return found
        span = graph.nodes[node].span
        if span is None:
            return None
        lines = self.lines_for_source_line(span.line, role)
        return lines[0] if lines else None

    def lines_for_source_line(self, source_line: int, role: str | None = None) -> list[int]:
        """The generated lines that come from one line of the adx program."""
        return [
            line.number
            for line in self.lines
            if line.source_line == source_line and (role is None or line.role == role)
        ]


@dataclass
class Writer:
    """Collects lines with their indentation and roles."""

    lines: list[CodeLine] = field(default_factory=list)
    depth: int = 0

    def add(self, text: str = "", role: str = "text", **where: int | None) -> None:
        indented = INDENT * self.depth + text if text else ""
        self.lines.append(CodeLine(len(self.lines) + 1, indented, role, **where))

    def block(self, text: str) -> None:
        """Several lines of text (a docstring) at the current depth."""
        for line in text.splitlines():
            self.add(line)

    def finish(self, mode: str, function: str, inputs: tuple[str, ...]) -> GeneratedCode:
        text = "\n".join(line.text for line in self.lines) + "\n"
        return GeneratedCode(text, mode, function, tuple(self.lines), inputs)


WIDTH = 79


def write_module_header(out: Writer, title: str, body: str) -> None:
    """The module docstring, then ``import numpy as np`` and two blank lines."""
    out.add(f'"""{title}')
    out.add("")
    for line in textwrap.wrap(body, WIDTH):
        out.add(line)
    out.add('"""')
    out.add("")
    out.add("import numpy as np")
    out.add("")
    out.add("")


def write_docstring(out: Writer, title: str, *paragraphs: str) -> None:
    """A function's docstring at the writer's depth, wrapped to fit."""
    width = WIDTH - len(INDENT) * out.depth
    out.add(f'"""{title}')
    for paragraph in paragraphs:
        out.add("")
        for line in textwrap.wrap(paragraph, width):
            out.add(line)
    out.add('"""')
