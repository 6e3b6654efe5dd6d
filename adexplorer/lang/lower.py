"""Lowering: from the parse tree to the typed Wengert list (:class:`~adexplorer.core.ir.Graph`).

The parse tree is our AST: its labels (the grammar's ``-> alias`` names) say
what each node is, and there is one method per alias.  Statements are lowered
top-down, in order (:class:`_Statements`); expressions bottom-up
(:class:`_Expressions`), walking the tree with an explicit stack as lark's
``Transformer_NonRecursive`` does, so a 10,000-deep expression is fine.  The
operators' methods are made from the operator table
(:mod:`adexplorer.core.operators`).  Both build the graph through
:class:`_Builder`, which resolves names, folds constants, checks shapes and
schedules the operations.

The parser does not propagate positions (that tripled parse time on long
programs); spans are computed here instead: a node's span covers its tokens
and its children's spans, and a unary sign's span grows left to the sign.

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
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from adexplorer.base.errors import AdxError, did_you_mean
from adexplorer.base.limits import LIMITS, check, limit
from adexplorer.base.shapes import Array, Shape, ShapeMismatch, fill, size, type_name
from adexplorer.base.source import Span, gc_paused
from adexplorer.base.text import visible
from adexplorer.base.value_files import (
    COMMAND_LINE,
    SUFFIXES,
    ValueContext,
    read_values,
    text_table_as,
)
from adexplorer.core.ir import Decision, Graph, Node, Program
from adexplorer.core.operators import OPERATORS, Operator
from adexplorer.core.primitives import FUNCTIONS, PRIMITIVES, lookup_function
from adexplorer.lang._parser_standalone import Token, Tree
from adexplorer.lang.parse import parse_bindings, parse_program

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

#: Python statements adx does not have, and what to write instead.
_PYTHON_ONLY = {
    "break": (
        "adx has no break: a loop always runs all its iterations",
        "return from inside an if to end the run, or put the rest of the body under an if",
    ),
    "continue": (
        "adx has no continue",
        "put the rest of the loop's body under an if",
    ),
    "pass": ("adx has no pass: a block needs at least one statement", "assign something"),
}

#: What ``s += x`` and its kin apply.
_AUGMENTED = {"+=": "add", "-=": "sub", "*=": "mul", "/=": "div"}

#: Primitives that compare their two arguments (a tie, a == b, is a boundary).
_COMPARISONS = frozenset({"lt", "le", "gt", "ge", "eq", "ne"})

#: A lowered expression: the index of its node under construction, and its span.
_Value = tuple[int, Span]

#: The seeded random values (a declaration's default or an ``--at`` value only),
#: with an example of each for messages.
RANDOM_FUNCTIONS = {"normal": "normal(seed=1)", "uniform": "uniform(-1, 1, seed=1)"}
#: Seeds are whole numbers below 2**53: every one of them is exact as a float64, the
#: type the value language reads numbers into, and no larger number rounds into the
#: range (2**53 + 1 reads as 2**53, which is refused, not another seed's numbers).
MAX_SEED = 2**53 - 1


@dataclass(frozen=True)
class _Keyword:
    """``seed=3`` in a call: the name, the lowered value's node, and the span of both."""

    name: str
    index: int
    span: Span


def span_of(item: Tree[Token] | Token | None) -> Span | None:
    """A token's span, or a tree's first token's span (statements, error positions)."""
    while isinstance(item, Tree):
        children = [c for c in item.children if c is not None]
        item = children[0] if children else None
    if item is None or item.start_pos is None or item.end_pos is None:
        return None
    return Span(item.start_pos, item.end_pos, item.line or 1, item.column or 1)


def _token_span(token: Token) -> Span:
    """A token's span (the lexer gives every token a position)."""
    return Span(token.start_pos or 0, token.end_pos or 0, token.line or 1, token.column or 1)


def _extend_back(source: str, span: Span, spellings: Sequence[str]) -> Span:
    """Grow ``span`` leftwards over whitespace to the prefix operator written before it."""
    pos = span.start
    while pos > 0 and source[pos - 1] in " \t\f\\\r\n":
        pos -= 1
    spelling = next((s for s in spellings if source.endswith(s, 0, pos)), None)
    if spelling is None:
        return span
    pos -= len(spelling)
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
    context: tuple[tuple[str, int], ...] = ()
    #: Made while deciding an ``if``: evaluated, then left out of the tape.
    dead: bool = False


