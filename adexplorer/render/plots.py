"""Terminal plots with plotext: finite-difference error against h, and swell growth.

Views only: they draw studies computed by :mod:`adexplorer.compare.fd_study` and
:mod:`adexplorer.compare.swell`.  Both axes are logarithmic; ticks are labelled as
powers of ten.  Errors that are exactly 0 cannot sit on a log axis, so they
are drawn on the bottom edge and the caption says so.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import plotext as plt

from adexplorer.compare.fd_study import RULE_OF_THUMB, FdStudy
from adexplorer.compare.swell import FamilyRow

_COLORS = {"forward": "blue", "backward": "cyan", "central": "green", "complex": "magenta"}


#: The powers of ten a float64 holds as normal numbers (10.0**-324 is 0, 10.0**309 overflows),
#: and the range plotted values are kept in: a log axis has no place for 0 or inf.
_DECADES = (-307, 308)
_TINY, _HUGE = 1e-307, 1e308


def _decade_ticks(low: float, high: float, room: int) -> tuple[list[float], list[str]]:
    """Powers of ten from ``low`` to ``high``, at most ``room`` of them.

    Few enough that plotext never has to drop overlapping labels: which ones it
    drops depends on Python's hash seed, which made the plots differ run to run.
    """
    low, high = (min(max(v, _TINY), _HUGE) for v in (low, high))
    first = max(math.floor(math.log10(low)), _DECADES[0])
    last = max(min(math.ceil(math.log10(high)), _DECADES[1]), first)
    step = max(1, math.ceil((last - first) / max(room - 1, 1)))
    powers = list(range(first, last + 1, step))
    return [10.0**p for p in powers], [f"1e{p}" for p in powers]


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _start(width: int, height: int) -> None:
    plt.clear_figure()
    plt.plotsize(width, height)
    plt.theme("clear")


def _finish(color: bool) -> str:
    text = str(plt.build())
    return text if color else _ANSI.sub("", text)


def error_plot(study: FdStudy, width: int = 78, height: int = 22, color: bool = True) -> str:
    """|estimate − AD| against h, one curve per scheme, the rule-of-thumb optima marked."""
    _start(width, height)

    def plotted(error: float | None) -> bool:  # NaN and inf have no place on the axis
        return error is not None and math.isfinite(error)

    positives = [r.abs_error for r in study.rows if plotted(r.abs_error) and r.abs_error]
    floor = max(min(positives) / 10, _TINY) if positives else 1e-20
    zeros = False
    for scheme in study.schemes:
        rows = [r for r in study.rows_for(scheme) if plotted(r.abs_error)]
        if not rows:
            continue
        ys = []
        for r in rows:
            zeros = zeros or r.abs_error == 0
            ys.append(min(max(r.abs_error, _TINY), _HUGE) if r.abs_error else floor)
        plt.plot(
            [r.h for r in rows], ys, label=scheme, marker="dot", color=_COLORS.get(scheme, "white")
        )
    plt.xscale("log")
    plt.yscale("log")
    for scheme in ("forward", "central"):
        optimum = RULE_OF_THUMB.get(scheme)
        if scheme in study.schemes and optimum is not None:
            plt.vline(optimum, _COLORS[scheme])
    hs = list(study.steps)
    xticks, xlabels = _decade_ticks(min(hs), max(hs), max(2, (width - 12) // 8))
    plt.xticks(xticks, xlabels)
    all_y = [*positives, floor]
    yticks, ylabels = _decade_ticks(min(all_y), max(all_y), max(2, (height - 4) // 2))
    plt.yticks(yticks, ylabels)
    title = f"|error| of d/d{study.wrt} against h (vertical lines: √ε forward, ∛ε central)"
    plt.title(title)
    plt.xlabel("h" + ("   (errors of exactly 0 drawn at the bottom)" if zeros else ""))
    return _finish(color)


def _as_float(size: int) -> float:
    """An exact size as a float for the plot, at most :data:`_HUGE`."""
    return float(size) if size < _HUGE else _HUGE


def growth_plot(
    rows: Sequence[FamilyRow], width: int = 78, height: int = 22, color: bool = True
) -> str:
    """Sizes against the level n, log scale: naive tree, shared DAG, simplified, AD."""
    _start(width, height)
    ns = [r.n for r in rows]
    series = [
        ("f′ tree (naive CAS)", [r.sizes.df_tree for r in rows], "red"),
        ("f′ simplified tree", [r.sizes.simplified_tree for r in rows], "orange"),
        ("f′ shared DAG", [r.sizes.df_dag for r in rows], "green"),
        ("AD reverse trace", [r.sizes.ad_reverse for r in rows], "blue"),
    ]
    for label, values, colour in series:
        # A size of 0 (f = x has no AD trace) has no place on a log axis: leave it out.
        # Exact sizes can pass 1e308 (5**500 at level 500 of #*#*#*#*#): drawn at the top.
        points = [(n, _as_float(v)) for n, v in zip(ns, values, strict=True) if v > 0]
        if points:
            xs, ys = zip(*points, strict=True)
            plt.plot(list(xs), list(ys), label=label, marker="dot", color=colour)
    plt.yscale("log")
    biggest = max((_as_float(v) for _, values, _ in series for v in values), default=1.0)
    yticks, ylabels = _decade_ticks(1.0, max(biggest, 10.0), max(2, (height - 4) // 2))
    plt.yticks(yticks, ylabels)
    step = max(1, (ns[-1] - ns[0]) // 6)
    plt.xticks(list(range(ns[0], ns[-1] + 1, step)))
    plt.title("expression swell: size against level n (log scale)")
    plt.xlabel("n")
    return _finish(color)
