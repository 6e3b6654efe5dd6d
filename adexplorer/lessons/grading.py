"""Grading number answers: judged to the digits typed, and the slip a wrong answer shows.

A number typed as a decimal (``1.71634``, ``-0.9589``, ``1,565``, ``1.23e-4``) is
right when it agrees with the engine's value to the precision typed: within half
a unit in its last digit.  It must carry at least the exercise's ``digits:``
significant digits (trailing zeros count: ``2.50`` has three); fewer is not
wrong, the student is asked for more and it does not count as an attempt.  A
value equal to the engine's at the 6 significant digits the screen shows is
right too, whatever zeros it leaves off (the screen writes ``1.7`` for 1.70000004).
An expression (``1/2``, ``log(2)``) is exact: compared within ``EXACT`` (relative).

A wrong answer is compared with the answers a common slip gives, computed from
the engine for the exercise's query (:func:`slip_candidates`): the sign flipped,
forward and reverse swapped, one fan-out contribution instead of their sum, a
local factor left out, a factor 2 or ½, a power of ten.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from adexplorer.base.errors import AdxError
from adexplorer.base.numbers import format_scalar

#: Relative difference under which an answer is exact (an expression must be).
EXACT = 1e-9
#: Significant digits the screen shows (tables, the bottom bar): a value equal to
#: the engine's at this precision is right, even with its trailing zeros left off.
SHOWN_DIGITS = 6

_MINUS = "-\u2212\u2013"  # '-', the minus sign '−', an en dash (what some keyboards give)
_SIGN = r"[+\-\u2212\u2013]"
# A decimal as people type it: an optional sign, the integer part either plain or
# grouped in threes by one separator (',' '_' ' ' or a thin space), an optional
# fraction, an optional exponent.
_DECIMAL = re.compile(
    rf"""^(?P<sign>{_SIGN}?)\s*
    (?P<int>\d+|\d{{1,3}}(?P<sep>[,_ \u202f\u2009])\d{{3}}(?:(?P=sep)\d{{3}})*)?
    (?:\.(?P<frac>\d*))?
    (?:[eE](?P<exp>{_SIGN}?\d+))?$""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Typed:
    """A number as typed: its value, significant digits and the half unit of its
    last digit (``digits`` is None and ``half_unit`` 0 for an exact expression)."""

    text: str
    value: float
    digits: int | None
    half_unit: float


def read_decimal(text: str) -> Typed | None:
    """``text`` as a typed decimal, or None if it is not one (then it is an expression).

    Raises AdxError for a comma that cannot be a thousands separator (``1,5``): it
    must never silently stand for 15, nor for 1.5.
    """
    text = text.strip()
    match = _DECIMAL.match(text)
    if match is None or (match.group("int") is None and not match.group("frac")):
        # a number with a comma that is not a thousands separator (one character class:
        # linear, however long the text)
        if "," in text and re.fullmatch(r"[\d,.eE+\-\u2212\u2013]+", text):
            raise AdxError(
                "input",
                f"{text!r}: a comma separates thousands, in groups of three (1,565); "
                "write a decimal point as '.' (1.5)",
            )
        return None
    whole = re.sub(r"\D", "", match.group("int") or "")
    fraction = match.group("frac") or ""
    exponent = int(_ascii_minus(match.group("exp") or "0"))
    mantissa = (whole + fraction).lstrip("0")
    digits = len(mantissa)  # trailing zeros typed count; leading zeros do not
    sign = -1.0 if match.group("sign") in tuple(_MINUS) else 1.0
    value = sign * float(f"{whole or '0'}.{fraction or '0'}e{exponent}")
    half_unit = 0.5 * float(f"1e{exponent - len(fraction)}")  # 1e999: inf, not OverflowError
    return Typed(text, value, digits, half_unit)


def _ascii_minus(text: str) -> str:
    return "".join("-" if c in _MINUS else c for c in text)


def agrees(typed: Typed, target: float) -> bool:
    """``typed`` is ``target`` to the precision typed (exactly, for an expression)."""
    if exact(typed.value, target):
        return True
    slack = 1e-12 * max(abs(target), abs(typed.value))  # a float's rounding, not a digit
    return abs(typed.value - target) <= typed.half_unit + slack


def rounds_to(typed: Typed, target: float) -> bool:
    """``typed`` is ``target`` rounded to the significant digits typed (0.8 for 0.841,
    6 for 5.5): what a student who stopped early would have written."""
    if typed.digits is None:
        return False
    rounded = float(f"{target:.{max(typed.digits, 1) - 1}e}")
    return abs(rounded - typed.value) <= 1e-12 * max(abs(rounded), 1e-300)


#: A decimal number inside an expression (``0.761594`` in ``1 - 0.761594^2``).
_DECIMAL_LITERAL = re.compile(r"(?<![\w.])(\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?")


def literal_digits(text: str) -> int | None:
    """The fewest significant digits among the decimals written in an expression (None
    when it has none: whole numbers and names are exact)."""
    found = []
    for match in _DECIMAL_LITERAL.finditer(text):
        mantissa = match.group(1).replace(".", "").lstrip("0")
        found.append(max(len(mantissa), 1))
    return min(found) if found else None


def rounded_expression(text: str, value: float) -> Typed | None:
    """An expression built from rounded numbers (``1 - 0.761594^2``), judged to the
    digits of its least precise decimal; None if it has no decimals (then it is exact)."""
    digits = literal_digits(text)
    if digits is None or not math.isfinite(value):
        return None
    return Typed(text, value, digits, 5 * 10.0 ** (-digits) * abs(value))