class _Builder:
    """The graph under construction: nodes, names, inputs, outputs and warnings."""

    def __init__(
        self,
        source: str,
        origin: str | None,
        *,
        implicit_inputs: bool,
        input_shapes: Mapping[str, Shape] | None = None,
    ) -> None:
        self.source = source
        self.origin = origin
        self.implicit_inputs = implicit_inputs
        #: For an expression: the shapes of the values its free names will get.
        self.input_shapes = dict(input_shapes or {})
        self.max_nodes = limit("nodes")
        self.max_entries = limit("tensor_entries")
        self.drafts: list[_Draft] = []
        self.env: dict[str, int] = {}
        self.input_order: list[int] = []
        self.defaults: dict[str, Array] = {}
        self.outputs: list[int] = []
        self.output_names: list[str] = []
        self.warnings: list[str] = []
        self.statement = 0  # the statement being lowered (for scheduling)
        #: When taping a run: every draft's value, computed as the draft is made.
        self.values: list[Array] | None = None
        self.loops: list[tuple[str, int]] = []  # the loop iterations being lowered
        self.decisions: list[Decision] = []
        self.returned = False  # a return ran: the rest of the run is skipped
        #: Names some path of the program assigns (line of the first assignment):
        #: a name missing on this run's path gets a message that says so.
        self.assigned_somewhere: dict[str, int] = {}
        self.ties: list[str] = []  # comparisons met exactly on their boundary
        self.tie_lines: dict[str, int] = {}
        #: Checking: names that only some branches of the if on a line assign.
        self.maybe_unassigned: dict[str, int] = {}
        self.given: Mapping[str, Array] = {}  # the inputs' values, when taping

    # -- errors -------------------------------------------------------------

    def error(
        self, kind: str, message: str, span: Span | None, hint: str | None = None
    ) -> AdxError:
        return AdxError(kind, message, span=span, source=self.source, hint=hint, origin=self.origin)

    # -- statements ---------------------------------------------------------

    def begin_statement(self, span: Span | None) -> None:
        """Start the next statement (unrolled loops count each run of a statement)."""
        self.statement += 1

    @contextmanager
    def names_must_exist(self) -> Iterator[None]:
        """Within this block a free name is an error, never a new input (defaults, --at)."""
        saved = self.implicit_inputs
        self.implicit_inputs = False
        try:
            yield
        finally:
            self.implicit_inputs = saved

    # -- node creation ------------------------------------------------------

    def add(self, draft: _Draft) -> int:
        if len(self.drafts) >= self.max_nodes:
            check("nodes", len(self.drafts) + 1, hint="split the computation into smaller programs")
        if draft.shape and size(draft.shape) > self.max_entries:
            raise self.error(
                "usage",
                f"{LIMITS['tensor_entries'].what}: a {type_name(draft.shape)} has "
                f"{size(draft.shape):,} entries, over adx's limit of {self.max_entries:,}",
                draft.span,
                f"raise it with ADX_MAX_TENSOR_ENTRIES={size(draft.shape)}",
            )
        draft.statement = self.statement
        draft.context = tuple(self.loops)
        self.drafts.append(draft)
        if self.values is not None:
            self.values.append(self._evaluate(draft))
        return len(self.drafts) - 1

    def _evaluate(self, draft: _Draft) -> Array:
        """The value a taped run gives the new draft (inputs are given theirs first)."""
        if draft.op == "const":
            assert draft.value is not None
            return draft.value
        if draft.op == "input":
            return self.given[draft.name or ""]
        assert self.values is not None
        args = [self.values[a] for a in draft.args]
        with np.errstate(all="ignore"):
            value = np.asarray(PRIMITIVES[draft.op].evaluate(*args), dtype=np.float64)
        if draft.op in _COMPARISONS and np.any(args[0] == args[1]):
            text = draft.span.text(self.source) if draft.span is not None else draft.op
            self.ties.append(text)
            self.tie_lines.setdefault(text, draft.span.line if draft.span is not None else 0)
        return value

    def value_of(self, index: int) -> Array:
        assert self.values is not None
        return self.values[index]

    def const(self, value: float | Array, span: Span | None) -> int:
        arr = np.asarray(value, dtype=np.float64)
        return self.add(_Draft("const", (), arr.shape, span, value=arr))

    def constant_value(self, index: int) -> Array | None:
        """The value of node ``index`` if it is a constant, else None."""
        draft = self.drafts[index]
        return draft.value if draft.op == "const" else None

    def declare_input(self, name: str, shape: Shape, span: Span | None) -> int:
        index = self.add(_Draft("input", (), shape, span, name=name))
        self.env[name] = index
        self.input_order.append(index)
        return index

    def apply(self, op: str, args: Sequence[int], span: Span | None) -> int:
        """A new operation node, or a constant if every argument is constant (folding)."""
        prim = PRIMITIVES[op]
        drafts = [self.drafts[a] for a in args]
        try:
            shape = prim.shape_rule(*[d.shape for d in drafts])
        except ShapeMismatch as exc:
            raise self.error("type", str(exc), span) from None
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
        """The node a name stands for (a new real input if inputs are implicit)."""
        name = str(token)
        span = span_of(token)
        if name in self.env:
            if self.values is None and name in self.maybe_unassigned:
                line = self.maybe_unassigned.pop(name)
                self.warnings.append(
                    f"'{name}' gets a value only on some branches of the if on line {line}; "
                    "a run that takes another branch stops with an error"
                )
            return self.env[name]
        if name in CONSTANTS:
            return self.const(CONSTANTS[name], span)
        if name in FUNCTIONS:
            raise self.error(
                "name", f"'{name}' is a function, not a value", span, f"call it, e.g. {name}(x)"
            )
        if self.values is not None and name in self.assigned_somewhere:
            raise self.error(
                "name",
                f"'{name}' has no value at this point of this run: the line that assigns it "
                f"(line {self.assigned_somewhere[name]}) did not run",
                span,
                f"give {name} a value before the if, or on every branch",
            )
        if self.implicit_inputs:
            return self.declare_input(name, self.input_shapes.get(name, ()), span)
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

    def is_input(self, name: str) -> bool:
        return any(self.drafts[i].name == name for i in self.input_order)

    def name_value(self, name: str, index: int) -> None:
        """``name = …``: the name refers to node ``index`` and labels it in traces."""
        self.maybe_unassigned.pop(name, None)
        draft = self.drafts[index]
        if draft.op != "input" and draft.name is None:
            draft.name = name
        self.env[name] = index

    def set_default(self, name: str, value: Array) -> None:
        self.defaults[name] = value

    def set_outputs(
        self, indices: Sequence[int], span: Span | None, names: Sequence[str | None] = ()
    ) -> None:
        """The outputs: the user's names, else f (one) or f1, f2, …

        Checking a program (not taping a run), every ``return`` is lowered, and
        they must agree on how many values they give; a run stops at its return.
        """
        if self.values is None and self.outputs:
            if len(indices) != len(self.outputs):
                raise self.error(
                    "type",
                    f"this return gives {len(indices)} value{'s' if len(indices) != 1 else ''}, "
                    f"but an earlier one gives {len(self.outputs)}",
                    span,
                    "every return of a program must give the same number of values",
                )
            return
        count = len(indices)
        for position, index in enumerate(indices, start=1):
            self.outputs.append(index)
            given = names[position - 1] if position <= len(names) else None
            name = given if given not in (None, *CONSTANTS) else self.drafts[index].name
            self.output_names.append(name or ("f" if count == 1 else f"f{position}"))
        self.returned = self.values is not None

    def add_unused_inputs(self, names: Sequence[str]) -> None:
        """Inputs the expression does not mention (given with --at): only if implicit."""
        if not self.implicit_inputs:
            return
        for name in names:
            if name not in self.env and name not in CONSTANTS:
                self.declare_input(name, self.input_shapes.get(name, ()), None)

    def warn_about_unused_inputs(self) -> None:
        used = {a for d in self.drafts for a in d.args} | set(self.outputs)
        for i in self.input_order:
            if i not in used:
                self.warnings.append(
                    f"input {self.drafts[i].name} is not used by the function; its derivative is 0"
                )

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
        ops = [
            i for i, d in enumerate(self.drafts) if d.op not in ("input", "const") and not d.dead
        ]
        return sorted(ops, key=lambda i: (self.drafts[i].statement, level[i], i))

    def finish(self, program: Program | None = None) -> Graph:
        """Put inputs first, then constants, then the scheduled operations; freeze."""
        outputs = self.outputs
        used = set(outputs)
        for d in self.drafts:
            if not d.dead:
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
                    new,
                    d.op,
                    tuple(new_index[a] for a in d.args),
                    d.shape,
                    d.span,
                    d.name,
                    d.value,
                    d.context,
                )
            )
        return Graph(
            nodes=tuple(nodes),
            inputs=tuple(new_index[i] for i in self.input_order),
            outputs=tuple(new_index[o] for o in outputs),
            output_names=tuple(self.output_names),
            source=self.source,
            origin=self.origin,
            defaults=MappingProxyType(dict(self.defaults)),
            program=program,
            taped_at=MappingProxyType(dict(self.given)),
            decisions=tuple(self.decisions),
            tape_warnings=tuple(self.warnings) if program is not None else (),
        )


