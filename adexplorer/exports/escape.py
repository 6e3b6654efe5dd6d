"""Text made literal in each export language: LaTeX (text and math), Markdown, DOT, Mermaid.

User text (a program, its comments, names) is data: every function here first
shows control and invisible characters as escapes (:func:`~adexplorer.base.text.visible`),
then quotes what the language would otherwise read as markup.

:func:`latex_math` turns adx's formula text (``v̇-1·v0 + v-1·v̇0``, ``ln(v-1)``,
``v0^(2)``) into LaTeX math (``\\dot{v}_{-1} \\cdot v_{0} + …``): labels get
subscripts, marks become ``\\dot``/``\\bar``, known functions their operators, and
anything else is quoted, so the result compiles with plain ``pdflatex`` and no package
(``\\mathop``/``\\mbox``, not amsmath's ``\\operatorname``/``\\text``).
"""

from __future__ import annotations

import re

from adexplorer.base.text import to_ascii, visible

DOT_MARK = "\u0307"
BAR_MARK = "\u0304"

# -- LaTeX text --------------------------------------------------------------------

#: Plain pdflatex (OT1 encoding, Computer Modern): the roman fonts have no glyph for
#: ``"`` (``\\textquotedbl`` is an error in OT1), and read ``<`` ``>`` ``|`` as other
#: letters, so those come from the symbol fonts or from the typewriter font, whose
#: OT1 layout is plain ASCII.  ``-`` and the backquote are split off so ``--`` and
#: ``!` `` never become ligatures.
_LATEX_TEXT = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\textasciicircum{}",
    "_": r"\_",
    "%": r"\%",
    "~": r"\textasciitilde{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    '"': r"{\ttfamily\char34}",
    "-": "-{}",
    "`": "{}`{}",
    "\n": r"\\\mbox{}",
}

#: In the typewriter font every printable ASCII character has its own slot: the
#: characters TeX would read (and the quotes and ligature makers) by their codes.
#: (cmtt makes no ligatures but ``!``` and ``?```; the backquote is a code here.)
_LATEX_MONO = {ch: rf"{{\char{ord(ch)}}}" for ch in "\\{}$&#^_%~<>|\"'`"}
_LATEX_MONO["\n"] = "\\\\\\mbox{}"
#: A space after a space or at a line's start is a control space, so runs of spaces
#: keep their width (a listing's indentation); a single space stays a place to break.
_RUN_SPACE = re.compile(r"(?:(?<=[ \n])|^) ", re.MULTILINE)


def latex_text(text: str, *, newlines: bool = False, mono: bool = False) -> str:
    """``text`` shown literally in LaTeX's text mode, in ASCII (pdflatex knows no font
    for most Unicode): ``·`` becomes ``*``, other characters ``\\u03c0``.  Newlines
    become line breaks with ``newlines``, else escapes.  ``mono``: for the typewriter
    font (``\\ttfamily``/``\\texttt``), every space kept (a listing's indentation)."""
    plain = to_ascii(visible(text, keep="\n" if newlines else ""))
    if not mono:
        return "".join(_LATEX_TEXT.get(ch, ch) for ch in plain)
    pieces = _RUN_SPACE.split(plain)
    return "\\ ".join("".join(_LATEX_MONO.get(ch, ch) for ch in piece) for piece in pieces)


# -- LaTeX math --------------------------------------------------------------------

