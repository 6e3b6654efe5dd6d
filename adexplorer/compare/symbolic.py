"""A naive symbolic differentiator, to show expression swell, and how sharing tames it.

Expressions live in an :class:`ExprTable`: every expression is an integer id,
and equal expressions get the same id (hash-consing), so the table *is* the
shared DAG.  A naive computer-algebra system stores the same expressions as a
tree; we never build that tree, we count it: the tree size of a node is one
plus the tree sizes of its arguments (exact Python integers, computed in one
pass over the ids).  That is how ``adx swell --family '4*#*(1-#)' --n 1:40``
reports a derivative of ~10¹² tree nodes in a fraction of a second.

Differentiation applies the chain rule textbook-style, without simplifying:
``d(v) = Σᵢ ∂v/∂uᵢ · d(uᵢ)`` where ∂v/∂uᵢ comes from the primitive table's
partial-derivative formulas (the same text shown in the traces), with the
arguments' *whole expressions* substituted, so ``x*x`` gives ``1*x + x*1``.
:func:`simplify` then applies the light rules a student would (``0*a → 0``,
``1*a → a``, ``a + 0 → a``, constant folding).

Worked example (logistic map, one level): f = 4*x*(1 - x) (tree size 7) has
the naive derivative ``(1 - x)*(x*0 + 4*1) + 4*x*(1*0 + (-1)*1)`` (tree size
23), which simplifies to ``(1 - x)*4 + 4*x*(-1)`` (size 11).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Container, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from adexplorer.base.errors import AdxError
from adexplorer.base.numbers import source_literal
from adexplorer.core.ir import Graph
from adexplorer.core.operators import BY_PRIMITIVE, OPERATORS
from adexplorer.core.primitives import PRIMITIVES

VAR = "var"
CONST = "const"
#: Printing style: the loosest operators (``+ -``) are spaced, the rest are not,
#: so products read as one word: ``4*x*(1 - x)``.
#: Operators at or below the precedence of + are written with spaces: a + b*c, x > 0.
_SPACED_UP_TO = next(op.precedence for op in OPERATORS if op.primitive == "add")


@dataclass
class ExprTable:
    """Hash-consed expressions: ``op``, ``args`` (ids) and ``value`` (constants, names)."""

    ops: list[str] = field(default_factory=list)
    args: list[tuple[int, ...]] = field(default_factory=list)
    values: list[float | str | None] = field(default_factory=list)
    _index: dict[tuple[str, tuple[int, ...], float | str | None], int] = field(default_factory=dict)
    # Results per id, kept across calls: an id never changes meaning, so a growth
    # family's level n reuses everything computed for levels 1 … n-1.
    _tree: dict[int, int] = field(default_factory=dict)
    _derivatives: dict[str, dict[int, int]] = field(default_factory=dict)
    _simplified: dict[int, int] = field(default_factory=dict)

    def make(self, op: str, args: tuple[int, ...] = (), value: float | str | None = None) -> int:
        if op == CONST and isinstance(value, float) and value == 0.0:
            value = 0.0  # -0.0 and 0.0 are one constant
        key = (op, args, value)
        found = self._index.get(key)
        if found is not None:
            return found
        self.ops.append(op)
        self.args.append(args)
        self.values.append(value)
        self._index[key] = len(self.ops) - 1
        return len(self.ops) - 1

    def const(self, value: float) -> int:
        return self.make(CONST, (), float(value))

    def var(self, name: str) -> int:
        return self.make(VAR, (), name)

    def number(self, e: int) -> float:
        """The value of constant ``e``."""
        value = self.values[e]
        assert isinstance(value, float)
        return value

    def is_const(self, e: int, value: float | None = None) -> bool:
        return self.ops[e] == CONST and (value is None or self.values[e] == value)

    # -- measuring ------------------------------------------------------------

    def reachable(self, roots: Sequence[int]) -> list[int]:
        """Ids reachable from ``roots``, in increasing order (arguments first)."""
        seen: set[int] = set()
        stack = list(roots)
        while stack:
            e = stack.pop()
            if e in seen:
                continue
            seen.add(e)
            stack.extend(self.args[e])
        return sorted(seen)

    def missing(self, roots: Sequence[int], known: Container[int]) -> list[int]:
        """Ids reachable from ``roots`` that ``known`` lacks, arguments first.

        The walk stops at known ids: a result is only stored once its arguments'
        are, so everything below a known id is known too.
        """
        seen: set[int] = set()
        stack = [r for r in roots if r not in known]
        while stack:
            e = stack.pop()
            if e in seen:
                continue
            seen.add(e)
            stack.extend(a for a in self.args[e] if a not in known)
        return sorted(seen)  # arguments are made before their users: smaller ids

    def tree_size(self, root: int) -> int:
        """Nodes in the fully expanded tree of ``root`` (an exact integer)."""
        sizes = self._tree
        for e in self.missing([root], sizes):
            sizes[e] = 1 + sum(sizes[a] for a in self.args[e])
        return sizes[root]

    def dag_size(self, roots: Sequence[int]) -> int:
        """Distinct subexpressions: the size with common subexpressions shared."""
        return len(self.reachable(roots))

    # -- evaluation -------------------------------------------------------------

    def evaluate(self, root: int, env: Mapping[str, float]) -> float:
        values: dict[int, float] = {}
        with np.errstate(all="ignore"):
            for e in self.reachable([root]):
                op = self.ops[e]
                if op == CONST:
                    values[e] = self.number(e)
                elif op == VAR:
                    values[e] = float(env[str(self.values[e])])
                else:
                    args = [values[a] for a in self.args[e]]
                    values[e] = float(PRIMITIVES[op].evaluate(*[np.float64(a) for a in args]))
        return values[root]


# ------------------------------------------------------------------ from graphs


def from_graph(table: ExprTable, graph: Graph) -> list[int]:
    """Every graph node as an expression over the inputs' names (shared, never copied)."""
    exprs: list[int] = []
    for node in graph.nodes:
        if node.shape != ():
            raise AdxError(
                "type",
                f"symbolic differentiation here handles scalar functions; "
                f"'{graph.source_text(node.index) or node.op}' is not a scalar",
                span=node.span,
                source=graph.source,
                hint="use adx eval for vectors and matrices",
            )
        if node.is_input:
            exprs.append(table.var(node.name or f"x{node.index}"))
        elif node.is_const:
            exprs.append(table.const(float(np.asarray(node.value))))
        else:
            exprs.append(table.make(node.op, tuple(exprs[a] for a in node.args)))
    return exprs