class _Expressions:
    """Expressions and types, children first: one method per grammar alias.

    :meth:`lower` walks a tree like lark's ``Transformer_NonRecursive`` (which
    the standalone parser's copy of lark cannot run): with an explicit stack,
    so depth is unlimited, calling the method named by each node's label with
    its children, subtrees already replaced by what their methods returned.
    Expression methods get ``_Value`` pairs next to the tokens the grammar
    keeps (names, brackets) and return a ``_Value``.  The operators' methods
    are added below from the operator table.
    """

    def __init__(self, builder: _Builder) -> None:
        self.builder = builder
        self._methods: dict[str, Callable[[list[Any]], Any]] = {}
        #: Each tree's walk, worked out once: a loop body is lowered once per iteration.
        self._plans: dict[int, list[tuple[Any, Callable[[list[Any]], Any] | None, int]]] = {}

    def lower(self, tree: Tree[Token]) -> Any:
        """What the method of ``tree``'s label returns, given its lowered children."""
        plan = self._plans.get(id(tree))
        if plan is None:
            plan = self._plans[id(tree)] = self._plan(tree)
        values: list[Any] = []
        for node, method, count in plan:
            if method is None:
                values.append(node)  # a token the grammar keeps
                continue
            children = values[len(values) - count :]
            del values[len(values) - count :]
            values.append(method(children))
        (result,) = values
        return result

    def _plan(self, tree: Tree[Token]) -> list[tuple[Any, Callable[[list[Any]], Any] | None, int]]:
        """The tree in post-order: (token, None, 0) or (tree, its method, its child count)."""
        reversed_postorder: list[Tree[Token] | Token] = []
        stack: list[Tree[Token] | Token] = [tree]
        while stack:
            node = stack.pop()
            reversed_postorder.append(node)
            if isinstance(node, Tree):
                stack.extend(node.children)
        return [
            (node, self._method(node.data), len(node.children))
            if isinstance(node, Tree)
            else (node, None, 0)
            for node in reversed(reversed_postorder)
        ]

    def _method(self, label: str) -> Callable[[list[Any]], Any]:
        method = self._methods.get(label)
        if method is None:
            method = getattr(self, label, None)
            if method is None or label.startswith("_") or label in ("lower", "builder"):
                raise self.builder.error("parse", f"unsupported construct '{label}'", None)
            self._methods[label] = method
        return method

    # -- atoms ----------------------------------------------------------------

    def number(self, children: list[Token]) -> _Value:
        (token,) = children
        span = _token_span(token)
        return self.builder.const(float(token), span), span

    def name(self, children: list[Token]) -> _Value:
        (token,) = children
        return self.builder.resolve(token), _token_span(token)

    def paren(self, children: list[Any]) -> _Value:
        lpar, (index, _), rpar = children
        return index, _token_span(lpar).cover(_token_span(rpar))

    def array(self, children: list[Any]) -> _Value:
        lsqb, *items, rsqb = children
        span = _token_span(lsqb).cover(_token_span(rsqb))
        builder = self.builder
        if not items:
            raise builder.error(
                "type", "an empty list has no value", span, "write at least one number"
            )
        values: list[Array] = [
            v for index, _ in items if (v := builder.constant_value(index)) is not None
        ]
        if len(values) != len(items):
            raise builder.error(
                "type",
                "list literals may hold only numbers",
                span,
                "build vectors from inputs declared as vec[n]",
            )
        shapes = {np.shape(v) for v in values}
        if len(shapes) != 1:
            raise builder.error("type", "the rows of a matrix must all have the same length", span)
        if len(next(iter(shapes))) >= 2:
            raise builder.error("type", "lists may nest at most two deep (a matrix)", span)
        return builder.const(np.stack(values), span), span

    def keyword(self, children: list[Any]) -> _Keyword:
        name, (index, span) = children
        return _Keyword(str(name), index, _token_span(name).cover(span))

    def call(self, children: list[Any]) -> _Value:
        fname, _, *args, rpar = children
        span = _token_span(fname).cover(_token_span(rpar))
        builder = self.builder
        if str(fname) in RANDOM_FUNCTIONS:
            raise builder.error(
                "type",
                f"{fname}(…) makes a seeded random value, which is a whole input value, "
                "not an operation of the computation",
                span,
                f"use it as a declaration's default (W: mat[2,3] = {RANDOM_FUNCTIONS[fname]}) "
                f"or in --at (--at 'W={RANDOM_FUNCTIONS[fname]}')",
            )
        keywords = [a for a in args if isinstance(a, _Keyword)]
        if keywords:
            raise builder.error(
                "type",
                f"{fname}(…) takes no keyword arguments ('{keywords[0].name}=')",
                keywords[0].span,
                "keyword arguments are only for the random values normal(seed=…) "
                "and uniform(lo, hi, seed=…)",
            )
        prim = lookup_function(str(fname))
        if prim is None:
            if str(fname) in builder.env or str(fname) in CONSTANTS:
                raise builder.error(
                    "name",
                    f"'{fname}' is a value, not a function",
                    span_of(fname),
                    f"to multiply, write {fname}*(...)",
                )
            raise builder.error(
                "name",
                f"unknown function '{fname}'",
                span_of(fname),
                did_you_mean(str(fname), FUNCTIONS) or "see `adx eval --help` for the functions",
            )
        if len(args) != prim.arity:
            plural = "s" if prim.arity != 1 else ""
            raise builder.error(
                "type",
                f"{fname} takes {prim.arity} argument{plural}, but {len(args)} "
                f"{'was' if len(args) == 1 else 'were'} given",
                span,
            )
        return builder.apply(prim.name, [index for index, _ in args], span), span

    def attribute(self, children: list[Any]) -> _Value:
        (index, operand_span), attr = children
        span = operand_span.cover(_token_span(attr))
        if str(attr) != "T":
            raise self.builder.error(
                "name",
                f"unknown attribute '.{attr}'",
                span_of(attr),
                "the only attribute is .T (transpose)",
            )
        return self.builder.apply("transpose", [index], span), span

    # -- types ----------------------------------------------------------------

    def real_type(self, children: list[Token]) -> Shape:
        return ()

    def vec_type(self, children: list[Token]) -> Shape:
        return self._sizes(children)

    def mat_type(self, children: list[Token]) -> Shape:
        return self._sizes(children)

    def _sizes(self, tokens: list[Token]) -> Shape:
        for token in tokens:
            if not token.isdigit() or int(token) < 1:
                raise self.builder.error(
                    "type",
                    f"a size must be a whole number of at least 1, not {token}",
                    span_of(token),
                )
        return tuple(int(token) for token in tokens)


def _operator_method(op: Operator) -> Callable[[_Expressions, list[_Value]], _Value]:
    """The lowering of one operator of the table: apply its primitive."""
    primitive = op.primitive
    if op.infix:
        assert primitive is not None

        def infix(self: _Expressions, children: list[_Value]) -> _Value:
            (a, a_span), (b, b_span) = children
            span = a_span.cover(b_span)
            return self.builder.apply(primitive, (a, b), span), span

        return infix

    def prefix(self: _Expressions, children: list[_Value]) -> _Value:
        ((a, a_span),) = children
        span = _extend_back(self.builder.source, a_span, op.spellings)
        if primitive is None:  # +a is a
            return a, span
        return self.builder.apply(primitive, (a,), span), span

    return prefix


for _op in OPERATORS:
    setattr(_Expressions, _op.rule, _operator_method(_op))