_TOKEN = re.compile(
    r"(?P<label>[vw][\u0307\u0304]?-\d+)"
    r"|(?P<number>(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)"
    r"|(?P<word>[A-Za-z_][\u0307\u0304]?[A-Za-z0-9_]*)"
    r"|(?P<space>\s+)"
    r"|(?P<op><=|>=|==|!=|.)",
    re.DOTALL,
)
_OPERATORS = {"sin", "cos", "tan", "sinh", "cosh", "tanh", "exp", "log", "ln", "min", "max"}
_WORDS = {"mat", "vec", "real", "norm", "ones", "n", "nan", "inf", "rows", "cols"}
_KEYWORDS = {"and", "or", "not", "if", "else", "for"}
_SYMBOLS = {
    "·": r"\cdot ",
    "*": r"\cdot ",
    "@": r"\mathbin{@}",
    "<=": r"\le ",
    ">=": r"\ge ",
    "==": r"\mathrel{==}",
    "!=": r"\ne ",
    "<": "<",
    ">": ">",
    "ᵀ": r"^{\top}",
    "Σ": r"\Sigma ",
    "ε": r"\varepsilon ",
    "⟨": r"\langle ",
    "⟩": r"\rangle ",
    "…": r"\dots ",
    "×": r"\times ",
    "−": "-",
    "∂": r"\partial ",
    "ȳ": r"\bar{y}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "#": r"\#",
    "&": r"\&",
    "$": r"\$",
    "_": r"\_",
    "~": r"\sim ",
    "\\": r"\backslash ",
    "|": r"\vert ",
    '"': r"\mbox{\ttfamily\char34}",
    ",": ",\\allowbreak ",  # a long vector in a caption may wrap after a comma
}
_SAFE_ASCII = set("+-/=()[],.;:!?'")
_SUBSCRIPTED = re.compile(r"([A-Za-z])([\u0307\u0304]?)(-?\d+)")


def _accent(mark: str, body: str) -> str:
    if mark == DOT_MARK:
        return rf"\dot{{{body}}}"
    if mark == BAR_MARK:
        return rf"\bar{{{body}}}"
    return body


def _word(text: str, called: bool) -> str:
    bare = text.replace(DOT_MARK, "").replace(BAR_MARK, "")
    if called or bare in _WORDS:
        if bare in _OPERATORS:
            return rf"\{bare} "
        name = bare.replace("_", r"\_")
        return rf"\mathop{{\mathrm{{{name}}}}}\nolimits "
    if bare in _KEYWORDS:
        return rf"\;\mathrm{{{bare}}}\;"
    match = _SUBSCRIPTED.fullmatch(text)
    if match:  # v0, v̇12, x1: a letter with its number as a subscript
        letter, mark, number = match.groups()
        return f"{_accent(mark, letter)}_{{{number}}}"
    mark = text[1] if len(text) > 1 and text[1] in (DOT_MARK, BAR_MARK) else ""
    body = text[0] + text[2:] if mark else text
    body = body.replace("_", r"\_")
    return _accent(mark, rf"\mathit{{{body}}}" if len(body) > 1 else body)


def _number(text: str) -> str:
    mantissa, _, exponent = text.partition("e")
    if not exponent:
        return text
    return rf"{mantissa}\times 10^{{{int(exponent)}}}"


def _other(ch: str) -> str:
    if ch in _SYMBOLS:
        return _SYMBOLS[ch]
    if ch in _SAFE_ASCII:
        return ch
    return rf"\mbox{{{latex_text(ch)}}}"


def latex_math(text: str) -> str:
    """adx formula text as LaTeX math (without the ``$``)."""
    pieces: list[str] = []  # one piece per token; "(" and ")" kept apart for exponents
    tokens = list(_TOKEN.finditer(text))
    for k, token in enumerate(tokens):
        kind, value = token.lastgroup, token.group()
        if kind == "label":
            pieces.append(_word(value, False))
        elif kind == "number":
            pieces.append(_number(value))
        elif kind == "word":
            after = next((t for t in tokens[k + 1 :] if t.lastgroup != "space"), None)
            pieces.append(_word(value, after is not None and after.group() == "("))
        elif kind == "space":
            continue
        else:
            pieces.append(value if value in "^()" else _other(value))
    return _exponents(pieces)


#: The words of a tensor's one-line summary (``mat[64,10] [0.19, …] min -2.7 max 3.1 norm 25``).
_SUMMARY_WORD = re.compile(r" (min|max|norm) ")


