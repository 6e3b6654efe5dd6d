"""Terminal plots with plotext: finite-difference error against h (first and second
derivatives), swell growth, loss curves.

Views only: they draw studies computed by :mod:`adexplorer.compare.fd_study` and
:mod:`adexplorer.compare.swell`, and the losses of a training
(:mod:`adexplorer.core.training`).  The first two have both axes logarithmic; ticks
are labelled as powers of ten.  A loss curve is drawn on a log axis when its losses
span more than two decades.  Errors that are exactly 0 cannot sit on a log axis, so they
are drawn on the bottom edge and the caption says so.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import plotext as plt

from adexplorer.compare.fd_study import RULE_OF_THUMB, SECOND_RULE_OF_THUMB, FdStudy, MixedStudy
from adexplorer.compare.swell import FamilyRow

_COLORS = {"forward": "blue", "backward": "cyan", "central": "green", "complex": "magenta"}
#: A marker per series as well as a colour, so the curves read without colour too.
_MARKERS = {"forward": "+", "backward": "x", "central": "o", "complex": "*"}

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


def _plotted(error: float | None) -> bool:
    """Whether an error has a place on a log axis (not missing, NaN or inf)."""
    return error is not None and math.isfinite(error)


def error_plot(study: FdStudy, width: int = 78, height: int = 22, color: bool = True) -> str:
    """|estimate − AD| against h, one curve per scheme, the rule-of-thumb optima marked."""
    if not any(_plotted(r.abs_error) for r in study.rows):
        # every estimate overflowed: plotext fails on log axes with nothing on them
        return "(no plot: no step size gave a finite estimate)"
    _start(width, height)
    positives = [r.abs_error for r in study.rows if _plotted(r.abs_error) and r.abs_error]
    floor = max(min(positives) / 10, _TINY) if positives else 1e-20
    zeros = False
    for scheme in study.schemes:
        rows = [r for r in study.rows_for(scheme) if _plotted(r.abs_error)]
        if not rows:
            continue
        ys = []
        for r in rows:
            zeros = zeros or r.abs_error == 0
            ys.append(min(max(r.abs_error, _TINY), _HUGE) if r.abs_error else floor)
        plt.plot(
            [r.h for r in rows],
            ys,
            label=scheme,
            marker=_MARKERS.get(scheme, "dot"),
            color=_COLORS.get(scheme, "white"),
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


def second_error_plot(
    mixed: MixedStudy, width: int = 78, height: int = 22, color: bool = True
) -> str:
    """|estimate − AD Hessian entry| against h: the formula on values of f (four- or
    three-point) and central differences of AD gradients, their rules of thumb marked."""
    points = "three-point" if mixed.pure else "four-point"
    series = [
        (points, mixed.rows, "blue", "+", SECOND_RULE_OF_THUMB["points"]),
        ("gradients", mixed.gradient_rows, "green", "o", SECOND_RULE_OF_THUMB["gradients"]),
    ]
    errors = [r[2] for _, rows, _, _, _ in series for r in rows if _plotted(r[2])]
    if not errors:
        return "(no plot: no step size gave a finite estimate)"
    _start(width, height)
    positives = [e for e in errors if e > 0]
    floor = max(min(positives) / 10, _TINY) if positives else 1e-20
    zeros = False
    for label, rows, colour, marker, optimum in series:
        drawn = [r for r in rows if _plotted(r[2])]
        if not drawn:
            continue
        zeros = zeros or any(r[2] == 0 for r in drawn)
        ys = [min(max(r[2], _TINY), _HUGE) if r[2] else floor for r in drawn]
        plt.plot([r[0] for r in drawn], ys, label=label, marker=marker, color=colour)
        plt.vline(optimum, colour)
    plt.xscale("log")
    plt.yscale("log")
    hs = [r[0] for r in mixed.rows]
    xticks, xlabels = _decade_ticks(min(hs), max(hs), max(2, (width - 12) // 8))
    plt.xticks(xticks, xlabels)
    all_y = [*positives, floor]
    yticks, ylabels = _decade_ticks(min(all_y), max(all_y), max(2, (height - 4) // 2))
    plt.yticks(yticks, ylabels)
    what = f"∂²f/∂{mixed.x}²" if mixed.pure else f"∂²f/∂{mixed.x}∂{mixed.y}"
    plt.title(f"|error| of {what} against h (lines: ε^(1/4), ε^(1/3))")
    plt.xlabel("h" + ("   (errors of exactly 0 drawn at the bottom)" if zeros else ""))
    return _finish(color)


def growth_plot(
    rows: Sequence[FamilyRow], width: int = 78, height: int = 22, color: bool = True
) -> str:
    """Sizes against the level n, log scale: naive tree, shared DAG, simplified, AD."""
    _start(width, height)
    ns = [r.n for r in rows]
    series = [
        ("f′ tree (naive CAS)", [r.sizes.df_tree for r in rows], "red", "x"),
        ("f′ simplified tree", [r.sizes.simplified_tree for r in rows], "orange", "+"),
        ("f′ shared DAG", [r.sizes.df_dag for r in rows], "green", "o"),
        ("AD reverse trace", [r.sizes.ad_reverse for r in rows], "blue", "*"),
    ]
    biggest = max(max(values) for _, values, _, _ in series)
    # A float stops at 1.8e308, and trees pass that (5^500): plot the exponent then.
    exponents = biggest > 10**300
    for label, values, colour, marker in series:
        # A size of 0 (no AD lines for f = x) sits on the bottom line, at 1.
        ys = [math.log10(max(v, 1)) if exponents else float(max(v, 1)) for v in values]
        plt.plot(ns, ys, label=label, marker=marker, color=colour)
    room = max(2, (height - 4) // 2)
    if exponents:
        top = math.ceil(math.log10(biggest))
        step = max(1, math.ceil(top / room))
        plt.yticks(list(range(0, top + 1, step)), [f"1e{k}" for k in range(0, top + 1, step)])
    else:
        plt.yscale("log")
        yticks, ylabels = _decade_ticks(1.0, max(float(biggest), 10.0), room)
        plt.yticks(yticks, ylabels)
    step = max(1, (ns[-1] - ns[0]) // 6)
    plt.xticks(list(range(ns[0], ns[-1] + 1, step)))
    plt.title("expression swell: size against level n (log scale)")
    plt.xlabel("n")
    return _finish(color)


def loss_plot(
    losses: Sequence[float],
    *,
    first_step: int = 0,
    width: int = 78,
    height: int = 20,
    color: bool = True,
    title: str = "loss against step",
) -> str:
    """The loss at each step; the loss axis is logarithmic if the losses span decades.

    Losses that are NaN or infinite (a diverging descent) have no place on the
    axis: they are left out and the caption says how many.
    """
    points = [(first_step + k, v) for k, v in enumerate(losses) if math.isfinite(v)]
    if not points:
        return "(no plot: no finite loss)"
    _start(width, height)
    steps = [s for s, _ in points]
    values = [v for _, v in points]
    low, high = min(values), max(values)
    logarithmic = low > 0 and high / low > 100
    plt.plot(steps, values, marker="braille", color="blue")
    if logarithmic:
        plt.yscale("log")
        yticks, ylabels = _decade_ticks(low, high, max(2, (height - 4) // 2))
        plt.yticks(yticks, ylabels)
    plt.xticks(_step_ticks(steps[0], steps[-1], max(2, (width - 10) // 12)))
    plt.title(title + (" (log scale)" if logarithmic else ""))
    left_out = len(losses) - len(points)
    note = f"   ({left_out} non-finite loss{'es' if left_out > 1 else ''} not drawn)"
    plt.xlabel("step" + (note if left_out else ""))
    return _finish(color)


def _step_ticks(first: int, last: int, room: int) -> list[int]:
    """Whole steps from ``first`` to ``last``, at most about ``room`` of them, spaced
    1, 2 or 5 times a power of ten."""
    span = max(last - first, 1)
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            spacing = factor * magnitude
            if span / spacing <= room:
                start = -(-first // spacing) * spacing
                return list(range(start, last + 1, spacing))
        magnitude *= 10