class _Statements:
    """Statements in order, top-down: one method per grammar alias."""

    def __init__(self, builder: _Builder) -> None:
        self.builder = builder
        self.expressions = _Expressions(builder)
        self.depth = 0  # how many blocks the statement being lowered sits in
        #: The shape each assignment gave its name when the program was checked.
        self.assigned_shapes: dict[int, Shape] = {}
        #: Each expression's span (with a leading sign), by ``id`` of its tree.
        self.expression_spans: dict[int, Span] = {}

    def lower(self, statements: Sequence[Tree[Token]], *, top: bool = True) -> None:
        """Lower a block (the program, or the body of an ``if``/``for``) in order.

        Checking a program, every statement of every branch is lowered once;
        taping a run, only those the run reaches, and nothing after a return.
        """
        builder = self.builder
        for position, statement in enumerate(statements):
            if builder.returned:
                return
            if position and statements[position - 1].data == "output":
                raise builder.error(
                    "parse",
                    "nothing may follow the return statement" + ("" if top else " in its block"),
                    span_of(statement),
                    "move return to the end of the program" if top else "remove the line",
                )
            builder.begin_statement(span_of(statement))
            method = getattr(self, str(statement.data))
            method(statement, last=top and position == len(statements) - 1)

    def expression(self, tree: Tree[Token]) -> int:
        index, span = self.expressions.lower(tree)
        if self.builder.values is None:
            self.expression_spans[id(tree)] = span
        return int(index)

    def constant(self, tree: Tree[Token], what: str) -> tuple[Array, Span | None]:
        """The value of an expression that must be constant (defaults, --at values)."""
        with self.builder.names_must_exist():
            index = self.expression(tree)
        value = self.builder.constant_value(index)
        span = self.builder.drafts[index].span
        if value is None:
            raise self.builder.error("input", f"{what} must be a number or a list of numbers", span)
        return value, span

    def random_value(
        self, tree: Tree[Token], name: str, shape: Shape | None, unknown_shape: str = ""
    ) -> tuple[Array, Span] | None:
        """``normal(seed=S)`` or ``uniform(LO, HI, seed=S)`` as the whole value of
        ``name``, or None if ``tree`` is not such a call.

        The numbers are numpy's: ``default_rng(S).standard_normal(shape)`` and
        ``default_rng(S).uniform(LO, HI, shape)``, float64 in C order, so anyone
        can make the same ones.  ``shape`` is the input's declared shape; when it
        is None the call must say ``shape=…`` (``unknown_shape`` says why not).
        """
        if tree.data != "call" or str(tree.children[0]) not in RANDOM_FUNCTIONS:
            return None
        fname_token, _, *args, rpar = tree.children
        assert isinstance(fname_token, Token) and isinstance(rpar, Token)
        fname = str(fname_token)
        span = _token_span(fname_token).cover(_token_span(rpar))
        example = RANDOM_FUNCTIONS[fname]
        builder = self.builder
        numbers: list[tuple[float, Span]] = []
        keywords: dict[str, tuple[Tree[Token], Span]] = {}
        for arg in args:
            assert isinstance(arg, Tree)
            if arg.data == "keyword":
                key_token, value_tree = arg.children
                assert isinstance(key_token, Token) and isinstance(value_tree, Tree)
                key, key_span = str(key_token), _token_span(key_token)
                if key not in ("seed", "shape"):
                    raise builder.error(
                        "name",
                        f"{fname}(…) has no argument '{key}='",
                        key_span,
                        did_you_mean(key, ("seed", "shape"))
                        or f"its keyword arguments are seed= and shape=, e.g. {example}",
                    )
                if key in keywords:
                    raise builder.error("name", f"'{key}=' is given twice", key_span)
                keywords[key] = (value_tree, key_span)
                continue
            value, value_span = self.constant(arg, f"an argument of {fname}")
            value_span = value_span or span
            if keywords:
                raise builder.error(
                    "parse",
                    "a number follows a keyword argument",
                    value_span,
                    f"put the numbers first, e.g. {example}",
                )
            if np.shape(value) != () or not math.isfinite(float(value)):
                raise builder.error(
                    "input", f"an argument of {fname} must be one finite number", value_span
                )
            numbers.append((float(value), value_span))
        wanted = 2 if fname == "uniform" else 0
        if len(numbers) != wanted:
            message = (
                "normal(seed=…) takes no numbers: it is the standard normal (mean 0, "
                "standard deviation 1)"
                if fname == "normal"
                else f"uniform takes two numbers, the bounds lo and hi, not {len(numbers)}"
            )
            hint = (
                "for mean m and deviation s, use m + s*W in the program"
                if fname == "normal"
                else "e.g. uniform(-1/sqrt(1000), 1/sqrt(1000), seed=3)"
            )
            raise builder.error("input", message, numbers[0][1] if numbers else span, hint)
        if numbers and not numbers[0][0] < numbers[1][0]:
            raise builder.error(
                "input",
                f"uniform's bounds must have lo < hi, not lo={numbers[0][0]:g} and "
                f"hi={numbers[1][0]:g}",
                numbers[0][1].cover(numbers[1][1]),
            )
        if numbers and not math.isfinite(numbers[1][0] - numbers[0][0]):
            raise builder.error(
                "input",
                f"uniform's range hi - lo must be a finite number (at most about 1.8e308), "
                f"not {numbers[1][0]:g} - ({numbers[0][0]:g})",
                numbers[0][1].cover(numbers[1][1]),
                "narrow the range, e.g. uniform(-1e300, 1e300, seed=1)",
            )
        if "seed" not in keywords:
            raise builder.error(
                "input",
                f"{fname}(…) needs a seed, e.g. {example}",
                span,
                "the same seed always gives the same numbers (numpy.random.default_rng(seed))",
            )
        seed = self._seed(keywords["seed"][0], fname)
        given = self._shape_argument(keywords["shape"][0]) if "shape" in keywords else None
        if given is not None and shape is not None and given != shape:
            raise builder.error(
                "type",
                f"shape= says {type_name(given)}, but '{name}' is {type_name(shape)}",
                keywords["shape"][1],
                "leave shape= out: the input's type gives the shape",
            )
        shape = given if given is not None else shape
        if shape is None:
            raise builder.error(
                "type",
                f"{fname}(…) needs the shape of '{name}', {unknown_shape}".rstrip(", "),
                span,
                f"declare {name} in the program (e.g. {name}: mat[64,1000]), or give the shape: "
                f"{span.text(builder.source)[:-1].rstrip()}, shape=[64,1000])",
            )
        check("tensor_entries", size(shape), hint=f"{name} is {type_name(shape)}")
        generator = np.random.default_rng(seed)
        if fname == "normal":
            drawn = generator.standard_normal(shape)
        else:
            drawn = generator.uniform(numbers[0][0], numbers[1][0], shape)
        return np.asarray(drawn, dtype=np.float64), span

    def _seed(self, tree: Tree[Token], fname: str) -> int:
        value, span = self.constant(tree, f"the seed of {fname}")
        number = float(value) if np.shape(value) == () else math.nan
        if not (number.is_integer() and 0 <= number <= MAX_SEED):
            given = span.text(self.builder.source) if span is not None else str(value)
            raise self.builder.error(
                "input",
                f"a seed is a whole number from 0 to 2**53 - 1, not {given}",
                span,
                "e.g. seed=3",
            )
        return int(number)

    def _shape_argument(self, tree: Tree[Token]) -> Shape:
        """``shape=[64,1000]`` (a mat), ``shape=[5]`` or ``shape=5`` (a vec), ``shape=[]``
        (a real)."""
        if tree.data == "array" and all(isinstance(c, Token) for c in tree.children):
            return ()
        value, span = self.constant(tree, "shape=")
        sizes = np.atleast_1d(np.asarray(value))
        if (
            sizes.ndim != 1
            or len(sizes) > 2
            or not all(float(n).is_integer() and n >= 1 for n in sizes)
        ):
            raise self.builder.error(
                "type",
                "shape= takes one or two whole sizes of at least 1: [rows, columns] for a "
                "mat, [n] for a vec, [] for a real",
                span,
            )
        return tuple(int(n) for n in sizes)

    # -- one method per statement ------------------------------------------------

    def declaration(self, statement: Tree[Token], last: bool) -> None:
        """``x: vec[3] = 0``: an input, its type, and its default value if given."""
        name_token, type_tree, *default = statement.children
        assert isinstance(name_token, Token) and isinstance(type_tree, Tree)
        builder = self.builder
        if self.depth:
            raise builder.error(
                "parse",
                "inputs are declared at the top of the program, not inside a block",
                span_of(name_token),
                "move the declaration before the if or for",
            )
        if builder.values is not None:
            return  # a taped run declared its inputs before it started
        builder.check_bindable(name_token, "an input")
        name = str(name_token)
        if name in builder.env:
            raise builder.error("name", f"'{name}' is already defined", span_of(name_token))
        shape: Shape = self.expressions.lower(type_tree)
        builder.declare_input(name, shape, span_of(name_token))
        if default:
            assert isinstance(default[0], Tree)
            drawn = self.random_value(default[0], name, shape)
            if drawn is not None:
                builder.set_default(name, drawn[0])
                return
            value, span = self.constant(default[0], f"the default value of '{name}'")
            filled = fill(value, shape)
            if filled is None:
                raise builder.error(
                    "type",
                    f"the default value of '{name}' is {type_name(np.shape(value))}, "
                    f"but '{name}' is declared {type_name(shape)}",
                    span,
                )
            builder.set_default(name, filled)

    def assignment(self, statement: Tree[Token], last: bool) -> None:
        """``y = expression``: a name for a value."""
        name_token, expr = statement.children
        assert isinstance(name_token, Token) and isinstance(expr, Tree)
        builder = self.builder
        builder.check_bindable(name_token, "a value")
        if builder.is_input(str(name_token)):
            raise builder.error(
                "name",
                f"'{name_token}' is an input and cannot be assigned",
                span_of(name_token),
                "choose another name for the new value",
            )
        index = self.expression(expr)
        builder.name_value(str(name_token), index)
        if builder.values is None:
            self.assigned_shapes[id(statement)] = builder.drafts[index].shape
            line = span_of(name_token)
            builder.assigned_somewhere.setdefault(str(name_token), line.line if line else 0)

    def output(self, statement: Tree[Token], last: bool) -> None:
        """``return a, b``: the outputs."""
        exprs = [expr for expr in statement.children[1:] if isinstance(expr, Tree)]
        indices = [self.expression(expr) for expr in exprs]
        builder = self.builder
        if builder.values is not None and self.depth:
            line = span_of(statement)
            builder.decisions.append(
                Decision("return", line.line if line else 0, tuple(builder.loops))
            )
        # `return y` names the output y, even when y is another name's value (y = x)
        names = [str(e.children[0]) if e.data == "name" else None for e in exprs]
        self.builder.set_outputs(indices, span_of(statement), names)

    def bare_expr(self, statement: Tree[Token], last: bool) -> None:
        """An expression on its own: the output, if it is the last line."""
        (expr,) = statement.children
        word = str(expr.children[0]) if isinstance(expr, Tree) and expr.data == "name" else ""
        if word in _PYTHON_ONLY:
            message, hint = _PYTHON_ONLY[word]
            raise self.builder.error("parse", message, span_of(statement), hint)
        if not last:
            raise self.builder.error(
                "parse",
                "this expression's value is never used",
                span_of(statement),
                "assign it to a name (y = ...) or make it the last line",
            )
        (expr,) = statement.children
        assert isinstance(expr, Tree)
        self.builder.set_outputs([self.expression(expr)], span_of(statement))

    # -- control flow ----------------------------------------------------------------

    def block(self, block: Tree[Token]) -> None:
        self.depth += 1
        try:
            self.lower([s for s in block.children if isinstance(s, Tree)], top=False)
        finally:
            self.depth -= 1

    def condition(self, tree: Tree[Token], keyword: Token) -> tuple[bool, bool, str]:
        """Lower an ``if``/``elif`` condition: (its truth on this run, a tie?, its text).

        The operations that compute it are evaluated but kept off the tape, as in
        PyTorch, where ``if x > 0:`` turns a tensor into a Python bool.
        """
        builder = self.builder
        mark = len(builder.drafts)
        ties = len(builder.ties)
        index = self.expression(tree)
        for draft in builder.drafts[mark:]:
            if draft.op != "input":
                draft.dead = True
        draft = builder.drafts[index]
        text = draft.span.text(builder.source) if draft.span is not None else ""
        if draft.shape != ():
            raise builder.error(
                "type",
                f"an {keyword} condition must be one number (real), but {text!r} is "
                f"{type_name(draft.shape)}",
                draft.span,
                "for a choice entry by entry use where(condition, a, b)",
            )
        if builder.values is None:
            return False, False, text
        value = float(builder.value_of(index))
        if math.isnan(value):
            raise builder.error(
                "domain",
                f"the condition {text!r} is nan, neither true nor false",
                draft.span,
                "a nan comes from an undefined operation before it (0/0, log of a negative)",
            )
        return value != 0.0, len(builder.ties) > ties, text

    def if_block(self, statement: Tree[Token], last: bool) -> None:
        """``if``/``elif``/``else``: check every arm; on a taped run, run the first true one."""
        builder = self.builder
        arms = [arm for arm in statement.children if isinstance(arm, Tree)]
        first_keyword = arms[0].children[0]
        assert isinstance(first_keyword, Token)
        line = _token_span(first_keyword).line
        if builder.values is None:
            self._check_arms(arms, line)
            return
        tested = ""
        ties: list[str] = []
        for arm in arms:
            keyword = arm.children[0]
            assert isinstance(keyword, Token)
            body = arm.children[-1]
            assert isinstance(body, Tree)
            arm_line = _token_span(keyword).line
            if arm.data != "else_arm":
                condition = arm.children[1]
                assert isinstance(condition, Tree)
                true, tie, tested = self.condition(condition, keyword)
                if tie:
                    ties.append(tested)
                if not true:
                    continue
            self._decide(
                Decision(
                    "if", line, tuple(builder.loops), str(keyword), arm_line, tested, 0, tuple(ties)
                )
            )
            self.block(body)
            return
        self._decide(Decision("if", line, tuple(builder.loops), "", None, tested, 0, tuple(ties)))

    def _decide(self, decision: Decision) -> None:
        builder = self.builder
        builder.decisions.append(decision)
        for tie in decision.ties:
            where = "".join(f", {var}={k}" for var, k in decision.context)
            line = builder.tie_lines.get(tie, decision.line)  # an elif's own line
            builder.warnings.append(
                f"line {line}{where}: {tie} is exactly on its boundary (both sides "
                "are equal), so the function may not be differentiable here; adx "
                "differentiates the branch taken"
            )

    def _check_arms(self, arms: list[Tree[Token]], line: int) -> None:
        """Lower every arm from the same names; afterwards a name has one type."""
        builder = self.builder
        before = dict(builder.env)
        after: list[dict[str, int]] = []
        for arm in arms:
            builder.env = dict(before)
            keyword = arm.children[0]
            assert isinstance(keyword, Token)
            if arm.data != "else_arm":
                condition = arm.children[1]
                assert isinstance(condition, Tree)
                self.condition(condition, keyword)
            body = arm.children[-1]
            assert isinstance(body, Tree)
            self.block(body)
            after.append(builder.env)
        if arms[-1].data != "else_arm":
            after.append(before)
        for name in set().union(*after) - set(before):
            if not all(name in env for env in after):
                builder.maybe_unassigned[name] = line
        merged: dict[str, int] = {}
        for env in after:
            for name, index in env.items():
                if name not in merged:
                    merged[name] = index
                    continue
                shapes = builder.drafts[merged[name]].shape, builder.drafts[index].shape
                if shapes[0] != shapes[1]:
                    raise builder.error(
                        "type",
                        f"after the if on line {line}, '{name}' is {type_name(shapes[0])} on one "
                        f"path and {type_name(shapes[1])} on another",
                        builder.drafts[index].span,
                        "give it the same type on every branch",
                    )
        builder.env = merged

    def for_block(self, statement: Tree[Token], last: bool) -> None:
        """``for i in range(N):`` (or ``range(start, stop, step)``) with constants:
        checked once, taped once per iteration."""
        builder = self.builder
        keyword, var, _in, function, lpar, *bounds, rpar, body = statement.children
        assert isinstance(keyword, Token) and isinstance(var, Token)
        assert isinstance(function, Token) and isinstance(body, Tree)
        if str(function) != "range":
            raise builder.error(
                "parse",
                f"adx loops run over range(…) only, not {function}(…)",
                span_of(function),
                "write  for i in range(10):",
            )
        trees = [b for b in bounds if isinstance(b, Tree)]
        if len(trees) > 3:
            raise builder.error(
                "type",
                f"range takes 1 to 3 numbers (stop, or start, stop, step), not {len(trees)}",
                _token_span(lpar).cover(_token_span(rpar))
                if isinstance(lpar, Token) and isinstance(rpar, Token)
                else span_of(function),
            )
        iterations = self._iterations(trees)
        builder.check_bindable(var, "a loop variable")
        if builder.is_input(str(var)):
            raise builder.error(
                "name", f"'{var}' is an input and cannot be a loop variable", span_of(var)
            )
        var_span = _token_span(var)
        line = _token_span(keyword).line
        if builder.values is None:
            # checked once, with i standing for any iteration (not a constant to fold)
            builder.env[str(var)] = builder.add(
                _Draft("input", (), (), var_span, name=str(var), dead=True)
            )
            self.block(body)
            return
        context = tuple(builder.loops)
        ran = 0
        for k in iterations:
            builder.loops.append((str(var), k))
            try:
                builder.env[str(var)] = builder.const(float(k), var_span)
                self.block(body)
            except AdxError as error:
                if error.span is None:  # a limit: say which loop reached it
                    header = _token_span(keyword).cover(_token_span(function))
                    error.span, error.source, error.origin = header, builder.source, builder.origin
                    error.message += f" (in iteration {var}={k} of this loop)"
                raise
            finally:
                builder.loops.pop()
            ran += 1
            if builder.returned:
                break
        builder.decisions.append(Decision("for", line, context, iterations=ran))

    def _iterations(self, trees: Sequence[Tree[Token]]) -> range:
        """The values of the loop variable: Python's range of whole constants."""
        builder = self.builder
        numbers: list[int] = []
        for tree in trees:
            with builder.names_must_exist():
                index, span = self.expressions.lower(tree)
            self.expression_spans[id(tree)] = span
            value = builder.constant_value(index)
            if value is None or np.shape(value) != ():
                raise builder.error(
                    "type",
                    "the number of iterations must be a constant number",
                    span,
                    "write e.g. range(10); a loop whose length depends on the inputs "
                    "cannot be checked ahead of the run",
                )
            number = float(value)
            if not number.is_integer():
                raise builder.error("type", f"range() needs whole numbers, not {number:g}", span)
            numbers.append(int(number))
        if len(numbers) == 3 and numbers[2] == 0:
            raise builder.error("type", "range()'s step must not be 0", span)
        iterations = range(*numbers)
        check("loop_iterations", len(iterations), hint="use fewer iterations")
        return iterations

    # -- augmented assignment -----------------------------------------------------------

    def augmented(self, statement: Tree[Token], last: bool) -> None:
        """``s += x`` is ``s = s + x`` (and ``-=``, ``*=``, ``/=``)."""
        name_token, operator, expr = statement.children
        assert isinstance(name_token, Token) and isinstance(operator, Token)
        assert isinstance(expr, Tree)
        builder = self.builder
        name = str(name_token)
        builder.check_bindable(name_token, "a value")
        if builder.is_input(name):
            raise builder.error(
                "name",
                f"'{name}' is an input and cannot be assigned",
                span_of(name_token),
                "choose another name for the new value",
            )
        if name not in builder.env:
            if builder.values is not None and name in builder.assigned_somewhere:
                builder.resolve(name_token)  # says which line did not run
            raise builder.error(
                "name",
                f"'{name}' has no value yet, so {operator} cannot add to it",
                span_of(name_token),
                f"give it a first value before, e.g. {name} = 0",
            )
        value, value_span = self.expressions.lower(expr)
        if builder.values is None:
            self.expression_spans[id(expr)] = value_span
        span = _token_span(name_token).cover(value_span)
        primitive = _AUGMENTED[str(operator)]
        index = builder.apply(primitive, (builder.env[name], value), span)
        builder.name_value(name, index)
        if builder.values is None:
            self.expression_spans[id(statement)] = span
            self.assigned_shapes[id(statement)] = builder.drafts[index].shape
            builder.assigned_somewhere.setdefault(name, span.line)

    def binding(
        self, binding: Tree[Token], known: _KnownShapes | None = None
    ) -> tuple[str, tuple[Array, Span | None]]:
        """``x1=2`` in an ``--at`` option: a name and a constant value (or a seeded
        random one, shaped as ``known`` declares the input)."""
        name_token, expr = binding.children
        assert isinstance(name_token, Token) and isinstance(expr, Tree)
        name = str(name_token)
        if name in CONSTANTS:
            raise self.builder.error(
                "input",
                f"'{name}' is a built-in constant and cannot be rebound",
                span_of(name_token),
            )
        if expr.data == "call" and str(expr.children[0]) in RANDOM_FUNCTIONS:
            shapes = known.get() if known is not None else None
            unknown = known.why_unknown() if known is not None else "which is not declared"
            drawn = self.random_value(expr, name, (shapes or {}).get(name), unknown)
            assert drawn is not None
            return name, (drawn[0], span_of(name_token))
        value, _ = self.constant(expr, f"the value of '{name}'")
        return name, (value, span_of(name_token))


