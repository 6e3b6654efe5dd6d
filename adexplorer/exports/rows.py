"""What an exported trace shows, gathered once for every format: titled sections of rows.

A :class:`Section` is one trace: the primal trace, one tangent sweep, the vector
tangent sweep, one adjoint sweep, or one forward sweep as dual numbers.  Its rows
hold the text of :class:`~adexplorer.core.formulas.FormulaRenderer` (the one place
step formulas are made) and values as adx shows them
(:func:`~adexplorer.base.numbers.display_value`: a tensor of more than a dozen
entries is a one-line summary).  Nothing is computed here: every number is the
trace's.  User text (the source, names) is kept raw; each format escapes it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from adexplorer.base.numbers import display_value, is_summarized
from adexplorer.core.formulas import (
    Formula,
    FormulaRenderer,
    barred,
    dotted,
    dual_text,
    vector_dual_text,
)
from adexplorer.core.ir import NUMBERINGS
from adexplorer.core.trace import Trace

#: Sweeps an export shows (a gradient of n inputs by forward mode is n sweeps; the
#: JSON report lists them all).
MAX_SWEEPS = 4


@dataclass(frozen=True)
class Row:
    target: str  # v1, v̇1, v̄-1 …
    rule: str  # the rule with node names ("" when there is none)
    numbers: str  # the rule with numbers ("" when it says nothing new)
    value: str  # the value as adx shows it (a contribution, for an adjoint step)
    accumulate: bool = False  # an adjoint contribution: "+="
    total: str = ""  # an adjoint step: the running total after it
    note: str = ""  # "seed", "1 of 2" (which use of a node this contribution is)
    source: str = ""  # the user's text the node came from (raw)
    node: int = -1


@dataclass(frozen=True)
class Section:
    kind: str  # "primal", "tangent", "vector", "adjoint", "dual"
    title: str  # words only: "Reverse adjoint trace 1 of 2"
    rows: tuple[Row, ...]
    seed: str = ""  # formula text: "v̄5 = 1"
    detail: str = ""  # words after the seed: "other inputs 0"


@dataclass(frozen=True)
class Export:
    """A trace's sections, with what a caption says about them."""

    source: str  # the program (raw user text)
    origin: str | None  # the file it came from, if any
    mode: str  # "evaluate", "forward", "reverse", "dual"
    inputs: tuple[tuple[str, str], ...]  # (name, value as shown)
    primal: Section
    derivatives: tuple[Section, ...]
    results: tuple[str, ...]  # "f = 11.6521", "∂f/∂x1 = 5.5" …
    notes: tuple[str, ...]  # sweeps left out, the tape of a run …


def short(formula: Formula, value: object) -> Formula:
    """``formula`` with a tensor's result as its one-line summary (formulas write every
    entry, for JSON), as ``adx eval``'s tables show it."""
    if not is_summarized(value):
        return formula
    shown = display_value(value)
    numbers = shown if formula.numbers == formula.result else formula.numbers  # an input's
    return replace(formula, numbers=numbers, result=shown)


def short_dual(formula: Formula, real: object, eps: object, vector: bool = False) -> Formula:
    """A dual-number formula whose tensor parts are summaries: ``a + (b)ε``."""
    if not (is_summarized(real) or is_summarized(eps)):
        return formula
    pair = vector_dual_text if vector else dual_text
    return replace(formula, result=pair(display_value(real), display_value(eps), group=True))


def bracket_eps(text: str) -> str:
    """Every ε part in ``text`` that is a product or a quotient in brackets:
    ``log(v0) + v̇0/v0ε`` and ``0.69 + 1/2 ε`` read ``log(v0) + (v̇0/v0)ε`` and
    ``0.69 + (1/2)ε`` (a sum is bracketed already; a single number or label stays bare)."""
    out = text
    end = out.find("ε")
    while end != -1:
        stop = end - 1 if end > 0 and out[end - 1] == " " else end
        start, depth = stop, 0
        while start > 0:
            ch = out[start - 1]
            if ch in ")]":
                depth += 1
            elif ch in "([":
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and ch == " " and start >= 2 and out[start - 2] in "+−-=":
                break  # the part begins after "a + ", "a − " or "= "
            start -= 1
        part = out[start:stop]
        if _compound(part):
            out = f"{out[:start]}({part})ε{out[end + 1 :]}"
            end = start + len(part) + 2
        end = out.find("ε", end + 1)
    return out


def _compound(part: str) -> bool:
    """A product or quotient at the top level of ``part``."""
    depth = 0
    for ch in part:
        depth += 1 if ch in "([" else -1 if ch in ")]" else 0
        if depth == 0 and ch in "/·*":
            return True
    return False


