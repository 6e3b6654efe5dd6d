"""Finite differences against AD: errors over a range of step sizes, and why they look like a V.

For a step h, a difference quotient has two errors:

* **truncation**, from cutting the Taylor series: about |f''|·h/2 for the
  forward and backward schemes, |f'''|·h²/6 for central and complex step;
* **round-off**, from subtracting nearly equal numbers: about 2ε|f|/h for
  forward/backward and ε|f|/h for central (ε ≈ 2.2e-16); the complex step
  subtracts nothing, so its round-off stays near ε|f'|.

Big h: truncation dominates; tiny h: round-off does, so the error against h
on log-log axes is a V whose bottom is near √ε ≈ 1.5e-8 (forward) or
ε^(1/3) ≈ 6e-6 (central).  :func:`study` measures it against the exact AD
derivative, and says for each h which error the model predicts dominates.
The f'' and f''' the model needs are estimated from AD derivatives at nearby
points.

Second derivatives (``adx fd --second X,Y``, :func:`mixed_second_study`) are
compared with the AD Hessian entry (forward-over-reverse): the four-point
formula (three-point for ∂²f/∂x²) divides by h², so its V bottoms out near
ε^(1/4) ≈ 1e-4; a central difference of exact AD gradients divides by h only,
so near ε^(1/3) ≈ 6e-6, and reaches a smaller error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from adexplorer.base.errors import AdxError
from adexplorer.base.limits import check
from adexplorer.base.numbers import nonfinite_kinds
from adexplorer.base.shapes import Array
from adexplorer.base.text import excerpt
from adexplorer.core.engines import finite_diff
from adexplorer.core.ir import Graph
from adexplorer.core.trace import describe_node, input_values, run

EPS = float(np.finfo(np.float64).eps)
#: Rules of thumb for the best step (for |x| about 1).
RULE_OF_THUMB = {
    "forward": math.sqrt(EPS),
    "backward": math.sqrt(EPS),
    "central": EPS ** (1 / 3),
    "complex": None,
}
DEFAULT_STEPS = tuple(10.0**-k for k in range(1, 17))


@dataclass(frozen=True)
class FdRow:
    scheme: str
    h: float
    estimate: float | None
    abs_error: float | None
    rel_error: float | None
    regime: str  # "truncation", "round-off" or "exact"


@dataclass(frozen=True)
class FdStudy:
    wrt: str
    inputs: Mapping[str, Array]
    value: float
    exact: float  # the AD derivative (one forward sweep)
    schemes: tuple[str, ...]
    steps: tuple[float, ...]
    rows: tuple[FdRow, ...]
    best: Mapping[str, tuple[float, float]]  # scheme → (h, abs error) with the least error
    model_optimum: Mapping[str, float | None]  # scheme → h where the two model errors cross
    second: float  # f'' along the direction (estimated from AD)
    third: float  # f''' along the direction
    not_applicable: Mapping[str, str]  # scheme → why it does not apply
    n_inputs: int

    def evaluations(self, scheme: str) -> int:
        return finite_diff.evaluations_per_gradient(self.n_inputs, scheme)

    def rows_for(self, scheme: str) -> list[FdRow]:
        return [r for r in self.rows if r.scheme == scheme]


def parse_steps(text: str) -> tuple[float, ...]:
    """``1e-1:1e-16`` (one per decade), ``1e-2:1e-10:17`` (17 log-spaced), or ``1e-2,1e-4``."""
    try:
        if ":" in text:
            parts = [float(p) for p in text.split(":")]
            if len(parts) not in (2, 3):
                raise ValueError
            start, stop = parts[0], parts[1]
            if start <= 0 or stop <= 0 or not (math.isfinite(start) and math.isfinite(stop)):
                raise AdxError(
                    "usage",
                    f"step sizes must be positive, not {text}",
                    hint="e.g. --steps 1e-1:1e-16",
                )
            # log10 of each end, not of their ratio: 2/1e-320 overflows to inf.
            decades = round(abs(math.log10(start) - math.log10(stop))) + 1
            if len(parts) == 3 and not parts[2].is_integer():
                raise AdxError(
                    "usage",
                    "COUNT in --steps START:STOP:COUNT is a whole number, "
                    f"not {text.split(':')[2]}",
                    hint="e.g. --steps 1e-2:1e-10:17",
                )
            count = int(parts[2]) if len(parts) == 3 else decades
            if count < 1:
                raise AdxError("usage", f"at least 1 step size, please (got {count})")
            check("fd_steps", count)
            steps = tuple(float(h) for h in np.geomspace(start, stop, count))
        else:
            steps = tuple(float(p) for p in text.split(",") if p.strip())
    except ValueError:
        raise AdxError(
            "usage",
            f"cannot read the step sizes {text!r}",
            hint="write START:STOP (one per decade), START:STOP:COUNT, or a list like 1e-2,1e-4",
        ) from None
    if not steps or any(not (h > 0 and math.isfinite(h)) for h in steps):
        raise AdxError(
            "usage",
            f"step sizes must be positive numbers, not {text!r}",
            hint="e.g. --steps 1e-1:1e-16",
        )
    check("fd_steps", len(steps))
    return steps


def _direction(graph: Graph, wrt: str) -> dict[str, Array]:
    index = graph.input_index(wrt)
    if index is None:
        from adexplorer.base.errors import did_you_mean

        raise AdxError(
            "usage",
            f"'{excerpt(wrt)}' is not an input of this function",
            hint=did_you_mean(wrt, graph.input_names)
            or f"the inputs are {', '.join(graph.input_names)}",
        )
    return {wrt: np.ones(graph.nodes[index].shape)}


def ad_directional(
    graph: Graph, inputs: Mapping[str, Array], direction: Mapping[str, Array]
) -> float:
    trace = run(graph, inputs, "forward", seed=direction)
    return float(trace.output_tangents()[0])


def study(
    graph: Graph,
    bindings: Mapping[str, Array],
    wrt: str | None = None,
    steps: Sequence[float] = DEFAULT_STEPS,
    schemes: Sequence[str] = finite_diff.SCHEMES,
) -> FdStudy:
    if len(graph.outputs) != 1 or graph.nodes[graph.outputs[0]].shape != ():
        raise AdxError("type", "finite differences here need a function with one scalar output")
    if not graph.input_names:
        raise AdxError(
            "usage",
            "this function has no inputs, so there is nothing to differentiate",
            hint="use a name such as x in the expression and give its value with --at x=…",
        )
    inputs = input_values(graph, bindings)
    graph = graph.retaped(inputs)  # a program with if/for: the tape of the run at this point
    wrt = wrt or graph.input_names[0]
    direction = _direction(graph, wrt)
    at_point = run(graph, inputs, "forward", seed=direction)
    value = float(at_point.output_value())
    exact = float(at_point.output_tangents()[0])
    if not (math.isfinite(value) and math.isfinite(exact)):
        what = "f" if not math.isfinite(value) else f"the derivative along {wrt}"
        number = value if not math.isfinite(value) else exact
        raise AdxError(
            "input",
            f"{what} is {nonfinite_kinds(number)} at this point, so finite differences "
            "have no exact value to be compared with",
            hint="; ".join(at_point.warnings) or "choose a point inside the function's domain",
        )

    # f'' and f''' along the direction, from exact AD derivatives at nearby points.
    # Far from 0 they may overflow; the error model then has no optimum to offer.
    delta = 1e-3 * max(1.0, float(np.max(np.abs(inputs[wrt]))))
    with np.errstate(all="ignore"):
        shifted = [
            ad_directional(graph, {**inputs, wrt: inputs[wrt] + s * delta}, direction)
            for s in (-1.0, 1.0)
        ]
        second = float(np.float64(shifted[1] - shifted[0]) / (2 * delta))
        third = float(np.float64(shifted[1] - 2 * exact + shifted[0]) / np.float64(delta) ** 2)

    not_applicable: dict[str, str] = {}
    obstacles = finite_diff.complex_step_obstacles(graph)
    if "complex" in schemes and obstacles:
        first = obstacles[0]
        node = graph.nodes[first]
        not_applicable["complex"] = (
            f"{describe_node(graph, first)} is not analytic "
            f"({node.primitive.kink_note or 'a kink'}); for a complex argument it does not "
            "continue the real function, so Im f(x+ih)/h loses the derivative"
        )

    rows = []
    for scheme in schemes:
        if scheme in not_applicable:
            continue
        for h in steps:
            with np.errstate(all="ignore"):
                estimate = float(
                    np.asarray(finite_diff.directional(graph, inputs, direction, h, scheme))
                )
            abs_error: float | None = None
            rel_error: float | None = None
            if math.isfinite(estimate) and math.isfinite(estimate - exact):
                # (near 1.8e308 the difference of two finite numbers can overflow)
                abs_error = abs(estimate - exact)
                rel_error = abs_error / abs(exact) if exact != 0 else None
            rows.append(
                FdRow(
                    scheme,
                    h,
                    estimate if math.isfinite(estimate) else None,
                    abs_error,
                    rel_error,
                    _regime(scheme, h, value, exact, second, third),
                )
            )
    best: dict[str, tuple[float, float]] = {}
    for scheme in schemes:
        candidates = [r for r in rows if r.scheme == scheme and r.abs_error is not None]
        if candidates:
            top = min(candidates, key=lambda r: (r.abs_error, -r.h))
            best[scheme] = (top.h, top.abs_error or 0.0)
    optimum = {s: _model_optimum(s, value, exact, second, third) for s in schemes}
    n_inputs = sum(int(np.size(v)) for v in inputs.values())
    return FdStudy(
        wrt,
        inputs,
        value,
        exact,
        tuple(schemes),
        tuple(steps),
        tuple(rows),
        best,
        optimum,
        second,
        third,
        not_applicable,
        n_inputs,
    )


def model_errors(
    scheme: str, h: float, value: float, first: float, second: float, third: float
) -> tuple[float, float]:
    """(truncation, round-off) error the model predicts for one step size."""
    f = max(abs(value), EPS)
    if scheme in ("forward", "backward"):
        return abs(second) * h / 2, 2 * EPS * f / h
    if scheme == "central":
        return abs(third) * h * h / 6, EPS * f / h
    return abs(third) * h * h / 6, EPS * abs(first)  # complex step: no cancellation


def _regime(scheme: str, h: float, value: float, first: float, second: float, third: float) -> str:
    truncation, roundoff = model_errors(scheme, h, value, first, second, third)
    if truncation == 0 and roundoff == 0:
        return "exact"
    return "truncation" if truncation >= roundoff else "round-off"


def _model_optimum(
    scheme: str, value: float, first: float, second: float, third: float
) -> float | None:
    """The h where the model's two errors are equal (the bottom of the V), if finite."""
    with np.errstate(all="ignore"):
        h = _balance(scheme, value, second, third)
    return h if h is not None and math.isfinite(h) and h > 0 else None


