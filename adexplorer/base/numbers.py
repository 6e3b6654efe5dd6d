"""Formatting numbers and arrays for people (``--digits``) and for adx source text.

Three needs:

* :func:`format_value` rounds to a number of significant digits, every entry
  (JSON formula texts and small values in tables).
* :func:`display_value` is what a view shows: a small value in full, a tensor of
  more than :data:`SHOWN_IN_FULL` entries as a one-line summary
  (:func:`summarize_value`: ``mat[64,100] [1, 1, 1, …] min 1 max 1 norm 80``) that fits
  a table cell, so the CLI's tables and the explorer agree and neither prints a
  64×1000 matrix (``--json`` and the explorer's full-value screen keep every entry).
* :func:`source_literal` writes a value so that parsing it back gives exactly the
  same float (shortest round-trip ``repr``), for the pretty-printer.

and :func:`all_finite`, the one test for NaN and infinities that traces run on
every value they keep.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from adexplorer.base.shapes import type_name


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


#: Values with at most this many entries are shown in full everywhere (a vec[12] or a
#: mat[3,4]); larger ones as a summary (:func:`summarize_value`).
SHOWN_IN_FULL = 12
#: Entries a summary lists (the first ones, in row-major order), and its digits.
SUMMARY_ENTRIES = 3
SUMMARY_DIGITS = 4


def is_summarized(value: Any) -> bool:
    """Whether views show ``value`` as a summary (more than :data:`SHOWN_IN_FULL` entries)."""
    return int(np.size(value)) > SHOWN_IN_FULL


@dataclass(frozen=True)
class ValueStatistics:
    """What a summary says about a tensor: its type, range and size, without its entries.

    ``low``/``high``/``mean`` are over the finite entries (nan if there are none);
    ``norm`` is the Euclidean (Frobenius) norm of all entries, inf or nan if one is."""

    type: str
    size: int
    low: float
    high: float
    mean: float
    norm: float
    nans: int
    infinities: int
    zeros: int


def value_statistics(value: Any) -> ValueStatistics:
    """Type, min, max, mean, norm and the counts of NaN, ±inf and zero entries (no copy of a
    float64 array is kept; a few passes over it)."""
    arr = np.asarray(value, dtype=np.float64)
    finite = np.isfinite(arr)
    every_finite = bool(finite.all())
    nans = 0 if every_finite else int(np.isnan(arr).sum())
    infinities = 0 if every_finite else int(arr.size - finite.sum()) - nans
    kept = arr if every_finite else arr[finite]
    if kept.size:
        low, high, mean = float(kept.min()), float(kept.max()), float(kept.mean())
    else:
        low = high = mean = math.nan
    with np.errstate(over="ignore", invalid="ignore"):
        norm = float(np.linalg.norm(arr.ravel())) if arr.size else 0.0
    return ValueStatistics(
        type_name(arr.shape),
        int(arr.size),
        low,
        high,
        mean,
        norm,
        nans,
        infinities,
        int(arr.size - np.count_nonzero(arr)),
    )


def summarize_value(value: Any, digits: int = SUMMARY_DIGITS, width: int | None = None) -> str:
    """A tensor in one line: ``mat[64,100] [1, 1, 1, …] min 1 max 1 norm 80`` (its type,
    its first entries, the range and the norm of its entries; NaN and inf counted).

    Within ``width`` characters it drops the entries first, then rounds to fewer
    digits, then drops the norm or the range: ``mat[64,100] min -3.1 max 2.9``,
    ``mat[64,100] norm 80``, ``mat[64,100]``, and at last ``64×100`` (cut with … if
    even that is too long)."""
    arr = np.asarray(value, dtype=np.float64)
    stats = value_statistics(arr)
    digits = max(1, min(digits, SUMMARY_DIGITS))
    first = arr.ravel()[:SUMMARY_ENTRIES]
    entries = "[" + ", ".join(format_scalar(x, digits) for x in first)
    entries += ", …]" if arr.size > SUMMARY_ENTRIES else "]"
    bad = [
        f"{count} {word}"
        for count, word in ((stats.nans, "NaN"), (stats.infinities, "inf"))
        if count
    ]
    flag = f"({', '.join(bad)})" if bad else ""
    every_bad = stats.nans + stats.infinities == stats.size

    def span(d: int) -> str:
        low, high = format_scalar(stats.low, d), format_scalar(stats.high, d)
        return "" if every_bad else f"min {low} max {high}"

    def norm(d: int) -> str:
        return f"norm {format_scalar(stats.norm, d)}"

    fewer = [d for d in (3, 2) if d < digits]
    candidates = [
        [stats.type, entries, span(digits), norm(digits), flag],
        [stats.type, span(digits), norm(digits), flag],
        *[[stats.type, span(d), norm(d), flag] for d in fewer],
        *[[stats.type, span(d), flag] for d in (digits, *fewer)],
        *[[stats.type, norm(d), flag] for d in (digits, *fewer)],
        [stats.type, flag],
        [stats.type],
        ["×".join(str(n) for n in arr.shape)],
    ]
    for parts in candidates:
        text = " ".join(p for p in parts if p)
        if width is None or len(text) <= width:
            return text
    return text[: max(width - 1, 0)] + "…" if width else ""


def display_value(value: Any, digits: int = 6, width: int | None = None) -> str:
    """What a view shows for ``value``: :func:`format_value` up to :data:`SHOWN_IN_FULL`
    entries, :func:`summarize_value` (within ``width``) above, and for a short list
    whose brackets are longer than ``width`` (a view would cut it mid-number)."""
    if is_summarized(value):
        return summarize_value(value, digits, width)
    text = format_value(value, digits)
    if width is not None and len(text) > width and np.ndim(value) > 0:
        return summarize_value(value, digits, width)
    return text


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
