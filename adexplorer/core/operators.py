"""The operator table: how each operator is written, how tightly it binds, what it becomes.

One row per operator of the language.  Everything else that knows about
operators reads it: the primitive table takes the primal display template of
``add``, ``sub``, … from here, lowering maps the grammar's ``-> alias`` names to
primitives with it, the symbolic printer takes symbols, precedence and
associativity (so the parentheses it writes are the ones the grammar needs),
the explorer's graph boxes take their compact labels, and the parser's error
messages list the operators from it.  ``tests/test_operators.py`` checks that
``grammars/adx.lark`` agrees with the table row by row (the grammar is the one
other place an operator must be written, because the parser is generated from it).

Worked example: ``a - b - c^2`` reads as ``(a - b) - (c^2)``: ``-`` and ``^``
have precedences 5 and 8 (higher binds tighter) and ``-`` is left-associative.
Comparisons and ``and``/``or``/``not`` bind looser than arithmetic, as in
Python: ``x + 1 > 0 and not y < 2`` is ``((x + 1) > 0) and (not (y < 2))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Associativity = Literal["left", "right", "none", "prefix"]


@dataclass(frozen=True, slots=True)
class Operator:
    #: The grammar's alias for it, which is the parse tree's label: ``add``.
    rule: str
    #: How it is written in adx, the canonical spelling first: ``("^", "**")``.
    spellings: tuple[str, ...]
    #: 1 binds loosest; see :data:`ATOM_PRECEDENCE` for calls and literals.
    precedence: int
    #: ``left`` (a-b-c = (a-b)-c), ``right`` (a^b^c = a^(b^c)), ``none`` (a < b < c is
    #: an error: comparisons do not chain), or ``prefix`` (-a).
    associativity: Associativity
    #: The primitive it lowers to, or None if it computes nothing (``+a`` is a).
    primitive: str | None
    #: The compact symbol in the explorer's graph boxes: ``·`` for ``*``.
    label: str
    #: Whether formulas put spaces around it: ``a + b`` but ``a^b``.
    spaced: bool = True

    @property
    def symbol(self) -> str:
        return self.spellings[0]

    @property
    def infix(self) -> bool:
        return self.associativity != "prefix"

    @property
    def template(self) -> str:
        """The operation written with argument slots: ``{0} + {1}``, ``{0}^{1}``, ``-{0}``."""
        if not self.infix:
            gap = " " if self.symbol.isalpha() else ""  # not a, but -a
            return f"{self.symbol}{gap}{{0}}"
        gap = " " if self.spaced else ""
        return f"{{0}}{gap}{self.symbol}{gap}{{1}}"


#: The table, loosest first (the order of docs/language.md's precedence table).
OPERATORS: tuple[Operator, ...] = (
    Operator("logical_or", ("or",), 1, "left", "logical_or", "or"),
    Operator("logical_and", ("and",), 2, "left", "logical_and", "and"),
    Operator("logical_not", ("not",), 3, "prefix", "logical_not", "not"),
    Operator("lt", ("<",), 4, "none", "lt", "<"),
    Operator("le", ("<=",), 4, "none", "le", "≤"),
    Operator("gt", (">",), 4, "none", "gt", ">"),
    Operator("ge", (">=",), 4, "none", "ge", "≥"),
    Operator("eq", ("==",), 4, "none", "eq", "=="),
    Operator("ne", ("!=",), 4, "none", "ne", "≠"),
    Operator("add", ("+",), 5, "left", "add", "+"),
    Operator("sub", ("-",), 5, "left", "sub", "−"),
    Operator("mul", ("*",), 6, "left", "mul", "·"),
    Operator("div", ("/",), 6, "left", "div", "/"),
    Operator("matmul", ("@",), 6, "left", "matmul", "@"),
    Operator("neg", ("-",), 7, "prefix", "neg", "−"),
    Operator("pos", ("+",), 7, "prefix", None, "+"),
    Operator("pow", ("^", "**"), 8, "right", "pow", "^", spaced=False),
)

#: Calls, ``.T``, grouping and list literals bind tighter than every operator.
ATOM_PRECEDENCE = 1 + max(op.precedence for op in OPERATORS)

#: Operators by the grammar alias they are parsed as.
BY_RULE: MappingProxyType[str, Operator] = MappingProxyType({op.rule: op for op in OPERATORS})

#: Operators by the primitive they lower to (``pos`` lowers to none).
BY_PRIMITIVE: MappingProxyType[str, Operator] = MappingProxyType(
    {op.primitive: op for op in OPERATORS if op.primitive is not None}
)

#: The compact graph-box label of each operator primitive: ``{"mul": "·", …}``.
LABELS: MappingProxyType[str, str] = MappingProxyType(
    {primitive: op.label for primitive, op in BY_PRIMITIVE.items()}
)

#: Every spelling of an infix operator, in table order: ``or and < <= … + - * / @ ^ **``.
INFIX_SPELLINGS: tuple[str, ...] = tuple(
    spelling for op in OPERATORS if op.infix for spelling in op.spellings
)


def _check(table: tuple[Operator, ...]) -> None:
    if len(BY_RULE) != len(table):
        raise RuntimeError("two operators share a grammar alias")
    if len(BY_PRIMITIVE) != sum(op.primitive is not None for op in table):
        raise RuntimeError("two operators lower to the same primitive")
    if any(op.infix and op.primitive is None for op in table):
        raise RuntimeError("an infix operator must lower to a primitive")
    levels: dict[int, set[str]] = {}
    for op in table:
        levels.setdefault(op.precedence, set()).add(op.associativity)
    for level, kinds in levels.items():
        if len(kinds) != 1:
            raise RuntimeError(f"precedence {level} mixes {sorted(kinds)} operators")


_check(OPERATORS)