@dataclass(frozen=True)
class Lowered:
    graph: Graph
    warnings: tuple[str, ...]

    @property
    def static_warnings(self) -> tuple[str, ...]:
        """The warnings about the program itself, without those of the run a taped
        program's graph was recorded from: a trace at other values gives its own."""
        taped = set(self.graph.tape_warnings)
        return tuple(warning for warning in self.warnings if warning not in taped)


def compile_source(
    text: str,
    origin: str | None = None,
    extra_inputs: Sequence[str] = (),
    input_shapes: Mapping[str, Shape] | None = None,
    at: Mapping[str, Array] | None = None,
) -> Lowered:
    """Parse and lower a program or expression; raise AdxError on any problem.

    ``extra_inputs`` (names given values with ``--at`` but absent from an
    expression) become inputs the function does not use, so they get a
    gradient of 0 and a warning, rather than an error.  They are only added
    when the program declares no inputs itself.  ``input_shapes`` gives the
    free names of an expression the shapes of their values (``sum(v*v)`` with
    ``--at v=[1,2,3]`` makes v a ``vec[3]``); other free names are ``real``.

    A program with ``if`` or ``for`` is checked on every path, then taped at
    ``at`` (inputs without a value there take their default, else 1): its
    graph is that run's tape, and carries the program, so that
    :func:`adexplorer.core.trace.run` records a new tape at other values.
    """
    with gc_paused():
        return _compile(text, origin, extra_inputs, input_shapes, at)


