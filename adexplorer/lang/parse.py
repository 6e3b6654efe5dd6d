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
from adexplorer.core.operators import BY_PRIMITIVE, OPERATORS
from adexplorer.lang._parser_standalone import (
    DedentError,
    Indenter,
    Lark,
    Lark_StandAlone,
    PatternStr,
    Token,
    Tree,
    UnexpectedCharacters,
    UnexpectedInput,
    UnexpectedToken,
)

_ARITHMETIC_SPELLINGS_FOR_EXAMPLES = tuple(
    s
    for op in OPERATORS
    if op.infix and op.precedence >= BY_PRIMITIVE["add"].precedence
    for s in op.spellings
)

#: Labelled broken samples.  When a parse fails in the same parser state as one
#: of these, the label is the message shown.
_ERROR_EXAMPLES: dict[tuple[str, str], list[str]] = {
    (
        "an operator is missing its right-hand operand",
        "put a value after the operator, e.g. x + 1",
    ): [
        *(f"x {spelling}" for spelling in _ARITHMETIC_SPELLINGS_FOR_EXAMPLES),
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
    (
        "an `if`, `elif`, `else` or `for` line must end with ':'",
        "write the colon, e.g.  if x > 0:",
    ): [
        "if x > 0\n  y = 1",
        "if x\n y = 1",
        "for i in range(3)\n y = 1",
        "if x > 0 y = 1",
        "if x > 0\n",
    ],
    (
        "a block is empty",
        "indent the statements that belong to the block under its line, e.g.\n"
        "    if x > 0:\n        y = x",
    ): [
        "if x > 0:\ny = 1",
        "if x > 0:\n",
        "for i in range(3):\n",
        "if x:\nelse:\n y=1",
        "if x:\n y = 1\nelse:\n",
    ],
    (
        "`elif` or `else` must follow an `if` block",
        "put it directly after the `if` block, at the same indentation as its `if`",
    ): ["else:\n  y = 1", "elif x:\n  y = 1", "y = 1\nelse:\n  y = 2"],
}

_TERMINAL_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "_NEWLINE": "a new line",
    "$END": "the end of the text",
    "SEMICOLON": "';'",
    "_INDENT": "an indented block",
    "_DEDENT": "the end of the block",
}

#: How a list of expected tokens names "any arithmetic operator": ``an operator (+ - * / @ ^)``.
_ARITHMETIC = BY_PRIMITIVE["add"].precedence
_INFIX_SYMBOLS = tuple(
    dict.fromkeys(op.symbol for op in OPERATORS if op.infix and op.precedence >= _ARITHMETIC)
)
_ARITHMETIC_SPELLINGS = tuple(
    s for op in OPERATORS if op.infix and op.precedence >= _ARITHMETIC for s in op.spellings
)
_OPERATOR_WORDS = {f"'{symbol}'" for symbol in _INFIX_SYMBOLS} | {"'.'"}
_ANY_OPERATOR = f"an operator ({' '.join(_INFIX_SYMBOLS)})"
_COMPARISON_WORDS = {
    f"'{op.symbol}'" for op in OPERATORS if op.infix and op.precedence < _ARITHMETIC
}


