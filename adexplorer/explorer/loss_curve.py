"""The loss curve as lines of text: braille dots, 2×4 per character cell, with its axis labels.

Drawn again while a training run adds losses (the explorer's descent pane), so
it is cheap: the losses are binned into the columns (the mean of each bin, the
bins joined by straight runs of dots), and
a curve whose losses span more than two decades is drawn on a log scale (the
label says so).  Losses that are NaN or infinite are left out.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from adexplorer.base.numbers import format_scalar

_BRAILLE = 0x2800
#: The dot of each (column, row) in a braille cell, rows from the top.
_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))


def curve_lines(losses: Sequence[float], width: int, height: int) -> list[str]:
    """``height`` lines of at most ``width`` characters: the curve with the largest and
    smallest loss labelled on the left, and the steps below it."""
    finite = [(k, v) for k, v in enumerate(losses) if math.isfinite(v)]
    if not finite or width < 12 or height < 3:
        return ["(no losses yet)"] if not finite else ["(too small to draw)"]
    high = max(v for _, v in finite)
    low = min(v for _, v in finite)
    log = low > 0 and high / low > 100
    labels = [format_scalar(high, 4), format_scalar(low, 4)]
    margin = max(len(t) for t in labels) + 1
    columns = max(width - margin, 2)
    rows = height - 1
    dots_x, dots_y = columns * 2, rows * 4

    def level(v: float) -> float:
        return math.log10(v) if log else v

    top, bottom = level(high), level(low)
    span = top - bottom or 1.0
    count = len(losses)
    cells = [[0] * columns for _ in range(rows)]
    bins: dict[int, list[float]] = {}
    for k, v in finite:
        x = k * (dots_x - 1) // max(count - 1, 1)
        bins.setdefault(x, []).append(level(v))
    points = [
        (x, round((top - sum(levels) / len(levels)) / span * (dots_y - 1)))
        for x, levels in sorted(bins.items())
    ]
    # consecutive points joined by a straight run of dots, so a few losses read as a curve
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        for x in range(x0, x1):
            y = round(y0 + (y1 - y0) * (x - x0) / (x1 - x0))
            cells[y // 4][x // 2] |= _DOTS[x % 2][y % 4]
    for x, y in points:
        cells[y // 4][x // 2] |= _DOTS[x % 2][y % 4]
    lines = []
    for r in range(rows):
        label = labels[0] if r == 0 else (labels[1] if r == rows - 1 else "")
        body = "".join(chr(_BRAILLE + c) if c else " " for c in cells[r])
        lines.append(f"{label:>{margin - 1}}│{body}")
    axis = f"step 0 … {count - 1}" + ("  (log scale)" if log else "")
    lines.append(" " * margin + axis[:columns])
    return lines
