"""The one error type the project raises for anything wrong in what a user wrote.

Every :class:`AdxError` has a ``kind`` (a stable word scripts can switch on), a
human ``message``, and where possible a :class:`~adexplorer.base.source.Span` into
the text it came from, plus an optional ``hint`` saying what would be valid.
Views turn it into a caret display (``render``) or a JSON object (``to_json``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from adexplorer.base.source import Span, caret_excerpt
from adexplorer.base.text import visible

#: The kinds of error, as they appear in ``{"error": {"kind": ...}}``.
KINDS = (
    "parse",  # the text does not follow the grammar
    "name",  # an unknown variable or function, or a name used wrongly
    "type",  # shapes that do not fit together, a bad type declaration
    "input",  # a missing or malformed input value (--at, --seed, defaults)
    "usage",  # an option value that does not make sense (bad --wrt, --digits)
    "file",  # a program file that cannot be read
    "lesson",  # a lesson file that does not follow the lesson format
)


class AdxError(Exception):
    """Something is wrong in the user's input.  Never a bug in adx itself."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        span: Span | None = None,
        source: str | None = None,
        hint: str | None = None,
        origin: str | None = None,
    ) -> None:
        super().__init__(message)
        assert kind in KINDS, kind
        self.kind = kind
        self.message = message
        self.span = span
        self.source = source
        self.hint = hint
        self.origin = origin  # e.g. the file name or "--at"

    @property
    def line(self) -> int | None:
        return self.span.line if self.span else None

    @property
    def column(self) -> int | None:
        return self.span.column if self.span else None

    def with_source(self, source: str, origin: str | None = None) -> AdxError:
        """Attach the text the span points into (if not already attached)."""
        if self.source is None:
            self.source = source
        if self.origin is None:
            self.origin = origin
        return self

    def render(self) -> str:
        """Plain text: where, the caret excerpt, what went wrong, and a hint.

        Safe to print: control characters from the user's text are shown as escapes.
        """
        where = ""
        if self.span is not None:
            where = (
                f"{self.origin + ':' if self.origin else ''}{self.span.line}:{self.span.column}: "
            )
        elif self.origin:
            where = f"{self.origin}: "
        parts = [visible(f"error: {where}{self.message}")]
        if self.span is not None and self.source is not None:
            parts.append(caret_excerpt(self.source, self.span))
        if self.hint:
            parts.append(visible(f"hint: {self.hint}"))
        return "\n".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "hint": self.hint,
        }

    def __str__(self) -> str:
        return self.render()


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like ``word`` (for 'did you mean ...?'), or None."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    match = closest(word, candidates)
    return f"did you mean '{match}'?" if match else None
