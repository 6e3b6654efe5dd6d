"""Parsing adx text, and turning parse errors into friendly errors.

The parser is lark's standalone LALR(1) parser generated from
``grammars/adx.lark`` into :mod:`adexplorer.lang._parser_standalone` (run
``python tools/regen_parser.py`` after changing the grammar; a test fails while
the module is stale).  Its parse tables are Python literals, so start-up builds
no grammar and reads no cache file: nothing adx loads comes from a place another
account could write to, and lark itself is not imported.  A parse error becomes
an :class:`~adexplorer.base.errors.AdxError` that says what is wrong in words
(classified against labelled broken samples with lark's ``match_examples``),
where (line, column, caret), and what would be valid.
"""

from __future__ import annotations

import functools
import re

from adexplorer.base.errors import AdxError
from adexplorer.base.source import Span
from adexplorer.core.operators import INFIX_SPELLINGS, OPERATORS
from adexplorer.lang._parser_standalone import (
    Lark,
    Lark_StandAlone,
    PatternStr,
    Token,
    Tree,
    UnexpectedCharacters,
    UnexpectedInput,
    UnexpectedToken,
)

#: Labelled broken samples.  When a parse fails in the same parser state as one
#: of these, the label is the message shown.
_ERROR_EXAMPLES: dict[tuple[str, str], list[str]] = {
    (
        "an operator is missing its right-hand operand",
        "put a value after the operator, e.g. x + 1",
    ): [
        *(f"x {spelling}" for spelling in INFIX_SPELLINGS),
        "2 /",
        "(x +)",
        "x + * y",
        "sin(x +)",
        "y = x +",
        "a + b ^",
        "a + b *",
        "a * b ^",
        "a - b /",
        "-a ^",
    ],
    (
        "two values stand side by side with no operator between them",
        "adx has no implicit multiplication: write 2*x, not 2x or 2 x",
    ): ["x y", "2 x", "x 2", "2 (x)", "(x) (y)", "x (y)", "sin(x) y", "2 sin(x)", "1.5 2"],
    (
        "an opening parenthesis is never closed",
        "add the missing ')'",
    ): ["(x", "sin(x", "((x)", "pow(x, y", "(x + y", "sin(cos(x)"],
    (
        "a closing bracket has no matching opening one",
        "remove it, or add the missing '(' before it",
    ): ["x)", ")", "sin(x))", "x + y)"],
    (
        "a function call has an empty argument",
        "every argument needs a value, e.g. pow(x, 2)",
    ): ["pow(x,)", "pow(,x)", "sin(,)"],
    (
        "the text ends in the middle of an expression",
        "finish the expression",
    ): ["-", "sin(", "x = "],
}

_TERMINAL_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "_NEWLINE": "a new line",
    "$END": "the end of the text",
    "SEMICOLON": "';'",
}

#: How a list of expected tokens names "any infix operator": ``an operator (+ - * / @ ^)``.
_INFIX_SYMBOLS = tuple(dict.fromkeys(op.symbol for op in OPERATORS if op.infix))
_OPERATOR_WORDS = {f"'{symbol}'" for symbol in _INFIX_SYMBOLS} | {"'.'"}
_ANY_OPERATOR = f"an operator ({' '.join(_INFIX_SYMBOLS)})"


@functools.cache
def get_parser() -> Lark:
    """The LALR parser for both entry points, loaded once from the generated module."""
    return Lark_StandAlone()


def parse_program(text: str, origin: str | None = None) -> Tree[Token]:
    """Parse a program or a single expression; raise AdxError(kind='parse') if malformed."""
    return _parse(text, "program", origin)


def parse_bindings(text: str, origin: str = "--at") -> Tree[Token]:
    """Parse an ``--at`` value such as ``x1=2,v=[1,2,3]``."""
    return _parse(text, "bindings", origin)


def _parse(text: str, start: str, origin: str | None) -> Tree[Token]:
    parser = get_parser()
    try:
        return parser.parse(text, start=start)
    except UnexpectedInput as exc:
        raise _friendly(exc, text, start, origin) from None


