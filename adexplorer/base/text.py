"""Untrusted text made safe to show: control characters become visible escapes.

Anything a user or a lesson file wrote (programs, comments, titles, file names,
``--at`` values, lesson prose) may hold ESC, OSC, CSI, C1 controls or bidi
overrides.  Printed raw, they retitle the terminal, write to the clipboard
(OSC 52), move the cursor or hide text.  :func:`visible` turns each such
character into a backslash escape (``\\x1b``, ``\\u202e``) that shows what is
there and does nothing.  JSON keeps the exact characters, escaped by the
encoder (:func:`json_dumps`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

#: Bidirectional controls and invisible characters that can hide or reorder text.
_INVISIBLE = (
    "\u061c\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff"
)
#: C0 controls, DEL and C1 controls, the invisible ones above, and lone surrogates
#: (how Python holds bytes that are not UTF-8, e.g. in a command-line argument).
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, keep: str = "\n") -> str:
    """``text`` with every control or invisible character shown as an escape.

    Characters in ``keep`` (by default only the newline) pass through.
    """
    if not _UNSAFE.search(text):
        return text
    if not keep:
        return _UNSAFE.sub(_escape, text)
    return _UNSAFE.sub(lambda m: m.group() if m.group() in keep else _escape(m), text)


#: Longest source excerpt a trace row repeats; longer ones are shortened in the middle.
EXCERPT_LIMIT = 60


def excerpt(text: str, limit: int = EXCERPT_LIMIT) -> str:
    """``text`` if short, else its start and end around ``…``.

    Trace rows show the source each node came from; in a deeply nested
    expression every node's source is almost the whole text, so copying it in
    full would make the output quadratic in the input.
    """
    if len(text) <= limit:
        return text
    half = (limit - 1) // 2
    return f"{text[:half]}…{text[-half:]}"


#: What a terminal that cannot show Unicode gets instead (v̄ becomes v_bar).
ASCII_FALLBACKS = {
    "\u0304": "_bar",
    "\u0307": "_dot",
    "·": "*",
    "∂": "d",
    "×": "x",
    "≈": "~",
    "≤": "<=",
    "≥": ">=",
    "→": "->",
    "←": "<-",
    "−": "-",
    "…": "...",
    "ε": "eps",
    "√": "sqrt",
    "∛": "cbrt",
    "η": "eta",
    "∇": "grad",
    "²": "^2",
    "³": "^3",
    "ᵀ": "^T",
    "✓": "ok",
    "✗": "x",
    "▶": ">",
    "•": "*",
    "●": "o",
    "○": "o",
    "■": "#",
    "▲": "^",
    "▼": "v",
    "◆": "+",
    "★": "*",
    "✚": "+",
}


def to_ascii(text: str) -> str:
    """``text`` for a terminal that cannot encode Unicode: v̄ becomes v_bar, · becomes *."""
    if text.isascii():
        return text
    return "".join(ch if ch.isascii() else _ascii_char(ch) for ch in text)


def _ascii_char(ch: str) -> str:
    if ch in ASCII_FALLBACKS:
        return ASCII_FALLBACKS[ch]
    code = ord(ch)
    if 0x2500 <= code <= 0x257F:  # box drawing (tables, plot axes)
        name = unicodedata.name(ch, "")
        if "HORIZONTAL" in name and "VERTICAL" not in name:
            return "-"
        return "|" if "VERTICAL" in name and "HORIZONTAL" not in name else "+"
    if 0x2580 <= code <= 0x259F:  # block elements (bars)
        return "#"
    if 0x2800 <= code <= 0x28FF:  # braille dots (plot markers)
        return "." if code != 0x2800 else " "
    return f"\\u{code:04x}"


def has_unsafe(text: str, allowed: str = "\n") -> bool:
    """True if ``text`` holds a character :func:`visible` would escape (other than ``allowed``)."""
    return any(ch not in allowed for ch in _UNSAFE.findall(text))


def json_dumps(data: Any, **kwargs: Any) -> str:
    """JSON with non-ASCII kept readable but every control or invisible character escaped.

    ``json`` already escapes C0 controls; C1 controls and bidi overrides would
    otherwise pass through raw.  They can only occur inside strings, where
    ``\\uXXXX`` is the same character, so the data round-trips exactly.
    """
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, **kwargs)
    # A raw newline here is indentation (json escapes the ones inside strings).
    return _UNSAFE.sub(
        lambda m: m.group() if m.group() == "\n" else f"\\u{ord(m.group()):04x}", text
    )
