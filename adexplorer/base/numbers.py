"""Formatting numbers and arrays for people (``--digits``) and for adx source text.

Two needs, two functions:

* :func:`format_value` rounds to a number of significant digits for tables.
* :func:`source_literal` writes a value so that parsing it back gives exactly the
  same float (shortest round-trip ``repr``), for the pretty-printer.

and :func:`all_finite`, the one test for NaN and infinities that traces run on
every value they keep.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def format_scalar(x: float, digits: int = 6) -> str:
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    return text


#: Arrays with more entries than this are summarized: the first and last EDGE_ITEMS
#: of each dimension, ``…`` between (as numpy prints them).  A mat[1000,1000] in full
#: is a 10 MB table cell, which took a terminal table many minutes to fold.
SUMMARY_THRESHOLD = 1000
EDGE_ITEMS = 3


def format_value(value: Any, digits: int = 6) -> str:
    """A scalar as ``1.23457``; vectors and matrices as nested brackets, summarized
    with ``…`` past :data:`SUMMARY_THRESHOLD` entries (JSON keeps every number)."""
    arr = np.asarray(value, dtype=np.float64)
    return _format_array(arr, digits, arr.size > SUMMARY_THRESHOLD)


def _format_array(arr: Any, digits: int, summarize: bool) -> str:
    if arr.ndim == 0:
        return format_scalar(float(arr), digits)
    if summarize and len(arr) > 2 * EDGE_ITEMS:
        head = [_format_array(x, digits, summarize) for x in arr[:EDGE_ITEMS]]
        tail = [_format_array(x, digits, summarize) for x in arr[-EDGE_ITEMS:]]
        return "[" + ", ".join([*head, "…", *tail]) + "]"
    return "[" + ", ".join(_format_array(x, digits, summarize) for x in arr) + "]"


def source_literal(value: Any) -> str:
    """Exact adx source text for a constant: ``2``, ``0.1``, ``[1, 2.5]``, ``(1/0)``."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        x = float(arr)
        if math.isnan(x):
            return "(0/0)"
        if math.isinf(x):
            return "(1/0)" if x > 0 else "(-1/0)"
        text = repr(x)
        if text.endswith(".0"):
            text = text[:-2]
        return f"({text})" if x < 0 else text
    return "[" + ", ".join(source_literal(v) for v in arr) + "]"


_FLOAT64 = np.dtype(np.float64)


def all_finite(value: Any) -> bool:
    """True if no entry of ``value`` is NaN, +inf or -inf.

    For a float64 array it first computes the sum of squares with one dot product
    (BLAS), which reads every entry once and allocates nothing: a NaN or an infinity
    makes that sum NaN or +inf (squares are never negative, so no two infinities
    cancel), so a finite sum proves every entry finite.  Only when the sum is not
    finite (a non-finite entry, or entries above about 1e154 whose squares
    overflow) does the exact entry-by-entry test decide.
    """
    if isinstance(value, float):  # Python floats and numpy float64 scalars
        return math.isfinite(value)
    if type(value) is np.ndarray and value.dtype is _FLOAT64:
        if math.isfinite(np.vdot(value, value)):
            return True
        return bool(np.isfinite(value).all())
    return bool(np.isfinite(np.asarray(value)).all())


def nonfinite_kinds(value: Any) -> str:
    """Which non-finite numbers ``value`` holds, in words: ``NaN``, ``+inf``, ``-inf``."""
    arr = np.asarray(value, dtype=np.float64)
    kinds = [
        word
        for word, present in (
            ("NaN", np.isnan(arr).any()),
            ("+inf", np.isposinf(arr).any()),
            ("-inf", np.isneginf(arr).any()),
        )
        if present
    ]
    return " and ".join(kinds)


def to_json_value(value: Any) -> tuple[Any, bool]:
    """A JSON-ready number or nested list, and whether a NaN/inf became ``null``."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        x = float(arr)
        return (x, False) if math.isfinite(x) else (None, True)
    items = [to_json_value(v) for v in arr]
    return [v for v, _ in items], any(bad for _, bad in items)