class _BlockIndenter(Indenter):
    """Python's rules for blocks: indentation opens and closes them, and line ends
    inside brackets are ignored.  Unlike lark's own, a stray ')' is left for the
    parser to report rather than tripping an assertion."""

    NL_type = "_NEWLINE"
    OPEN_PAREN_types = ["LPAR", "LSQB"]
    CLOSE_PAREN_types = ["RPAR", "RSQB"]
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 8
    opens_block = False  # the line just ended with ':'

    def handle_NL(self, token: Token):  # type: ignore[no-untyped-def]
        if self.paren_level > 0:
            return
        yield token
        # nothing sits left of the margin the first line set (the text's final
        # line end included)
        indent = max(self._indent_of(token), self.indent_level[0])
        if indent > self.indent_level[-1] and not self.opens_block:
            # Only a line ending in ':' opens a block.  A deeper line elsewhere
            # continues the current one (programs written before blocks existed
            # indent long declarations that way).
            indent = self.indent_level[-1]
        if indent > self.indent_level[-1]:
            self.indent_level.append(indent)
            yield self._at_next_line(self.INDENT_type, token)
            return
        while indent < self.indent_level[-1]:
            self.indent_level.pop()
            yield self._at_next_line(self.DEDENT_type, token)
        if indent != self.indent_level[-1]:
            raise DedentError(f"dedent to column {indent}, expected {self.indent_level[-1]}")

    @staticmethod
    def _at_next_line(kind: str, newline: Token) -> Token:
        """An INDENT/DEDENT placed where the next line starts, so a caret points at it."""
        margin = len(newline.rsplit("\n", 1)[1])
        end = newline.end_pos if newline.end_pos is not None else 0
        line = newline.end_line if newline.end_line is not None else 1
        return Token(kind, "", end - margin, line, 1, line, margin + 1, end)

    def _indent_of(self, newline: Token) -> int:
        if "\n" not in newline:
            # a comment that ends the text: no new line starts, so nothing changes
            return int(self.indent_level[-1])
        after = newline.rsplit("\n", 1)[1]
        return after.count(" ") + after.count("\t") * self.tab_len

    def _process(self, stream):  # type: ignore[no-untyped-def]
        self.paren_level = 0
        self.indent_level = [0]
        token = None
        first = True
        self.opens_block = False
        for token in stream:
            if first:
                # A program indented as a whole (pasted from a notebook or a
                # docstring) is not a block: its first line sets the margin.
                first = False
                if token.type == self.NL_type:
                    self.indent_level = [self._indent_of(token)]
                    yield token
                    continue
                self.indent_level = [max((token.column or 1) - 1, 0)]
            if token.type == self.NL_type:
                yield from self.handle_NL(token)
            else:
                yield token
                self.opens_block = token.type == "COLON"
            if token.type in self.OPEN_PAREN_types:
                self.paren_level += 1
            elif token.type in self.CLOSE_PAREN_types:
                self.paren_level = max(self.paren_level - 1, 0)
        while len(self.indent_level) > 1:
            self.indent_level.pop()
            yield (
                Token.new_borrow_pos(self.DEDENT_type, "", token)
                if token
                else Token(self.DEDENT_type, "", 0, 1, 1)
            )


@functools.cache
def get_parser() -> Lark:
    """The LALR parser for both entry points, loaded once from the generated module."""
    return Lark_StandAlone(postlex=_BlockIndenter())


def parse_program(text: str, origin: str | None = None) -> Tree[Token]:
    """Parse a program or a single expression; raise AdxError(kind='parse') if malformed."""
    return _parse(text, "program", origin)


def parse_bindings(text: str, origin: str = "--at") -> Tree[Token]:
    """Parse an ``--at`` value such as ``x1=2,v=[1,2,3]``."""
    return _parse(text, "bindings", origin)


def _prepared(text: str, start: str) -> str:
    """A program gets a final line end: every statement line ends with one."""
    return text + "\n" if start == "program" else text


def _parse(text: str, start: str, origin: str | None) -> Tree[Token]:
    parser = get_parser()
    try:
        return parser.parse(_prepared(text, start), start=start)
    except UnexpectedInput as exc:
        raise _friendly(exc, text, start, origin) from None
    except DedentError:
        raise _dedent_error(text, origin) from None


_COMPARISON_SYMBOLS = tuple(
    op.symbol for op in OPERATORS if op.infix and op.associativity == "none"
)


def _line_of(text: str, pos: int | None) -> str:
    """The source line holding position ``pos``, without its indentation."""
    if pos is None:
        return ""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return text[start : end if end >= 0 else len(text)].strip()


def _chains_comparisons(text: str, token: Token) -> bool:
    """``a < b < c``: a comparison operator unexpected after another on its line."""
    if str(token) not in _COMPARISON_SYMBOLS or token.start_pos is None:
        return False
    line_start = text.rfind("\n", 0, token.start_pos) + 1
    before = text[line_start : token.start_pos]
    return any(symbol in before for symbol in ("<", ">", "==", "!="))