def bracketed(f: Formula) -> Formula:
    """A scalar dual-number formula with its compound ε parts in brackets (:func:`bracket_eps`)."""
    return replace(
        f, rule=bracket_eps(f.rule), numbers=bracket_eps(f.numbers), result=bracket_eps(f.result)
    )


def check_numbering(numbering: str) -> None:
    if numbering not in NUMBERINGS:
        raise ValueError(f"numbering {numbering!r}: use one of {', '.join(NUMBERINGS)}")


def gather(
    trace: Trace, *, numbering: str = "griewank", digits: int = 6, dual: bool = False
) -> Export:
    """Every section of ``trace`` (``dual``: forward sweeps as dual numbers)."""
    check_numbering(numbering)
    if dual and trace.mode != "forward":
        raise ValueError("dual numbers show a forward-mode trace")
    graph = trace.graph
    render = FormulaRenderer(graph, trace.values, numbering=numbering, digits=digits)
    primal = _primal(trace, render)
    derivatives: list[Section] = []
    notes: list[str] = []
    if trace.vector_sweep is not None:
        derivatives.append(_vector_dual(trace, render) if dual else _vector(trace, render))
    elif dual:
        derivatives += [_dual(trace, render, k) for k in range(_shown(trace.tangent_sweeps))]
    else:
        derivatives += [_tangent(trace, render, k) for k in range(_shown(trace.tangent_sweeps))]
        derivatives += [_adjoint(trace, render, k) for k in range(_shown(trace.adjoint_sweeps))]
    left_out = max(len(trace.tangent_sweeps), len(trace.adjoint_sweeps)) - MAX_SWEEPS
    if left_out > 0 and trace.vector_sweep is None:
        notes.append(f"{left_out} more sweeps not shown (adx eval --json lists them all)")
    if graph.dynamic:
        notes.append("the tape of this run: if/for decided at these inputs")
        notes += [d.describe() for d in graph.decisions[:12]]
        if len(graph.decisions) > 12:
            notes.append(f"{len(graph.decisions) - 12} more decisions (--json lists them all)")
    return Export(
        source=graph.source,
        origin=graph.origin,
        mode="dual" if dual else trace.mode,
        inputs=tuple((n, display_value(v, digits)) for n, v in trace.inputs.items()),
        primal=primal,
        derivatives=tuple(derivatives),
        results=tuple(result_lines(trace, digits)),
        notes=tuple(notes),
    )


def _shown(sweeps: tuple[object, ...]) -> int:
    return min(len(sweeps), MAX_SWEEPS)


def _primal(trace: Trace, render: FormulaRenderer) -> Section:
    graph = trace.graph
    rows = []
    for step in trace.primal_steps:
        f = render.primal(step)
        node = graph.nodes[step.node]
        numbers = f.numbers if node.is_op and f.numbers not in (f.rule, f.result) else ""
        rows.append(
            Row(
                f.target,
                f.rule,
                numbers,
                display_value(step.value, render.digits),
                note="input" if node.is_input else "",
                source=graph.source_text(step.node) or "",
                node=step.node,
            )
        )
    return Section("primal", "Forward primal trace", tuple(rows))


def _seed_text(trace: Trace, render: FormulaRenderer, seed: dict[int, object], mark: str) -> str:
    marked = dotted if mark == "dot" else barred
    return ", ".join(f"{marked(render.labels[i])} = {display_value(v)}" for i, v in seed.items())


def _tangent(trace: Trace, render: FormulaRenderer, k: int) -> Section:
    graph = trace.graph
    sweep = trace.tangent_sweeps[k]
    rows = []
    for step in sweep.steps:
        node = graph.nodes[step.node]
        f = render.tangent(step, sweep.tangents)
        value = display_value(step.value, render.digits)
        if node.is_input:
            rows.append(
                Row(f.target, dotted(node.name or ""), "", value, note="seed", node=step.node)
            )
            continue
        numbers = f.numbers if f.numbers not in (f.rule, f.result) else ""
        rows.append(Row(f.target, f.rule, numbers, value, node=step.node))
    count = len(trace.tangent_sweeps)
    which = f" {k + 1} of {count}" if count > 1 else ""
    seed = _seed_text(trace, render, dict(sweep.seed), "dot")
    return Section("tangent", f"Forward tangent trace{which}", tuple(rows), seed, "other inputs 0")