_CONTROL_FLOW = frozenset({"if_block", "for_block"})


@dataclass(frozen=True)
class Checked:
    """A program lowered once along every path (before any run): what the static
    structure (:mod:`adexplorer.lang.structure`) and taping start from."""

    statements: tuple[Tree[Token], ...]
    inputs: tuple[tuple[str, Shape], ...]
    #: Each assignment statement's value shape, by ``id`` of its parse-tree node.
    assigned_shapes: Mapping[int, Shape]
    control_flow: bool
    #: Each expression's source span, by ``id`` of its parse-tree node.
    expression_spans: Mapping[int, Span]


def check_program(text: str, origin: str | None = None) -> Checked:
    """Parse and check a program on every path; raise AdxError on any problem."""
    with gc_paused():
        builder, checker, statements = _check(text, origin, (), None)
    return Checked(
        tuple(statements),
        tuple((builder.drafts[i].name or "", builder.drafts[i].shape) for i in builder.input_order),
        MappingProxyType(dict(checker.assigned_shapes)),
        any(s.data in _CONTROL_FLOW for s in statements),
        MappingProxyType(dict(checker.expression_spans)),
    )


def _compile(
    text: str,
    origin: str | None,
    extra_inputs: Sequence[str],
    input_shapes: Mapping[str, Shape] | None = None,
    at: Mapping[str, Array] | None = None,
) -> Lowered:
    builder, checker, statements = _check(text, origin, extra_inputs, input_shapes)
    if not any(s.data in _CONTROL_FLOW for s in statements):
        return Lowered(builder.finish(), tuple(builder.warnings))
    program = TapedProgram(
        text,
        origin,
        tuple(statements),
        tuple((builder.drafts[i].name or "", builder.drafts[i].shape) for i in builder.input_order),
        MappingProxyType(dict(builder.defaults)),
        MappingProxyType(dict(builder.assigned_somewhere)),
        MappingProxyType(dict(checker.assigned_shapes)),
    )
    graph = program.tape(program.values_for(at or {}))
    return Lowered(graph, (*builder.warnings, *graph.tape_warnings))