def exact(value: float, target: float) -> bool:
    return abs(value - target) <= EXACT * max(abs(target), 1e-300)


def as_shown(value: float, target: float) -> bool:
    """``value`` is ``target`` as the screen shows it (6 significant digits)."""
    return read_number_text(format_scalar(target, SHOWN_DIGITS)) == value


def read_number_text(text: str) -> float:
    typed = read_decimal(text)
    assert typed is not None  # format_scalar writes decimals
    return typed.value


@dataclass(frozen=True)
class Grade:
    """How a number answer compares with the engine's value."""

    correct: bool
    attempt: bool  # False: too few digits to judge; the student is asked for more
    message: str


def grade(typed: Typed, target: float, min_digits: int, tolerance: float | None = None) -> Grade:
    """Judge ``typed`` against ``target``: to the digits typed, at least ``min_digits``.

    ``tolerance`` (an author's explicit ``tolerance:``, relative) widens what is
    accepted: an answer within it is right even if its last digit is off.
    """
    if exact(typed.value, target):
        return Grade(True, True, "correct")
    if typed.digits is None:  # an expression: exact or wrong
        return Grade(False, True, "not quite")
    shown = as_shown(typed.value, target)
    close = agrees(typed, target) or shown
    if not close and tolerance is not None:
        close = abs(typed.value - target) <= tolerance * max(1.0, abs(target))
    if not close:
        return Grade(False, True, "not quite")
    digits = max(typed.digits, SHOWN_DIGITS if shown else 0)
    if digits < min_digits and target != 0:
        if not rounds_to(typed, target):  # 5 for 5.5, 1 for 0.841: not a rounding of it
            return Grade(False, True, "not quite")
        return Grade(
            False,
            False,
            f"{typed.text} agrees as far as it goes: give at least {min_digits} significant digits",
        )
    return Grade(
        True,
        True,
        f"correct to {_digits_words(digits)} (the exact value is {_exact_text(target)})",
    )


def _digits_words(n: int) -> str:
    return "1 significant digit" if n == 1 else f"{n} significant digits"


def _exact_text(value: float) -> str:
    """The engine's value with all the digits a float has worth showing."""
    return format_scalar(value, 12)


# ------------------------------------------------------------------ slips


@dataclass(frozen=True)
class Slip:
    """A wrong answer a common slip gives: its value, a short name, and what to say."""

    value: float
    name: str  # sign, swapped, one-contribution, missing-factor, factor-2, magnitude
    message: str


@dataclass(frozen=True)
class VectorSlip:
    """A wrong vector answer a common slip gives: all its entries, a short name, what to say."""

    values: tuple[float, ...]
    name: str  # transposed, one-direction, one-column, sign-lost, other-row, other-column
    message: str


def matches(typed: Typed, value: float) -> bool:
    """The typed answer is ``value`` to its own precision (loosely: 1e-6 relative
    also counts, since a student repeats what their slip gave them, rounded)."""
    if not math.isfinite(value):
        return False
    if agrees(typed, value):
        return True
    return abs(typed.value - value) <= 1e-6 * max(abs(value), 1e-300)


def find_slip(typed: Typed, target: float, candidates: list[Slip]) -> Slip | None:
    """The first candidate slip the typed answer matches (none that is the target itself):
    one it equals exactly first (``1`` is the slip 1, before the slip 0.5 it rounds)."""
    for slip in candidates:
        if not exact(slip.value, target) and exact(typed.value, slip.value):
            return slip
    for slip in candidates:
        if not exact(slip.value, target) and matches(typed, slip.value):
            return slip
    return None


#: Why a number's sign can come out flipped, by what the number is.
SIGN_ADVICE = {
    "derivative": "check the sign of each local partial on the way "
    "(a minus, a cos or a 1/x² can be negative)",
    "value": "check the sign of each operation on the way (a minus, a sin or a cos)",
    "count": "a count is never negative",
    "descent": "a descent step goes against the gradient: x ← x − η·∂f/∂x",
    "other": "check the sign",
}


#: Why a number can come out half its value, by what the number is: only a derivative
#: gets the calculus reminder (a count or a cost is never halved by a derivative rule).
HALF_ADVICE = {
    "derivative": "a factor 2 is missing (the derivative of u² is 2u)",
    "count": "is something counted once that happens twice?",
    "value": "a factor 2 is missing",
    "descent": "a factor 2 is missing",
    "other": "a factor 2 is missing",
}


def generic_slips(target: float, what: str, nature: str = "other") -> list[Slip]:
    """Slips any number can show: the sign, a factor 2 or ½, a power of ten.
    ``nature`` (a key of :data:`SIGN_ADVICE`) says what kind of number it is."""
    slips = [
        Slip(
            -target,
            "sign",
            f"that is the sign-flipped value of {what}: {SIGN_ADVICE[nature]}",
        ),
        Slip(2 * target, "factor-2", f"that is twice {what}: is a factor 2 counted twice?"),
        Slip(
            target / 2,
            "factor-2",
            f"that is half of {what}: {HALF_ADVICE.get(nature, HALF_ADVICE['other'])}",
        ),
    ]
    for power in (-3, -2, -1, 1, 2, 3):
        slips.append(
            Slip(
                target * 10.0**power,
                "magnitude",
                f"off by a factor of 10^{power}: check the decimal point or the exponent",
            )
        )
    return slips


def finite(slips: list[Slip]) -> list[Slip]:
    """The slips whose value a student could type (a diverging descent gives inf)."""
    return [s for s in slips if math.isfinite(s.value)]
