"""The primitive table: every operation adx knows, defined once, with all its rules side by side.

For each primitive this module holds

* ``evaluate`` — the numpy evaluation,
* ``shape_rule`` — the output shape from the argument shapes (or ShapeMismatch),
* ``jvp[i]`` — the contribution of argument *i*'s tangent to the output tangent,
* ``vjp[i]`` — the contribution of the output adjoint to argument *i*'s adjoint,
* ``partial[i]`` — ∂out/∂arg_i as adx source text (used for display and by the
  symbolic differentiator), where one exists elementwise,
* display templates for the primal, tangent and adjoint steps (an operator's
  primal template, ``{0} + {1}``, comes from :mod:`adexplorer.core.operators`),
* a cost model per scalar element (see :mod:`adexplorer.core.cost`),
* whether it is analytic (complex-step differentiation applies) and a note on
  its convention at points where it is not differentiable,
* numpy source text of the primal, of each argument's tangent term and of each
  adjoint contribution (``numpy_primal``, ``numpy_jvp``, ``numpy_vjp``), from
  which :mod:`adexplorer.codegen` writes derivative programs,
* ``second`` — what the nested (forward-over-reverse) sweep needs, beside the
  first-order rules (:class:`SecondOrder`): for an elementwise primitive its second
  partials ∂²y/∂aᵢ∂aⱼ as numpy callables and adx text (``-sin({0})``), for matmul and
  dot that they are bilinear, for sum, mean and transpose that they are linear;
  from it the table derives ``vjp_dot[i]``, the change of argument i's adjoint
  contribution when the primals move (see :mod:`adexplorer.core.engines.nested`).

Engines are generic over this table: nothing else dispatches on a primitive's
name, and the table-driven tests cover every entry.  Templates use ``{0}``,
``{1}`` for argument names, ``{y}`` for the output, ``{t}`` for the argument's
tangent and ``{b}`` for the output's adjoint.

Conventions at non-differentiable points follow PyTorch: ``relu'(0) = 0``,
``abs'(0) = 0`` (``sign(0) = 0``), and ``sqrt'(0) = inf``.

Worked example (``v3 = sin(v0)`` at ``v0 = 5``)::

    tangent:  v̇3 = cos(v0)·v̇0        adjoint:  v̄0 += v̄3·cos(v0)
    nested:   v̄̇0 += v̄̇3·cos(v0) - v̄3·sin(v0)·v̇0      (sin'' = -sin)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from adexplorer.base.numbers import source_literal
from adexplorer.base.shapes import (
    Array,
    Shape,
    ShapeMismatch,
    broadcast,
    size,
    type_name,
    unbroadcast,
)
from adexplorer.core.cost import OpCount, SweepCost
from adexplorer.core.operators import BY_PRIMITIVE

Args = tuple[Array, ...]
JvpRule = Callable[[Args, Array, Array], Array]
VjpRule = Callable[[Args, Array, Array], Array]
#: A partial derivative as adx text, given argument texts, output text and the
#: values of the arguments that are constants (None where not constant).
PartialText = Callable[[Sequence[str], str, Sequence[float | None]], str]
CostRule = Callable[[Sequence[Shape], Shape, Sequence[bool]], SweepCost]
#: numpy source text for generated code: a template over ``{0}``, ``{1}``, ``{2}``
#: (argument names), ``{y}`` (output), ``{t}`` (the argument's tangent), ``{b}``
#: (the output's adjoint), ``{s0}``/``{n0}`` (argument 0's shape as a Python tuple and
#: its size; likewise s1, n1, s2, n2); or a function of the argument shapes and the
#: values of constant arguments (None where not constant) returning such a template.
#: Every placeholder is replaced by a Python atom (a name or a parenthesized literal).
NumpyText = str | Callable[[Sequence[Shape], Sequence[float | None]], str]
#: A second partial derivative ∂²y/∂aᵢ∂aⱼ from the arguments and the output.
SecondPartial = Callable[[Args, Array], Array]
#: The change of argument i's adjoint contribution when the primals move along the
#: tangents, the output adjoint held fixed: (args, out, ct, arg_tangents, out_tangent)
#: → an array of the argument's shape, or None where it is exactly 0.  Argument
#: tangents are None for constants.
VjpDotRule = Callable[[Args, Array, Array, Sequence[Array | None], Array | None], Array | None]
#: The second-order part of a nested sweep for one node (what ``vjp_dot`` computes).
SecondCostRule = Callable[[Sequence[Shape], Shape, Sequence[bool]], OpCount]

SECOND_KINDS = ("elementwise", "bilinear", "linear")


@dataclass(frozen=True)
class SecondOrder:
    """What the nested sweep needs of a primitive, beside its first-order rules.

    ``kind`` says what follows from the first-order rules:

    * ``elementwise`` — ``partials[i][j](args, out)`` is ∂²y/∂aᵢ∂aⱼ entry by entry
      (symmetric: ``partials[i][j]`` and ``partials[j][i]`` are the same function),
      None where it is identically 0; ``texts[i][j]`` is its adx text (``-sin({0})``).
    * ``bilinear`` (matmul, dot) — y is linear in each argument with the other held:
      argument i's adjoint contribution changes as the VJP rule with the *other*
      argument replaced by its tangent (``ȳ @ ḃᵀ``).
    * ``linear`` (sum, mean, transpose) — the VJP does not depend on the primals:
      the contribution's change is 0.

    ``cost`` counts the second-order part of a nested sweep (per node, as
    :data:`CostRule` counts the first-order parts).  ``kink`` tells whether an
    argument sits where a piecewise primitive (abs, relu, sign, step) has its kink:
    there its second derivative (a jump of the first) is taken as 0, and
    ``kink_note`` says so.
    """

    kind: str
    partials: tuple[tuple[SecondPartial | None, ...], ...] = ()
    texts: tuple[tuple[PartialText | None, ...], ...] = ()
    cost: SecondCostRule | None = None
    kink: Callable[[Args], bool] | None = None
    kink_note: str | None = None

    def nonzero(self, i: int, j: int) -> bool:
        """True unless ∂²y/∂aᵢ∂aⱼ is identically 0 (elementwise primitives)."""
        return bool(self.partials) and self.partials[i][j] is not None


@dataclass(frozen=True)
class Primitive:
    name: str
    arity: int
    evaluate: Callable[..., Array]
    shape_rule: Callable[..., Shape]
    jvp: tuple[JvpRule, ...]
    vjp: tuple[VjpRule, ...]
    primal_template: str
    #: Explicit display templates per argument; None means "derive from the partial".
    tangent_terms: tuple[str | None, ...]
    adjoint_terms: tuple[str | None, ...]
    cost: CostRule
    partials: tuple[PartialText, ...] | None = None
    analytic: bool = True
    kink_note: str | None = None
    domain_note: str | None = None
    summary: str = ""
    aliases: tuple[str, ...] = field(default=())
    #: An evaluation valid for complex arguments, where ``evaluate`` is not
    #: (complex-step differentiation needs the analytic continuation).
    complex_evaluate: Callable[..., Array] | None = None
    #: numpy text of the primal, and per argument of its JVP term (the tangent
    #: contribution) and VJP contribution (before any sum over broadcast axes).
    numpy_primal: NumpyText | None = None
    numpy_jvp: tuple[NumpyText, ...] | None = None
    numpy_vjp: tuple[NumpyText, ...] | None = None
    #: For the tests of ``if``/``elif`` in generated code: the primal as a Python
    #: condition (``{0} < {1}``, ``{0} and {1}``), where one reads better than the
    #: 0.0/1.0 value; ``condition_args`` says the arguments are conditions too.
    numpy_condition: str | None = None
    condition_args: bool = False
    #: What the nested sweep needs (second partials, or bilinear / linear); the table
    #: refuses a primitive without it.
    second: SecondOrder | None = None
    #: Derived from ``second`` and ``vjp``: one rule per argument (see VjpDotRule).
    vjp_dot: tuple[VjpDotRule, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # derived here, so dataclasses.replace (a lesson's broken rule) derives it again
        object.__setattr__(self, "vjp_dot", _derive_vjp_dot(self))

    def second_text(
        self, i: int, j: int, args: Sequence[str], out: str, consts: Sequence[float | None]
    ) -> str | None:
        """∂²out/∂arg_i∂arg_j as adx text (elementwise), None where identically 0."""
        second = self.second
        if second is None or not second.texts:
            return None
        text = second.texts[i][j]
        return None if text is None else text(args, out, consts)

    def adjoint_dot_texts(
        self,
        i: int,
        args: Sequence[str],
        out: str,
        b: str,
        tangents: Sequence[str | None],
        consts: Sequence[float | None],
    ) -> list[str]:
        """The second-order terms of argument i's adjoint tangent, one per argument that
        moves (``tangents[j]`` None for a constant): ``v̄3*(-sin(v0))*v̇0`` → the text
        ``-v̄3*sin(v0)*v̇0``; for matmul ``v̄3 @ v̇2ᵀ``.  Empty where they are 0."""
        second = self.second
        if second is None or second.kind == "linear":
            return []
        terms = []
        for j, t in enumerate(tangents):
            if t is None:
                continue
            if second.kind == "bilinear":
                if j == i:
                    continue
                moved = list(args)
                moved[j] = t
                terms.append(self.adjoint_text(i, moved, out, b, consts))
                continue
            partial = self.second_text(i, j, args, out, consts)
            if partial is None:
                continue
            terms.append(times(times(partial, t), b, factor_first=False))
        return terms

    @property
    def broadcasts(self) -> bool:
        """True if the arguments are broadcast against each other (elementwise with arity > 1)."""
        return self.arity > 1 and self.shape_rule is broadcast

    def numpy_template(
        self,
        kind: str,
        i: int,
        shapes: Sequence[Shape],
        consts: Sequence[float | None],
    ) -> str:
        """The numpy template of ``kind`` (primal, jvp or vjp; argument ``i``) at these shapes."""
        if kind == "primal":
            rule = self.numpy_primal
        else:
            rules = self.numpy_jvp if kind == "jvp" else self.numpy_vjp
            rule = rules[i] if rules is not None else None
        if rule is None:
            raise NotImplementedError(f"primitive {self.name!r} has no numpy {kind} text")
        return rule if isinstance(rule, str) else rule(shapes, consts)

    def partial_text(
        self, i: int, args: Sequence[str], out: str, consts: Sequence[float | None]
    ) -> str | None:
        """∂out/∂arg_i as adx text, or None for non-elementwise primitives."""
        if self.partials is None:
            return None
        return self.partials[i](args, out, consts)

    def tangent_text(
        self,
        i: int,
        args: Sequence[str],
        out: str,
        t: str,
        consts: Sequence[float | None],
        *,
        substituted: bool = False,
    ) -> str:
        """Argument i's term in the tangent formula, e.g. ``cos(v0)*v̇0``.  ``substituted``:
        ``args``, ``out`` and ``t`` are numbers, put into the text the rule has with names
        (its shape is decided on names alone: ``v̄1·v-1`` at v-1 = 1 reads ``1·1``, not
        a bare ``1``, and ``-v̄4·v-1/v0^2`` does not become a reciprocal)."""
        if substituted:
            slots = _slots(len(args))
            text = self.tangent_text(i, slots, _OUT, _TERM, consts)
            return _substitute(text, slots, args, out, t)
        explicit = self.tangent_terms[i]
        if explicit is not None:
            return explicit.format(*args, y=out, t=t)
        partial = self.partial_text(i, args, out, consts)
        assert partial is not None
        return times(partial, t)

    def adjoint_text(
        self,
        i: int,
        args: Sequence[str],
        out: str,
        b: str,
        consts: Sequence[float | None],
        *,
        substituted: bool = False,
    ) -> str:
        """The contribution to argument i's adjoint, e.g. ``v̄3*cos(v0)``.  ``substituted``:
        as for :meth:`tangent_text`."""
        if substituted:
            slots = _slots(len(args))
            text = self.adjoint_text(i, slots, _OUT, _TERM, consts)
            return _substitute(text, slots, args, out, b)
        explicit = self.adjoint_terms[i]
        if explicit is not None:
            return explicit.format(*args, y=out, b=b)
        partial = self.partial_text(i, args, out, consts)
        assert partial is not None
        return times(partial, b, factor_first=False)


#: Placeholders for substituted numbers (no rule text contains these brackets).
_OUT, _TERM = "⟨y⟩", "⟨t⟩"


def _slots(arity: int) -> list[str]:
    return [f"⟨{k}⟩" for k in range(arity)]


def _substitute(text: str, slots: Sequence[str], args: Sequence[str], out: str, term: str) -> str:
    for slot, number in zip(slots, args, strict=True):
        text = text.replace(slot, number)
    return text.replace(_OUT, out).replace(_TERM, term)


def _template(text: str) -> PartialText:
    def render(args: Sequence[str], out: str, consts: Sequence[float | None]) -> str:
        return text.format(*args, y=out)

    return render


def needs_parens(text: str) -> bool:
    """True if ``text`` has a + or - at the top level (so ``text·t`` would misread)."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch in "+-" and depth == 0 and i > 0 and text[i - 1] == " ":
            return True
    return False