def latex_formula(text: str, prefix: str = "") -> str:
    """adx formula text in text mode: ``$…$`` (``prefix`` is LaTeX put first inside it);
    a tensor's summary keeps ``min``, ``max`` and ``norm`` as words between spaces
    (``$[64,10]$ min~$-2.7$ max~$3.1$``), so it reads as words and a caption wraps there."""
    parts = _SUMMARY_WORD.split(text)
    out = [f"${prefix}{latex_math(parts[0])}$"]
    for word, number in zip(parts[1::2], parts[2::2], strict=True):
        out.append(f"{word}~${latex_math(number)}$")
    return " ".join(out)


def _exponents(pieces: list[str]) -> str:
    """Join the pieces, bracing what follows each ``^`` (an atom, or a bracketed group)."""
    out: list[str] = []
    k = 0
    while k < len(pieces):
        piece = pieces[k]
        k += 1
        if piece != "^":
            out.append(piece)
            continue
        if k >= len(pieces):
            out.append(r"\wedge ")
            continue
        if pieces[k] == "(":
            depth, end = 0, k
            while end < len(pieces):
                depth += {"(": 1, ")": -1}.get(pieces[end], 0)
                if depth == 0:
                    break
                end += 1
            group = _exponents(pieces[k : end + 1])
            k = end + 1
        else:
            group = _exponents([pieces[k]])
            k += 1
        out.append(f"^{{{group}}}")
    return "".join(out)


# -- Markdown ------------------------------------------------------------------------

#: What GitHub-flavoured Markdown may read as syntax inside a paragraph or a table cell:
#: emphasis, code, links, HTML and entities, pipes, strikethrough, math, autolinks.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&$:@#])")


def markdown_text(text: str) -> str:
    """``text`` shown literally in a GitHub-flavoured Markdown table cell or paragraph:
    every character Markdown could read as syntax is backslash-escaped, newlines and
    controls shown as escapes."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", visible(text, keep=""))


def markdown_code(text: str) -> str:
    """``text`` as an inline code span in a table cell: a fence longer than any run of
    backticks in it, ``|`` escaped (GFM splits cells before reading code spans)."""
    shown = visible(text, keep="").replace("|", r"\|")
    longest = max((len(run) for run in re.findall(r"`+", shown)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if shown.startswith("`") or shown.endswith("`") else ""
    return f"{fence}{pad}{shown}{pad}{fence}" if shown else ""


def markdown_block(text: str, language: str = "") -> str:
    """``text`` as a fenced code block (a fence longer than any in it)."""
    shown = visible(text)
    longest = max((len(run) for run in re.findall(r"`{3,}", shown)), default=2)
    fence = "`" * (longest + 1)
    return f"{fence}{language}\n{shown}\n{fence}"


# -- Graphviz DOT and Mermaid ----------------------------------------------------------


def dot_string(text: str) -> str:
    """``text`` as a double-quoted DOT string whose lines are centred (``\\n``)."""
    shown = visible(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + shown.replace("\n", "\\n") + '"'


_MERMAID_SAFE = re.compile(r"[A-Za-z0-9 .,:+\-*/=()\[\]'!?^@_]")


def mermaid_string(text: str) -> str:
    """``text`` as a double-quoted Mermaid label: lines joined by ``<br/>``, and every
    ASCII character that Mermaid or HTML could read (quotes, ``#``, ``;``, ``<``, ``&``,
    backticks, braces, pipes …) written as an entity code ``#NN;``."""
    lines = visible(text).split("\n")

    def entity(ch: str) -> str:
        if not ch.isascii() or _MERMAID_SAFE.fullmatch(ch):
            return ch
        return f"#{ord(ch)};"

    return '"' + "<br/>".join("".join(entity(ch) for ch in line) for line in lines) + '"'
