"""The queries of the source-transformation lesson, on the code ``adx codegen`` writes.

``codegen-line NODE K`` is the number of the line of the reverse code (``adx
codegen PROGRAM --mode reverse``) that adds NODE's K-th adjoint contribution,
``codegen-statement NODE K`` that line's statement (for choice exercises), and
``codegen-count MODE ROLE`` how many lines of one kind the forward or reverse
code has (``adjoint``: the ``+=`` lines; ``push``: the ``stack.append`` lines).
The code is generated (:mod:`adexplorer.codegen`), never run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adexplorer.base.errors import AdxError
from adexplorer.codegen import CodeLine, GeneratedCode, generate

if TYPE_CHECKING:
    from adexplorer.lessons.answers import Setup

CODE_MODES = ("forward", "reverse")
ROLES = ("primal", "tangent", "seed", "init", "adjoint", "push", "pop", "control")


def _code(setup: Setup, mode: str) -> GeneratedCode:
    return generate(setup.graph, mode)


def _contribution(setup: Setup, label: str, k: str) -> CodeLine:
    """The reverse code's line that adds the K-th contribution to ``label``'s adjoint."""
    if setup.graph.dynamic:
        raise AdxError(
            "lesson",
            "the reverse code of a program with if or for is written per source line, not "
            "per node of one run's tape: ask codegen-line of a program without them",
        )
    labels = setup.graph.labels("griewank")
    if label not in labels:
        raise AdxError("lesson", f"no node {label!r} in this program; it has {', '.join(labels)}")
    index = labels.index(label)
    lines = [
        line
        for line in _code(setup, "reverse").lines
        if line.role == "adjoint" and line.node == index
    ]
    number = int(k)
    if not 1 <= number <= len(lines):
        raise AdxError(
            "lesson",
            f"{label}'s adjoint gets {len(lines)} contribution(s) in the reverse code, "
            f"so K is 1 to {len(lines)}, not {k}",
        )
    return lines[number - 1]


def codegen_line(setup: Setup, args: tuple[str, ...]) -> float:
    return float(_contribution(setup, args[0], args[1]).number)


def codegen_statement(setup: Setup, args: tuple[str, ...]) -> str:
    return _contribution(setup, args[0], args[1]).text.strip()


def codegen_count(setup: Setup, args: tuple[str, ...]) -> float:
    return float(sum(1 for line in _code(setup, args[0]).lines if line.role == args[1]))
