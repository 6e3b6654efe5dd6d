"""The ``adx.eval/1`` JSON report of a trace (documented in docs/json-schema.md).

Plain data only, no rich: scripts and autograders read this.  Scalars are bare
numbers, arrays nested lists, and NaN/inf become ``null`` with a line in
``"warnings"`` saying which entry it was and whether it is NaN, +inf or -inf.
Rows point into the source by ``span`` (character offsets) and repeat at most
a short excerpt of it, so the report grows linearly with the program.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adexplorer.base.numbers import nonfinite_kinds, to_json_value
from adexplorer.base.shapes import Array, type_name
from adexplorer.base.text import excerpt
from adexplorer.core.checkpoint import timeline
from adexplorer.core.engines.reverse import active_nodes
from adexplorer.core.engines.steps import AdjointStep, PrimalStep, RecomputeStep, SnapshotStep
from adexplorer.core.formulas import FormulaRenderer
from adexplorer.core.ir import Graph
from adexplorer.core.trace import CheckpointRun, Trace

SCHEMA = "adx.eval/1"


class _Json:
    """Converts values and remembers which ones were not finite."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def __call__(self, value: Array | None, where: str) -> Any:
        if value is None:
            return None
        converted, bad = to_json_value(value)
        if bad:
            self.warnings.append(f"{where} is {nonfinite_kinds(value)}; shown as null")
        return converted


def eval_report(
    trace: Trace,
    *,
    numbering: str = "griewank",
    digits: int = 6,
    wrt: str | None = None,
    seed: Mapping[str, Array] | None = None,
) -> dict[str, Any]:
    graph = trace.graph
    labels = graph.labels(numbering)
    conv = _Json()
    render = FormulaRenderer(graph, trace.values, numbering=numbering, digits=digits)
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "mode": trace.mode,
        "numbering": numbering,
        "source": graph.source,
        "inputs": {name: conv(v, f"input {name}") for name, v in trace.inputs.items()},
    }
    outputs = []
    for k, o in enumerate(graph.outputs):
        outputs.append(
            {
                "name": graph.output_names[k],
                "id": labels[o],
                "type": type_name(graph.nodes[o].shape),
                "value": conv(trace.values[o], f"output {graph.output_names[k]}"),
            }
        )
    report["outputs"] = outputs
    if len(outputs) == 1:
        report["value"] = outputs[0]["value"]
    else:
        report["value"] = {o["name"]: o["value"] for o in outputs}

    if trace.mode == "forward" and trace.directional:
        report["seed"] = {name: conv(v, f"seed {name}") for name, v in (seed or {}).items()}
        tangents = trace.output_tangents()
        if len(tangents) == 1:
            report["tangent"] = conv(tangents[0], "the tangent")
        else:
            report["tangent"] = {
                graph.output_names[k]: conv(t, f"the tangent of {graph.output_names[k]}")
                for k, t in enumerate(tangents)
            }
    elif trace.mode == "reverse" and trace.directional:
        report["cotangent"] = {
            name: conv(v, f"the cotangent of {name}") for name, v in (trace.cotangent or {}).items()
        }
        report["vjp"] = {n: conv(v, f"the VJP entry for {n}") for n, v in trace.vjp().items()}
    elif trace.mode in ("forward", "reverse"):
        if trace.scalar_output:
            grad = trace.gradient()
            names = [wrt] if wrt else list(grad)
            report["gradient"] = {n: conv(grad[n], f"the gradient entry for {n}") for n in names}
        else:
            report["jacobian"] = {
                graph.output_names[k]: {
                    n: conv(v, f"the Jacobian entry d{graph.output_names[k]}/d{n}")
                    for n, v in trace.jacobian(k).items()
                    if wrt is None or n == wrt
                }
                for k in range(len(graph.outputs))
            }

    report["control_flow"] = _control_flow(trace)
    report["trace"] = _rows(trace, labels, render, conv)
    report["sweeps"] = _sweeps(trace, labels, render, conv)
    if trace.vector_sweep is not None:
        report["vector"] = _vector(trace, labels, render, conv)
    assert trace.cost is not None
    report["cost"] = trace.cost.as_json(trace.mode)
    report["memory"] = trace.cost.memory_json()
    if trace.checkpoint is not None:
        report["checkpoint"] = _checkpoint(trace.checkpoint, graph, labels, conv)
    # One line per cause: the same entry is met in the rows and again in the sweeps.
    report["warnings"] = list(dict.fromkeys([*trace.warnings, *conv.warnings]))
    return report