def _dedent_error(text: str, origin: str | None) -> AdxError:
    """Where a line goes back to an indentation that no enclosing block used."""
    levels = [0]
    pos = 0
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.lstrip(" \t\f")
        if stripped and not stripped.startswith("#"):
            indent = len(line) - len(stripped)
            if indent > levels[-1]:
                levels.append(indent)
            else:
                while indent < levels[-1]:
                    levels.pop()
                if indent != levels[-1]:
                    return AdxError(
                        "parse",
                        "this line's indentation matches no block around it",
                        span=Span(pos, pos + max(indent, 1), number, 1),
                        source=text,
                        hint="line it up with the other lines of its block "
                        f"({levels[-1]} space{'s' if levels[-1] != 1 else ''} from the left)",
                        origin=origin,
                    )
        pos += len(line) + 1
    return AdxError("parse", "the indentation is inconsistent", source=text, origin=origin)


def _describe_expected(names: set[str]) -> str:
    words: set[str] = set()
    for name in names:
        if name in _TERMINAL_WORDS:
            words.add(_TERMINAL_WORDS[name])
        elif name in _terminal_texts():
            words.add(f"'{_terminal_texts()[name]}'")
    if len(words & _OPERATOR_WORDS) >= 3:
        words = (words - _OPERATOR_WORDS) | {_ANY_OPERATOR}
    if len(words & _COMPARISON_WORDS) >= 3:
        words = (words - _COMPARISON_WORDS) | {"a comparison (< <= > >= == !=)"}
    words -= {"'and'", "'or'"} if _ANY_OPERATOR in words else set()
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
    if token.type == "_INDENT":
        return "indentation"
    if token.type == "_DEDENT":
        return "end of the block"
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
            hint = "'=' assigns a name (y = x^2); to compare two values write '=='"
        return AdxError("parse", message, span=span, source=text, hint=hint, origin=origin)

    assert isinstance(exc, UnexpectedToken)
    token: Token = exc.token
    if (
        start != "program"
        and token.type == "_NEWLINE"
        and token.start_pos is not None
        and text[token.start_pos :].lstrip(" \t").startswith("#")
    ):
        # the lexer reads '#' as a comment; a one-line value has no room for one
        pos = text.index("#", token.start_pos)
        return AdxError(
            "parse",
            "a value cannot hold a comment ('#')",
            span=_position_span(text, pos),
            source=text,
            hint="remove the '#' and what follows it",
            origin=origin,
        )
    # the line end parse.py appends (or a last line's own) is the end of the text too
    at_end = token.type == "$END" or (
        token.type in ("_NEWLINE", "_DEDENT")
        and token.start_pos is not None
        and not text[token.start_pos :].strip()
    )
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
        lambda sample: get_parser().parse(_prepared(sample, start), start=start),
        list(_ERROR_EXAMPLES.items()),
        use_accepts=False,
    )
    expected = _describe_expected(set(exc.accepts or exc.expected or ()))
    line_text = _line_of(text, token.start_pos)
    if _chains_comparisons(text, token):
        message = "comparisons do not chain in adx"
        hint = "write  a < b and b < c  instead of  a < b < c"
    elif line_text.startswith("while ") or line_text == "while":
        message = "adx has no while loops"
        hint = (
            "a loop must have a length known before the run: write  for i in range(N):  "
            "and put an if inside it"
        )
    elif token.type == "IF" and line_text.startswith("else"):
        message = "write elif, not else if"
        hint = "e.g.  elif x < 0:"
    elif str(token) == "=" and line_text.startswith(("if ", "elif ")):
        message = "'=' assigns a value; a condition compares with '=='"
        hint = "e.g.  if x == 0:"
    elif label is not None:
        message, hint = label
    elif at_end and text.rstrip().endswith(_ARITHMETIC_SPELLINGS):
        message = "an operator is missing its right-hand operand"
        hint = "put a value after the operator, e.g. x + 1"
    elif at_end and "']'" in expected:
        message, hint = "an opening bracket '[' is never closed", "add the missing ']'"
    elif at_end and (text.rstrip().endswith("(") or "')'" in expected):
        message, hint = "an opening parenthesis is never closed", "add the missing ')'"
    else:
        message = f"unexpected {_describe_token(token)}"
        hint = f"expected {expected}" if expected else ""
        if str(token) == "@" and start == "program" and "a name" in expected:
            # '@file' is a value, read where values are given, not an expression
            hint += (
                "; a data file is given outside the program: --at x=@file.npy (or a lesson's at:)"
            )
    if not text.strip():
        message, hint = "the text is empty", "write an expression, e.g. ln(x1) + x1*x2 - sin(x2)"
    return AdxError("parse", message, span=span, source=text, hint=hint or None, origin=origin)
