"""Second derivatives by forward-over-reverse: Hessian-vector products and Hessians.

:func:`run_second_order` evaluates a function with one scalar output, then runs
*nested sweeps*: a tangent sweep along a direction u (every value v with its
tangent v̇, :mod:`adexplorer.core.engines.forward`), then an adjoint sweep on dual
numbers (every adjoint v̄ with its tangent v̄̇,
:mod:`adexplorer.core.engines.nested`).  The inputs' v̄ are the gradient and their
v̄̇ are H·u.  With a ``direction`` the run is one such sweep (kind ``"hvp"``);
without, one per scalar entry of the differentiated inputs, along the unit
directions, in the order of :func:`adexplorer.core.trace.unit_seeds` (kind
``"hessian"``): sweep k gives column k of H.

Input handling is :mod:`adexplorer.core.trace`'s (values and shapes, defaults,
programs with ``if``/``for`` taped at the point, ``wrt``, the seed syntax and its
errors), so a second-order run accepts exactly what a first-order run does.

*Some inputs only* (``wrt``): the Hessian is over the entries of those inputs only
(n sweeps for their n entries), and adjoints are formed only on a path from them,
as reverse mode does; a direction may still move any input, and H·u then holds
the rows of the ``wrt`` inputs.

The cost (:class:`SecondOrderCost`) counts the primal, one nested sweep (its
tangent part, its adjoint part on v̄ and again on v̄̇, and the second-order part
the table's ``SecondOrder.cost`` counts), the totals of this run, and the number
of sweeps H takes by forward-over-reverse against finite differences of
gradients.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from adexplorer.base.errors import AdxError
from adexplorer.base.limits import check, limit
from adexplorer.base.numbers import all_finite
from adexplorer.base.shapes import Array, size, type_name
from adexplorer.base.source import gc_paused
from adexplorer.base.text import excerpt
from adexplorer.core.cost import OpCount
from adexplorer.core.engines import PrimalStep, TangentStep, evaluate
from adexplorer.core.engines.nested import NestedAdjointStep, nested_reverse
from adexplorer.core.engines.reverse import active_nodes
from adexplorer.core.engines.steps import frozen
from adexplorer.core.ir import Graph
from adexplorer.core.trace import (
    _boundary_warnings,
    _check_primal_size,
    _domain_warnings,
    _entries,
    _fold_values,
    _names_of,
    _seed_map,
    _tangent_sweep,
    check_nodes,
    count_cost,
    describe_node,
    input_values,
    retape,
    wrt_inputs,
)

KINDS = ("hvp", "hessian")

#: The scalar output's seed ȳ = 1 (read-only, shared by every sweep).
_ONE = frozen(np.ones(()))


@dataclass(frozen=True)
class NestedSweep:
    """One forward-over-reverse sweep along ``direction`` (input node → its tangent).

    ``tangent_steps``/``tangents``: the primal tangents v̇ along the direction;
    ``steps``: the nested adjoint steps; ``adjoints``/``adjoint_dots``: each node's v̄
    and v̄̇ at the end (None if the sweep never reached it)."""

    label: str
    direction: Mapping[int, Array]
    tangent_steps: tuple[TangentStep, ...]
    tangents: tuple[Array | None, ...]
    steps: tuple[NestedAdjointStep, ...]
    adjoints: tuple[Array | None, ...]
    adjoint_dots: tuple[Array | None, ...]


@dataclass(frozen=True)
class SecondOrderCost:
    """Operation counts of a second-order run (Griewank-Walther counts, unit weights).

    ``tangent``, ``adjoint`` and ``second`` are the parts of ONE nested sweep: the
    tangent sweep along u, one adjoint sweep (the nested sweep does this work twice,
    for v̄ and for v̄̇), and the second-order terms (``vjp_dot``).  ``n`` is the number
    of differentiated input entries: H takes n nested sweeps, or 2n gradients by
    central differences of gradients, or n + 1 by forward differences."""

    primal: OpCount
    tangent: OpCount
    adjoint: OpCount
    second: OpCount
    n: int
    sweeps: int  # nested sweeps this run did

    @property
    def nested_sweep(self) -> OpCount:
        """One nested sweep, without the primal: v̇, then v̄ and v̄̇ with the second-order terms."""
        return self.tangent + self.adjoint + self.adjoint + self.second

    @property
    def total(self) -> OpCount:
        """This run: the primal once, then its nested sweeps."""
        return self.primal + self.nested_sweep.scaled(self.sweeps)

    @property
    def gradient(self) -> OpCount:
        """One gradient evaluation: a primal and an adjoint sweep."""
        return self.primal + self.adjoint

    @property
    def hessian_nested(self) -> OpCount:
        """H by forward-over-reverse: the primal, then n nested sweeps."""
        return self.primal + self.nested_sweep.scaled(self.n)

    @property
    def hessian_central(self) -> OpCount:
        """H by central differences of gradients: 2n gradients (at x ± h·eₖ)."""
        return self.gradient.scaled(2 * self.n)

    @property
    def hessian_forward(self) -> OpCount:
        """H by forward differences of gradients: n + 1 gradients (at x and x + h·eₖ)."""
        return self.gradient.scaled(self.n + 1)

    @property
    def nested_ratio(self) -> float:
        """One nested sweep with its primal, over the primal alone."""
        return (self.primal.total + self.nested_sweep.total) / max(self.primal.total, 1)

    def as_json(self) -> dict[str, object]:
        return {
            "model": "Griewank-Walther counts (moves, adds, mults, nonlinear ops), unit weights",
            "primal": self.primal.as_dict(),
            "nested_sweep": {
                "tangent": self.tangent.as_dict(),
                "adjoint": self.adjoint.as_dict(),
                "adjoint_dot": self.adjoint.as_dict(),
                "second_order": self.second.as_dict(),
                "total": self.nested_sweep.as_dict(),
            },
            "nested_ratio": round(self.nested_ratio, 4),
            "sweeps": self.sweeps,
            "total": self.total.as_dict(),
            "hessian": {
                "entries": self.n,
                "nested_sweeps": self.n,
                "central_difference_gradients": 2 * self.n,
                "forward_difference_gradients": self.n + 1,
                "nested_operations": self.hessian_nested.total,
                "central_difference_operations": self.hessian_central.total,
                "forward_difference_operations": self.hessian_forward.total,
            },
        }


@dataclass(frozen=True)
class SecondOrderTrace:
    graph: Graph
    inputs: Mapping[str, Array]
    primal_steps: tuple[PrimalStep, ...]
    values: tuple[Array, ...]
    kind: str  # "hvp" | "hessian"
    sweeps: tuple[NestedSweep, ...]
    #: The differentiated input nodes (the ``wrt`` inputs, else every input), in order.
    differentiated: tuple[int, ...]
    entry_labels: tuple[str, ...]
    cost: SecondOrderCost
    warnings: tuple[str, ...] = ()
    #: The ``wrt`` input names if given, else None.
    wrt: tuple[str, ...] | None = None

    @property
    def output(self) -> int:
        return self.graph.outputs[0]

    def output_value(self) -> Array:
        return self.values[self.output]

    @property
    def defined(self) -> bool:
        """Whether f and its gradient are finite at the point: where they are not (a
        point outside f's domain), second derivatives are not meaningful."""
        return all_finite(self.output_value()) and all(
            all_finite(g) for g in self.gradient().values()
        )

    def _per_input(self, per_node: Sequence[Array | None]) -> dict[str, Array]:
        result: dict[str, Array] = {}
        for i in self.differentiated:
            shape = self.graph.nodes[i].shape
            value = per_node[i]
            whole = np.zeros(shape) if value is None else np.asarray(value, dtype=np.float64)
            result[self.graph.nodes[i].name or ""] = frozen(np.array(whole).reshape(shape))
        return result

    def gradient(self) -> dict[str, Array]:
        """∂f/∂x per differentiated input (every nested sweep forms it; the first's).
        A function without inputs has no sweep and an empty gradient."""
        if not self.sweeps:
            return self._per_input((None,) * len(self.graph.nodes))
        return self._per_input(self.sweeps[0].adjoints)

    def hvp(self) -> dict[str, Array]:
        """H·u per differentiated input, of the input's shape (kind ``"hvp"``)."""
        if self.kind != "hvp":
            raise ValueError("hvp() needs a run with a direction; use hessian()")
        return self._per_input(self.sweeps[0].adjoint_dots)

    def column(self, k: int) -> np.ndarray:
        """Sweep k's v̄̇ over the flattened differentiated input entries (in the order of
        :attr:`entry_labels`): column k of H (kind ``"hessian"``), or H·u flattened."""
        parts = [np.ravel(v) for v in self._per_input(self.sweeps[k].adjoint_dots).values()]
        return frozen(np.concatenate(parts) if parts else np.zeros(0))

    def hessian(self) -> np.ndarray:
        """H over the flattened differentiated input entries, (n, n), read-only
        (kind ``"hessian"``): column k is sweep k's v̄̇ of the inputs."""
        if self.kind != "hessian":
            raise ValueError("hessian() needs a run without a direction; use hvp()")
        n = len(self.entry_labels)
        columns = [self.column(k) for k in range(len(self.sweeps))]
        matrix = np.array(columns, dtype=np.float64).reshape(n, n).T
        return frozen(np.ascontiguousarray(matrix))


# ------------------------------------------------------------------ running


def run_second_order(
    graph: Graph,
    bindings: Mapping[str, Array],
    *,
    direction: Mapping[str, Array] | None = None,
    wrt: Collection[str] | None = None,
) -> SecondOrderTrace:
    """H·u (with ``direction``: input name → u, inputs left out are 0) in one nested
    sweep, or the Hessian by one nested sweep per differentiated input entry."""
    check_nodes(graph)
    chosen = wrt_inputs(graph, wrt)
    _check_scalar_output(graph)
    inputs = input_values(graph, bindings)
    graph = retape(graph, inputs)
    _check_scalar_output(graph)  # a taped program returns what its run returned
    differentiated = chosen if chosen is not None else graph.inputs
    u_map = direction_map(graph, direction) if direction is not None else None
    if u_map is not None:
        u_map = {i: frozen(np.asarray(v, dtype=np.float64)) for i, v in u_map.items()}
    names = _names_of(graph, differentiated)
    labels = unit_labels(graph, differentiated, names)
    # The limit is checked before any direction exists, and the unit directions are made
    # one at a time: H·u needs memory linear in n, and refusing a huge Hessian costs nothing.
    allowed = limit("trace_entries")
    _check_primal_size(graph, allowed)
    _check_sweeps(graph, 1 if u_map is not None else len(labels), u_map is None, allowed)
    seeds: Iterable[tuple[str, Mapping[int, Array]]] = (
        [("u", u_map)] if u_map is not None else unit_directions(graph, differentiated, names)
    )
    ordered = [inputs[graph.nodes[i].name or ""] for i in graph.inputs]
    warnings: list[str] = list(graph.tape_warnings)
    active = active_nodes(graph, chosen) if chosen is not None else None
    output = graph.outputs[0]
    with np.errstate(all="ignore"), gc_paused():
        primal_steps = tuple(evaluate(graph, ordered))
        values = _fold_values(graph, primal_steps)
        _domain_warnings(graph, values, warnings)
        if not graph.dynamic:
            _boundary_warnings(graph, values, warnings)
        _kink_warnings(graph, values, warnings)
        sweeps = tuple(
            _nested_sweep(graph, values, dict(seed), label, output, active) for label, seed in seeds
        )
    trace = SecondOrderTrace(
        graph=graph,
        inputs=inputs,
        primal_steps=primal_steps,
        values=values,
        kind="hvp" if u_map is not None else "hessian",
        sweeps=sweeps,
        differentiated=tuple(differentiated),
        entry_labels=labels,
        cost=second_order_cost(graph, len(sweeps), n=len(labels)),
        warnings=(),
        wrt=names if chosen is not None else None,
    )
    _derivative_warnings(trace, warnings)
    return _with_warnings(trace, warnings)


def unit_labels(graph: Graph, indices: Sequence[int], names: Sequence[str]) -> tuple[str, ...]:
    """The labels of :func:`unit_directions` (``x1``, ``W[0,1]``…), without making them."""
    labels: list[str] = []
    for i, name in zip(indices, names, strict=True):
        shape = graph.nodes[i].shape
        if shape == ():
            labels.append(name)
            continue
        labels.extend(
            f"{name}[" + ",".join(str(int(k)) for k in np.unravel_index(flat, shape)) + "]"
            for flat in range(size(shape))
        )
    return tuple(labels)


def unit_directions(
    graph: Graph, indices: Sequence[int], names: Sequence[str]
) -> Iterator[tuple[str, dict[int, Array]]]:
    """One unit direction per scalar entry of the given inputs, made lazily (same order
    and labels as :func:`adexplorer.core.trace.unit_seeds`)."""
    labels = iter(unit_labels(graph, indices, names))
    for i in indices:
        shape = graph.nodes[i].shape
        for flat in range(size(shape)):
            onehot = np.zeros(size(shape))
            onehot[flat] = 1.0
            yield next(labels), {i: frozen(onehot.reshape(shape))}


def direction_map(graph: Graph, direction: Mapping[str, Array]) -> dict[int, Array]:
    """The direction u by input node, checked as a forward seed is (names, shapes), and
    finite (a NaN or an infinity would only make H·u NaN)."""
    for name, value in direction.items():
        if not all_finite(np.asarray(value, dtype=np.float64)):
            raise AdxError(
                "input",
                f"the direction for {excerpt(str(name))} is not a finite number",
                hint="give every entry of the direction a finite value, e.g. x=1",
            )
    return _seed_map(graph, direction, what="direction")


def _with_warnings(trace: SecondOrderTrace, warnings: list[str]) -> SecondOrderTrace:
    return replace(trace, warnings=tuple(warnings))


def _nested_sweep(
    graph: Graph,
    values: Sequence[Array],
    direction: dict[int, Array],
    label: str,
    output: int,
    active: Sequence[bool] | None,
) -> NestedSweep:
    tangent = _tangent_sweep(graph, values, direction, label)
    steps = tuple(nested_reverse(graph, values, tangent.tangents, {output: _ONE}, None, active))
    adjoints: list[Array | None] = [None] * len(graph.nodes)
    dots: list[Array | None] = [None] * len(graph.nodes)
    for step in steps:
        adjoints[step.node] = step.total
        dots[step.node] = step.total_dot
    return NestedSweep(
        label=label,
        direction=direction,
        tangent_steps=tangent.steps,
        tangents=tangent.tangents,
        steps=steps,
        adjoints=tuple(adjoints),
        adjoint_dots=tuple(dots),
    )


def _check_scalar_output(graph: Graph) -> None:
    outputs = graph.outputs
    if len(outputs) == 1 and graph.nodes[outputs[0]].shape == ():
        return
    if len(outputs) != 1:
        what = f"{len(outputs)} outputs ({', '.join(graph.output_names)})"
    else:
        what = f"an output of shape {type_name(graph.nodes[outputs[0]].shape)}"
    raise AdxError(
        "usage",
        f"second derivatives (H·u, the Hessian) need one scalar output, and this function "
        f"has {what}",
        hint="return a scalar such as sum(...) of the output, or one output at a time; "
        "for first derivatives of several outputs use the Jacobian (adx eval --mode reverse)",
    )


#: What to do instead of a Hessian too large to trace, in the words of the API (the
#: command line says it with its options: ``adexplorer.cli.second_order``).
FEWER_SWEEPS = "give one direction u (H·u, one nested sweep), or differentiate fewer inputs (wrt)"


def _check_sweeps(graph: Graph, sweeps: int, full: bool, allowed: int) -> None:
    """Each nested sweep keeps a tangent, an adjoint and an adjoint tangent per entry of
    every node: bound the whole trace as a Jacobian's sweeps are bounded."""
    entries = _entries(graph)
    if 3 * sweeps * entries <= allowed:
        return
    hint = (
        f"the Hessian takes {sweeps:,} nested sweeps (one per input entry) over {entries:,} "
        f"entries; {FEWER_SWEEPS}"
        if full
        else f"one nested sweep over {entries:,} entries; use smaller vectors and matrices"
    )
    check("trace_entries", 3 * sweeps * entries, hint=hint)


def _kink_warnings(graph: Graph, values: Sequence[Array], warnings: list[str]) -> None:
    """Say where a piecewise primitive's argument is exactly at its kink, where its
    second derivative (a jump of the first) was taken as 0."""
    for index in graph.op_nodes:
        node = graph.nodes[index]
        second = graph.rule(node.op).second
        if second is None or second.kink is None:
            continue
        if second.kink(tuple(values[a] for a in node.args)):
            note = second.kink_note or "its second derivative is taken as 0 there"
            warnings.append(f"{describe_node(graph, index)} is at its kink: {note}")


def _derivative_warnings(trace: SecondOrderTrace, warnings: list[str]) -> None:
    what = "H·u" if trace.kind == "hvp" else "the Hessian"
    if not trace.defined:
        undefined = "f" if not all_finite(trace.output_value()) else "the gradient of f"
        warnings.append(
            f"{undefined} is not finite at this point, so {what} is not meaningful here "
            "(second derivatives need f and its gradient defined around the point)"
        )
        return
    bad = []
    sweep = trace.sweeps[0] if trace.sweeps else None
    if sweep is not None and not all(
        sweep.adjoints[i] is None or all_finite(sweep.adjoints[i]) for i in trace.differentiated
    ):
        bad.append("the gradient")
    if not all(
        s.adjoint_dots[i] is None or all_finite(s.adjoint_dots[i])
        for s in trace.sweeps
        for i in trace.differentiated
    ):
        bad.append("H·u" if trace.kind == "hvp" else "the Hessian")
    if bad:
        warnings.append(
            " and ".join(bad)
            + (" are" if len(bad) > 1 else " is")
            + " not finite (a primitive is not twice differentiable at this point, "
            "or a value overflowed)"
        )


# ------------------------------------------------------------------ cost


def second_order_cost(graph: Graph, sweeps: int, *, n: int | None = None) -> SecondOrderCost:
    """The cost model of nested sweeps over ``graph`` (the first-order parts from
    :func:`adexplorer.core.trace.count_cost`, the second-order part from each
    primitive's ``SecondOrder.cost``); ``n``: the Hessian's size (default: every
    input entry)."""
    first = count_cost(graph, sweeps)
    second = graph.memo.get("second_order_cost")
    if second is None:
        second = graph.memo["second_order_cost"] = _second_part(graph)
    assert isinstance(second, OpCount)
    if n is None:
        n = sum(size(graph.nodes[i].shape) for i in graph.inputs)
    return SecondOrderCost(first.primal, first.tangent, first.adjoint, second, n, sweeps)


def _second_part(graph: Graph) -> OpCount:
    total = OpCount()
    for index in graph.op_nodes:
        node = graph.nodes[index]
        second = node.primitive.second
        if second is None or second.cost is None:
            continue
        shapes = tuple(graph.nodes[a].shape for a in node.args)
        active = tuple(graph.nodes[a].op != "const" for a in node.args)
        total += second.cost(shapes, node.shape, active)
    return total