def _control_flow(trace: Trace) -> dict[str, Any] | None:
    """What this run decided at each ``if`` and ``for`` (None for a program without them)."""
    graph = trace.graph
    if not graph.dynamic:
        return None
    return {
        "taped": "the trace is this run's tape: the branch taken, every loop iteration unrolled",
        "decisions": [
            {
                "kind": d.kind,
                "line": d.line,
                "iteration": dict(d.context) or None,
                "taken": d.taken if d.kind == "if" else None,
                "taken_line": d.taken_line,
                "condition": d.condition or None,
                "iterations": d.iterations if d.kind == "for" else None,
                "ties": list(d.ties),
                "text": d.describe(),
            }
            for d in graph.decisions
        ],
    }


def _rows(trace: Trace, labels: Sequence[str], render: FormulaRenderer, conv: _Json) -> list[Any]:
    graph = trace.graph
    rows: dict[int, dict[str, Any]] = {}
    for step in trace.primal_steps:
        node = graph.nodes[step.node]
        formula = render.primal(step)
        source = graph.source_text(step.node)
        row: dict[str, Any] = {
            "id": labels[step.node],
            "op": node.op,
            "args": [labels[a] for a in node.args],
            "type": type_name(node.shape),
            "name": node.name,
            "source": excerpt(source) if source is not None else None,
            "span": [node.span.start, node.span.end] if node.span else None,
            "line": node.span.line if node.span else None,
            "column": node.span.column if node.span else None,
            "iteration": dict(node.context) or None,
            "formula": formula.text(),
            "primal": conv(step.value, f"the value of {labels[step.node]}"),
        }
        rows[step.node] = row

    single_tangent = len(trace.tangent_sweeps) == 1
    for t_sweep in trace.tangent_sweeps:
        for t_step in t_sweep.steps:
            row = rows[t_step.node]
            value = conv(t_step.value, f"the tangent of {labels[t_step.node]}")
            if single_tangent:
                row["tangent"] = value
                row["tangent_formula"] = render.tangent(t_step, t_sweep.tangents).text()
            else:
                row.setdefault("tangents", {})[t_sweep.label] = value

    single_adjoint = len(trace.adjoint_sweeps) == 1
    # with --wrt, a node off every path from that input was not given an adjoint: null
    formed = _formed(trace)
    for a_sweep in trace.adjoint_sweeps:
        for index, adjoint in enumerate(a_sweep.adjoints):
            if index not in rows:
                continue
            if adjoint is not None:
                value = conv(adjoint, f"the adjoint of {labels[index]}")
            else:
                value = 0.0 if formed[index] else None
            if single_adjoint:
                rows[index]["adjoint"] = value
            else:
                rows[index].setdefault("adjoints", {})[a_sweep.label] = value
        if single_adjoint:
            for a_step in a_sweep.steps:
                if a_step.source is None:
                    continue
                formula = render.adjoint(a_step, a_sweep.adjoints)
                target = labels[a_step.node]
                rows[a_step.node].setdefault("contributions", []).append(
                    {
                        "from": labels[a_step.source],
                        "value": conv(a_step.contribution, f"a contribution to {target}"),
                        "formula": formula.text(),
                    }
                )
    return [rows[i] for i in sorted(rows)]


def _formed(trace: Trace) -> Sequence[bool]:
    """Which nodes a reverse sweep gives an adjoint (every node, unless ``wrt`` was given:
    then the nodes that depend on those inputs)."""
    graph = trace.graph
    if trace.wrt is None:
        return [True] * len(graph.nodes)
    wanted = set(trace.wrt)
    chosen = [i for i, name in zip(graph.inputs, graph.input_names, strict=True) if name in wanted]
    return active_nodes(graph, chosen)


#: A schedule with few snapshots recomputes O(l·√l) or more steps; past this many,
#: ``actions`` and ``records`` list the first ones only (``*_total`` says how many).
MAX_CHECKPOINT_RECORDS = 20_000


