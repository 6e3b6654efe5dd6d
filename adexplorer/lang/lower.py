"""Lowering: from lark's parse tree to the typed Wengert list (:class:`~adexplorer.core.ir.Graph`).

lark's tree is our AST: its node labels (the grammar's ``-> alias`` names) say
what each node is, and ``propagate_positions`` gives each one its span.  This
module walks it *iteratively* (an explicit stack, so a 10,000-deep expression
is fine), resolves names, folds constants, checks shapes and emits nodes.

Rules a student meets here (all documented in docs/language.md):

* If a program declares no inputs, every free name is an input of type
  ``real``, in order of first appearance (``x*y + sin(x)``: x, then y).
* ``pi`` and ``e`` are constants and cannot be rebound.
* Subexpressions made only of constants are folded into one constant, so
  ``-1/2*w`` is a single multiplication by -0.5, as in the texts.
* The last bare expression of a program is its output unless it has ``return``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from lark import Token, Tree

from adexplorer.base.errors import AdxError, did_you_mean
from adexplorer.base.shapes import Array, Shape, ShapeMismatch, type_name
from adexplorer.base.source import Span, gc_paused
from adexplorer.core.ir import Graph, Node
from adexplorer.core.operators import OPERATORS
from adexplorer.core.primitives import FUNCTIONS, PRIMITIVES, lookup_function
from adexplorer.lang.parse import parse_bindings, parse_program

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
_RESERVED = ("return", "real", "vec", "mat")
#: Infix operators: the grammar alias -> the primitive it lowers to.
_BINARY = {op.rule: op.primitive for op in OPERATORS if op.infix and op.primitive}


def span_of(item: Tree[Token] | Token | None) -> Span | None:
    """A token's span, or a tree's first token's span (statements, error positions)."""
    while isinstance(item, Tree):
        children = [c for c in item.children if c is not None]
        item = children[0] if children else None
    if item is None or item.start_pos is None or item.end_pos is None:
        return None
    return Span(item.start_pos, item.end_pos, item.line or 1, item.column or 1)


def _extend_back(source: str, span: Span, char_set: str) -> Span:
    """Grow ``span`` leftwards over whitespace to the sign character before it."""
    pos = span.start - 1
    while pos >= 0 and source[pos] in " \t\f\\\r\n":
        pos -= 1
    if pos < 0 or source[pos] not in char_set:
        return span
    skipped = source[pos : span.start]
    if "\n" in skipped:
        line = source.count("\n", 0, pos) + 1
        column = pos - (source.rfind("\n", 0, pos) + 1) + 1
    else:
        line, column = span.line, span.column - (span.start - pos)
    return Span(pos, span.end, line, column)


@dataclass
class _Draft:
    """A node under construction (names are attached after it is created)."""

    op: str
    args: tuple[int, ...]
    shape: Shape
    span: Span | None
    name: str | None = None
    value: Array | None = None
    statement: int = 0