def _balance(scheme: str, value: float, second: float, third: float) -> float | None:
    if not (math.isfinite(second) and math.isfinite(third)):
        return None
    f = max(abs(value), EPS)
    if scheme in ("forward", "backward"):
        return 2 * math.sqrt(EPS * f / abs(second)) if second else None
    if scheme == "central":
        return (3 * EPS * f / abs(third)) ** (1 / 3) if third else None
    return None  # complex step: the error only shrinks with h


#: Rules of thumb for the best step of the second-derivative estimates (|x| about 1):
#: the four- and three-point formulas divide a round-off of about ε|f| by h², so their
#: error ε|f|/h² + C·h² is least near ε^(1/4); a central difference of exact AD
#: gradients divides ε|∇f| by h only, so its error ε|∇f|/h + C·h² is least near ε^(1/3).
SECOND_RULE_OF_THUMB = {"points": EPS ** (1 / 4), "gradients": EPS ** (1 / 3)}

FOUR_POINT = "[f({x}+h,{y}+h) - f({x}+h,{y}-h) - f({x}-h,{y}+h) + f({x}-h,{y}-h)] / (4h²)"
THREE_POINT = "[f({x}+h) - 2f({x}) + f({x}-h)] / h²"
GRADIENT_DIFFERENCE = "[∂f/∂{x}(at {y}+h) - ∂f/∂{x}(at {y}-h)] / 2h, with AD gradients"