def times(factor: str, term: str, *, factor_first: bool = True) -> str:
    """``factor·term`` in adx syntax, written the way a person would.

    ``1*t`` is ``t``, ``-1*t`` is ``-t``, and a reciprocal ``1/u`` times ``t``
    is ``t/u``.  With ``factor_first=False`` the term leads (``ȳ*cos(a)``).
    """
    if factor == "1":
        return term
    if factor == "-1":
        return f"-{term}"
    if factor == "0":
        return "0"
    if factor.startswith("-") and not needs_parens(factor[1:]):
        # -u times t is written -(u times t): "-ȳ*a/b^2", not "ȳ*-a/b^2"
        return "-" + times(factor[1:], term, factor_first=factor_first)
    for sign in ("", "-"):
        prefix = f"{sign}1/"
        if factor.startswith(prefix) and not needs_parens(factor[len(prefix) :]):
            return f"{sign}{term}/{factor[len(prefix) :]}"
    if needs_parens(factor):
        factor = f"({factor})"
    return f"{factor}*{term}" if factor_first else f"{term}*{factor}"


# ------------------------------------------------------------------ second order


def _moves(t: Array | None) -> bool:
    """Does a tangent move anything?  (None: a constant; all zeros: an unseeded input.)"""
    return t is not None and bool(np.any(t))


def _masked(term: Array, tangent: Array) -> Array:
    """A term times a zero tangent is exactly 0, even where the partial is infinite
    (as in :func:`adexplorer.core.engines.forward._zero_times`)."""
    if np.all(np.isfinite(term)):
        return term
    return np.where(np.broadcast_to(tangent, np.shape(term)) == 0, 0.0, term)


def _derive_vjp_dot(prim: Primitive) -> tuple[VjpDotRule, ...]:
    """``vjp_dot[i]``: how argument i's adjoint contribution changes as the primals move
    along their tangents, the output adjoint ȳ held fixed — the one place the nested
    sweep's second-order rule is made from a primitive's :class:`SecondOrder`."""
    second = prim.second
    if second is None:
        return ()
    if second.kind == "linear":
        return tuple(_no_change for _ in range(prim.arity))
    if second.kind == "bilinear":
        return tuple(_bilinear_dot(prim.vjp[i], i) for i in range(prim.arity))
    return tuple(_elementwise_dot(second, i) for i in range(prim.arity))


def _no_change(
    args: Args, out: Array, ct: Array, tangents: Sequence[Array | None], out_tangent: Array | None
) -> Array | None:
    return None


