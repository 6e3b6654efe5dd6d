"""Traces: the steps of a run folded into results (values, tangents, adjoints, gradients).

:func:`run` is the one entry point views use: it runs the primal sweep and
then the sweeps a mode needs, keeps every step, and *folds the results from the
steps* (a node's value is the value of its step; an input's adjoint is the
running total of its last adjoint step), so what a view shows is exactly what
was computed.

Modes:

* ``evaluate`` — the primal sweep only.
* ``forward`` — tangent sweeps.  With a seed, one sweep (a directional
  derivative J·u̇).  Without, one sweep per scalar entry of the inputs, which
  assembles the full gradient / Jacobian column by column; or, with ``vector``,
  one vector sweep carrying all those directions at once (each tangent of shape
  (n,) + the node's shape, :class:`VectorTangentSweep`), which gives the same
  Jacobian and costs the primal once instead of n times.
* ``reverse`` — one adjoint sweep per scalar entry of the outputs (one for a
  scalar function), assembling the gradient / Jacobian row by row.  With a seed
  (a cotangent ȳ over the outputs), one sweep: the vector–Jacobian product ȳᵀJ
  (:meth:`Trace.vjp`).  With
  ``checkpoint`` (``every=K`` or ``snapshots=S``), each adjoint sweep follows a
  checkpointing schedule (:mod:`adexplorer.core.checkpoint`): its adjoint steps
  are the plain sweep's, bit for bit, and :attr:`Trace.checkpoint` holds the
  schedule, the interleaved steps (recomputations marked) and the counts.

Every trace's cost carries the memory figures of the three modes
(:mod:`adexplorer.core.memory`).

*Some inputs only* (``wrt``): in reverse mode only the nodes on a path from a
``wrt`` input to an output receive adjoints; the others' VJPs are never formed
(:func:`adexplorer.core.engines.reverse.active_nodes`), so their steps are absent
from the sweeps and their adjoints are None (a view shows them as 0).  In forward
mode (without a seed) only the ``wrt`` inputs are seeded: one sweep per entry of
those inputs.  Either way the gradient / Jacobian holds the ``wrt`` inputs only,
and each of their entries is bit for bit that of the full run.  The primal sweep,
and the cost and memory figures (a model of the graph, for all inputs), are the
same as without ``wrt``.

*Records are references.*  Steps hold the arrays the engines computed, never
copies, and those arrays are read-only (:func:`adexplorer.core.engines.steps.frozen`),
as are the gradient and Jacobian arrays and the trace's views of its inputs.
Formulas and substituted numbers are made only when a view asks
(:mod:`adexplorer.core.formulas`); cost and memory figures are computed once per
graph.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from adexplorer.base.errors import AdxError, did_you_mean
from adexplorer.base.limits import check, limit
from adexplorer.base.numbers import all_finite, nonfinite_kinds
from adexplorer.base.shapes import Array, fill, size, type_name
from adexplorer.base.source import gc_paused
from adexplorer.base.text import excerpt
from adexplorer.core.checkpoint import (
    CheckpointSpec,
    Schedule,
    make_schedule,
    parse_checkpoint,
    planned_evaluations,
)
from adexplorer.core.cost import (
    FORWARD_BOUND,
    REVERSE_BOUND,
    OpCount,
    SweepCost,
    vector_sweep_cost,
)
from adexplorer.core.engines import AdjointStep, PrimalStep, TangentStep, evaluate, forward, reverse
from adexplorer.core.engines.checkpointed import CheckpointedStep, CheckpointedSweep
from adexplorer.core.engines.reverse import active_nodes
from adexplorer.core.engines.steps import frozen
from adexplorer.core.engines.vector_forward import vector_forward
from adexplorer.core.ir import Graph
from adexplorer.core.memory import ENTRY_BYTES, MemoryFigures, memory_figures

MODES = ("evaluate", "forward", "reverse")


@dataclass(frozen=True)
class TangentSweep:
    """One forward sweep: its seed (input node → tangent) and its steps."""

    seed: Mapping[int, Array]
    steps: tuple[TangentStep, ...]
    tangents: tuple[Array | None, ...]
    label: str = ""


@dataclass(frozen=True)
class AdjointSweep:
    """One reverse sweep: its seed (output node → cotangent) and its steps."""

    seed: Mapping[int, Array]
    steps: tuple[AdjointStep, ...]
    adjoints: tuple[Array | None, ...]
    label: str = ""


@dataclass(frozen=True)
class VectorTangentSweep:
    """One vector forward sweep: all n unit directions at once.

    ``tangents[node]`` (and each step's value) has shape ``(n,) + node.shape``: row k is
    the tangent along direction k, named ``labels[k]`` (``x1``, ``W[0,1]``…, in the
    order of :func:`unit_seeds`); ``seed`` maps each differentiated input to its
    (n,) + shape block of unit directions."""

    seed: Mapping[int, Array]
    steps: tuple[TangentStep, ...]
    tangents: tuple[Array | None, ...]
    labels: tuple[str, ...]

    @property
    def n(self) -> int:
        return len(self.labels)

    def direction(self, k: int) -> TangentSweep:
        """Row k of every tangent, as the scalar sweep seeded with direction k would
        record it (a view for displays; the numbers are the vector sweep's)."""
        steps = tuple(TangentStep(s.node, s.value[k]) for s in self.steps)
        tangents = tuple(t[k] if t is not None else None for t in self.tangents)
        seed = {i: block[k] for i, block in self.seed.items()}
        return TangentSweep(seed, steps, tangents, self.labels[k])


@dataclass(frozen=True)
class CheckpointRun:
    """The checkpointed adjoint sweeps of a reverse-mode run.

    ``steps[r]`` is sweep r's record in the order things happened: snapshots,
    first evaluations (:class:`PrimalStep`), recomputations (:class:`RecomputeStep`)
    and adjoint steps.  Counts are per sweep (every sweep runs the same schedule).
    """

    schedule: Schedule
    steps: tuple[tuple[CheckpointedStep, ...], ...]
    peak_entries: int  # measured: snapshots + held values + live adjoints, at most
    snapshot_entries_peak: int
    plain_peak_entries: int  # plain reverse mode's peak (the memory model)
    #: Operations of one checkpointed sweep (the cost model): every evaluation's primal
    #: part, recomputations included, and the adjoint sweep; and plain reverse mode's.
    operations: OpCount
    plain_operations: OpCount

    @property
    def spec(self) -> CheckpointSpec:
        return self.schedule.spec

    @property
    def peak_bytes(self) -> int:
        return self.peak_entries * ENTRY_BYTES

    @property
    def plain_peak_bytes(self) -> int:
        return self.plain_peak_entries * ENTRY_BYTES

    def as_json(self) -> dict[str, object]:
        schedule = self.schedule
        return {
            "schedule": schedule.spec.kind,
            schedule.spec.kind: schedule.spec.amount,
            "steps": schedule.steps,
            "sweeps": len(self.steps),
            "snapshots_peak": schedule.snapshots_peak,
            "snapshot_entries_peak": self.snapshot_entries_peak,
            "evaluations": schedule.evaluations,
            "recomputed_steps": schedule.recomputed,
            "advances": schedule.advances,
            "optimal_advances": schedule.optimum,
            "peak_entries": self.peak_entries,
            "peak_bytes": self.peak_bytes,
            "plain_peak_entries": self.plain_peak_entries,
            "plain_peak_bytes": self.plain_peak_bytes,
            "operations": self.operations.as_dict(),
            "plain_operations": self.plain_operations.as_dict(),
        }


@dataclass(frozen=True)
class Cost:
    primal: OpCount
    tangent: OpCount  # one tangent sweep, without its primal part
    adjoint: OpCount  # one adjoint sweep, without the forward (taping) sweep
    n_inputs: int  # scalar input entries: forward sweeps for a full Jacobian
    n_outputs: int  # scalar output entries: reverse sweeps for a full Jacobian
    sweeps: int  # sweeps this run actually did
    memory: MemoryFigures | None = None  # what each mode stores (adexplorer.core.memory)
    checkpoint: CheckpointRun | None = None  # reverse mode with --checkpoint
    vector: int | None = None  # vector forward mode: the n directions of its one sweep

    @property
    def forward_ratio(self) -> float:
        return (self.primal.total + self.tangent.total) / max(self.primal.total, 1)

    @property
    def reverse_ratio(self) -> float:
        return (self.primal.total + self.adjoint.total) / max(self.primal.total, 1)

    def as_json(self, mode: str) -> dict[str, object]:
        return {
            "model": "Griewank-Walther counts (moves, adds, mults, nonlinear ops), unit weights",
            "primal": self.primal.as_dict(),
            "tangent_sweep": self.tangent.as_dict(),
            "adjoint_sweep": self.adjoint.as_dict(),
            "forward_ratio": round(self.forward_ratio, 4),
            "reverse_ratio": round(self.reverse_ratio, 4),
            "forward_bound": FORWARD_BOUND,
            "reverse_bound": REVERSE_BOUND,
            "sweeps": self.sweeps,
            "sweep_kind": {"forward": "tangent", "reverse": "adjoint"}.get(mode, "none"),
            "jacobian_forward_sweeps": self.n_inputs,
            "jacobian_reverse_sweeps": self.n_outputs,
            **({"vector": self.vector_json()} if self.vector is not None else {}),
        }

    def vector_sweep_cost(self) -> OpCount:
        """One vector sweep of n directions: the primal once and n tangent parts."""
        return vector_sweep_cost(self.primal, self.tangent, self.vector or 0)

    def scalar_sweeps_cost(self) -> OpCount:
        """n scalar tangent sweeps: the primal and the tangent part n times each."""
        n = self.vector or 0
        return (self.primal + self.tangent).scaled(n)

    def vector_json(self) -> dict[str, object]:
        vector, scalar = self.vector_sweep_cost(), self.scalar_sweeps_cost()
        return {
            "directions": self.vector,
            "vector_sweep": vector.as_dict(),
            "scalar_sweeps": scalar.as_dict(),
            "saved": scalar.total - vector.total,
        }

    def memory_json(self) -> dict[str, object] | None:
        return self.memory.as_json() if self.memory is not None else None


@dataclass(frozen=True)
class Trace:
    graph: Graph
    mode: str
    inputs: Mapping[str, Array]
    primal_steps: tuple[PrimalStep, ...]
    values: tuple[Array, ...]
    tangent_sweeps: tuple[TangentSweep, ...] = ()
    adjoint_sweeps: tuple[AdjointSweep, ...] = ()
    directional: bool = False
    warnings: tuple[str, ...] = ()
    cost: Cost | None = None
    #: The inputs differentiated with respect to (``run(..., wrt=...)``), in the
    #: program's order; None: every input.
    wrt: tuple[str, ...] | None = None
    #: Vector forward mode (``run(..., vector=True)``): the one sweep of n directions.
    vector_sweep: VectorTangentSweep | None = None
    #: Reverse mode with a cotangent seed: ȳ per output name, as given.
    cotangent: Mapping[str, Array] | None = None
    _jacobian: dict[int, dict[str, Array]] = field(default_factory=dict)

    # -- results -------------------------------------------------------------

    @property
    def checkpoint(self) -> CheckpointRun | None:
        """The checkpointed sweeps' schedule, steps and counts (reverse mode with
        ``checkpoint``), else None."""
        return self.cost.checkpoint if self.cost is not None else None

    def output_value(self, k: int = 0) -> Array:
        return self.values[self.graph.outputs[k]]

    @property
    def scalar_output(self) -> bool:
        return len(self.graph.outputs) == 1 and self.graph.nodes[self.graph.outputs[0]].shape == ()

    def jacobian(self, k: int = 0) -> dict[str, Array]:
        """d(output k)/d(input) for every input (the ``wrt`` inputs only, if given),
        shaped output.shape + input.shape; read-only arrays."""
        if k not in self._jacobian:
            raise ValueError(
                "this run formed no Jacobian: it swept one seed (use output_tangents() for "
                "a forward seed, vjp() for a reverse cotangent) or evaluated only"
            )
        return self._jacobian[k]

    def gradient(self) -> dict[str, Array]:
        if not self.scalar_output:
            raise ValueError("the gradient needs a single scalar output; use jacobian()")
        return self.jacobian(0)

    def vjp(self) -> dict[str, Array]:
        """Reverse mode with a cotangent seed: ȳᵀJ for every input (the ``wrt`` inputs
        only, if given), each of its input's shape; read-only arrays."""
        if self.mode != "reverse" or not self.directional:
            raise ValueError("vjp() needs a reverse-mode run with a cotangent seed")
        sweep = self.adjoint_sweeps[0]
        graph = self.graph
        result: dict[str, Array] = {}
        for index, name in zip(graph.inputs, graph.input_names, strict=True):
            if self.wrt is not None and name not in self.wrt:
                continue
            shape = self.graph.nodes[index].shape
            adjoint = sweep.adjoints[index]
            whole = np.zeros(shape) if adjoint is None else np.asarray(adjoint, np.float64)
            result[name] = frozen(np.array(np.broadcast_to(whole, shape)))
        return result

    def output_tangents(self) -> list[Array]:
        """With a directional seed: J·u̇ for each output."""
        sweep = self.tangent_sweeps[0]
        result = []
        for o in self.graph.outputs:
            t = sweep.tangents[o]
            result.append(t if t is not None else np.zeros(self.graph.nodes[o].shape))
        return result


# ------------------------------------------------------------------ running


def input_values(graph: Graph, bindings: Mapping[str, Array]) -> dict[str, Array]:
    """Every input's value from ``bindings`` or the program's defaults, shape-checked.

    A caller's float64 array of the declared shape is held as it is, not copied."""
    values: dict[str, Array] = {}
    missing = []
    allowed = limit("tensor_entries")
    for i in graph.inputs:
        node = graph.nodes[i]
        name = node.name or ""
        # before np.full below allocates it: vec[100000000000000000000] is declared in a few
        # characters, and numpy would raise ValueError (or fill gigabytes) for it
        if size(node.shape) > allowed:
            check("tensor_entries", size(node.shape), hint=f"{name} is {type_name(node.shape)}")
        if name in bindings:
            value = np.asarray(bindings[name], dtype=np.float64)
        elif name in graph.defaults:
            value = graph.defaults[name]
        else:
            missing.append(name)
            continue
        filled = fill(value, node.shape)
        if filled is None:
            raise AdxError(
                "input",
                f"'{name}' is {type_name(node.shape)}, "
                f"but the value given is {type_name(value.shape)}",
                hint=f"give {name} a value of shape {type_name(node.shape)}",
            )
        values[name] = filled
    if missing:
        example = ",".join(f"{m}=1" for m in missing)
        raise AdxError(
            "input",
            f"no value for input{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            hint=f"give values with --at {example}",
        )
    return values


#: The seed of a scalar: 1 (read-only, so every trace may share it).
_ONE = frozen(np.ones(()))


def unit_seeds(
    graph: Graph, indices: Sequence[int], names: Sequence[str]
) -> list[tuple[str, dict[int, Array]]]:
    """One seed per scalar entry of the given nodes: (label, {node: one-hot array})."""
    seeds = []
    for i, name in zip(indices, names, strict=True):
        node = graph.nodes[i]
        if node.shape == ():  # a scalar (a loss): one seed, 1
            seeds.append((name, {i: _ONE}))
            continue
        n = size(node.shape)
        for flat in range(n):
            onehot = np.zeros(n)
            onehot[flat] = 1.0
            entry = np.unravel_index(flat, node.shape) if node.shape else ()
            suffix = "[" + ",".join(str(int(k)) for k in entry) + "]" if node.shape else ""
            seeds.append((f"{name}{suffix}", {i: onehot.reshape(node.shape)}))
    return seeds


def wrt_inputs(graph: Graph, wrt: Collection[str] | str | None) -> tuple[int, ...] | None:
    """The input nodes named by ``wrt``, in the program's order (None: every input).

    A single name may be given as a string.  An unknown name or an empty list is an
    :class:`AdxError` that lists the inputs."""
    if wrt is None:
        return None
    names = (wrt,) if isinstance(wrt, str) else tuple(wrt)
    key = ("wrt", names)
    known = graph.memo.get(key)
    if known is None:
        known = graph.memo[key] = _wrt_indices(graph, names)
    assert isinstance(known, tuple)
    return known


def _wrt_indices(graph: Graph, names: tuple[str, ...]) -> tuple[int, ...]:
    inputs = graph.input_names
    listed = f"the inputs are {', '.join(inputs)}" if inputs else "the function has no inputs"
    if not names:
        raise AdxError("usage", "wrt names no input to differentiate with respect to", hint=listed)
    for name in names:
        if not isinstance(name, str) or name not in inputs:
            hint = did_you_mean(str(name), inputs)
            raise AdxError(
                "usage",
                f"wrt: {name!r} is not an input of this function",
                hint=(hint + " " if hint else "") + listed,
            )
    wanted = set(names)
    return tuple(i for i, name in zip(graph.inputs, inputs, strict=True) if name in wanted)


def run(
    graph: Graph,
    bindings: Mapping[str, Array],
    mode: str = "reverse",
    seed: Mapping[str, Array] | None = None,
    checkpoint: CheckpointSpec | str | None = None,
    wrt: Collection[str] | None = None,
    vector: bool = False,
) -> Trace:
    """Evaluate ``graph`` and differentiate it in ``mode``; see the module docstring.

    ``seed``: in forward mode a direction u (input name → tangent; J·u in one sweep),
    in reverse mode a cotangent ȳ (output name → adjoint; ȳᵀJ in one sweep, see
    :meth:`Trace.vjp`); names left out get 0.  ``wrt`` (input names) restricts the
    derivative to those inputs: reverse mode forms only the adjoints on a path from
    them to the outputs, forward mode seeds only them, and the gradient / Jacobian /
    VJP holds only them.  Not with a forward ``seed`` (which is a direction already).
    ``vector`` (forward mode, no seed): one sweep carrying every unit direction at once
    (:attr:`Trace.vector_sweep`)."""
    if mode not in MODES:
        raise AdxError("usage", f"unknown mode '{mode}'", hint="use reverse, forward or evaluate")
    spec = _checkpoint_spec(checkpoint, mode)
    check_nodes(graph)
    chosen = wrt_inputs(graph, wrt)
    if seed is not None and mode == "evaluate":
        raise AdxError(
            "usage",
            "a seed is for forward mode (a direction) or reverse mode (a cotangent), "
            "not evaluate mode",
            hint="use mode forward or reverse, or leave the seed out",
        )
    if vector and (mode != "forward" or seed is not None):
        raise AdxError(
            "usage",
            "vector forward mode carries every unit direction at once: it needs forward "
            "mode and no seed",
            hint="give one direction with a forward seed (one scalar sweep), or leave the seed out",
        )
    if chosen is not None and seed is not None and mode == "forward":
        raise AdxError(
            "usage",
            "give a seed direction or the inputs to differentiate with respect to, not both",
            hint="a seed already says how every input moves; wrt seeds each entry of its inputs",
        )
    inputs = input_values(graph, bindings)
    graph = retape(graph, inputs)
    ordered = [inputs[graph.nodes[i].name or ""] for i in graph.inputs]
    differentiated = chosen if chosen is not None else graph.inputs
    # Before anything runs: the primal trace alone keeps every node's value (a line of
    # 60 products of mat[1000,1000] is 60,000,000 numbers: 12 GB as a JSON report).
    allowed = limit("trace_entries")
    _check_primal_size(graph, allowed)
    if mode == "forward" and seed is None:
        _check_trace_size(graph, "forward", differentiated, allowed, vector=vector)
    elif mode == "reverse" and seed is None:
        _check_trace_size(graph, "reverse", differentiated, allowed)
    cotangent = _cotangent_map(graph, seed) if mode == "reverse" and seed is not None else None
    warnings: list[str] = list(graph.tape_warnings)
    with np.errstate(all="ignore"), gc_paused():
        primal_steps = tuple(evaluate(graph, ordered))
        values = _fold_values(graph, primal_steps)
        _domain_warnings(graph, values, warnings)
        if not graph.dynamic:  # a taped program's lowering already looked at its ties
            _boundary_warnings(graph, values, warnings)
        tangent_sweeps: list[TangentSweep] = []
        adjoint_sweeps: list[AdjointSweep] = []
        jacobian: dict[int, dict[str, Array]] = {}
        directional = False
        checkpoint_run: CheckpointRun | None = None
        active = active_nodes(graph, chosen) if chosen is not None else None
        vector_sweep: VectorTangentSweep | None = None
        if mode == "forward" and vector:
            vector_sweep = _vector_sweep(graph, values, differentiated)
            jacobian = _jacobian_from_vector(graph, vector_sweep, differentiated)
        elif mode == "forward":
            if seed is not None:
                directional = True
                seed_map = _seed_map(graph, seed)
                tangent_sweeps.append(_tangent_sweep(graph, values, seed_map, "seed"))
            else:
                names = _names_of(graph, differentiated)
                for label, s in unit_seeds(graph, differentiated, names):
                    tangent_sweeps.append(_tangent_sweep(graph, values, s, label))
                jacobian = _jacobian_from_tangents(graph, tangent_sweeps, differentiated)
        elif mode == "reverse" and cotangent is not None:
            directional = True
            if spec is not None:
                seeds = [("seed", cotangent)]
                checkpoint_run = _checkpointed_sweeps(
                    graph, values, spec, adjoint_sweeps, active, seeds
                )
            else:
                adjoint_sweeps.append(_adjoint_sweep(graph, values, cotangent, "seed", active))
        elif mode == "reverse" and spec is not None:
            checkpoint_run = _checkpointed_sweeps(graph, values, spec, adjoint_sweeps, active)
            jacobian = _jacobian_from_adjoints(graph, adjoint_sweeps, differentiated)
        elif mode == "reverse":
            for label, s in unit_seeds(graph, graph.outputs, graph.output_names):
                adjoint_sweeps.append(_adjoint_sweep(graph, values, s, label, active))
            jacobian = _jacobian_from_adjoints(graph, adjoint_sweeps, differentiated)
        _derivative_warnings(graph, jacobian, tangent_sweeps, warnings)
        if cotangent is not None and seed is not None:
            bad_seed = False
            for name, value in seed.items():
                if not all_finite(np.asarray(value, dtype=np.float64)):
                    bad_seed = True
                    warnings.append(
                        f"the cotangent for {name} is {nonfinite_kinds(value)}, "
                        "so the vector-Jacobian product is not finite"
                    )
            if not bad_seed:
                _vjp_warnings(graph, adjoint_sweeps[0], differentiated, warnings)
    sweeps = len(tangent_sweeps) + len(adjoint_sweeps) + (vector_sweep is not None)
    cost = count_cost(graph, sweeps)
    if checkpoint_run is not None:
        cost = dataclasses.replace(cost, checkpoint=checkpoint_run)
    if vector_sweep is not None:
        cost = dataclasses.replace(cost, vector=vector_sweep.n)
    return Trace(
        graph=graph,
        mode=mode,
        inputs=inputs,
        primal_steps=primal_steps,
        values=values,
        tangent_sweeps=tuple(tangent_sweeps),
        adjoint_sweeps=tuple(adjoint_sweeps),
        directional=directional,
        warnings=tuple(warnings),
        cost=cost,
        wrt=_names_of(graph, chosen) if chosen is not None else None,
        vector_sweep=vector_sweep,
        cotangent=dict(seed) if cotangent is not None and seed is not None else None,
        _jacobian=jacobian,
    )


def _names_of(graph: Graph, indices: Sequence[int]) -> tuple[str, ...]:
    """The input names (as :attr:`Graph.input_names` gives them) of input nodes ``indices``."""
    by_index = graph.memo.get("input_names")
    if by_index is None:
        by_index = graph.memo["input_names"] = dict(
            zip(graph.inputs, graph.input_names, strict=True)
        )
    return tuple(by_index[i] for i in indices)


def retape(graph: Graph, inputs: Mapping[str, Array]) -> Graph:
    """The tape of ``graph``'s program at ``inputs`` (a program with ``if``/``for``
    records the operations each run performs); ``graph`` itself if it is static or
    was taped at these very values."""
    return graph.retaped(inputs)


_COMPARISONS = frozenset({"lt", "le", "gt", "ge", "eq", "ne"})


def _boundary_warnings(graph: Graph, values: Sequence[Array], warnings: list[str]) -> None:
    """A comparison whose two sides are equal (in some entry) sits on a jump."""
    for node in graph.nodes:
        if node.op in _COMPARISONS and np.any(values[node.args[0]] == values[node.args[1]]):
            text = excerpt(graph.source_text(node.index) or node.op)
            warnings.append(
                f"line {node.line or '?'}: {text} is exactly on its boundary (both sides are "
                "equal), so the function may not be differentiable here; adx differentiates "
                "the side chosen"
            )


def _checkpoint_spec(checkpoint: CheckpointSpec | str | None, mode: str) -> CheckpointSpec | None:
    if checkpoint is None:
        return None
    spec = parse_checkpoint(checkpoint) if isinstance(checkpoint, str) else checkpoint
    if mode != "reverse":
        raise AdxError(
            "usage",
            f"checkpointing ({spec}) is for reverse mode, not {mode} mode",
            hint="forward mode keeps only live values and needs no checkpoints; "
            "use --mode reverse with --checkpoint",
        )
    return spec


def _checkpointed_sweeps(
    graph: Graph,
    values: Sequence[Array],
    spec: CheckpointSpec,
    sweeps: list[AdjointSweep],
    active: Sequence[bool] | None = None,
    seeds: list[tuple[str, dict[int, Array]]] | None = None,
) -> CheckpointRun:
    """One checkpointed sweep per output entry (or per given seed: a cotangent's one);
    their adjoint steps go into ``sweeps``."""
    steps = len(graph.op_nodes)
    if seeds is None:
        seeds = unit_seeds(graph, graph.outputs, graph.output_names)
    # Every evaluation and adjoint step is kept: refuse before building a schedule
    # whose steps alone would outgrow the trace (snapshots=1 is quadratic in l).
    evaluations = planned_evaluations(spec, steps)
    per_step = -(-sum(size(graph.nodes[i].shape) for i in graph.op_nodes) // max(steps, 1))
    check(
        "trace_entries",
        len(seeds) * (evaluations * per_step + 2 * steps),
        hint=f"{spec} recomputes {evaluations - steps:,} of the {steps:,} steps in each of "
        f"{len(seeds):,} sweep(s); give more snapshots or a larger every=K",
    )
    schedule = make_schedule(spec, steps)
    records: list[tuple[CheckpointedStep, ...]] = []
    peak = snapshot_peak = 0
    for label, seed in seeds:
        sweep = CheckpointedSweep(graph, values, seed, schedule, active)
        record = tuple(sweep.steps())
        records.append(record)
        peak = max(peak, sweep.peak_entries)
        snapshot_peak = max(snapshot_peak, sweep.snapshot_entries_peak)
        adjoint_steps = tuple(s for s in record if isinstance(s, AdjointStep))
        adjoints: list[Array | None] = [None] * len(graph.nodes)
        for step in adjoint_steps:
            adjoints[step.node] = step.total
        sweeps.append(AdjointSweep(seed, adjoint_steps, tuple(adjoints), label))
    cost = count_cost(graph, len(seeds))
    step_costs = _primal_step_costs(graph)
    recomputation = OpCount()
    for action in schedule.actions:
        if action.kind in ("advance", "tape"):
            recomputation += step_costs[action.step - 1]
    # recomputation now holds every evaluation; the first of each is the primal's own
    for c in step_costs:
        recomputation = recomputation + c.scaled(-1)
    return CheckpointRun(
        schedule=schedule,
        steps=tuple(records),
        peak_entries=peak,
        snapshot_entries_peak=snapshot_peak,
        plain_peak_entries=memory_figures(graph).reverse.peak_entries,
        operations=cost.primal + recomputation + cost.adjoint,
        plain_operations=cost.primal + cost.adjoint,
    )


def _primal_step_costs(graph: Graph) -> list[OpCount]:
    """The primal part of the cost model for each operation, in step order."""
    memo: dict[tuple[object, ...], OpCount] = {}
    costs = []
    for index in graph.op_nodes:
        node = graph.nodes[index]
        shapes = tuple(graph.nodes[a].shape for a in node.args)
        active = tuple(graph.nodes[a].op != "const" for a in node.args)
        key = (node.op, shapes, active)
        c = memo.get(key)
        if c is None:
            c = memo[key] = node.primitive.cost(shapes, node.shape, active).primal
        costs.append(c)
    return costs


def check_nodes(graph: Graph) -> None:
    """The ``nodes`` limit, for a graph built by someone else: before any trace is run
    or drawn over it (the compiler should refuse such a program while it builds it)."""
    if len(graph.nodes) <= limit("nodes"):
        return
    check("nodes", len(graph.nodes), hint="split the program, or differentiate a smaller part")


def _entries(graph: Graph) -> int:
    """Scalar entries of every node's value together (constants included), once per graph."""
    total = graph.memo.get("entries")
    if total is None:
        total = graph.memo["entries"] = sum(size(node.shape) for node in graph.nodes)
    assert isinstance(total, int)
    return total


def _entries_of(graph: Graph, indices: Sequence[int]) -> int:
    """Scalar entries of the nodes ``indices`` together, once per graph and set of nodes."""
    key = ("entries", tuple(indices))
    total = graph.memo.get(key)
    if total is None:
        total = graph.memo[key] = sum(size(graph.nodes[i].shape) for i in indices)
    assert isinstance(total, int)
    return total


def _check_primal_size(graph: Graph, allowed: int) -> None:
    entries = _entries(graph)
    if entries <= allowed:
        return
    check(
        "trace_entries",
        entries,
        hint=f"the values of the program's {len(graph.nodes):,} nodes have {entries:,} "
        "entries in all; use smaller vectors and matrices",
    )


def _check_trace_size(
    graph: Graph, mode: str, differentiated: Sequence[int], allowed: int, vector: bool = False
) -> None:
    """A full Jacobian needs one sweep per input entry (forward; of the ``differentiated``
    inputs) or output entry (reverse), and each sweep stores a value for every entry of
    every node: say what that costs before spending gigabytes on it.  A vector sweep
    stores n entries for every entry of every node: the same count."""
    entries = _entries(graph)
    n_in = _entries_of(graph, differentiated)
    n_out = _entries_of(graph, graph.outputs)
    sweeps = n_in if mode == "forward" else n_out
    if sweeps * entries <= allowed:
        return
    other, other_sweeps = ("forward", n_in) if mode == "reverse" else ("reverse", n_out)
    if vector:
        hint = (
            f"the vector sweep carries {n_in:,} directions for each of {entries:,} entries; "
            f"reverse mode would take {n_out:,} sweep{'s' if n_out != 1 else ''}; "
            "or restrict the directions to one input with --wrt"
        )
        check("trace_entries", sweeps * entries, hint=hint)
    hint = (
        f"the full Jacobian by {mode} mode takes {sweeps:,} sweeps over {entries:,} entries; "
        f"{other} mode would take {other_sweeps:,}"
    )
    if mode == "reverse":
        hint += "; or differentiate a scalar such as sum(...) of the output"
    else:
        hint += "; or give one direction with --seed (one sweep: J·u)"
    check("trace_entries", sweeps * entries, hint=hint)


def _seed_map(graph: Graph, seed: Mapping[str, Array], what: str = "seed") -> dict[int, Array]:
    """A forward seed by input name → {input node: u}, each of the input's shape.
    ``what``: "seed" (forward mode's), or "direction" (the u of H·u, which has no
    reverse-mode counterpart to point to)."""
    result: dict[int, Array] = {}
    for name, value in seed.items():
        index = graph.input_index(name)
        if index is None:
            is_output = name in graph.output_names
            hint = did_you_mean(name, graph.input_names) if not is_output else None
            named = "the forward-mode seed (a direction)" if what == "seed" else f"the {what} u"
            raise AdxError(
                "usage",
                f"{named} names inputs, and '{name}' is "
                + ("an output" if is_output else "not an input of this function"),
                hint=(hint + " " if hint else "")
                + f"the inputs are {', '.join(graph.input_names)}"
                + (
                    "; a reverse-mode seed (a cotangent) names outputs"
                    if is_output and what == "seed"
                    else ""
                ),
            )
        shape = graph.nodes[index].shape
        arr = fill(value, shape)
        if arr is None:
            raise AdxError(
                "input",
                f"the {what} for '{name}' has shape {type_name(np.shape(value))}, but '{name}' "
                f"is {type_name(shape)}",
                hint=f"give {name} a {what} of shape {type_name(shape)}"
                + (" (or one number, for every entry)" if shape else ""),
            )
        result[index] = arr
    return result


def _cotangent_map(graph: Graph, seed: Mapping[str, Array]) -> dict[int, Array]:
    """A reverse-mode seed by output name → {output node: ȳ}, each ȳ of the output's
    shape.  Two names for one node (``return y, y``) add their cotangents."""
    outputs = graph.output_names
    listed = f"the outputs are {', '.join(outputs)}"
    if not seed:
        raise AdxError("usage", "the cotangent names no output", hint=listed)
    result: dict[int, Array] = {}
    for name, value in seed.items():
        if name not in outputs:
            is_input = name in graph.input_names
            kind = "an input" if is_input else "not an output of this function"
            hint = did_you_mean(name, outputs)
            forward_note = "; a forward-mode seed (a direction) names inputs" if is_input else ""
            raise AdxError(
                "usage",
                f"the reverse-mode seed (a cotangent) names outputs, and '{name}' is {kind}",
                hint=(hint + " " if hint else "") + listed + forward_note,
            )
        index = graph.outputs[outputs.index(name)]
        shape = graph.nodes[index].shape
        arr = fill(np.asarray(value, dtype=np.float64), shape)
        if arr is None:
            raise AdxError(
                "input",
                f"the cotangent for '{name}' has shape {type_name(np.shape(value))}, but the "
                f"output '{name}' is {type_name(shape)}",
                hint=f"give {name} a cotangent of shape {type_name(shape)}",
            )
        previous = result.get(index)
        result[index] = arr if previous is None else frozen(np.asarray(previous + arr))
    return result


def _vector_sweep(
    graph: Graph, values: Sequence[Array], differentiated: Sequence[int]
) -> VectorTangentSweep:
    """The one vector sweep: direction k is unit seed k of :func:`unit_seeds`."""
    names = _names_of(graph, differentiated)
    units = unit_seeds(graph, differentiated, names)
    n = len(units)
    seed: dict[int, Array] = {}
    for k, (_, unit) in enumerate(units):
        for index, onehot in unit.items():
            block = seed.get(index)
            if block is None:
                block = seed[index] = np.zeros((n, *graph.nodes[index].shape))
            block[k] = onehot
    for block in seed.values():
        frozen(block)
    steps = tuple(vector_forward(graph, values, seed, n))
    tangents: list[Array | None] = [None] * len(graph.nodes)
    for step in steps:
        tangents[step.node] = step.value
    return VectorTangentSweep(seed, steps, tuple(tangents), tuple(label for label, _ in units))


def _jacobian_from_vector(
    graph: Graph, sweep: VectorTangentSweep, differentiated: Sequence[int]
) -> dict[int, dict[str, Array]]:
    """Column by column as n scalar sweeps give it: row k of an output's tangent is the
    column of direction k."""
    result: dict[int, dict[str, Array]] = {}
    for k, o in enumerate(graph.outputs):
        out_shape = graph.nodes[o].shape
        block = sweep.tangents[o]
        if block is None:  # a constant output: no direction moves it
            block = np.zeros((sweep.n, *out_shape))
        per_input: dict[str, Array] = {}
        position = 0
        for i in differentiated:
            in_shape = graph.nodes[i].shape
            cols = np.array(block[position : position + size(in_shape)], dtype=np.float64)
            position += size(in_shape)
            # cols[c] is column c; move the input axes after the output axes
            arr = cols.reshape(in_shape + out_shape)
            arr = np.moveaxis(
                arr, tuple(range(len(in_shape))), tuple(range(len(out_shape), arr.ndim))
            )
            per_input[graph.nodes[i].name or ""] = frozen(arr)
        result[k] = per_input
    return result


def _vjp_warnings(
    graph: Graph, sweep: AdjointSweep, differentiated: Sequence[int], warnings: list[str]
) -> None:
    names = _names_of(graph, differentiated)
    bad = [n for i, n in zip(differentiated, names, strict=True) if not _finite(sweep.adjoints[i])]
    if bad:
        warnings.append(
            "the vector-Jacobian product is not finite for "
            + ", ".join(bad)
            + " (a primitive is not differentiable at this point, or a value overflowed)"
        )


def _fold_values(graph: Graph, steps: Sequence[PrimalStep]) -> tuple[Array, ...]:
    """Each node's value: its step's, and a constant's own (kept once per graph)."""
    template = graph.memo.get("values")
    if template is None:
        empty = frozen(np.zeros(0))  # replaced by a step for every input and operation
        template = graph.memo["values"] = tuple(
            frozen(np.asarray(n.value).view()) if n.value is not None else empty
            for n in graph.nodes
        )
    values = list(template)
    for step in steps:
        values[step.node] = step.value
    return tuple(values)


def _tangent_sweep(
    graph: Graph, values: Sequence[Array], seed: dict[int, Array], label: str
) -> TangentSweep:
    steps = tuple(forward(graph, values, seed))
    tangents: list[Array | None] = [None] * len(graph.nodes)
    for step in steps:
        tangents[step.node] = step.value
    return TangentSweep(seed, steps, tuple(tangents), label)


def _adjoint_sweep(
    graph: Graph,
    values: Sequence[Array],
    seed: dict[int, Array],
    label: str,
    active: Sequence[bool] | None = None,
) -> AdjointSweep:
    steps = tuple(reverse(graph, values, seed, active))
    adjoints: list[Array | None] = [None] * len(graph.nodes)
    for step in steps:
        adjoints[step.node] = step.total
    return AdjointSweep(seed, steps, tuple(adjoints), label)


def _jacobian_from_adjoints(
    graph: Graph, sweeps: Sequence[AdjointSweep], differentiated: Sequence[int]
) -> dict[int, dict[str, Array]]:
    """Row by row: sweep r (a unit cotangent on one output entry) gives that row.

    A scalar output has one row: its gradient is the input adjoints themselves
    (read-only views, no copy)."""
    result: dict[int, dict[str, Array]] = {}
    position = 0
    for k, o in enumerate(graph.outputs):
        out_shape = graph.nodes[o].shape
        rows = sweeps[position : position + size(out_shape)]
        position += size(out_shape)
        per_input: dict[str, Array] = {}
        for i in differentiated:
            in_shape = graph.nodes[i].shape
            name = graph.nodes[i].name or ""
            if len(rows) == 1 and out_shape == ():
                adjoint = rows[0].adjoints[i]
                if (
                    type(adjoint) is np.ndarray
                    and adjoint.shape == in_shape
                    and not adjoint.flags.writeable  # the engine froze it: no copy needed
                ):
                    per_input[name] = adjoint
                    continue
                whole = np.zeros(in_shape) if adjoint is None else np.asarray(adjoint, np.float64)
                per_input[name] = frozen(whole.reshape(in_shape))
                continue
            stacked = [
                np.asarray(s.adjoints[i], dtype=np.float64)
                if s.adjoints[i] is not None
                else np.zeros(in_shape)
                for s in rows
            ]
            per_input[name] = frozen(np.array(stacked).reshape(out_shape + in_shape))
        result[k] = per_input
    return result


def _jacobian_from_tangents(
    graph: Graph, sweeps: Sequence[TangentSweep], differentiated: Sequence[int]
) -> dict[int, dict[str, Array]]:
    """Column by column: sweep c (a unit seed on one input entry) gives that column."""
    result: dict[int, dict[str, Array]] = {}
    for k, o in enumerate(graph.outputs):
        out_shape = graph.nodes[o].shape
        per_input: dict[str, Array] = {}
        position = 0
        for i in differentiated:
            in_shape = graph.nodes[i].shape
            cols = sweeps[position : position + size(in_shape)]
            position += size(in_shape)
            stacked = [
                np.broadcast_to(np.asarray(s.tangents[o], dtype=np.float64), out_shape)
                if s.tangents[o] is not None
                else np.zeros(out_shape)
                for s in cols
            ]
            # stacked[c] is column c; move the input axes after the output axes
            arr = np.array(stacked).reshape(in_shape + out_shape)
            arr = np.moveaxis(
                arr, tuple(range(len(in_shape))), tuple(range(len(out_shape), arr.ndim))
            )
            per_input[graph.nodes[i].name or ""] = frozen(arr)
        result[k] = per_input
    return result


def _finite(value: Array | None) -> bool:
    return value is None or all_finite(value)


def describe_node(graph: Graph, index: int) -> str:
    """``v1 = log(...) at 'ln(x1)' (line 1, column 1)`` for messages."""
    label = graph.labels()[index]
    node = graph.nodes[index]
    where = ""
    if node.span is not None:
        span = node.span
        text = excerpt(span.text(graph.source))
        where = f" at '{text}' (line {span.line}, column {span.column})"
    return f"{label} = {node.op}{where}"


def _domain_warnings(graph: Graph, values: Sequence[Array], warnings: list[str]) -> None:
    """Name the first node where a value stops being finite although its arguments were.

    Each value is tested once (:func:`all_finite`); a constant only if an operation
    that reads it is not finite (one that folded to NaN was reported when it was folded).
    """
    finite: list[bool | None] = [None] * len(values)
    for node in graph.nodes:
        op = node.op
        if op == "const":
            continue
        ok = finite[node.index] = all_finite(values[node.index])
        if ok:
            continue
        if op == "input":
            warnings.append(f"input {node.name} is not a finite number")
            continue
        for a in node.args:
            if finite[a] is None:
                finite[a] = all_finite(values[a])
        if all(finite[a] for a in node.args):
            result = values[node.index]
            warnings.append(
                f"{describe_node(graph, node.index)} gives {nonfinite_kinds(result)}: "
                + _why(node.primitive.domain_note, result, [values[a] for a in node.args])
            )


def _why(note: str | None, result: Array, args: Sequence[Array]) -> str:
    """The likely cause: a NaN is outside the domain; an infinity from nonzero
    arguments is an overflow, not a domain problem (x^1e9 is not a negative base)."""
    overflow = "the result is too large for a float64 (above about 1.8e308)"
    if np.any(np.isnan(np.asarray(result))):
        return note or "the result is not a number"
    if all(np.all(np.asarray(a) != 0) for a in args):
        return overflow
    return note or "division by zero"


def _kind(value: Array) -> str:
    arr = np.asarray(value)
    if np.any(np.isnan(arr)):
        return "nan"
    return "inf" if np.all(arr[~np.isfinite(arr)] > 0) else "-inf"


def _derivative_warnings(
    graph: Graph,
    jacobian: Mapping[int, Mapping[str, Array]],
    tangent_sweeps: Sequence[TangentSweep],
    warnings: list[str],
) -> None:
    bad = sorted({name for per in jacobian.values() for name, v in per.items() if not _finite(v)})
    if tangent_sweeps and tangent_sweeps[0].label == "seed":
        outs = [tangent_sweeps[0].tangents[o] for o in graph.outputs]
        if not all(_finite(t) for t in outs):
            bad.append("the directional derivative")
    if bad:
        warnings.append(
            "the derivative is not finite for "
            + ", ".join(bad)
            + " (a primitive is not differentiable at this point, or a value overflowed)"
        )


def count_cost(graph: Graph, sweeps: int) -> Cost:
    """Sum each node's cost model over the graph (see :mod:`adexplorer.core.cost`).

    The counts depend on the graph's shapes alone: summed once per graph (kept in
    :attr:`Graph.memo`); only ``sweeps`` is the run's own."""
    cost = graph.memo.get(("cost", sweeps))
    if cost is None:
        model = graph.memo.get("cost")
        if model is None:
            model = graph.memo["cost"] = _cost_model(graph)
        cost = graph.memo[("cost", sweeps)] = dataclasses.replace(model, sweeps=sweeps)
    assert isinstance(cost, Cost)
    return cost


def _cost_model(graph: Graph) -> Cost:
    primal = tangent = adjoint = OpCount()
    memo: dict[tuple[object, ...], SweepCost] = {}
    for node in graph.nodes:
        if node.op == "const":
            continue
        if node.op == "input":
            n = size(node.shape)
            primal += OpCount(moves=n)
            tangent += OpCount(moves=n)
            adjoint += OpCount(moves=n)
            continue
        shapes = tuple(graph.nodes[a].shape for a in node.args)
        active = tuple(graph.nodes[a].op != "const" for a in node.args)
        key = (node.op, shapes, active)
        c = memo.get(key)
        if c is None:  # programs repeat a few (op, shapes) pairs many times
            c = memo[key] = node.primitive.cost(shapes, node.shape, active)
        primal += c.primal
        tangent += c.tangent
        adjoint += c.adjoint
    n_in = sum(size(graph.nodes[i].shape) for i in graph.inputs)
    n_out = sum(size(graph.nodes[o].shape) for o in graph.outputs)
    return Cost(primal, tangent, adjoint, n_in, n_out, 0, memory_figures(graph))