@dataclass(frozen=True)
class MixedStudy:
    """∂²f/∂x∂y (or ∂²f/∂x² when x is y) against the AD Hessian entry, by two kinds of
    differences at each step h.

    ``rows``: the four-point formula (three-point for a pure partial), from values of f;
    ``gradient_rows``: central differences of exact AD gradients.  Each row is
    (h, estimate, |estimate − AD|), NaN where the estimate is not finite.
    """

    x: str
    y: str
    exact: float  # the AD Hessian entry (forward-over-reverse: one nested sweep along e_y)
    rows: tuple[tuple[float, float, float], ...]
    symbolic: float = math.nan  # the same entry by symbolic differentiation, twice
    gradient_rows: tuple[tuple[float, float, float], ...] = ()
    #: The AD Hessian's warnings at the point (a kink, a branch boundary, a domain edge):
    #: there the differences need not agree with AD's one-sided or zero second derivative.
    warnings: tuple[str, ...] = ()

    @property
    def pure(self) -> bool:
        return self.x == self.y

    @property
    def formula(self) -> str:
        return (THREE_POINT if self.pure else FOUR_POINT).format(x=self.x, y=self.y)

    @property
    def gradient_formula(self) -> str:
        return GRADIENT_DIFFERENCE.format(x=self.x, y=self.y)

    def best(self, which: str = "points") -> tuple[float, float] | None:
        """(h, |error|) of the measured row with the least error (``which``: "points" for
        the formula on values of f, "gradients" for differences of AD gradients)."""
        rows = self.rows if which == "points" else self.gradient_rows
        finite = [r for r in rows if math.isfinite(r[2])]  # min() with NaN is arbitrary
        if not finite:
            return None
        top = min(finite, key=lambda r: (r[2], -r[0]))
        return top[0], top[2]