@functools.cache
def _partial_graph(op: str, slot: int, consts: tuple[float | None, ...]) -> Graph:
    """The primitive's partial-derivative formula, compiled once, over inputs a, b, y."""
    from adexplorer.lang.lower import compile_source

    prim = PRIMITIVES[op]
    names = [
        "a" if i == 0 else "b" if consts[i] is None else source_literal(consts[i])
        for i in range(prim.arity)
    ]
    text = prim.partial_text(slot, names, "y", list(consts))
    assert text is not None
    declared = "a: real\nb: real\ny: real\n"
    return compile_source(f"{declared}return {text}").graph


def _instantiate(table: ExprTable, graph: Graph, binding: Mapping[str, int]) -> int:
    exprs: list[int] = []
    for node in graph.nodes:
        if node.is_input:
            exprs.append(binding.get(node.name or "", table.const(0.0)))
        elif node.is_const:
            exprs.append(table.const(float(np.asarray(node.value))))
        else:
            exprs.append(table.make(node.op, tuple(exprs[a] for a in node.args)))
    return exprs[graph.outputs[0]]


def partial(table: ExprTable, e: int, slot: int) -> int:
    """∂e/∂(argument ``slot``) as an expression, from the primitive table."""
    op = table.ops[e]
    args = table.args[e]
    consts = tuple(table.number(a) if table.is_const(a) else None for a in args)
    formula = _partial_graph(op, slot, consts)
    binding = {"a": args[0], "y": e}
    if len(args) > 1:
        binding["b"] = args[1]
    return _instantiate(table, formula, binding)


def differentiate(table: ExprTable, root: int, wrt: str) -> int:
    """d(root)/d(wrt) by the textbook rules, no simplification (memoized per shared node)."""
    derivative = table._derivatives.setdefault(wrt, {})
    zero, one = table.const(0.0), table.const(1.0)
    for e in table.missing([root], derivative):
        op = table.ops[e]
        if op == CONST:
            derivative[e] = zero
        elif op == VAR:
            derivative[e] = one if table.values[e] == wrt else zero
        else:
            terms = []
            for slot, a in enumerate(table.args[e]):
                terms.append(table.make("mul", (partial(table, e, slot), derivative[a])))
            total = terms[0] if terms else zero
            for term in terms[1:]:
                total = table.make("add", (total, term))
            derivative[e] = total
    return derivative[root]


