"""A program's early returns, rewritten for reverse mode as assignments and guards.

``return`` inside a branch or a loop ends the run there.  A reverse sweep must
start from where the run ended, which a static reversed program cannot jump
to; so, as source transformation tools do, the program is first rewritten into
one that always runs to its end, with the same value and derivative:

* each ``return a, b`` assigns the outputs (``f = a``) and sets a flag
  (``returned = 1``);
* the statements after one that may have returned run under
  ``if returned == 0:``, and so does the body of a loop that may return;
* the program ends with one ``return`` of the outputs.

The new names (the flag and the outputs) are chosen so that no variable of the
program has them.  Guards are ordinary ``if`` blocks, so the reverse sweep pops
their decisions like any other branch.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from adexplorer.base.shapes import Shape
from adexplorer.lang.lower import compile_source
from adexplorer.lang.structure import (
    Assign,
    Branch,
    Declare,
    Expression,
    For,
    If,
    Return,
    Statement,
    Structure,
)


def all_returns(statements: Sequence[Statement]) -> list[Return]:
    found: list[Return] = []
    for s in statements:
        if isinstance(s, Return):
            found.append(s)
        elif isinstance(s, If):
            for branch in s.branches:
                found += all_returns(branch.body)
        elif isinstance(s, For):
            found += all_returns(s.body)
    return found


def _names(statements: Sequence[Statement]) -> set[str]:
    found: set[str] = set()
    for s in statements:
        if isinstance(s, Assign | Declare):
            found.add(s.name)
        elif isinstance(s, For):
            found |= {s.var} | _names(s.body)
        elif isinstance(s, If):
            for branch in s.branches:
                found |= _names(branch.body)
    return found


def has_early_return(structure: Structure) -> bool:
    """True if some ``return`` is not the program's last statement."""
    returns = all_returns(structure.statements)
    return any(r is not structure.statements[-1] for r in returns)


def _unused(base: str, taken: set[str]) -> str:
    name = base
    while name in taken:
        name += "_"
    taken.add(name)
    return name


class _Rewriter:
    def __init__(self, structure: Structure) -> None:
        returns = all_returns(structure.statements)
        first = returns[0]
        taken = _names(structure.statements) | {name for name, _ in structure.inputs}
        self.flag = _unused("returned", taken)
        self.outputs = [_unused(name, taken) for name in first.names]
        self.names = first.names
        self.first = first

    def guard(self, body: tuple[Statement, ...], line: int, span: object) -> If:
        condition = Expression(f"{self.flag} == 0", span)  # type: ignore[arg-type]
        return If((Branch("if", condition, body, line),), line)

    def block(
        self, statements: Sequence[Statement], shapes: dict[str, Shape]
    ) -> tuple[tuple[Statement, ...], bool]:
        """The block rewritten, and whether it may have returned by its end."""
        done: list[Statement] = []
        for k, s in enumerate(statements):
            may_return = False
            if isinstance(s, Return):
                for out, value in zip(self.outputs, s.values, strict=True):
                    graph = compile_source(value.text, input_shapes=dict(shapes)).graph
                    shape = graph.nodes[graph.outputs[0]].shape
                    done.append(Assign(out, value, shape, s.line))
                    shapes[out] = shape
                done.append(Assign(self.flag, Expression("1", value.span), (), s.line))
                return tuple(done), True  # what follows a return never runs
            if isinstance(s, If):
                branches = []
                for branch in s.branches:
                    body, returned = self.block(branch.body, shapes)
                    branches.append(dataclasses.replace(branch, body=body))
                    may_return = may_return or returned
                done.append(dataclasses.replace(s, branches=tuple(branches)))
            elif isinstance(s, For):
                shapes[s.var] = ()
                body, may_return = self.block(s.body, shapes)
                if may_return:  # the iterations after a return do nothing
                    body = (self.guard(body, s.line, self.first.values[0].span),)
                done.append(dataclasses.replace(s, body=body))
            else:
                assert isinstance(s, Assign | Declare)
                shapes[s.name] = s.shape
                done.append(s)
            if may_return:
                rest, _ = self.block(statements[k + 1 :], shapes)
                if rest:
                    done.append(self.guard(rest, rest[0].line, self.first.values[0].span))
                return tuple(done), True
        return tuple(done), False


def without_early_returns(structure: Structure) -> Structure:
    """The same program with one final ``return`` (see the module docstring)."""
    if not has_early_return(structure):
        return structure
    rewriter = _Rewriter(structure)
    span = rewriter.first.values[0].span
    start: Statement = Assign(rewriter.flag, Expression("0", span), (), 1)
    shapes = {name: shape for name, shape in structure.inputs}
    body, _ = rewriter.block(structure.statements, shapes)
    declared = [s for s in body if isinstance(s, Declare)]
    rest = [s for s in body if not isinstance(s, Declare)]
    last_line = max(r.line for r in all_returns(structure.statements))
    final = Return(
        tuple(Expression(out, span) for out in rewriter.outputs), rewriter.names, last_line
    )
    return dataclasses.replace(structure, statements=(*declared, start, *rest, final))