def _check(
    text: str,
    origin: str | None,
    extra_inputs: Sequence[str],
    input_shapes: Mapping[str, Shape] | None,
) -> tuple[_Builder, _Statements, list[Tree[Token]]]:
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
    builder = _Builder(
        text, origin, implicit_inputs=not has_declarations, input_shapes=input_shapes
    )
    checker = _Statements(builder)
    checker.lower(statements)
    if not builder.outputs:
        raise builder.error(
            "parse",
            "the program has no output",
            span_of(statements[-1]),
            "end it with `return NAME` or with an expression",
        )
    builder.add_unused_inputs(extra_inputs)
    builder.warn_about_unused_inputs()
    return builder, checker, statements


@dataclass(frozen=True, eq=False)
class TapedProgram:
    """A checked program with ``if``/``for``, ready to be taped at any input values."""

    source: str
    origin: str | None
    statements: tuple[Tree[Token], ...]
    inputs: tuple[tuple[str, Shape], ...]
    defaults: Mapping[str, Array]
    assigned_somewhere: Mapping[str, int]
    #: Each assignment statement's value shape, by ``id`` of its parse-tree node.
    assigned_shapes: Mapping[int, Shape]

    def values_for(self, given: Mapping[str, Array]) -> dict[str, Array]:
        """Every input's value: given, else its default, else 1 (filled to its shape)."""
        values: dict[str, Array] = {}
        for name, shape in self.inputs:
            value = given.get(name, self.defaults.get(name))
            filled = fill(np.asarray(value, dtype=np.float64), shape) if value is not None else None
            values[name] = filled if filled is not None else np.full(shape, 1.0)
        return values

    def tape(self, values: Mapping[str, Array]) -> Graph:
        """Run the program at ``values`` and record the operations it performs
        (inputs missing from ``values`` take their default, else 1)."""
        values = self.values_for(values)
        with gc_paused():
            builder = _Builder(self.source, self.origin, implicit_inputs=False)
            builder.values = []
            builder.given = {name: values[name] for name, _ in self.inputs}
            builder.assigned_somewhere = dict(self.assigned_somewhere)
            for name, shape in self.inputs:
                builder.declare_input(name, shape, None)
            for name, value in self.defaults.items():
                builder.set_default(name, value)
            builder.statement = 0
            _Statements(builder).lower(self.statements)
            if not builder.outputs:
                taken = "; ".join(d.describe() for d in builder.decisions if d.kind == "if")
                raise builder.error(
                    "input",
                    "this run ends without reaching a return" + (f" ({taken})" if taken else ""),
                    span_of(self.statements[-1]),
                    "give every branch a return, or end the program with one",
                )
            builder.warnings.extend(
                f"line {builder.tie_lines[text]}: {text} is exactly on its boundary (both "
                "sides are equal), so the function may not be differentiable here; adx "
                "differentiates the side chosen"
                for text in dict.fromkeys(builder.ties)
                if not any(text in d.ties for d in builder.decisions)
            )
            return builder.finish(program=self)


def parse_at(
    text: str,
    origin: str = "--at",
    context: ValueContext = COMMAND_LINE,
    *,
    shapes: Mapping[str, Shape] | None = None,
    program: str | None = None,
) -> dict[str, tuple[Array, Span | None]]:
    """Values from an ``--at`` option: ``x1=2,x2=5``, ``v=[1,2,3]``, ``x=pi/4``,
    seeded random values (``W=normal(seed=7)``, ``b=uniform(-0.1, 0.1, seed=2)``)
    and values from data files (``X=@x.npy``, ``W=@start.npz:W1``, and a bare
    ``@start.npz`` that binds each of its members to the input of its name).

    ``context`` says where file paths start (:class:`ValueContext`: the current
    directory by default, a lesson's folder in lessons).  The inputs' declared
    shapes (``shapes``, or else the declarations of ``program``, read only when a
    random or file value needs them) give a random value its shape and are
    checked against a file's; without them a random value needs ``shape=…``.
    """
    files, masked = _file_bindings(text)
    found: list[tuple[int, int, str, tuple[Array, Span | None]]] = []
    known = _KnownShapes(shapes, program)
    if masked.strip() or not files:  # an empty text is a parse error, as it always was
        try:
            tree = parse_bindings(masked, origin)
        except AdxError as error:
            error.source = text  # the same positions: file bindings were blanked out
            raise _clearer_binding_error(error, masked) from None
        statements = _Statements(_Builder(text, origin, implicit_inputs=False))
        for binding in tree.children:
            assert isinstance(binding, Tree)
            try:
                name, value = statements.binding(binding, known)
            except AdxError as error:
                raise _clearer_binding_error(error, masked) from None
            found.append((value[1].start if value[1] is not None else 0, 0, name, value))
    for file in files:
        read = _file_values(file, text, origin, context, known)
        for order, (name, value) in enumerate(read.items()):
            found.append((file.span.start, order, name, value))
    # in the order written: a name given twice takes the later value
    return {name: value for _, _, name, value in sorted(found, key=lambda f: f[:2])}


#: Names a user may take for numbers (``nan``, ``inf``): adx values are finite numbers.
_NOT_NUMBERS = frozenset({"nan", "inf", "infinity"})
#: The parser's words for a value list whose parts are not all ``NAME=VALUE``.
_SHAPE_ERRORS = frozenset(
    {"an operator is missing its right-hand operand", "unexpected end of the text"}
)