def mixed_second_study(
    graph: Graph, bindings: Mapping[str, Array], x: str, y: str, steps: Sequence[float]
) -> MixedStudy:
    """∂²f/∂x∂y by the four-point formula (three-point when x is y) and by central
    differences of AD gradients at each h, against the AD Hessian entry.

    The reference is forward-over-reverse AD (one nested sweep along e_y gives the
    column H·e_y, whose x entry is the value); the symbolic differentiator's value is
    kept beside it as a check (both are checked against sympy in the tests).
    """
    from adexplorer.compare.symbolic import ExprTable, differentiate, from_graph, simplify
    from adexplorer.core.second_order import run_second_order

    inputs = input_values(graph, bindings)
    for name in (x, y):
        _direction(graph, name)
        if np.shape(inputs[name]) != ():
            raise AdxError("type", f"--second needs scalar inputs; '{name}' is not a real")
    with np.errstate(all="ignore"):
        nested = run_second_order(graph, inputs, direction={y: np.ones(())})
    exact = float(nested.hvp()[x])
    if not math.isfinite(exact):
        raise AdxError(
            "input",
            f"the AD Hessian entry ∂²f/∂{x}∂{y} is {nonfinite_kinds(exact)} at this point, so "
            "differences have no exact value to be compared with",
            hint="choose a point inside the function's domain",
        )
    symbolic = math.nan
    if not graph.dynamic:  # a program with if/for has a formula on each path only
        table = ExprTable()
        f = from_graph(table, graph)[graph.outputs[0]]
        fxy = simplify(table, differentiate(table, differentiate(table, f, x), y))
        env = {k: float(v) for k, v in inputs.items() if np.shape(v) == ()}
        with np.errstate(all="ignore"):
            symbolic = float(table.evaluate(fxy, env))
    rows = []
    gradient_rows = []
    for h in steps:
        with np.errstate(all="ignore"):
            if h * h == 0.0:  # h² underflows (h below ~1e-162): the formula divides by 0
                estimate = math.nan
            elif x == y:
                estimate = _three_point(graph, inputs, x, h)
            else:
                estimate = float(finite_diff.mixed_second(graph, inputs, x, y, h))
            rows.append(_row(h, estimate, exact))
            gradient_rows.append(_row(h, _gradient_difference(graph, inputs, x, y, h), exact))
    return MixedStudy(
        x, y, exact, tuple(rows), symbolic, tuple(gradient_rows), tuple(nested.warnings)
    )


def _row(h: float, estimate: float, exact: float) -> tuple[float, float, float]:
    error = abs(estimate - exact)
    return (h, estimate, error) if math.isfinite(error) else (h, estimate, math.nan)


def _three_point(graph: Graph, inputs: Mapping[str, Array], x: str, h: float) -> float:
    """∂²f/∂x² ≈ [f(x+h) − 2f(x) + f(x−h)] / h²."""
    f = finite_diff.function_of(graph)
    ahead = float(f({**inputs, x: np.asarray(inputs[x]) + h}))
    behind = float(f({**inputs, x: np.asarray(inputs[x]) - h}))
    return (ahead - 2 * float(f(inputs)) + behind) / (h * h)


def _gradient_difference(
    graph: Graph, inputs: Mapping[str, Array], x: str, y: str, h: float
) -> float:
    """[∂f/∂x(… y+h …) − ∂f/∂x(… y−h …)] / 2h, each ∂f/∂x by one reverse sweep."""
    slopes = []
    for step in (h, -h):
        shifted = {**inputs, y: np.asarray(inputs[y]) + step}
        try:
            trace = run(graph, shifted, "reverse", wrt=[x])
        except AdxError:  # a program whose tape cannot run there (a loop past its limit)
            return math.nan
        slopes.append(float(trace.gradient()[x]))
    return (slopes[0] - slopes[1]) / (2 * h)
