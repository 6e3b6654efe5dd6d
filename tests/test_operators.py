"""The operator table (adexplorer/core/operators.py) is the one description of the operators.

Everything that knows about operators must agree with it: the grammar (the
parser is generated from it, so it is checked here rule by rule), how text
actually parses, the primitive table's templates, the symbolic printer's
parentheses, and the precedence table in docs/language.md.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
from lark import Lark

from adexplorer.base.errors import AdxError
from adexplorer.base.resources import grammar_path
from adexplorer.compare.symbolic import ExprTable, to_text
from adexplorer.core.operators import (
    ATOM_PRECEDENCE,
    BY_PRIMITIVE,
    BY_RULE,
    OPERATORS,
    Operator,
)
from adexplorer.core.primitives import FUNCTIONS, PRIMITIVES
from adexplorer.lang.parse import parse_program

DOCS = Path(__file__).resolve().parent.parent / "docs" / "language.md"
INFIX = [op for op in OPERATORS if op.infix]
PREFIX = [op for op in OPERATORS if not op.infix]


# -- the grammar, read with lark ---------------------------------------------------


def _grammar() -> Lark:
    return Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        lexer="basic",
        start=["program", "bindings"],
    )


def _precedence_chain(rules: list[Any]) -> list[str]:
    """expr, sum, product, …: each rule passes through to the next tighter one."""
    chain = ["expr"]
    while True:
        nexts = [
            r.expansion[0].name
            for r in rules
            if r.origin.name == chain[-1] and len(r.expansion) == 1 and not r.expansion[0].is_term
        ]
        if len(nexts) != 1:
            return chain
        chain.append(nexts[0])


def _grammar_operators() -> dict[str, dict[str, Any]]:
    """Every operator rule of the grammar: alias -> level, associativity, terminal."""
    parser = _grammar()
    chain = _precedence_chain(parser.rules)
    level = {name: i for i, name in enumerate(chain)}
    found: dict[str, dict[str, Any]] = {}
    for rule in parser.rules:
        origin = rule.origin.name
        if origin not in level or rule.alias is None:
            continue
        terms = [s for s in rule.expansion if s.is_term]
        shape = ["T" if s.is_term else "N" for s in rule.expansion]
        dropped = len(terms) == 1 and (terms[0].filter_out or terms[0].name.startswith("_"))
        if not dropped or shape not in (["N", "T", "N"], ["T", "N"]):
            continue  # a call, a literal, grouping, .T: the grammar keeps their tokens
        if shape == ["T", "N"]:
            associativity = "prefix"
        else:
            left, right = rule.expansion[0].name, rule.expansion[2].name
            if left == origin and level[right] > level[origin]:
                associativity = "left"
            elif level[left] > level[origin] and level[right] <= level[origin]:
                associativity = "right"
            elif level[left] > level[origin] and level[right] > level[origin]:
                associativity = "none"
            else:
                associativity = f"unclear ({left} op {right})"
        found[str(rule.alias)] = {
            "level": level[origin],
            "associativity": associativity,
            "terminal": parser.get_terminal(terms[0].name),
        }
    return found


GRAMMAR_OPERATORS = _grammar_operators()


def test_every_operator_of_the_grammar_is_in_the_table_and_vice_versa() -> None:
    assert set(GRAMMAR_OPERATORS) == set(BY_RULE)


@pytest.mark.parametrize("op", OPERATORS, ids=lambda op: op.rule)
def test_the_grammar_writes_and_associates_each_operator_as_the_table_says(op: Operator) -> None:
    rule = GRAMMAR_OPERATORS[op.rule]
    assert rule["associativity"] == op.associativity
    terminal = rule["terminal"]
    lexer = _grammar()
    for spelling in op.spellings:
        tokens = list(lexer.lex(f"a {spelling} b"))
        assert [t.type for t in tokens] == ["NAME", terminal.name, "NAME"], spelling
    if type(terminal.pattern).__name__ == "PatternStr":
        assert op.spellings == (terminal.pattern.value,)


def test_precedence_levels_order_the_operators_as_the_grammar_nests_them() -> None:
    for a, b in itertools.combinations(OPERATORS, 2):
        grammar = GRAMMAR_OPERATORS[a.rule]["level"] - GRAMMAR_OPERATORS[b.rule]["level"]
        table = a.precedence - b.precedence
        assert (grammar > 0) - (grammar < 0) == (table > 0) - (table < 0), (a.rule, b.rule)
    assert all(op.precedence < ATOM_PRECEDENCE for op in OPERATORS)


# -- how text parses follows the table -------------------------------------------------


def _structure(node: Any) -> Any:
    """A parse tree as nested (primitive, args…) tuples; names as strings."""
    if not hasattr(node, "data"):
        return str(node)
    if node.data == "name":
        return str(node.children[0])
    if node.data == "paren":
        return _structure(node.children[1])
    op = BY_RULE[str(node.data)]
    args = [_structure(c) for c in node.children if hasattr(c, "data")]
    return args[0] if op.primitive is None else (op.primitive, *args)


def parsed(text: str) -> Any:
    (statement,) = parse_program(text).children
    return _structure(statement.children[0])


def _binary(op: Operator, a: Any, b: Any) -> Any:
    return (op.primitive, a, b)


def _unary(op: Operator, a: Any) -> Any:
    return a if op.primitive is None else (op.primitive, a)


@pytest.mark.parametrize(
    ("p", "q"), list(itertools.product(INFIX, INFIX)), ids=lambda op: op.symbol
)
def test_two_infix_operators_group_by_precedence_and_associativity(
    p: Operator, q: Operator
) -> None:
    for ps, qs in itertools.product(p.spellings, q.spellings):
        text = f"a {ps} b {qs} c"
        if p.precedence == q.precedence and p.associativity == "none":
            with pytest.raises(AdxError, match="do not chain"):
                parsed(text)
            continue
        left_first = p.precedence > q.precedence or (
            p.precedence == q.precedence and p.associativity == "left"
        )
        if left_first:
            expected = _binary(q, _binary(p, "a", "b"), "c")
        else:
            expected = _binary(p, "a", _binary(q, "b", "c"))
        assert parsed(text) == expected, text


@pytest.mark.parametrize(("u", "p"), list(itertools.product(PREFIX, INFIX)), ids=lambda op: op.rule)
def test_prefix_operators_bind_by_precedence(u: Operator, p: Operator) -> None:
    for ps in p.spellings:
        text = f"{u.symbol} a {ps} b"
        if u.precedence > p.precedence:
            expected = _binary(p, _unary(u, "a"), "b")
        else:
            expected = _unary(u, _binary(p, "a", "b"))
        assert parsed(text) == expected, text
        # and an arithmetic prefix operator may follow any infix one: x*-y, x^-2;
        # `not` may follow only looser ones (a and not b), as in Python
        if not u.symbol.isalpha() or u.precedence > p.precedence:
            assert parsed(f"a {ps} {u.symbol} b") == _binary(p, "a", _unary(u, "b"))
        else:
            with pytest.raises(AdxError):
                parsed(f"a {ps} {u.symbol} b")


# -- everything derived from the table -------------------------------------------------


@pytest.mark.parametrize("op", list(BY_PRIMITIVE.values()), ids=lambda op: op.rule)
def test_operator_primitives_take_arity_and_template_from_the_table(op: Operator) -> None:
    assert op.primitive is not None
    prim = PRIMITIVES[op.primitive]
    assert prim.arity == (2 if op.infix else 1)
    assert prim.primal_template == op.template


def test_only_pow_of_the_operator_primitives_is_also_a_function() -> None:
    assert {name for name in BY_PRIMITIVE if name in FUNCTIONS} == {"pow"}


def _symbolic_cases() -> list[tuple[str, Any]]:
    """Every two-operator nesting, to print and parse back."""
    cases: list[tuple[str, Any]] = []
    ops = [op for op in OPERATORS if op.primitive is not None]
    for outer, inner in itertools.product(ops, ops):
        inner_shapes = [_binary(inner, "a", "b")] if inner.infix else [_unary(inner, "a")]
        for nested in inner_shapes:
            if outer.infix:
                cases.append((f"{outer.rule}({inner.rule}, c)", _binary(outer, nested, "c")))
                cases.append((f"{outer.rule}(c, {inner.rule})", _binary(outer, "c", nested)))
            else:
                cases.append((f"{outer.rule}({inner.rule})", _unary(outer, nested)))
    return cases


@pytest.mark.parametrize(
    ("label", "expr"), _symbolic_cases(), ids=[c[0] for c in _symbolic_cases()]
)
def test_symbolic_printer_parentheses_parse_back_to_the_same_tree(label: str, expr: Any) -> None:
    table = ExprTable()

    def build(e: Any) -> int:
        if isinstance(e, str):
            return table.var(e)
        return table.make(e[0], tuple(build(a) for a in e[1:]))

    text = to_text(table, build(expr))
    assert parsed(text) == expr, text


def test_the_documented_precedence_table_is_the_operator_table() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented: dict[int, set[str]] = {}
    for level, cells in re.findall(r"^\| (\d) \| (.*?) \|", text, flags=re.M):
        for example in re.findall(r"`([^`]*)`", cells):
            spelling = re.sub(r"\b[a-z]\b|\s", "", example)
            documented.setdefault(int(level), set()).add(spelling)
    expected: dict[int, set[str]] = {}
    for op in OPERATORS:
        expected.setdefault(op.precedence, set()).update(op.spellings)
    assert {k: v for k, v in documented.items() if k < ATOM_PRECEDENCE} == expected
    assert ATOM_PRECEDENCE in documented