class _Builder:
    def __init__(self, source: str, origin: str | None, *, implicit_inputs: bool) -> None:
        self.source = source
        self.origin = origin
        self.implicit_inputs = implicit_inputs
        self.drafts: list[_Draft] = []
        self.env: dict[str, int] = {}
        self.input_order: list[int] = []
        self.defaults: dict[str, Array] = {}
        self.warnings: list[str] = []
        self.statement = 0  # the statement being lowered (for scheduling)

    # -- errors -------------------------------------------------------------

    def error(
        self, kind: str, message: str, span: Span | None, hint: str | None = None
    ) -> AdxError:
        return AdxError(kind, message, span=span, source=self.source, hint=hint, origin=self.origin)

    # -- node creation ------------------------------------------------------

    def add(self, draft: _Draft) -> int:
        draft.statement = self.statement
        self.drafts.append(draft)
        return len(self.drafts) - 1

    def const(self, value: float | Array, span: Span | None) -> int:
        arr = np.asarray(value, dtype=np.float64)
        return self.add(_Draft("const", (), arr.shape, span, value=arr))

    def declare_input(self, name: str, shape: Shape, span: Span | None) -> int:
        index = self.add(_Draft("input", (), shape, span, name=name))
        self.env[name] = index
        self.input_order.append(index)
        return index

    def apply(self, op: str, args: Sequence[int], span: Span | None) -> int:
        prim = PRIMITIVES[op]
        shapes = [self.drafts[a].shape for a in args]
        try:
            shape = prim.shape_rule(*shapes)
        except ShapeMismatch as exc:
            raise self.error("type", str(exc), span) from None
        drafts = [self.drafts[a] for a in args]
        if all(d.op == "const" for d in drafts):
            with np.errstate(all="ignore"):
                value = np.asarray(prim.evaluate(*[d.value for d in drafts]), dtype=np.float64)
            if not np.all(np.isfinite(value)):
                text = span.text(self.source) if span else op
                self.warnings.append(f"the constant expression {text!r} is {value}")
            return self.const(value, span)
        return self.add(_Draft(op, tuple(args), tuple(shape), span))

    # -- names --------------------------------------------------------------

    def resolve(self, token: Token) -> int:
        name = str(token)
        span = span_of(token)
        if name in self.env:
            return self.env[name]
        if name in CONSTANTS:
            return self.const(CONSTANTS[name], span)
        if name in FUNCTIONS:
            raise self.error(
                "name", f"'{name}' is a function, not a value", span, f"call it, e.g. {name}(x)"
            )
        if self.implicit_inputs:
            return self.declare_input(name, (), span)
        known = [*self.env, *CONSTANTS]
        raise self.error(
            "name",
            f"unknown name '{name}'",
            span,
            did_you_mean(name, known) or "declare it as an input first, e.g. " + f"{name}: real",
        )

    def check_bindable(self, token: Token, what: str) -> None:
        name = str(token)
        span = span_of(token)
        if name in CONSTANTS:
            raise self.error(
                "name",
                f"'{name}' is a built-in constant and cannot be rebound",
                span,
                "choose another name",
            )
        if name in FUNCTIONS:
            raise self.error(
                "name",
                f"'{name}' is a built-in function; it cannot name {what}",
                span,
                "choose another name",
            )

    def input_names(self) -> set[str]:
        return {self.drafts[i].name or "" for i in self.input_order}

    # -- expressions (iterative post-order) ----------------------------------

    def expression(self, root: Tree[Token] | Token) -> int:
        """Lower one expression, children before parents, with an explicit stack."""
        results: dict[int, int] = {}
        spans: dict[int, Span | None] = {}
        stack: list[tuple[Tree[Token] | Token, bool]] = [(root, False)]
        while stack:
            item, ready = stack.pop()
            if isinstance(item, Token):
                results[id(item)] = self.resolve(item)
                spans[id(item)] = span_of(item)
                continue
            if not ready:
                stack.append((item, True))
                for child in reversed(self._operands(item)):
                    stack.append((child, False))
                continue
            children = self._operands(item)
            operands = [results.pop(id(c)) for c in children]
            child_spans = [spans.pop(id(c)) for c in children]
            span = self._span(item, child_spans)
            spans[id(item)] = span
            results[id(item)] = self._combine(item, operands, span)
        return results[id(root)]

    def _span(self, tree: Tree[Token], child_spans: list[Span | None]) -> Span | None:
        """A tree's span from its children's spans and its own tokens."""
        tokens = [span_of(c) for c in tree.children if isinstance(c, Token)]
        parts = [s for s in (*tokens, *child_spans) if s is not None]
        if not parts:
            return None
        span = parts[0]
        for part in parts[1:]:
            span = span.cover(part)
        if tree.data in ("neg", "pos"):
            span = _extend_back(self.source, span, "-" if tree.data == "neg" else "+")
        return span

    @staticmethod
    def _operands(tree: Tree[Token]) -> list[Tree[Token] | Token]:
        """The children of an expression node that are themselves expressions."""
        kind = tree.data
        if kind in ("number", "name"):
            return []
        if kind == "attribute":
            return [tree.children[0]]
        return [c for c in tree.children if isinstance(c, Tree)]

    def _combine(self, tree: Tree[Token], operands: list[int], span: Span | None) -> int:
        kind = str(tree.data)
        if kind == "number":
            return self.const(float(str(tree.children[0])), span)
        if kind == "name":
            token = tree.children[0]
            assert isinstance(token, Token)
            return self.resolve(token)
        if kind in _BINARY:
            return self.apply(_BINARY[kind], operands, span)
        if kind == "neg":
            return self.apply("neg", operands, span)
        if kind in ("pos", "paren"):
            return operands[0]
        if kind == "call":
            return self._call(tree, operands, span)
        if kind == "attribute":
            attr = tree.children[1]
            if str(attr) != "T":
                raise self.error(
                    "name",
                    f"unknown attribute '.{attr}'",
                    span_of(attr),
                    "the only attribute is .T (transpose)",
                )
            return self.apply("transpose", operands, span)
        if kind == "array":
            return self._array(operands, span)
        raise self.error("parse", f"unsupported construct '{kind}'", span)

    def _call(self, tree: Tree[Token], operands: list[int], span: Span | None) -> int:
        fname = tree.children[0]
        assert isinstance(fname, Token)
        prim = lookup_function(str(fname))
        if prim is None:
            if str(fname) in self.env or str(fname) in CONSTANTS:
                raise self.error(
                    "name",
                    f"'{fname}' is a value, not a function",
                    span_of(fname),
                    f"to multiply, write {fname}*(...)",
                )
            raise self.error(
                "name",
                f"unknown function '{fname}'",
                span_of(fname),
                did_you_mean(str(fname), FUNCTIONS) or "see `adx eval --help` for the functions",
            )
        if len(operands) != prim.arity:
            plural = "s" if prim.arity != 1 else ""
            raise self.error(
                "type",
                f"{fname} takes {prim.arity} argument{plural}, but {len(operands)} "
                f"{'was' if len(operands) == 1 else 'were'} given",
                span,
            )
        return self.apply(prim.name, operands, span)

    def _array(self, operands: list[int], span: Span | None) -> int:
        drafts = [self.drafts[i] for i in operands]
        if not drafts:
            raise self.error(
                "type", "an empty list has no value", span, "write at least one number"
            )
        if any(d.op != "const" for d in drafts):
            raise self.error(
                "type",
                "list literals may hold only numbers",
                span,
                "build vectors from inputs declared as vec[n]",
            )
        shapes = {d.shape for d in drafts}
        if len(shapes) != 1:
            raise self.error("type", "the rows of a matrix must all have the same length", span)
        if len(next(iter(shapes))) >= 2:
            raise self.error("type", "lists may nest at most two deep (a matrix)", span)
        return self.const(np.stack([d.value for d in drafts if d.value is not None]), span)

    def constant(self, tree: Tree[Token] | Token, what: str) -> Array:
        """Lower an expression that must have a constant value (defaults, --at values)."""
        saved = self.implicit_inputs
        self.implicit_inputs = False
        try:
            index = self.expression(tree)
        finally:
            self.implicit_inputs = saved
        draft = self.drafts[index]
        if draft.op != "const" or draft.value is None:
            raise self.error(
                "input", f"{what} must be a number or a list of numbers", self.drafts[index].span
            )
        return draft.value

    # -- finishing ------------------------------------------------------------

    def schedule(self) -> list[int]:
        """The evaluation order of the operations: statement by statement, and
        within a statement level by level (an operation's level is one more
        than its highest argument from the same statement), ties in source order.

        This is the numbering of the texts: in ln(x1) + x1*x2 - sin(x2), the
        three operations on inputs come first (v1 = ln, v2 = ·, v3 = sin), then
        the sum v4 and the difference v5.
        """
        level = [0] * len(self.drafts)
        for i, d in enumerate(self.drafts):
            if d.op in ("input", "const"):
                continue
            same = [level[a] for a in d.args if self.drafts[a].statement == d.statement]
            level[i] = 1 + max(same, default=0)
        ops = [i for i, d in enumerate(self.drafts) if d.op not in ("input", "const")]
        return sorted(ops, key=lambda i: (self.drafts[i].statement, level[i], i))

    def finish(self, outputs: list[int], output_names: list[str]) -> Graph:
        """Put inputs first, then constants, then the scheduled operations; freeze."""
        used = set(outputs)
        for d in self.drafts:
            used.update(d.args)
        scheduled = self.schedule()
        # Constants go after the inputs, in order of first use, so the list is
        # canonical: equal programs give equal graphs whatever the parse order.
        consts: dict[int, None] = {}
        for i in [*scheduled, *outputs]:
            for a in (*self.drafts[i].args, i):
                if self.drafts[a].op == "const" and a in used:
                    consts.setdefault(a)
        order = [*self.input_order, *consts, *scheduled]
        new_index = {old: new for new, old in enumerate(order)}
        nodes = []
        for new, old in enumerate(order):
            d = self.drafts[old]
            nodes.append(
                Node(
                    new, d.op, tuple(new_index[a] for a in d.args), d.shape, d.span, d.name, d.value
                )
            )
        return Graph(
            nodes=tuple(nodes),
            inputs=tuple(new_index[i] for i in self.input_order),
            outputs=tuple(new_index[o] for o in outputs),
            output_names=tuple(output_names),
            source=self.source,
            origin=self.origin,
            defaults=MappingProxyType(dict(self.defaults)),
        )