def simplify(table: ExprTable, root: int) -> int:
    """Light simplification: identities with 0 and 1, and constant folding."""
    done = table._simplified
    for e in table.missing([root], done):
        op = table.ops[e]
        if op in (CONST, VAR):
            done[e] = e
            continue
        args = tuple(done[a] for a in table.args[e])
        done[e] = _simplify_node(table, op, args)
    return done[root]


def _simplify_node(table: ExprTable, op: str, args: tuple[int, ...]) -> int:
    if all(table.is_const(a) for a in args):
        with np.errstate(all="ignore"):
            numbers = [np.float64(table.values[a]) for a in args]
            value = float(PRIMITIVES[op].evaluate(*numbers))
        if math.isfinite(value):
            return table.const(value)
    zero = lambda a: table.is_const(a, 0.0)  # noqa: E731
    one = lambda a: table.is_const(a, 1.0)  # noqa: E731
    if op == "mul":
        a, b = args
        if zero(a) or zero(b):
            return table.const(0.0)
        if one(a):
            return b
        if one(b):
            return a
    elif op == "add":
        a, b = args
        if zero(a):
            return b
        if zero(b):
            return a
    elif op == "sub":
        a, b = args
        if zero(b):
            return a
        if zero(a):
            return table.make("neg", (b,))
    elif op == "div":
        a, b = args
        if zero(a):
            return table.const(0.0)
        if one(b):
            return a
    elif op == "pow":
        a, b = args
        if one(b):
            return a
        if zero(b):
            return table.const(1.0)
    elif op == "neg" and table.ops[args[0]] == "neg":
        return table.args[args[0]][0]
    return table.make(op, args)


# ------------------------------------------------------------------ printing


def _tokens(table: ExprTable, root: int, reverse: bool = False) -> Iterator[str]:
    """The expression's text as tokens, left to right (or right to left), lazily.

    An explicit stack, so an expression with 10¹² tree nodes can still be
    printed at both ends in constant time per token.
    """
    stack: list[tuple[int, int] | str] = [(root, 0)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
            continue
        e, parent_precedence = item
        op = table.ops[e]
        parts: list[tuple[int, int] | str]
        if op == CONST:
            text = source_literal(table.values[e])
            if text.startswith("(") and parent_precedence == 0:
                text = text[1:-1]
            parts = [text]
        elif op == VAR:
            parts = [str(table.values[e])]
        elif op in BY_PRIMITIVE:
            operator = BY_PRIMITIVE[op]
            mine = operator.precedence
            if operator.infix:
                left, right = table.args[e]
                # the operand on the associating side may have the same precedence;
                # a comparison's sides never do (comparisons do not chain)
                left_prec = mine + (0 if operator.associativity == "left" else 1)
                right_prec = mine + (0 if operator.associativity == "right" else 1)
                spaced = mine <= _SPACED_UP_TO
                symbol = f" {operator.symbol} " if spaced else operator.symbol
                parts = [(left, left_prec), symbol, (right, right_prec)]
            else:
                word = operator.symbol.isalpha()
                parts = [operator.symbol + (" " if word else ""), (table.args[e][0], mine)]
            if mine < parent_precedence:
                parts = ["(", *parts, ")"]
        else:
            parts = [op, "("]
            for k, a in enumerate(table.args[e]):
                if k:
                    parts.append(", ")
                parts.append((a, 0))
            parts.append(")")
        ordered = parts if reverse else list(reversed(parts))
        stack.extend(ordered)


def to_text(table: ExprTable, root: int) -> str:
    """The whole expression as adx text (only for expressions of reasonable size)."""
    return "".join(_tokens(table, root))


def elided_text(table: ExprTable, root: int, limit: int = 400) -> tuple[str, bool]:
    """The text if it has at most ``limit`` characters, else its two ends around '…'."""
    head_tokens: list[str] = []
    length = 0
    for token in _tokens(table, root):
        head_tokens.append(token)
        length += len(token)
        if length > limit:
            break
    else:
        return "".join(head_tokens), False
    half = limit // 2
    head = "".join(head_tokens)[:half]
    tail_tokens: list[str] = []
    length = 0
    for token in _tokens(table, root, reverse=True):
        tail_tokens.append(token)
        length += len(token)
        if length > half:
            break
    tail = "".join(reversed(tail_tokens))[-half:]
    return f"{head} … {tail}", True