def _bilinear_dot(vjp: VjpRule, i: int) -> VjpDotRule:
    def rule(
        args: Args,
        out: Array,
        ct: Array,
        tangents: Sequence[Array | None],
        out_tangent: Array | None,
    ) -> Array | None:
        total: Array | None = None
        for j, t in enumerate(tangents):
            if j == i or t is None or not _moves(t):
                continue
            moved = list(args)
            moved[j] = np.asarray(t, dtype=np.float64)
            term = vjp(tuple(moved), out, ct)
            total = term if total is None else total + term
        return total

    return rule


def _elementwise_dot(second: SecondOrder, i: int) -> VjpDotRule:
    row = second.partials[i]

    def rule(
        args: Args,
        out: Array,
        ct: Array,
        tangents: Sequence[Array | None],
        out_tangent: Array | None,
    ) -> Array | None:
        total: Array | None = None
        for j, d2 in enumerate(row):
            t = tangents[j]
            if d2 is None or t is None or not _moves(t):
                continue
            term = _masked(d2(args, out) * t, t)
            total = term if total is None else total + term
        if total is None:
            return None
        change = ct * total
        if len(args) == 1 or np.shape(change) == np.shape(args[i]):
            return change
        # the argument was broadcast: its adjoint sums the copies, and so does the change
        return unbroadcast(np.asarray(change, dtype=np.float64), np.shape(args[i]))

    return rule


def _elementwise_second_cost(
    second: Sequence[Sequence[tuple[SecondPartial, PartialText] | None]], nlops: int
) -> SecondCostRule:
    """Per element and per active argument i: for each argument j that moves with a
    nonzero ∂²y/∂aᵢ∂aⱼ, evaluate it (``nlops`` nonlinear operations), times ȧⱼ, times
    ȳ and add (2 mults, 1 add), reading ȧⱼ and writing the term (2 moves)."""

    def rule(shapes: Sequence[Shape], out: Shape, active: Sequence[bool]) -> OpCount:
        n = size(out)
        total = OpCount()
        for i, row in enumerate(second):
            if not active[i]:
                continue
            for j, entry in enumerate(row):
                if entry is not None and active[j]:
                    total += OpCount(moves=2, adds=1, mults=2, nlops=nlops).scaled(n)
        return total

    return rule


def _no_second_cost(shapes: Sequence[Shape], out: Shape, active: Sequence[bool]) -> OpCount:
    return OpCount()


def _at_zero(args: Args) -> bool:
    return bool(np.any(np.asarray(args[0]) == 0))


# ------------------------------------------------------------------ cost models