@dataclass(frozen=True)
class Lowered:
    graph: Graph
    warnings: tuple[str, ...]


def compile_source(
    text: str, origin: str | None = None, extra_inputs: Sequence[str] = ()
) -> Lowered:
    """Parse and lower a program or expression; raise AdxError on any problem.

    ``extra_inputs`` (names given values with ``--at`` but absent from an
    expression) become inputs the function does not use, so they get a
    gradient of 0 and a warning, rather than an error.  They are only added
    when the program declares no inputs itself.
    """
    with gc_paused():
        return _compile(text, origin, extra_inputs)


def _compile(text: str, origin: str | None, extra_inputs: Sequence[str]) -> Lowered:
    tree = parse_program(text, origin)
    statements = [s for s in tree.children if isinstance(s, Tree)]
    if not statements:
        raise AdxError(
            "parse",
            "the text is empty",
            source=text,
            origin=origin,
            hint="write an expression, e.g. ln(x1) + x1*x2 - sin(x2)",
        )
    has_declarations = any(s.data == "declaration" for s in statements)
    builder = _Builder(text, origin, implicit_inputs=not has_declarations)
    outputs: list[int] = []
    output_names: list[str] = []

    for position, statement in enumerate(statements):
        builder.statement = position
        is_last = position == len(statements) - 1
        kind = statement.data
        if outputs:
            raise builder.error(
                "parse",
                "nothing may follow the return statement",
                span_of(statement),
                "move return to the end of the program",
            )
        if kind == "declaration":
            _declaration(builder, statement)
        elif kind == "assignment":
            name_token, expr = statement.children
            assert isinstance(name_token, Token)
            builder.check_bindable(name_token, "a value")
            if str(name_token) in builder.input_names():
                raise builder.error(
                    "name",
                    f"'{name_token}' is an input and cannot be assigned",
                    span_of(name_token),
                    "choose another name for the new value",
                )
            index = builder.expression(expr)
            draft = builder.drafts[index]
            if draft.op not in ("input",) and draft.name is None:
                draft.name = str(name_token)
            builder.env[str(name_token)] = index
        elif kind == "output":
            for expr in statement.children[1:]:
                index = builder.expression(expr)
                outputs.append(index)
                output_names.append(
                    _output_name(builder, index, len(outputs), len(statement.children) - 1)
                )
        elif kind == "bare_expr":
            if not is_last:
                raise builder.error(
                    "parse",
                    "this expression's value is never used",
                    span_of(statement),
                    "assign it to a name (y = ...) or make it the last line",
                )
            expr = statement.children[0]
            index = builder.expression(expr)
            outputs.append(index)
            output_names.append(_output_name(builder, index, 1, 1))

    if not outputs:
        raise builder.error(
            "parse",
            "the program has no output",
            span_of(statements[-1]),
            "end it with `return NAME` or with an expression",
        )
    if builder.implicit_inputs:
        for name in extra_inputs:
            if name not in builder.env and name not in CONSTANTS:
                builder.declare_input(name, (), None)
    used = {a for d in builder.drafts for a in d.args} | set(outputs)
    for i in builder.input_order:
        if i not in used:
            builder.warnings.append(
                f"input {builder.drafts[i].name} is not used by the function; its derivative is 0"
            )
    lowered = builder.finish(outputs, output_names)
    return Lowered(lowered, tuple(builder.warnings))