def _vector(trace: Trace, render: FormulaRenderer) -> Section:
    graph = trace.graph
    sweep = trace.vector_sweep
    assert sweep is not None
    rows = []
    for step in sweep.steps:
        node = graph.nodes[step.node]
        f = render.tangent(step, sweep.tangents)
        value = display_value(step.value, render.digits)
        if node.is_input:
            rows.append(Row(f.target, "unit directions", "", value, note="seed", node=step.node))
            continue
        numbers = f.numbers if f.numbers not in (f.rule, f.result) else ""
        rows.append(Row(f.target, f.rule, numbers, value, node=step.node))
    labels = ", ".join(sweep.labels[:8]) + (", …" if sweep.n > 8 else "")
    title = "Vector tangent trace"
    detail = f"one sweep carrying {sweep.n} directions: {labels}"
    return Section("vector", title, tuple(rows), "", detail)


def _adjoint(trace: Trace, render: FormulaRenderer, k: int) -> Section:
    graph = trace.graph
    sweep = trace.adjoint_sweeps[k]
    receives = Counter(s.node for s in sweep.steps if s.source is not None)
    seen: Counter[int] = Counter()
    rows = []
    for step in sweep.steps:
        f = render.adjoint(step, sweep.adjoints)
        total = display_value(step.total, render.digits)
        if step.source is None:
            rows.append(Row(f.target, "", "", total, total=total, note="seed", node=step.node))
            continue
        seen[step.node] += 1
        note = f"{seen[step.node]} of {receives[step.node]}" if receives[step.node] > 1 else ""
        numbers = f.numbers if f.numbers not in (f.rule, f.result) else ""
        contribution = display_value(step.contribution, render.digits)
        rows.append(Row(f.target, f.rule, numbers, contribution, True, total, note, node=step.node))
    count = len(trace.adjoint_sweeps)
    which = f" {k + 1} of {count}" if count > 1 else ""
    seed = _seed_text(trace, render, dict(sweep.seed), "bar")
    detail = "the cotangent ȳ" if trace.directional else ""
    del graph
    return Section("adjoint", f"Reverse adjoint trace{which}", tuple(rows), seed, detail)


def _dual(trace: Trace, render: FormulaRenderer, k: int) -> Section:
    sweep = trace.tangent_sweeps[k]
    rows = []
    for primal, tangent in zip(trace.primal_steps, sweep.steps, strict=True):
        f = render.dual(primal, tangent, sweep.tangents)
        f = bracketed(short_dual(f, primal.value, tangent.value))
        numbers = f.numbers if f.numbers not in (f.rule, f.result) else ""
        rule = "" if f.rule == f.result else f.rule
        rows.append(Row(f.target, rule, numbers, f.result, node=primal.node))
    count = len(trace.tangent_sweeps)
    which = f" {k + 1} of {count}" if count > 1 else ""
    seed = _seed_text(trace, render, dict(sweep.seed), "dot")
    return Section("dual", f"Dual numbers{which}", tuple(rows), seed, "other inputs 0")


def _vector_dual(trace: Trace, render: FormulaRenderer) -> Section:
    """The vector sweep as dual numbers with n infinitesimal parts: ``a + [b₁, …, bₙ]·ε``."""
    sweep = trace.vector_sweep
    assert sweep is not None
    rows = []
    for primal, tangent in zip(trace.primal_steps, sweep.steps, strict=True):
        f = render.vector_dual(primal, tangent, sweep.tangents)
        f = short_dual(f, primal.value, tangent.value, vector=True)
        numbers = f.numbers if f.numbers not in (f.rule, f.result) else ""
        rule = "" if f.rule == f.result else f.rule
        rows.append(Row(f.target, rule, numbers, f.result, node=primal.node))
    labels = ", ".join(sweep.labels[:8]) + (", …" if sweep.n > 8 else "")
    detail = f"one sweep carrying {sweep.n} directions: {labels}"
    return Section("dual", "Dual numbers (vector)", tuple(rows), "", detail)


def result_lines(trace: Trace, digits: int) -> list[str]:
    """What the run found, one line each: values, then J·u, ȳᵀJ or the gradient/Jacobian."""
    graph = trace.graph
    lines = [
        f"{graph.output_names[k]} = {display_value(trace.values[o], digits)}"
        for k, o in enumerate(graph.outputs)
    ]
    if trace.mode == "forward" and trace.directional:
        for k, t in enumerate(trace.output_tangents()):
            lines.append(f"{graph.output_names[k]}̇ = J·u = {display_value(t, digits)}")
    elif trace.mode == "reverse" and trace.directional:
        for name, value in trace.vjp().items():
            lines.append(f"ȳᵀJ for {name} = {display_value(value, digits)}")
    elif trace.mode in ("forward", "reverse"):
        for k in range(len(graph.outputs)):
            out = graph.output_names[k]
            for name, value in trace.jacobian(k).items():
                lines.append(f"∂{out}/∂{name} = {display_value(value, digits)}")
    return lines