def _clearer_binding_error(error: AdxError, text: str) -> AdxError:
    """A value list's error in the words of a value list: ``nan`` or ``inf`` is not an
    undeclared input but a number adx does not take, and a part without ``=`` is not
    an operator missing its operand but a missing ``NAME=VALUE``."""
    unknown = re.fullmatch(r"unknown name '(.*)'", error.message)
    if unknown and unknown.group(1).lower() in _NOT_NUMBERS:
        error.message = (
            f"'{unknown.group(1)}' is not a number adx accepts: values must be finite numbers"
        )
        error.hint = "e.g. x=1.5 or v=[1, 0, 2]"
        return error
    shape_error = error.message in _SHAPE_ERRORS or error.hint == "expected '='"
    parts = _top_level_parts(text)
    if shape_error and any("=" not in part or part.strip().startswith("=") for part in parts):
        error.message = "expected NAME=VALUE, with commas between them"
        error.hint = "e.g. x1=1,x2=0 or v=[1, 0, 2]"
    return error


def _top_level_parts(text: str) -> list[str]:
    """``text`` split at the commas outside brackets and parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [part for part in parts if part.strip()]


def lesson_values(text: str, folder: Path | None, program: str) -> dict[str, Array]:
    """The values of a lesson's ``at:`` (none if it is blank): data files are read
    from the lesson file's ``folder`` and never from outside it."""
    if not text.strip():
        return {}
    parsed = parse_at(text, "at", ValueContext.lesson(folder), program=program)
    return {name: value for name, (value, _) in parsed.items()}


class _KnownShapes:
    """The inputs' declared shapes, worked out only when first asked for."""

    def __init__(self, shapes: Mapping[str, Shape] | None, program: str | None) -> None:
        self._shapes = dict(shapes) if shapes is not None else None
        self._program = program

    def get(self) -> dict[str, Shape] | None:
        if self._shapes is None and self._program is not None:
            self._shapes = declared_shapes(self._program)
            self._program = None
        return self._shapes

    def why_unknown(self) -> str:
        return "which this program does not declare" if self.get() else "which is not declared"


def declared_shapes(program: str) -> dict[str, Shape] | None:
    """The types the program declares for its inputs, or None if it declares none
    (or cannot be parsed: compiling it says why)."""
    try:
        tree = parse_program(program)
    except AdxError:
        return None
    builder = _Builder(program, None, implicit_inputs=False)
    expressions = _Expressions(builder)
    shapes: dict[str, Shape] = {}
    for statement in tree.children:
        if isinstance(statement, Tree) and statement.data == "declaration":
            name, type_tree = statement.children[:2]
            assert isinstance(type_tree, Tree)
            try:
                shapes[str(name)] = expressions.lower(type_tree)
            except AdxError:
                return None
    return shapes or None


@dataclass(frozen=True)
class _FileBinding:
    """``X=@path`` (name given) or ``@path.npz`` (name None) in an ``--at`` text."""

    name: str | None
    path: str
    member: str | None
    span: Span


_NAMED_FILE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*@")
_BARE_FILE = re.compile(r"\s*@")


def _file_bindings(text: str) -> tuple[list[_FileBinding], str]:
    """The file bindings of an ``--at`` text, and the text with them blanked out
    (same length and lines, so the grammar's positions stay right for the rest).

    A file's path runs to the next comma: a path with a comma cannot be named.
    """
    files: list[_FileBinding] = []
    masked = list(text)
    position = 0
    while position <= len(text):
        named = _NAMED_FILE.match(text, position)
        bare = None if named else _BARE_FILE.match(text, position)
        if named or bare:
            found = named or bare
            assert found is not None
            comma = text.find(",", found.end())
            end = len(text) if comma < 0 else comma
            path = text[found.end() : end].strip()
            start = found.start() + (len(found.group(0)) - len(found.group(0).lstrip()))
            member = None
            head, colon, tail = path.rpartition(":")
            if colon and head.lower().endswith(SUFFIXES):
                path, member = head, tail.strip()
            files.append(
                _FileBinding(
                    named.group(1) if named else None, path, member, _span_at(text, start, end)
                )
            )
            # blank the binding and one comma next to it
            first, last = position, (end + 1 if comma >= 0 else end)
            if comma < 0 and files and position > 0:
                first = position - 1  # the comma before the last binding
            for i in range(first, last):
                if masked[i] != "\n":
                    masked[i] = " "
            position = end + 1
            continue
        position = _next_binding(text, position)
    return files, "".join(masked)


def _next_binding(text: str, position: int) -> int:
    """Where the binding after the one at ``position`` starts (after a comma outside brackets)."""
    depth = 0
    for i in range(position, len(text)):
        char = text[i]
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(depth - 1, 0)
        elif char == "," and depth == 0:
            return i + 1
    return len(text) + 1


def _span_at(text: str, start: int, end: int) -> Span:
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return Span(start, max(end, start + 1), line, column)


def _file_values(
    binding: _FileBinding,
    text: str,
    origin: str,
    context: ValueContext,
    known: _KnownShapes,
) -> dict[str, tuple[Array, Span | None]]:
    """The values a file binding gives, each checked against its input's declared type."""

    def fail(message: str, hint: str | None = None) -> AdxError:
        return AdxError("input", message, span=binding.span, source=text, hint=hint, origin=origin)

    shown = visible(binding.path + (f":{binding.member}" if binding.member else ""), keep="")
    try:
        if binding.name is None:
            if not binding.path.lower().endswith(".npz"):
                raise fail(
                    f"a bare @{binding.path} binds the members of an .npz file to the inputs of "
                    "the same names; this is not an .npz file",
                    f"name the input it is for: X=@{binding.path}",
                )
            read = read_values(binding.path, context, binding.member)
        else:
            member = binding.member
            if member is None and binding.path.lower().endswith(".npz"):
                member = binding.name
            read = read_values(binding.path, context, member)
            read = {binding.name: next(iter(read.values()))}
    except AdxError as error:
        if error.span is None:
            error.span, error.source, error.origin = binding.span, text, origin
        raise
    shapes = known.get()
    text_file = binding.path.lower().endswith((".csv", ".txt"))
    values: dict[str, tuple[Array, Span | None]] = {}
    for name, value in read.items():
        where = shown if binding.name is not None or binding.member else f"{shown}:{name}"
        if text_file:
            declared = shapes.get(name) if shapes is not None else None
            reshaped = text_table_as(value, declared) if value.ndim == 2 else value
            if reshaped is None:
                assert declared is not None
                rows, columns = value.shape
                raise fail(
                    f"the data file {where} holds a table of {rows} row(s) and {columns} "
                    f"column(s), but '{name}' is declared {type_name(declared)}",
                    f"give {name} a file of that shape (a row fills only a mat[1,n] or a "
                    "vec, a column only a mat[n,1] or a vec)",
                )
            value = reshaped
        if not name.isidentifier():
            raise fail(f"{where}: the member '{name}' cannot be an input's name")
        if shapes is not None:
            if name not in shapes:
                raise fail(
                    f"{where} gives a value for '{name}', which is not an input of the program",
                    did_you_mean(name, shapes) or f"the inputs are {', '.join(shapes)}",
                )
            value = _to_shape(value, shapes[name], name, where, fail)
        values[name] = value, binding.span
    return values


def _to_shape(
    value: Array, shape: Shape, name: str, where: str, fail: Callable[..., AdxError]
) -> Array:
    """A file's value for an input declared ``shape``: the same shape, or an error
    naming both."""
    if value.shape == shape:
        return value
    raise fail(
        f"the data file {where} holds a {type_name(value.shape)} (shape {tuple(value.shape)}), "
        f"but '{name}' is declared {type_name(shape)} (shape {shape})",
        f"give {name} a file with a {type_name(shape)}",
    )