def _output_name(builder: _Builder, index: int, position: int, count: int) -> str:
    """The user's name for an output, else f (one output) or f1, f2, … by position."""
    draft = builder.drafts[index]
    if draft.name:
        return draft.name
    return "f" if count == 1 else f"f{position}"


def _declaration(builder: _Builder, statement: Tree[Token]) -> None:
    name_token, type_tree, *rest = statement.children
    assert isinstance(name_token, Token) and isinstance(type_tree, Tree)
    builder.check_bindable(name_token, "an input")
    name = str(name_token)
    if name in builder.env:
        raise builder.error("name", f"'{name}' is already defined", span_of(name_token))
    shape = _shape_of(builder, type_tree)
    builder.declare_input(name, shape, span_of(name_token))
    if rest:
        default_tree = rest[0]
        value = builder.constant(default_tree, f"the default value of '{name}'")
        if value.shape != shape:
            if value.shape == ():
                value = np.full(shape, float(value))
            else:
                raise builder.error(
                    "type",
                    f"the default value of '{name}' is {type_name(value.shape)}, "
                    f"but '{name}' is declared {type_name(shape)}",
                    builder.drafts[-1].span,
                )
        builder.defaults[name] = value


def _shape_of(builder: _Builder, type_tree: Tree[Token]) -> Shape:
    sizes = []
    for token in type_tree.children:
        text = str(token)
        if not text.isdigit() or int(text) < 1:
            raise builder.error(
                "type", f"a size must be a whole number of at least 1, not {text}", span_of(token)
            )
        sizes.append(int(text))
    return tuple(sizes)


def parse_at(text: str, origin: str = "--at") -> dict[str, tuple[Array, Span | None]]:
    """Values from an ``--at`` option: ``x1=2,x2=5`` or ``v=[1,2,3]`` or ``x=pi/4``."""
    tree = parse_bindings(text, origin)
    builder = _Builder(text, origin, implicit_inputs=False)
    values: dict[str, tuple[Array, Span | None]] = {}
    for binding in tree.children:
        assert isinstance(binding, Tree)
        name_token, expr = binding.children
        assert isinstance(name_token, Token)
        name = str(name_token)
        if name in CONSTANTS:
            raise builder.error(
                "input",
                f"'{name}' is a built-in constant and cannot be rebound",
                span_of(name_token),
            )
        values[name] = (builder.constant(expr, f"the value of '{name}'"), span_of(name_token))
    return values