def _describe_expected(names: set[str]) -> str:
    words: set[str] = set()
    for name in names:
        if name in _TERMINAL_WORDS:
            words.add(_TERMINAL_WORDS[name])
        elif name in _terminal_texts():
            words.add(f"'{_terminal_texts()[name]}'")
    if len(words & _OPERATOR_WORDS) >= 3:
        words = (words - _OPERATOR_WORDS) | {_ANY_OPERATOR}
    words -= {"';'", "a new line"} if "the end of the text" in words else set()
    ordered = sorted(words, key=lambda w: (not w.startswith("a"), w))
    if not ordered:
        return ""
    if len(ordered) > 8:
        ordered = [*ordered[:7], "…"]
    if len(ordered) == 1:
        return ordered[0]
    return ", ".join(ordered[:-1]) + " or " + ordered[-1]


@functools.cache
def _terminal_texts() -> dict[str, str]:
    """What each fixed terminal looks like: its string, or an operator's canonical spelling
    for a pattern that matches several (``_POW`` matches ``^`` and ``**``: ``^``)."""
    texts: dict[str, str] = {}
    for terminal in get_parser().terminals:
        pattern = terminal.pattern
        if isinstance(pattern, PatternStr):
            texts[terminal.name] = pattern.value
            continue
        for op in OPERATORS:
            if all(re.fullmatch(pattern.to_regexp(), s) for s in op.spellings):
                texts[terminal.name] = op.symbol
                break
    return texts


def _describe_token(token: Token) -> str:
    """The token as a person would name it after 'unexpected': "unexpected name 'x'"."""
    if token.type == "$END":
        return "end of the text"
    if token.type == "_NEWLINE":
        return "end of the line"
    if token.type == "NAME":
        return f"name '{token}'"
    if token.type == "NUMBER":
        return f"number {token}"
    return f"'{token}'"


def _position_span(text: str, pos: int) -> Span:
    pos = max(0, min(pos, len(text)))
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return Span(pos, pos + 1, line, column)


def _friendly(exc: UnexpectedInput, text: str, start: str, origin: str | None) -> AdxError:
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        span = _position_span(text, pos)
        char = text[pos] if pos < len(text) else ""
        expected = _describe_expected(set(exc.allowed or ()))
        hint = f"expected {expected}" if expected else None
        message = f"unexpected character {char!r}"
        if char == "=" and start == "program":
            hint = "'=' assigns a name (y = x^2); to compare values, wait for if/else support"
        return AdxError("parse", message, span=span, source=text, hint=hint, origin=origin)

    assert isinstance(exc, UnexpectedToken)
    token: Token = exc.token
    at_end = token.type == "$END"
    if at_end:
        stripped = len(text.rstrip())
        span = _position_span(text, stripped)
    else:
        start_pos = token.start_pos if token.start_pos is not None else 0
        end_pos = token.end_pos if token.end_pos is not None else start_pos + 1
        line = token.line if token.line is not None else 1
        column = token.column if token.column is not None else 1
        span = Span(start_pos, max(end_pos, start_pos + 1), line, column)

    label: tuple[str, str] | None = exc.match_examples(
        lambda sample: get_parser().parse(sample, start=start),
        list(_ERROR_EXAMPLES.items()),
        use_accepts=False,
    )
    expected = _describe_expected(set(exc.accepts or exc.expected or ()))
    if label is not None:
        message, hint = label
    elif at_end and text.rstrip().endswith(INFIX_SPELLINGS):
        message = "an operator is missing its right-hand operand"
        hint = "put a value after the operator, e.g. x + 1"
    elif at_end and "']'" in expected:
        message, hint = "an opening bracket '[' is never closed", "add the missing ']'"
    elif at_end and (text.rstrip().endswith("(") or "')'" in expected):
        message, hint = "an opening parenthesis is never closed", "add the missing ')'"
    else:
        message = f"unexpected {_describe_token(token)}"
        hint = f"expected {expected}" if expected else ""
    if not text.strip():
        message, hint = "the text is empty", "write an expression, e.g. ln(x1) + x1*x2 - sin(x2)"
    return AdxError("parse", message, span=span, source=text, hint=hint or None, origin=origin)