def _checkpoint(
    run: CheckpointRun, graph: Graph, labels: Sequence[str], conv: _Json
) -> dict[str, Any]:
    """The schedule's counts, its actions, its timeline, and the first sweep's steps in
    the order they ran (every sweep runs the same schedule)."""
    ops = {index: k for k, index in enumerate(graph.op_nodes, start=1)}
    result: dict[str, Any] = run.as_json()
    actions = run.schedule.actions
    result["actions"] = [[a.kind, a.step] for a in actions[:MAX_CHECKPOINT_RECORDS]]
    result["actions_total"] = len(actions)
    result["timeline"] = timeline(run.schedule)
    steps: list[dict[str, Any]] = []
    records = run.steps[0] if run.steps else ()
    result["records_total"] = len(records)
    for step in records[:MAX_CHECKPOINT_RECORDS]:
        if isinstance(step, SnapshotStep):
            kind = "snapshot" if step.action == "store" else step.action
            steps.append({"kind": kind, "state": step.state, "entries": step.entries})
        elif isinstance(step, (PrimalStep, RecomputeStep)):
            row: dict[str, Any] = {
                "kind": "recompute" if isinstance(step, RecomputeStep) else "evaluate",
                "id": labels[step.node],
                "step": ops[step.node],
                "value": conv(step.value, f"the value of {labels[step.node]}"),
            }
            if isinstance(step, RecomputeStep):
                row["taped"] = step.taped
            steps.append(row)
        elif isinstance(step, AdjointStep):
            steps.append(
                {
                    "kind": "adjoint",
                    "id": labels[step.node],
                    "from": labels[step.source] if step.source is not None else None,
                    "contribution": conv(
                        step.contribution, f"a contribution to {labels[step.node]}"
                    ),
                    "total": conv(step.total, f"the adjoint of {labels[step.node]}"),
                }
            )
    result["records"] = steps
    return result


def _sweeps(trace: Trace, labels: Sequence[str], render: FormulaRenderer, conv: _Json) -> list[Any]:
    """Every sweep with its steps in the order they ran (reverse order for adjoints)."""
    sweeps: list[Any] = []
    for t_sweep in trace.tangent_sweeps:
        sweeps.append(
            {
                "kind": "tangent",
                "label": t_sweep.label,
                "seed": {labels[i]: conv(v, "a seed") for i, v in t_sweep.seed.items()},
                "steps": [
                    {
                        "id": labels[s.node],
                        "value": conv(s.value, f"the tangent of {labels[s.node]}"),
                        "formula": render.tangent(s, t_sweep.tangents).text(),
                    }
                    for s in t_sweep.steps
                ],
            }
        )
    for a_sweep in trace.adjoint_sweeps:
        sweeps.append(
            {
                "kind": "adjoint",
                "label": a_sweep.label,
                "seed": {labels[i]: conv(v, "a seed") for i, v in a_sweep.seed.items()},
                "steps": [
                    {
                        "id": labels[s.node],
                        "from": labels[s.source] if s.source is not None else None,
                        "contribution": conv(s.contribution, f"a contribution to {labels[s.node]}"),
                        "total": conv(s.total, f"the adjoint of {labels[s.node]}"),
                        "formula": render.adjoint(s, a_sweep.adjoints).text(),
                    }
                    for s in a_sweep.steps
                ],
            }
        )
    return sweeps


def _vector(trace: Trace, labels: Sequence[str], render: FormulaRenderer, conv: _Json) -> Any:
    """The one vector sweep: its n directions and, per step, the n-vector tangent (row k
    along direction k; shape (n,) + the node's shape) with its rule and dual number."""
    sweep = trace.vector_sweep
    assert sweep is not None
    primal = {s.node: s for s in trace.primal_steps}
    return {
        "directions": list(sweep.labels),
        "seed": {labels[i]: conv(v, "a seed") for i, v in sweep.seed.items()},
        "steps": [
            {
                "id": labels[s.node],
                "value": conv(s.value, f"the tangent of {labels[s.node]}"),
                "formula": render.tangent(s, sweep.tangents).text(),
                "dual": render.vector_dual(primal[s.node], s, sweep.tangents).text(),
            }
            for s in sweep.steps
        ],
    }
