"""The static structure of a program: its statements, blocks, branches and loops.

A tape (:class:`~adexplorer.core.ir.Graph`) is what one run did; the structure
is what the program says, before any run: the source with its ``if``/``elif``/
``else`` arms and ``for`` loops, each statement with its line, and each
expression as grammar-accepted source text.  Views show it beside the tape
("static program, dynamic tape"), and source transformation
(:mod:`adexplorer.codegen`) generates derivative code from it, keeping the
control flow.  To turn one expression into primitive operations, compile its
text on its own: ``compile_source(expr.text, input_shapes=...)``.

Example::

    >>> s = program_structure("x: real\\nif x > 0:\\n    y = x\\nelse:\\n    y = -x\\nreturn y")
    >>> [type(t).__name__ for t in s.statements]
    ['Declare', 'If', 'Return']
    >>> [b.keyword for b in s.statements[1].branches]
    ['if', 'else']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from adexplorer.base.shapes import Shape
from adexplorer.base.source import Span
from adexplorer.lang._parser_standalone import Token, Tree
from adexplorer.lang.lower import Checked, check_program, compile_source, span_of


@dataclass(frozen=True)
class Expression:
    """One expression: its source text (accepted by the grammar) and where it is."""

    text: str
    span: Span


@dataclass(frozen=True)
class Declare:
    name: str
    shape: Shape
    line: int


@dataclass(frozen=True)
class Assign:
    name: str
    value: Expression
    shape: Shape  # the shape of the value (and of the name afterwards)
    line: int


@dataclass(frozen=True)
class Return:
    """``return a, b`` (or the last bare expression): the values and the outputs' names."""

    values: tuple[Expression, ...]
    names: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Branch:
    keyword: str  # "if", "elif" or "else"
    condition: Expression | None  # None for else
    body: tuple[Statement, ...]
    line: int


@dataclass(frozen=True)
class If:
    branches: tuple[Branch, ...]
    line: int


@dataclass(frozen=True)
class For:
    """``for var in range(start, start + count*step, step):`` — ``range(count)`` by default."""

    var: str
    count: int  # how many iterations
    body: tuple[Statement, ...]
    line: int
    start: int = 0
    step: int = 1

    @property
    def values(self) -> range:
        """The values the loop variable takes."""
        return range(self.start, self.start + self.count * self.step, self.step)


Statement = Union[Declare, Assign, Return, If, For]  # noqa: UP007 - a runtime alias


@dataclass(frozen=True)
class Structure:
    statements: tuple[Statement, ...]
    source: str
    inputs: tuple[tuple[str, Shape], ...]
    has_control_flow: bool

    def lines(self) -> tuple[int, ...]:
        """The lines that hold a statement or a block's header, in order."""
        found: list[int] = []

        def walk(statements: tuple[Statement, ...]) -> None:
            for statement in statements:
                found.append(statement.line)
                if isinstance(statement, If):
                    for branch in statement.branches:
                        if branch.line != statement.line:
                            found.append(branch.line)
                        walk(branch.body)
                elif isinstance(statement, For):
                    walk(statement.body)

        walk(self.statements)
        return tuple(sorted(set(found)))


def program_structure(text: str, origin: str | None = None) -> Structure:
    """The structure of a program (checked on every path first); raise AdxError if invalid."""
    checked = check_program(text, origin)
    reader = _Reader(text, checked)
    return Structure(
        reader.block(checked.statements),
        text,
        checked.inputs,
        checked.control_flow,
    )


class _Reader:
    def __init__(self, source: str, checked: Checked) -> None:
        self.source = source
        self.checked = checked
        self.count: dict[int, int] = {}

    def expression(self, tree: Tree[Token]) -> Expression:
        span = self.checked.expression_spans[id(tree)]
        return Expression(span.text(self.source), span)

    def block(
        self, statements: tuple[Tree[Token], ...] | list[Tree[Token]]
    ) -> tuple[Statement, ...]:
        return tuple(self.statement(s) for s in statements)

    def statement(self, tree: Tree[Token]) -> Statement:
        kind = str(tree.data)
        line = _line(tree)
        children = [c for c in tree.children if c is not None]
        if kind == "declaration":
            name = str(children[0])
            shape = dict(self.checked.inputs).get(name, ())
            return Declare(name, shape, line)
        if kind == "assignment":
            target, value = children
            assert isinstance(value, Tree)
            shape = self.checked.assigned_shapes.get(id(tree), ())
            return Assign(str(target), self.expression(value), shape, line)
        if kind in ("output", "bare_expr"):
            exprs = [c for c in children if isinstance(c, Tree)]
            names = []
            for position, expr in enumerate(exprs, start=1):
                if expr.data == "name":
                    names.append(str(expr.children[0]))
                else:
                    names.append("f" if len(exprs) == 1 else f"f{position}")
            return Return(tuple(self.expression(e) for e in exprs), tuple(names), line)
        if kind == "if_block":
            branches = []
            for arm in children:
                assert isinstance(arm, Tree)
                keyword = arm.children[0]
                body = arm.children[-1]
                assert isinstance(body, Tree)
                condition = None
                if arm.data != "else_arm":
                    cond_tree = arm.children[1]
                    assert isinstance(cond_tree, Tree)
                    condition = self.expression(cond_tree)
                branches.append(
                    Branch(str(keyword), condition, self.body(body), _token_line(keyword))
                )
            return If(tuple(branches), line)
        if kind == "for_block":
            var = children[1]
            bounds = [c for c in children[2:-1] if isinstance(c, Tree)]
            body = children[-1]
            assert isinstance(body, Tree)
            iterations = range(*[_whole_constant(self.expression(b).text) for b in bounds])
            return For(
                str(var),
                len(iterations),
                self.body(body),
                line,
                iterations.start,
                iterations.step,
            )
        if kind == "augmented":
            target, operator, value = children
            assert isinstance(value, Tree)
            span = self.checked.expression_spans[id(tree)]
            operand = self.expression(value).text
            text = f"{target} {str(operator)[0]} ({operand})"
            shape = self.checked.assigned_shapes.get(id(tree), ())
            return Assign(str(target), Expression(text, span), shape, line)
        raise AssertionError(f"unknown statement {kind}")

    def body(self, block: Tree[Token]) -> tuple[Statement, ...]:
        return self.block([s for s in block.children if isinstance(s, Tree)])


def _whole_constant(text: str) -> int:
    """A loop count's value (checking the program proved it a whole constant)."""
    graph = compile_source(text).graph
    value = graph.nodes[graph.outputs[0]].value
    assert value is not None
    return int(float(value))


def _line(tree: Tree[Token]) -> int:
    span = span_of(tree)
    return span.line if span is not None else 1


def _token_line(token: object) -> int:
    return token.line if isinstance(token, Token) and token.line is not None else 1