def _elementwise_cost(primal: OpCount, tangent: OpCount, adjoint: OpCount) -> CostRule:
    """Per-element counts for fully active arguments, scaled by size and activity."""

    def rule(shapes: Sequence[Shape], out: Shape, active: Sequence[bool]) -> SweepCost:
        n = size(out)
        k, arity = sum(active), len(active)

        def part(c: OpCount) -> OpCount:
            if k == arity:
                return c.scaled(n)
            # Only some arguments carry derivatives: charge their share.
            return OpCount(
                -(-c.moves * k // arity),
                -(-c.adds * k // arity),
                -(-c.mults * k // arity),
                -(-c.nlops * k // arity),
            ).scaled(n)

        return SweepCost(primal.scaled(n), part(tangent), part(adjoint))

    return rule


def _unary_cost(nlops: int = 1, tangent_mults: int = 1, tangent_nlops: int = 1) -> CostRule:
    return _elementwise_cost(
        OpCount(moves=2, nlops=nlops),
        OpCount(moves=2, mults=tangent_mults, nlops=tangent_nlops),
        OpCount(moves=4, adds=1, mults=tangent_mults, nlops=tangent_nlops),
    )


_ADD_COST = _elementwise_cost(
    OpCount(moves=3, adds=1), OpCount(moves=3, adds=1), OpCount(moves=5, adds=2)
)
_MUL_COST = _elementwise_cost(
    OpCount(moves=3, mults=1), OpCount(moves=3, adds=1, mults=2), OpCount(moves=7, adds=2, mults=2)
)
_POW_COST = _elementwise_cost(
    OpCount(moves=3, nlops=1),
    OpCount(moves=3, adds=1, mults=3, nlops=1),
    OpCount(moves=8, adds=2, mults=4, nlops=1),
)


# ------------------------------------------------------------------ elementwise builders


def _elementwise(
    name: str,
    fn: Callable[..., Array],
    partials: Sequence[tuple[Callable[[Args, Array], Array], PartialText]],
    primal_template: str,
    cost: CostRule,
    *,
    tangent_terms: Sequence[str] | None = None,
    adjoint_terms: Sequence[str] | None = None,
    analytic: bool = True,
    kink_note: str | None = None,
    domain_note: str | None = None,
    summary: str = "",
    aliases: tuple[str, ...] = (),
    complex_evaluate: Callable[..., Array] | None = None,
    numpy: tuple[NumpyText, Sequence[NumpyText], Sequence[NumpyText]] | None = None,
    numpy_condition: str | None = None,
    condition_args: bool = False,
    second: Mapping[tuple[int, int], tuple[SecondPartial, PartialText]],
    second_nlops: int = 1,
    kink: Callable[[Args], bool] | None = None,
    second_kink_note: str | None = None,
) -> Primitive:
    """A primitive applied entry by entry (with broadcasting for two arguments).

    Its JVP and VJP follow from its partial derivatives: the tangent
    contribution of argument *i* is ``∂y/∂a_i · ȧ_i`` and the adjoint
    contribution is ``ȳ · ∂y/∂a_i`` summed back to the argument's shape.

    ``second`` gives the nonzero second partials ∂²y/∂aᵢ∂aⱼ keyed ``(i, j)`` with
    i <= j (the other half is the same function), each as a callable of
    (args, out) and adx text; an empty mapping: every second partial is 0.
    ``second_nlops`` is the nonlinear operations one of them costs per element.
    """
    arity = len(partials)
    hessian: list[list[tuple[SecondPartial, PartialText] | None]] = [
        [None] * arity for _ in range(arity)
    ]
    for (i, j), entry in second.items():
        if not 0 <= i <= j < arity:
            raise RuntimeError(f"primitive {name!r}: second partial {(i, j)} is not i <= j")
        hessian[i][j] = hessian[j][i] = entry

    def make_jvp(d: Callable[[Args, Array], Array]) -> JvpRule:
        return lambda args, out, t: d(args, out) * t

    def make_vjp(i: int, d: Callable[[Args, Array], Array]) -> VjpRule:
        if arity == 1:
            return lambda args, out, ct: d(args, out) * ct
        if d is _one:

            def pass_through(args: Args, out: Array, ct: Array) -> Array:
                # ∂y/∂a = 1 (a + b, a - b): 1.0·ȳ is ȳ, so ȳ itself, summed back over
                # any broadcast axes, without a copy of it
                if isinstance(ct, float) and isinstance(args[i], float):
                    return ct
                return unbroadcast(np.asarray(ct, dtype=np.float64), np.shape(args[i]))

            return pass_through

        def vjp(args: Args, out: Array, ct: Array) -> Array:
            contribution = d(args, out) * ct
            if isinstance(contribution, float) and isinstance(args[i], float):
                return contribution  # scalars: nothing was broadcast
            return unbroadcast(np.asarray(contribution, dtype=np.float64), np.shape(args[i]))

        return vjp

    return Primitive(
        name=name,
        arity=arity,
        evaluate=fn,
        shape_rule=(lambda s: s) if arity == 1 else broadcast,
        jvp=tuple(make_jvp(d) for d, _ in partials),
        vjp=tuple(make_vjp(i, d) for i, (d, _) in enumerate(partials)),
        primal_template=primal_template,
        tangent_terms=tuple(tangent_terms) if tangent_terms else (None,) * arity,
        adjoint_terms=tuple(adjoint_terms) if adjoint_terms else (None,) * arity,
        cost=cost,
        partials=tuple(p for _, p in partials),
        analytic=analytic,
        kink_note=kink_note,
        domain_note=domain_note,
        summary=summary,
        aliases=aliases,
        complex_evaluate=complex_evaluate,
        numpy_primal=numpy[0] if numpy else None,
        numpy_jvp=tuple(numpy[1]) if numpy else None,
        numpy_vjp=tuple(numpy[2]) if numpy else None,
        numpy_condition=numpy_condition,
        condition_args=condition_args,
        second=SecondOrder(
            kind="elementwise",
            partials=tuple(tuple(e[0] if e else None for e in row) for row in hessian),
            texts=tuple(tuple(e[1] if e else None for e in row) for row in hessian),
            cost=_elementwise_second_cost(hessian, second_nlops),
            kink=kink,
            kink_note=second_kink_note,
        ),
    )


def _unary(
    name: str,
    fn: Callable[[Array], Array],
    d: Callable[[Array, Array], Array],
    text: str,
    summary: str,
    *,
    second: tuple[Callable[[Array, Array], Array], str] | None,
    cost: CostRule | None = None,
    **options: object,
) -> Primitive:
    """A function of one argument; ``second`` is its second derivative (a callable of
    the argument and the output, and its adx text) beside ``d`` and ``text``, the
    first: None where it is 0 everywhere."""
    second_partials: dict[tuple[int, int], tuple[SecondPartial, PartialText]] = {}
    if second is not None:
        d2, text2 = second
        second_partials[(0, 0)] = (lambda args, out: d2(args[0], out), _template(text2))
    return _elementwise(
        name,
        fn,
        [(lambda args, out: d(args[0], out), _template(text))],
        f"{name}({{0}})",
        cost or _unary_cost(),
        summary=summary,
        second=second_partials,
        **options,  # type: ignore[arg-type]
    )


def _sigmoid(x: Array) -> Array:
    # Stable for large |x|: never exponentiates a large positive number.
    return np.where(
        x >= 0, 1.0 / (1.0 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1.0 + np.exp(-np.abs(x)))
    )


def _sigmoid_complex(z: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-z))


def _softplus_complex(z: Array) -> Array:
    # log(1 + e^z), rewritten as z + log(1 + e^-z) where Re z > 0 to avoid overflow
    z = np.asarray(z, dtype=np.complex128)
    return np.where(z.real > 0, z + np.log1p(np.exp(-z)), np.log1p(np.exp(z)))


def _numpy_unary(primal: str, partial: str) -> tuple[str, list[str], list[str]]:
    """numpy texts of a unary elementwise primitive from its partial derivative's text."""
    return primal, [f"{partial} * {{t}}"], [f"{{b}} * {partial}"]


def numpy_literal(x: float) -> str:
    """A float as a Python atom: ``2.0``, ``(-0.5)``, ``np.inf``, ``(-np.inf)``, ``np.nan``."""
    if math.isnan(x):
        return "np.nan"
    if math.isinf(x):
        return "np.inf" if x > 0 else "(-np.inf)"
    return f"({x!r})" if x < 0 or (x == 0 and math.copysign(1.0, x) < 0) else repr(x)


def _numpy_pow_base(derivative_of: str) -> NumpyText:
    """∂(a**b)/∂a times ``{t}`` or ``{b}``: neat when the exponent is a constant."""

    def text(shapes: Sequence[Shape], consts: Sequence[float | None]) -> str:
        c = consts[1]
        if c is None:
            return f"np.where({{1}} == 0, 0.0, {{1}} * {{0}} ** ({{1}} - 1.0)) * {derivative_of}"
        if c == 0:
            return f"0.0 * {derivative_of}"
        if c == 1:
            return derivative_of
        if c == 2:
            return f"2.0 * {{0}} * {derivative_of}"
        return f"{numpy_literal(c)} * {{0}} ** {numpy_literal(c - 1.0)} * {derivative_of}"

    return text


def _numpy_pow_exponent(derivative_of: str) -> NumpyText:
    """∂(a**b)/∂b times ``{t}`` or ``{b}``: 0 where a = 0 and b >= 0, as PyTorch."""

    def text(shapes: Sequence[Shape], consts: Sequence[float | None]) -> str:
        c = consts[0]
        if c is not None and c > 0:
            return f"{{y}} * np.log({{0}}) * {derivative_of}"
        return (
            "np.where(({0} == 0) & ({1} >= 0), 0.0, {y} * np.log(np.where({0} == 0, 1.0, {0})))"
            f" * {derivative_of}"
        )

    return text


def _numpy_matmul_vjp(slot: int) -> NumpyText:
    """The adjoint contribution of ``a @ b`` to a (slot 0) or b (slot 1), by the shapes."""

    def text(shapes: Sequence[Shape], consts: Sequence[float | None]) -> str:
        a, b = (len(s) for s in shapes)
        if a == 1 and b == 1:
            return "{b} * {1}" if slot == 0 else "{b} * {0}"
        if a == 1:  # vec @ mat
            return "{1} @ {b}" if slot == 0 else "np.outer({0}, {b})"
        if b == 1:  # mat @ vec
            return "np.outer({b}, {1})" if slot == 0 else "{0}.T @ {b}"
        return "{b} @ {1}.T" if slot == 0 else "{0}.T @ {b}"

    return text


def _step(x: Array) -> Array:
    return np.where(np.asarray(x) > 0, 1.0, 0.0)


def _pow_base_text(args: Sequence[str], out: str, consts: Sequence[float | None]) -> str:
    """∂(a^b)/∂a = b·a^(b-1), written neatly when the exponent is a constant."""
    a, b = args
    c = consts[1]
    if c is None:
        return f"{b}*{a}^({b} - 1)"
    if c == 1:
        return "1"
    if c == 2:
        return f"2*{a}"
    return f"{source_literal(c)}*{a}^{source_literal(c - 1)}"


def _pow_base_partial(args: Args, out: Array) -> Array:
    """b·a^(b-1), and exactly 0 where b = 0 (a^0 is constant, even at a = 0), as PyTorch."""
    a, b = args
    if np.ndim(b) == 0 and b != 0:  # one exponent, as in x^2: nothing to choose
        return b * np.power(a, b - 1.0)
    return np.where(np.asarray(b) == 0, 0.0, b * np.power(a, b - 1.0))


def _pow_exponent_partial(args: Args, out: Array) -> Array:
    """a^b·log(a), and exactly 0 where a = 0 and b >= 0 (0^b is flat in b there), as PyTorch."""
    a, b = args
    flat = (np.asarray(a) == 0) & (np.asarray(b) >= 0)
    return np.where(flat, 0.0, out * np.log(np.where(flat, 1.0, a)))


def _pow_base_second(args: Args, out: Array) -> Array:
    """∂²(a^b)/∂a² = b·(b-1)·a^(b-2), exactly 0 where b is 0 or 1 (a^b is linear or flat in a)."""
    a, b = args
    if np.ndim(b) == 0 and b not in (0, 1):
        return b * (b - 1.0) * np.power(a, b - 2.0)
    b = np.asarray(b)
    return np.where((b == 0) | (b == 1), 0.0, b * (b - 1.0) * np.power(a, b - 2.0))


def _pow_base_second_text(args: Sequence[str], out: str, consts: Sequence[float | None]) -> str:
    """b·(b-1)·a^(b-2), written neatly when the exponent is a constant."""
    a, b = args
    c = consts[1]
    if c is None:
        return f"{b}*({b} - 1)*{a}^({b} - 2)"
    if c in (0, 1):
        return "0"
    if c == 2:
        return "2"
    return f"{source_literal(c * (c - 1))}*{a}^{source_literal(c - 2)}"


def _pow_mixed_second(args: Args, out: Array) -> Array:
    """∂²(a^b)/∂a∂b = a^(b-1)·(1 + b·log a); taken as 0 at a = 0, as the first partial in b is."""
    a, b = args
    zero = np.asarray(a) == 0
    safe = np.where(zero, 1.0, a)
    return np.where(zero, 0.0, np.power(safe, b - 1.0) * (1.0 + b * np.log(safe)))


def _pow_exponent_second(args: Args, out: Array) -> Array:
    """∂²(a^b)/∂b² = a^b·log(a)², exactly 0 where a = 0 and b >= 0 (flat in b there)."""
    a, b = args
    flat = (np.asarray(a) == 0) & (np.asarray(b) >= 0)
    log_a = np.log(np.where(flat, 1.0, a))
    return np.where(flat, 0.0, out * log_a * log_a)


# ------------------------------------------------------------------ tensor primitives


def _matmul_shape(a: Shape, b: Shape) -> Shape:
    if len(a) == 0 or len(b) == 0:
        raise ShapeMismatch(
            f"@ needs vectors or matrices, not {type_name(a)} @ {type_name(b)} (use * for scalars)"
        )
    if len(a) > 2 or len(b) > 2:
        raise ShapeMismatch("@ supports vectors and matrices only")
    inner_a = a[-1]
    inner_b = b[0]
    if inner_a != inner_b:
        raise ShapeMismatch(
            f"cannot compute {type_name(a)} @ {type_name(b)}: the inner sizes {inner_a} and "
            f"{inner_b} differ"
        )
    return a[:-1] + b[1:]


def _matmul_vjp_a(args: Args, out: Array, ct: Array) -> Array:
    a, b = args
    if a.ndim == 1 and b.ndim == 1:
        return ct * b
    if a.ndim == 1:  # vec @ mat -> vec
        return b @ ct
    if b.ndim == 1:  # mat @ vec -> vec
        return np.outer(ct, b)
    return ct @ b.T


def _matmul_vjp_b(args: Args, out: Array, ct: Array) -> Array:
    a, b = args
    if a.ndim == 1 and b.ndim == 1:
        return ct * a
    if a.ndim == 1:
        return np.outer(a, ct)
    if b.ndim == 1:
        return a.T @ ct
    return a.T @ ct


def _matmul_cost(shapes: Sequence[Shape], out: Shape, active: Sequence[bool]) -> SweepCost:
    a, b = shapes
    inner = a[-1]
    n_out = size(out)
    mults = n_out * inner
    adds = n_out * (inner - 1)
    reads = size(a) + size(b)
    primal = OpCount(moves=reads + n_out, adds=adds, mults=mults)
    tangent = OpCount()
    adjoint = OpCount()
    for arg_shape, is_active in zip(shapes, active, strict=True):
        if not is_active:
            continue
        tangent += OpCount(moves=size(arg_shape), adds=adds + n_out, mults=mults)
        adjoint += OpCount(moves=n_out + 2 * size(arg_shape), adds=mults, mults=mults)
    if any(active):
        tangent += OpCount(moves=n_out)
    return SweepCost(primal, tangent, adjoint)


def _bilinear_second_cost(shapes: Sequence[Shape], out: Shape, active: Sequence[bool]) -> OpCount:
    """For each active argument, the adjoint product again with the other argument's
    tangent in place of the argument (``ȳ @ ḃᵀ``): one more adjoint part per argument."""
    inner = shapes[0][-1]
    n_out = size(out)
    mults = n_out * inner
    total = OpCount()
    if all(active):
        for arg_shape in shapes:
            total += OpCount(moves=n_out + 2 * size(arg_shape), adds=mults, mults=mults)
    return total


def _reduction_cost(shapes: Sequence[Shape], out: Shape, active: Sequence[bool]) -> SweepCost:
    n = size(shapes[0])
    primal = OpCount(moves=n + 1, adds=max(n - 1, 0))
    tangent = OpCount(moves=n + 1, adds=max(n - 1, 0)) if active[0] else OpCount()
    adjoint = OpCount(moves=2 * n + 1, adds=n) if active[0] else OpCount()
    return SweepCost(primal, tangent, adjoint)


def _mean_cost(shapes: Sequence[Shape], out: Shape, active: Sequence[bool]) -> SweepCost:
    base = _reduction_cost(shapes, out, active)
    one = OpCount(mults=1)
    return SweepCost(
        base.primal + one,
        base.tangent + one if active[0] else base.tangent,
        base.adjoint + one if active[0] else base.adjoint,
    )


def _dot_shape(a: Shape, b: Shape) -> Shape:
    if len(a) != 1 or len(b) != 1:
        raise ShapeMismatch(f"dot needs two vectors, not {type_name(a)} and {type_name(b)}")
    if a != b:
        raise ShapeMismatch(
            f"dot needs vectors of one length, not {type_name(a)} and {type_name(b)}"
        )
    return ()


def _transpose_shape(a: Shape) -> Shape:
    return tuple(reversed(a))


def _transpose_cost(shapes: Sequence[Shape], out: Shape, active: Sequence[bool]) -> SweepCost:
    n = size(out)
    return SweepCost(
        OpCount(moves=2 * n),
        OpCount(moves=2 * n) if active[0] else OpCount(),
        OpCount(moves=3 * n, adds=n) if active[0] else OpCount(),
    )


def _reduce_shape(a: Shape) -> Shape:
    return ()


def _as_array(x: Array) -> Array:
    return np.asarray(x, dtype=np.float64)


# ------------------------------------------------------------------ comparisons and choice
# A comparison's value is 1.0 (true) or 0.0 (false).  It is piecewise constant, so
# its derivative is 0 wherever it is defined; at a tie (a == b) it jumps, and adx
# takes the derivative there as 0 too (what PyTorch's autograd does: comparisons
# are not recorded at all).  Choosing with where(c, a, b) passes the tangent and
# the adjoint of the chosen argument only.

_COMPARE_COST = _elementwise_cost(OpCount(moves=3, adds=1), OpCount(moves=1), OpCount())
_WHERE_COST = _elementwise_cost(
    OpCount(moves=4, adds=1), OpCount(moves=4, adds=1), OpCount(moves=6, adds=2)
)


def _zero(args: Args, out: Array) -> Array:
    return np.zeros_like(_as_array(out))


def _truth(x: Array) -> Array:
    return np.not_equal(x, 0.0)


def _comparison(name: str, fn: Callable[[Array, Array], Array], meaning: str) -> Primitive:
    def evaluate(a: Array, b: Array) -> Array:
        return fn(a, b).astype(np.float64)

    symbol = meaning.split()[1]  # "a < b": the Python operator

    return _elementwise(
        name,
        evaluate,
        [(_zero, _template("0")), (_zero, _template("0"))],
        _written(name),
        _COMPARE_COST,
        analytic=False,
        kink_note="jumps where a = b; its derivative is taken as 0",
        summary=f"{meaning}: 1 if true, else 0",
        complex_evaluate=lambda a, b: evaluate(np.real(a), np.real(b)),
        numpy=(
            f"np.where({{0}} {symbol} {{1}}, 1.0, 0.0)",
            ["0.0 * {t}", "0.0 * {t}"],
            ["0.0 * {b}", "0.0 * {b}"],
        ),
        numpy_condition=f"{{0}} {symbol} {{1}}",
        second={},  # piecewise constant: every derivative is 0 (taken as 0 at a tie)
    )


def _logical(
    name: str, fn: Callable[..., Array], arity: int, meaning: str, numpy_test: str
) -> Primitive:
    """``numpy_test`` is the result's truth as numpy text over the arguments ``{0}``,
    ``{1}``; ``meaning``, with ``{0}``/``{1}`` for a/b, is the Python condition."""

    def evaluate(*args: Array) -> Array:
        return np.asarray(fn(*[_truth(a) for a in args]), dtype=np.float64)

    return _elementwise(
        name,
        evaluate,
        [(_zero, _template("0"))] * arity,
        _written(name),
        _COMPARE_COST,
        analytic=False,
        summary=f"{meaning}: 1 if true, else 0 (any nonzero value counts as true)",
        complex_evaluate=lambda *args: evaluate(*[np.real(a) for a in args]),
        numpy=(
            f"np.where({numpy_test}, 1.0, 0.0)",
            ["0.0 * {t}"] * arity,
            ["0.0 * {b}"] * arity,
        ),
        numpy_condition=" ".join(
            {"a": "{0}", "b": "{1}"}.get(word, word) for word in meaning.split()
        ),
        condition_args=True,
        second={},  # piecewise constant
    )


def _chosen_where_true(args: Args, out: Array) -> Array:
    return _truth(args[0]).astype(np.float64)


def _chosen_where_false(args: Args, out: Array) -> Array:
    return (~_truth(args[0])).astype(np.float64)


def _where_evaluate(c: Array, a: Array, b: Array) -> Array:
    return np.asarray(np.where(_truth(c), a, b), dtype=np.float64)


def _comparisons() -> list[Primitive]:
    return [
        _comparison("lt", np.less, "a < b"),
        _comparison("le", np.less_equal, "a <= b"),
        _comparison("gt", np.greater, "a > b"),
        _comparison("ge", np.greater_equal, "a >= b"),
        _comparison("eq", np.equal, "a == b"),
        _comparison("ne", np.not_equal, "a != b"),
        _logical("logical_and", np.logical_and, 2, "a and b", "({0} != 0) & ({1} != 0)"),
        _logical("logical_or", np.logical_or, 2, "a or b", "({0} != 0) | ({1} != 0)"),
        _logical("logical_not", np.logical_not, 1, "not a", "{0} == 0"),
        _elementwise(
            "where",
            _where_evaluate,
            [
                (_zero, _template("0")),
                (
                    lambda args, out: _truth(args[0]).astype(np.float64),
                    _template("where({0}, 1, 0)"),
                ),
                (
                    lambda args, out: (~_truth(args[0])).astype(np.float64),
                    _template("where({0}, 0, 1)"),
                ),
            ],
            "where({0}, {1}, {2})",
            _WHERE_COST,
            tangent_terms=("0", "where({0}, {t}, 0)", "where({0}, 0, {t})"),
            adjoint_terms=("0", "where({0}, {b}, 0)", "where({0}, 0, {b})"),
            analytic=False,
            kink_note="switches from a to b where c becomes 0; c gets derivative 0",
            summary="entry by entry: a where c is nonzero (true), else b",
            complex_evaluate=lambda c, a, b: np.where(np.real(c) != 0, a, b),
            numpy=(
                "np.where({0} != 0, {1}, {2})",
                ["0.0 * {t}", "np.where({0} != 0, {t}, 0.0)", "np.where({0} != 0, 0.0, {t})"],
                ["0.0 * {b}", "np.where({0} != 0, {b}, 0.0)", "np.where({0} != 0, 0.0, {b})"],
            ),
            # linear in its branches; the condition has no derivative: all second partials 0
            second={},
        ),
    ]


# ------------------------------------------------------------------ the table


def _written(name: str) -> str:
    """The primal template of a primitive written as an operator, from the operator table."""
    return BY_PRIMITIVE[name].template


def _one(args: Args, out: Array) -> Array:
    """The partial derivative 1 (of a + b and a - b in a): its VJP passes ȳ through."""
    return 1.0


def _relu_partial(a: Array, y: Array) -> Array:
    """relu'(a): a > 0 as a mask; times a tangent or adjoint it is 1.0 or 0.0 times it,
    the same numbers as step(a) times it, without building step(a)'s float array."""
    return np.greater(a, 0.0)


def _build_table() -> dict[str, Primitive]:
    one = _one
    minus_one = lambda args, out: -1.0  # noqa: E731 - tiny rule functions read best inline
    prims = [
        _elementwise(
            "add",
            np.add,
            [(one, _template("1")), (one, _template("1"))],
            _written("add"),
            _ADD_COST,
            summary="a + b",
            numpy=("{0} + {1}", ["{t}", "{t}"], ["{b}", "{b}"]),
            second={},  # linear
        ),
        _elementwise(
            "sub",
            np.subtract,
            [(one, _template("1")), (minus_one, _template("-1"))],
            _written("sub"),
            _ADD_COST,
            summary="a - b",
            numpy=("{0} - {1}", ["{t}", "-{t}"], ["{b}", "-{b}"]),
            second={},  # linear
        ),
        _elementwise(
            "mul",
            np.multiply,
            [
                (lambda args, out: args[1], _template("{1}")),
                (lambda args, out: args[0], _template("{0}")),
            ],
            _written("mul"),
            _MUL_COST,
            tangent_terms=("{t}*{1}", "{0}*{t}"),
            summary="a * b (elementwise)",
            numpy=("{0} * {1}", ["{t} * {1}", "{0} * {t}"], ["{b} * {1}", "{b} * {0}"]),
            # bilinear: ∂²(a·b)/∂a∂b = 1, ∂²/∂a² = ∂²/∂b² = 0
            second={(0, 1): (_one, _template("1"))},
            second_nlops=0,
        ),
        _elementwise(
            "div",
            np.divide,
            [
                (lambda args, out: 1.0 / args[1], _template("1/{1}")),
                (lambda args, out: -out / args[1], _template("-{0}/{1}^2")),
            ],
            _written("div"),
            _MUL_COST,
            summary="a / b (elementwise)",
            domain_note="division by zero",
            numpy=(
                "{0} / {1}",
                ["{t} / {1}", "-{y} / {1} * {t}"],
                ["{b} / {1}", "-{b} * {y} / {1}"],
            ),
            second={
                (0, 1): (lambda args, out: -1.0 / (args[1] * args[1]), _template("-1/{1}^2")),
                (1, 1): (
                    lambda args, out: 2.0 * out / (args[1] * args[1]),
                    _template("2*{0}/{1}^3"),
                ),
            },
            second_nlops=0,
        ),
        _elementwise(
            "pow",
            np.power,
            [
                (_pow_base_partial, _pow_base_text),
                (_pow_exponent_partial, _template("{y}*log({0})")),
            ],
            _written("pow"),
            _POW_COST,
            summary="a ^ b, also written a ** b or pow(a, b)",
            domain_note="a negative base needs a whole-number exponent, and 0 a positive one",
            numpy=(
                "{0} ** {1}",
                [_numpy_pow_base("{t}"), _numpy_pow_exponent("{t}")],
                [_numpy_pow_base("{b}"), _numpy_pow_exponent("{b}")],
            ),
            second={
                (0, 0): (_pow_base_second, _pow_base_second_text),
                (0, 1): (_pow_mixed_second, _template("{0}^({1} - 1)*(1 + {1}*log({0}))")),
                (1, 1): (_pow_exponent_second, _template("{y}*log({0})^2")),
            },
            second_nlops=2,
        ),
        _elementwise(
            "neg",
            np.negative,
            [(minus_one, _template("-1"))],
            _written("neg"),
            _elementwise_cost(
                OpCount(moves=2, adds=1), OpCount(moves=2, adds=1), OpCount(moves=3, adds=1)
            ),
            summary="-a",
            numpy=("-{0}", ["-{t}"], ["-{b}"]),
            second={},  # linear
        ),
        _unary(
            "sin",
            np.sin,
            lambda a, y: np.cos(a),
            "cos({0})",
            "sine",
            second=(lambda a, y: -np.sin(a), "-sin({0})"),
            numpy=_numpy_unary("np.sin({0})", "np.cos({0})"),
        ),
        _unary(
            "cos",
            np.cos,
            lambda a, y: -np.sin(a),
            "-sin({0})",
            "cosine",
            second=(lambda a, y: -np.cos(a), "-cos({0})"),
            numpy=("np.cos({0})", ["-np.sin({0}) * {t}"], ["-{b} * np.sin({0})"]),
        ),
        _unary(
            "tan",
            np.tan,
            lambda a, y: 1.0 / np.cos(a) ** 2,
            "1/cos({0})^2",
            "tangent",
            second=(lambda a, y: 2.0 * y / np.cos(a) ** 2, "2*{y}/cos({0})^2"),
            domain_note="tan is infinite at odd multiples of pi/2",
            numpy=("np.tan({0})", ["{t} / np.cos({0}) ** 2"], ["{b} / np.cos({0}) ** 2"]),
        ),
        _unary(
            "asin",
            np.arcsin,
            lambda a, y: 1.0 / np.sqrt(1.0 - a * a),
            "1/sqrt(1 - {0}^2)",
            "inverse sine",
            second=(lambda a, y: a / (1.0 - a * a) ** 1.5, "{0}/(1 - {0}^2)^1.5"),
            aliases=("arcsin",),
            domain_note="asin is defined on [-1, 1] only",
            numpy=(
                "np.arcsin({0})",
                ["{t} / np.sqrt(1.0 - {0} * {0})"],
                ["{b} / np.sqrt(1.0 - {0} * {0})"],
            ),
        ),
        _unary(
            "acos",
            np.arccos,
            lambda a, y: -1.0 / np.sqrt(1.0 - a * a),
            "-1/sqrt(1 - {0}^2)",
            "inverse cosine",
            second=(lambda a, y: -a / (1.0 - a * a) ** 1.5, "-{0}/(1 - {0}^2)^1.5"),
            aliases=("arccos",),
            domain_note="acos is defined on [-1, 1] only",
            numpy=(
                "np.arccos({0})",
                ["-{t} / np.sqrt(1.0 - {0} * {0})"],
                ["-{b} / np.sqrt(1.0 - {0} * {0})"],
            ),
        ),
        _unary(
            "atan",
            np.arctan,
            lambda a, y: 1.0 / (1.0 + a * a),
            "1/(1 + {0}^2)",
            "inverse tangent",
            second=(lambda a, y: -2.0 * a / (1.0 + a * a) ** 2, "-2*{0}/(1 + {0}^2)^2"),
            aliases=("arctan",),
            numpy=("np.arctan({0})", ["{t} / (1.0 + {0} * {0})"], ["{b} / (1.0 + {0} * {0})"]),
        ),
        _unary(
            "sinh",
            np.sinh,
            lambda a, y: np.cosh(a),
            "cosh({0})",
            "hyperbolic sine",
            second=(lambda a, y: y, "sinh({0})"),
            second_nlops=0,
            numpy=_numpy_unary("np.sinh({0})", "np.cosh({0})"),
        ),
        _unary(
            "cosh",
            np.cosh,
            lambda a, y: np.sinh(a),
            "sinh({0})",
            "hyperbolic cosine",
            second=(lambda a, y: y, "cosh({0})"),
            second_nlops=0,
            numpy=_numpy_unary("np.cosh({0})", "np.sinh({0})"),
        ),
        _unary(
            "tanh",
            np.tanh,
            lambda a, y: 1.0 - y * y,
            "1 - {y}^2",
            "hyperbolic tangent",
            second=(lambda a, y: -2.0 * y * (1.0 - y * y), "-2*{y}*(1 - {y}^2)"),
            second_nlops=0,
            numpy=("np.tanh({0})", ["(1.0 - {y} * {y}) * {t}"], ["{b} * (1.0 - {y} * {y})"]),
        ),
        _unary(
            "exp",
            np.exp,
            lambda a, y: y,
            "{y}",
            "e to the power a",
            second=(lambda a, y: y, "{y}"),
            second_nlops=0,
            domain_note="the result is too large for a float64 (above about 1.8e308)",
            cost=_unary_cost(tangent_nlops=0),
            numpy=_numpy_unary("np.exp({0})", "{y}"),
        ),
        _unary(
            "log",
            np.log,
            lambda a, y: 1.0 / a,
            "1/{0}",
            "natural logarithm",
            second=(lambda a, y: -1.0 / (a * a), "-1/{0}^2"),
            second_nlops=0,
            aliases=("ln",),
            cost=_unary_cost(tangent_nlops=0),
            domain_note="log is defined for positive numbers only (log 0 = -inf)",
            numpy=("np.log({0})", ["{t} / {0}"], ["{b} / {0}"]),
        ),
        _unary(
            "log1p",
            np.log1p,
            lambda a, y: 1.0 / (1.0 + a),
            "1/(1 + {0})",
            "log(1 + a), accurate near 0",
            second=(lambda a, y: -1.0 / ((1.0 + a) * (1.0 + a)), "-1/(1 + {0})^2"),
            second_nlops=0,
            domain_note="log1p is defined for values above -1 only",
            numpy=("np.log1p({0})", ["{t} / (1.0 + {0})"], ["{b} / (1.0 + {0})"]),
        ),
        _unary(
            "expm1",
            np.expm1,
            lambda a, y: y + 1.0,
            "exp({0})",
            "exp(a) - 1, accurate near 0",
            second=(lambda a, y: y + 1.0, "exp({0})"),
            second_nlops=0,
            numpy=_numpy_unary("np.expm1({0})", "({y} + 1.0)"),
        ),
        _unary(
            "sqrt",
            np.sqrt,
            lambda a, y: 0.5 / y,
            "1/(2*{y})",
            "square root",
            second=(lambda a, y: -0.25 / (y * y * y), "-1/(4*{y}^3)"),
            second_nlops=0,
            cost=_unary_cost(tangent_nlops=0),
            kink_note="sqrt'(0) is +inf, as in PyTorch",
            domain_note="sqrt is defined for numbers >= 0 only",
            numpy=("np.sqrt({0})", ["{t} / (2.0 * {y})"], ["{b} / (2.0 * {y})"]),
        ),
        _unary(
            "abs",
            np.abs,
            lambda a, y: np.sign(a),
            "sign({0})",
            "absolute value",
            second=None,  # abs'' = 0 away from 0
            kink=_at_zero,
            second_kink_note="abs'' is 0 on both sides; at 0, where abs' jumps from -1 to 1, "
            "it is taken as 0 too",
            analytic=False,
            cost=_unary_cost(tangent_nlops=0),
            kink_note="abs'(0) = 0, the subgradient PyTorch uses",
            numpy=_numpy_unary("np.abs({0})", "np.sign({0})"),
        ),
        _unary(
            "sign",
            np.sign,
            lambda a, y: np.zeros_like(_as_array(a)),
            "0",
            "the sign of a: -1, 0 or 1",
            second=None,
            kink=_at_zero,
            second_kink_note="sign jumps at 0; its second derivative is taken as 0 there too",
            analytic=False,
            cost=_unary_cost(tangent_nlops=0),
            kink_note="sign jumps at 0; its derivative is taken as 0 everywhere",
            numpy=("np.sign({0})", ["0.0 * {t}"], ["0.0 * {b}"]),
        ),
        _unary(
            "step",
            _step,
            lambda a, y: np.zeros_like(_as_array(a)),
            "0",
            "1 where a > 0, else 0 (the derivative of relu)",
            second=None,
            kink=_at_zero,
            second_kink_note="step jumps at 0; its second derivative is taken as 0 there too",
            analytic=False,
            cost=_unary_cost(tangent_nlops=0),
            kink_note="step is flat except its jump at 0, where its derivative is taken as 0",
            numpy=("np.where({0} > 0, 1.0, 0.0)", ["0.0 * {t}"], ["0.0 * {b}"]),
        ),
        _unary(
            "sigmoid",
            _sigmoid,
            lambda a, y: y * (1.0 - y),
            "{y}*(1 - {y})",
            "logistic 1/(1 + exp(-a))",
            second=(lambda a, y: y * (1.0 - y) * (1.0 - 2.0 * y), "{y}*(1 - {y})*(1 - 2*{y})"),
            second_nlops=0,
            cost=_unary_cost(tangent_mults=2, tangent_nlops=0),
            complex_evaluate=_sigmoid_complex,
            # exp(-log(1 + exp(-a))) is 1/(1 + exp(-a)) without overflow for large |a|
            numpy=_numpy_unary("np.exp(-np.logaddexp(0.0, -{0}))", "{y} * (1.0 - {y})"),
        ),
        _unary(
            "relu",
            lambda a: np.maximum(a, 0.0),
            _relu_partial,
            "step({0})",
            "max(a, 0)",
            second=None,  # relu'' = 0 away from 0
            kink=_at_zero,
            second_kink_note="relu'' is 0 on both sides; at 0, where relu' jumps from 0 to 1, "
            "it is taken as 0 too",
            analytic=False,
            cost=_unary_cost(tangent_nlops=0),
            kink_note="relu'(0) = 0, as in PyTorch",
            numpy=_numpy_unary("np.maximum({0}, 0.0)", "np.where({0} > 0, 1.0, 0.0)"),
        ),
        _unary(
            "softplus",
            lambda a: np.logaddexp(0.0, a),
            lambda a, y: _sigmoid(a),
            "sigmoid({0})",
            "log(1 + exp(a)), computed stably",
            second=(
                lambda a, y: _sigmoid(a) * (1.0 - _sigmoid(a)),
                "sigmoid({0})*(1 - sigmoid({0}))",
            ),
            complex_evaluate=_softplus_complex,
            numpy=_numpy_unary("np.logaddexp(0.0, {0})", "np.exp(-np.logaddexp(0.0, -{0}))"),
        ),
        Primitive(
            name="matmul",
            arity=2,
            evaluate=np.matmul,
            shape_rule=_matmul_shape,
            jvp=(lambda args, out, t: t @ args[1], lambda args, out, t: args[0] @ t),
            vjp=(_matmul_vjp_a, _matmul_vjp_b),
            primal_template=_written("matmul"),
            tangent_terms=("{t} @ {1}", "{0} @ {t}"),
            adjoint_terms=("{b} @ {1}ᵀ", "{0}ᵀ @ {b}"),
            cost=_matmul_cost,
            summary="matrix product: mat@mat, mat@vec, vec@mat, vec@vec",
            numpy_primal="{0} @ {1}",
            numpy_jvp=("{t} @ {1}", "{0} @ {t}"),
            numpy_vjp=(_numpy_matmul_vjp(0), _numpy_matmul_vjp(1)),
            second=SecondOrder("bilinear", cost=_bilinear_second_cost),
        ),
        Primitive(
            name="dot",
            arity=2,
            evaluate=np.dot,
            shape_rule=_dot_shape,
            jvp=(lambda args, out, t: np.dot(t, args[1]), lambda args, out, t: np.dot(args[0], t)),
            vjp=(lambda args, out, ct: ct * args[1], lambda args, out, ct: ct * args[0]),
            primal_template="dot({0}, {1})",
            tangent_terms=("dot({t}, {1})", "dot({0}, {t})"),
            adjoint_terms=("{b}*{1}", "{b}*{0}"),
            cost=_matmul_cost,
            summary="inner product of two vectors",
            numpy_primal="np.dot({0}, {1})",
            numpy_jvp=("np.dot({t}, {1})", "np.dot({0}, {t})"),
            numpy_vjp=("{b} * {1}", "{b} * {0}"),
            second=SecondOrder("bilinear", cost=_bilinear_second_cost),
        ),
        Primitive(
            name="sum",
            arity=1,
            evaluate=lambda a: np.sum(a),
            shape_rule=_reduce_shape,
            jvp=(lambda args, out, t: np.sum(t),),
            vjp=(lambda args, out, ct: np.full(np.shape(args[0]), ct, dtype=np.float64),),
            primal_template="sum({0})",
            tangent_terms=("sum({t})",),
            adjoint_terms=("{b}*ones",),
            cost=_reduction_cost,
            summary="sum of all entries",
            numpy_primal="np.sum({0})",
            numpy_jvp=("np.sum({t})",),
            numpy_vjp=("np.full({s0}, {b})",),
            second=SecondOrder("linear", cost=_no_second_cost),
        ),
        Primitive(
            name="mean",
            arity=1,
            evaluate=lambda a: np.mean(a),
            shape_rule=_reduce_shape,
            jvp=(lambda args, out, t: np.mean(t),),
            vjp=(
                lambda args, out, ct: np.full(
                    np.shape(args[0]), ct / max(np.size(args[0]), 1), dtype=np.float64
                ),
            ),
            primal_template="mean({0})",
            tangent_terms=("mean({t})",),
            adjoint_terms=("{b}/n*ones",),
            cost=_mean_cost,
            summary="mean of all entries",
            numpy_primal="np.mean({0})",
            numpy_jvp=("np.mean({t})",),
            numpy_vjp=("np.full({s0}, {b} / {n0})",),
            second=SecondOrder("linear", cost=_no_second_cost),
        ),
        Primitive(
            name="transpose",
            arity=1,
            evaluate=lambda a: np.transpose(a),
            shape_rule=_transpose_shape,
            jvp=(lambda args, out, t: np.transpose(t),),
            vjp=(lambda args, out, ct: np.transpose(ct),),
            primal_template="transpose({0})",
            tangent_terms=("transpose({t})",),
            adjoint_terms=("transpose({b})",),
            cost=_transpose_cost,
            summary="swap rows and columns (also written A.T)",
            numpy_primal="np.transpose({0})",
            numpy_jvp=("np.transpose({t})",),
            numpy_vjp=("np.transpose({b})",),
            second=SecondOrder("linear", cost=_no_second_cost),
        ),
        *_comparisons(),
    ]
    table = {p.name: p for p in prims}
    for p in prims:
        if not (
            len(p.jvp) == len(p.vjp) == len(p.tangent_terms) == len(p.adjoint_terms) == p.arity
        ):
            raise RuntimeError(f"primitive {p.name!r} does not define a rule for every argument")
        if p.partials is not None and len(p.partials) != p.arity:
            raise RuntimeError(f"primitive {p.name!r} lacks a partial derivative for some argument")
        _check_second(p)
    return table


def _check_second(p: Primitive) -> None:
    """Refuse a primitive whose second-order information is missing or incomplete."""
    second = p.second
    if second is None:
        raise RuntimeError(f"primitive {p.name!r} has no second-order rule (SecondOrder)")
    if second.kind not in SECOND_KINDS:
        raise RuntimeError(f"primitive {p.name!r}: unknown second-order kind {second.kind!r}")
    if second.cost is None:
        raise RuntimeError(f"primitive {p.name!r} has no second-order cost")
    if second.kind == "elementwise" and not (
        len(second.partials) == len(second.texts) == p.arity
        and all(len(row) == p.arity for row in (*second.partials, *second.texts))
    ):
        raise RuntimeError(f"primitive {p.name!r} lacks a second partial for some argument pair")
    if second.kind == "bilinear" and p.arity != 2:
        raise RuntimeError(f"primitive {p.name!r}: only a two-argument product is bilinear")
    if len(p.vjp_dot) != p.arity:
        raise RuntimeError(f"primitive {p.name!r} does not derive a vjp_dot for every argument")


PRIMITIVES: dict[str, Primitive] = _build_table()

#: Primitives written with an operator that can also be called by name: pow(a, b) is a^b.
_ALSO_CALLED = frozenset({"pow"})

#: Functions callable by name in the language (operators like ``+`` are not listed).
FUNCTIONS: dict[str, Primitive] = {}
for _prim in PRIMITIVES.values():
    if _prim.name not in BY_PRIMITIVE or _prim.name in _ALSO_CALLED:
        FUNCTIONS[_prim.name] = _prim
    for _alias in _prim.aliases:
        FUNCTIONS[_alias] = _prim


def lookup_function(name: str) -> Primitive | None:
    return FUNCTIONS.get(name)
