"""The Python API for notebooks and scripts: ``trace``, ``hessian``, ``hvp``, ``program``.

A view beside the command line and the explorer (docs/api.md documents every name):
it takes the same text through the same grammar, runs the same engines, and gives
back plain Python data, the ``adx.eval/1`` report ``adx eval --json`` prints, and the
tables ``adx eval`` prints (``__rich__``; ``_repr_markdown_`` and ``_repr_html_`` in
Jupyter).  Anything wrong in what the caller gave, the program's text or its values,
is an :class:`~adexplorer.base.errors.AdxError`, never an internal exception.

rich is imported only by the display methods, so a script that wants numbers pays
for numpy and the compiler alone; Textual is never imported here.
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from adexplorer.base.errors import AdxError, did_you_mean
from adexplorer.base.files import RefusedFile, expand_home, read_regular_text
from adexplorer.base.limits import check, limit
from adexplorer.base.text import json_dumps, visible
from adexplorer.core.formulas import FormulaRenderer
from adexplorer.core.ir import NUMBERINGS, Graph
from adexplorer.core.trace import MODES, Trace

if TYPE_CHECKING:
    from adexplorer.core.second_order import SecondOrderTrace

__all__ = [
    "AdxError",
    "HessianResult",
    "Program",
    "Step",
    "TraceResult",
    "hessian",
    "hvp",
    "program",
    "trace",
]

#: A value as a caller gives it: a number, a (nested) list of numbers, a numpy array,
#: or a text in the value grammar of ``--at`` (``"pi/4"``, ``"normal(seed=1)"``).
Value = Any
#: A result's number: a float for a scalar, a read-only float64 array for a tensor.
Number = Any

#: Width of the table drawn for ``_repr_html_`` (a notebook cell scrolls sideways).
HTML_WIDTH = 120


# ------------------------------------------------------------------ reading what is given


def _source_text(source: str | os.PathLike[str]) -> tuple[str, str | None]:
    """The program's text and its origin: a ``str`` is always the text itself (never
    looked up as a file); a path (``pathlib.Path``) is read as a program file."""
    if isinstance(source, str):
        return source, None
    if not isinstance(source, os.PathLike):
        raise AdxError(
            "usage",
            f"the source must be the program's text (a str) or a file path, "
            f"not {type(source).__name__}",
            hint="e.g. adexplorer.trace('x^2', x=3) or adexplorer.trace(Path('f.adx'), x=3)",
        )
    path = expand_home(Path(source))
    shown = str(path)
    try:
        return read_regular_text(path, limit("program_bytes"), "program"), shown
    except FileNotFoundError:
        raise AdxError("file", f"no such file: {shown}") from None
    except RefusedFile as refused:
        raise AdxError("file", f"cannot read {shown}: {refused}") from None
    except OSError as exc:
        raise AdxError("file", f"cannot read {shown}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise AdxError(
            "file", f"{shown} is not UTF-8 text (byte {exc.start} cannot be read)"
        ) from None


def _bindings(
    at: Mapping[str, Value] | None, values: Mapping[str, Value], what: str, source: str | None
) -> dict[str, np.ndarray]:
    """``at`` and the keyword values merged (keywords win), each made a float64 array."""
    if at is not None and not isinstance(at, Mapping):
        raise AdxError(
            "usage",
            f"{what} must be a dict of name → value, not {type(at).__name__}",
            hint="e.g. at={'x1': 2, 'x2': 5}",
        )
    merged = {**(at or {}), **values}
    result: dict[str, np.ndarray] = {}
    for name, value in merged.items():
        if not isinstance(name, str):
            raise AdxError("input", f"{what}: the name {name!r} is not a string")
        # a copy, read-only: the caller's array may change later, the record must not
        array = np.array(_as_array(name, value, what, source), dtype=np.float64)
        array.flags.writeable = False
        result[name] = array
    return result


def _as_array(name: str, value: Value, what: str, source: str | None) -> np.ndarray:
    """A number, a nested list of numbers or a real numpy array as a float64 array; a
    text through the value grammar.  Anything else (None, bools, complex numbers,
    strings inside lists, ragged lists) is an AdxError saying what would do."""
    if isinstance(value, str):
        return _from_text(name, value, what, source)
    shown = f"{what}: the value of {visible(name)}"
    hint = f"e.g. {name}=1.5, {name}=[1, 2, 3], a float numpy array, or a text such as '2*pi'"
    if hasattr(value, "__array__") and not isinstance(value, np.ndarray | np.generic):
        try:  # pandas, torch on the CPU, xarray…: whatever numpy makes of it
            value = np.asarray(value)
        except Exception:
            raise AdxError("input", f"{shown} cannot be read as an array", hint=hint) from None
    if isinstance(value, np.ndarray | np.generic):
        kind = np.asarray(value).dtype.kind
        if kind not in "iuf":
            what_it_is = {"c": "complex", "b": "boolean"}.get(kind, f"of dtype {value.dtype}")
            raise AdxError("input", f"{shown} is {what_it_is}, not real numbers", hint=hint)
        check("tensor_entries", int(np.size(value)), hint=f"{name} has {np.size(value):,} entries")
        return np.asarray(value, dtype=np.float64)
    if isinstance(value, list | tuple):
        _check_leaves(value, shown, hint, name)
    elif isinstance(value, bool) or not isinstance(value, int | float):
        described = "complex" if isinstance(value, complex) else f"a {type(value).__name__}"
        described = "None" if value is None else described
        raise AdxError("input", f"{shown} is {described}, not a real number or array", hint=hint)
    try:
        return np.asarray(value, dtype=np.float64)
    except (ValueError, OverflowError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise AdxError(
            "input",
            f"{shown} is not a number or a rectangular array ({visible(first)[:100]})",
            hint=hint,
        ) from None


def _check_leaves(value: list[Any] | tuple[Any, ...], shown: str, hint: str, name: str) -> None:
    """Every entry of a nested list is a real number (counted against the size limit)."""
    pending: list[Any] = [value]
    entries = 0
    allowed = limit("tensor_entries")
    while pending:
        item = pending.pop()
        if isinstance(item, list | tuple):
            pending.extend(item)
        elif isinstance(item, bool) or not isinstance(item, int | float | np.integer | np.floating):
            kind = "complex" if isinstance(item, complex) else type(item).__name__
            raise AdxError("input", f"{shown} holds a {kind}, not a real number", hint=hint)
        else:
            entries += 1
            if entries > allowed:
                check("tensor_entries", entries, hint=f"{name} has more than {allowed:,} entries")


def _from_text(name: str, text: str, what: str, source: str | None) -> np.ndarray:
    """A value written as ``--at`` takes it (``pi/4``, ``[1, 2]``, ``normal(seed=1)``)."""
    from adexplorer.lang.lower import parse_at

    try:
        parsed = parse_at(f"{name}={text}", what, program=source)
    except AdxError as error:
        if error.kind != "name":
            raise
        # a word the value grammar does not know ('abc'): the fix is a value, never a
        # declaration (the grammar's own hint would suggest declaring it as an input)
        raise AdxError(
            "input",
            f"{what}: the value of {visible(name)}, {visible(repr(text))}, is not a number, "
            f"an array or a value text ({error.message})",
            hint=f"e.g. {name}=1.5, {name}=[1, 2, 3], or a value text such as {name}='pi/4'",
        ) from None
    if list(parsed) != [name]:
        raise AdxError(
            "input",
            f"{what}: the text for {name} gives values for {', '.join(parsed)}",
            hint=f"give one value per name, e.g. {name}='pi/4'",
        )
    return np.asarray(parsed[name][0], dtype=np.float64)


def _option(value: object, allowed: Sequence[str], what: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        hint = did_you_mean(str(value), allowed) if isinstance(value, str) else None
        raise AdxError(
            "usage",
            f"{what} {value!r} is not one of {', '.join(allowed)}",
            hint=hint or f"use {what}={allowed[0]!r}",
        )
    return value


def _digits(digits: object) -> int:
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise AdxError(
            "usage", f"digits {digits!r} is not a whole number from 1 to 17", hint="e.g. digits=6"
        )
    return digits


def _wrt(wrt: str | Sequence[str] | None) -> list[str] | None:
    if wrt is None:
        return None
    names = [wrt] if isinstance(wrt, str) else list(wrt) if isinstance(wrt, (list, tuple)) else None
    if names is None or not all(isinstance(n, str) for n in names):
        raise AdxError(
            "usage",
            "wrt names the inputs to differentiate: a name or a list of names",
            hint="e.g. wrt='x1' or wrt=['x1', 'W']",
        )
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class _Compiled:
    graph: Graph
    warnings: tuple[str, ...]
    bindings: dict[str, np.ndarray]


def _compile(
    source: str | os.PathLike[str], at: Mapping[str, Value] | None, values: Mapping[str, Value]
) -> _Compiled:
    """Compile with the values' shapes (``sum(v*v)`` at ``v=[1,2,3]`` makes v a vec[3]),
    and check that every value names an input, as ``adx eval --at`` does."""
    from adexplorer.lang.lower import compile_source

    text, origin = _source_text(source)
    bindings = _bindings(at, values, "values", text)
    try:
        lowered = compile_source(
            text,
            origin,
            extra_inputs=list(bindings),
            input_shapes={name: np.shape(value) for name, value in bindings.items()},
            at=bindings,
        )
        graph = lowered.graph
        for name in bindings:
            if name not in graph.input_names:
                listed = ", ".join(graph.input_names) or "none"
                raise AdxError(
                    "input",
                    f"a value is given for '{visible(name)}', which is not an input of this "
                    "program",
                    hint=did_you_mean(name, graph.input_names) or f"the inputs are: {listed}",
                )
    except AdxError as error:
        raise _file_hint(error, source) from None
    return _Compiled(graph, tuple(lowered.warnings), bindings)


def _file_hint(error: AdxError, source: object) -> AdxError:
    """``error``, with the advice to pass a path when the source text looks like a file
    name: a ``str`` is always the program's text, so 'cf.adx' was read as code."""
    if isinstance(source, str) and _names_a_file(source):
        error.hint = f"pass pathlib.Path({json.dumps(source, ensure_ascii=False)}) to read a file"
    return error


def _names_a_file(text: str) -> bool:
    """Whether a source text looks like a file name: it ends in ``.adx``, or a file of
    that name exists (one line only; a name no file can have is no file)."""
    if not text or "\n" in text or len(text) > 4096:
        return False
    if text.strip().endswith(".adx"):
        return True
    try:
        return os.path.isfile(expand_home(Path(text)))
    except (OSError, ValueError):
        return False


def _number(value: object) -> Number:
    """A float for a scalar, the (read-only) array itself for a tensor."""
    array = np.asarray(value)
    return float(array) if array.ndim == 0 else array


def _finite_seed(seed: dict[str, np.ndarray], what: str) -> dict[str, np.ndarray]:
    for name, value in seed.items():
        if not np.all(np.isfinite(value)):
            raise AdxError(
                "input",
                f"the {what} for {name} is not a finite number",
                hint=f"give the {what} finite values, e.g. {{'{name}': 1}}",
            )
    return seed


# ------------------------------------------------------------------ display helpers


def _html(renderable: object) -> str:
    """rich's HTML export of a renderable: every character of the text escaped, inline
    styles, in one ``<pre>`` (no ``<html>`` wrapper, so a notebook cell can hold it)."""
    from rich.console import Console

    console = Console(
        record=True,
        file=io.StringIO(),
        width=HTML_WIDTH,
        markup=False,
        emoji=False,
        highlight=False,
        color_system="truecolor",
        force_terminal=True,
        force_jupyter=False,
    )
    console.print(renderable)
    return console.export_html(
        inline_styles=True,
        code_format='<pre style="font-family: monospace; line-height: 1.25">{code}</pre>',
    )


def _warnings_view(warnings: Sequence[str]) -> list[Any]:
    from rich.text import Text

    return [Text(visible(f"warning: {w}"), style="yellow") for w in warnings]


# ------------------------------------------------------------------ steps


@dataclass(frozen=True)
class Step:
    """One step of a sweep, in the order the sweeps ran.

    ``kind``: ``"primal"`` (a node's value), ``"tangent"`` (a forward sweep's v̇),
    ``"vector"`` (the vector forward sweep's n-vector tangent) or ``"adjoint"`` (one
    contribution to v̄, which accumulates).  ``id``: the node's label (``v3``; ``w5``
    with ``numbering="wengert"``).  ``sweep``: which sweep ("" for the primal one; the
    seed's label otherwise, e.g. ``x1``, ``W[0,1]``, ``u``).  ``value``: the value,
    the tangent, or the adjoint's running total after this step; ``contribution``:
    what an adjoint step added (None for the others).  ``text``: the step's formula in
    names and numbers, as the tables and the JSON report show it."""

    kind: str
    id: str
    sweep: str
    value: Number
    text: str
    contribution: Number | None = None

    def __str__(self) -> str:
        return self.text


def _steps(trace: Trace, numbering: str, digits: int) -> tuple[Step, ...]:
    graph = trace.graph
    labels = graph.labels(numbering)
    render = FormulaRenderer(graph, trace.values, numbering=numbering, digits=digits)
    steps = [
        Step("primal", labels[s.node], "", _number(s.value), render.primal(s).text())
        for s in trace.primal_steps
    ]
    for t_sweep in trace.tangent_sweeps:
        steps.extend(
            Step(
                "tangent",
                labels[s.node],
                t_sweep.label,
                _number(s.value),
                render.tangent(s, t_sweep.tangents).text(),
            )
            for s in t_sweep.steps
        )
    vector = trace.vector_sweep
    if vector is not None:
        steps.extend(
            Step(
                "vector",
                labels[s.node],
                "",
                _number(s.value),
                render.tangent(s, vector.tangents).text(),
            )
            for s in vector.steps
        )
    for a_sweep in trace.adjoint_sweeps:
        steps.extend(
            Step(
                "adjoint",
                labels[s.node],
                a_sweep.label,
                _number(s.total),
                render.adjoint(s, a_sweep.adjoints).text(),
                _number(s.contribution),
            )
            for s in a_sweep.steps
        )
    return tuple(steps)


# ------------------------------------------------------------------ first order


class TraceResult:
    """A run of :func:`trace`: values, derivatives, every step, the cost, the report.

    Plain data: scalars are floats, tensors read-only float64 numpy arrays, and
    results by name are dicts in the program's order.  In a notebook it shows the
    trace tables (``_repr_html_``, ``_repr_markdown_``); ``rich.print(result)`` prints
    them as ``adx eval`` does.
    """

    def __init__(
        self,
        trace: Trace,
        *,
        numbering: str,
        digits: int,
        seed: Mapping[str, np.ndarray] | None,
    ) -> None:
        #: The engine's record (:class:`adexplorer.core.trace.Trace`): for
        #: ``adexplorer.exports`` and the like.  Its fields are not part of the stable API.
        self.trace = trace
        self.numbering = numbering
        self.digits = digits
        self._seed = seed
        self._steps: tuple[Step, ...] | None = None

    def __repr__(self) -> str:
        inputs = ", ".join(f"{k}={_short(v)}" for k, v in self.inputs.items())
        return f"<TraceResult {self.mode} of {_short_source(self.source)!r} at {inputs}>"

    # -- what was run --------------------------------------------------------

    @property
    def source(self) -> str:
        """The program's text."""
        return self.trace.graph.source

    @property
    def mode(self) -> str:
        """``"reverse"``, ``"forward"`` or ``"evaluate"``."""
        return self.trace.mode

    @property
    def inputs(self) -> dict[str, Number]:
        """Every input's value as used (a program's defaults included)."""
        return {name: _number(v) for name, v in self.trace.inputs.items()}

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the compiler and the run noticed (an unused input, a value outside a
        function's domain, a kink): the lines ``adx eval`` writes to stderr."""
        return self.trace.warnings

    # -- results --------------------------------------------------------------

    @property
    def values(self) -> dict[str, Number]:
        """Every output's value by output name (``f`` for an expression; ``f1, f2`` for
        ``return a, b``)."""
        graph = self.trace.graph
        return {
            graph.output_names[k]: _number(self.trace.output_value(k))
            for k in range(len(graph.outputs))
        }

    @property
    def value(self) -> Number | dict[str, Number]:
        """The output's value; with several outputs, :attr:`values` (as the JSON report's
        ``"value"``)."""
        values = self.values
        return next(iter(values.values())) if len(values) == 1 else values

    @property
    def gradient(self) -> dict[str, Number]:
        """∂f/∂x for every input (only the ``wrt`` inputs, if given), in forward mode
        (one sweep per input entry) or reverse mode (one sweep) alike.  An
        :class:`AdxError` for a function whose output is not one scalar (use
        :meth:`jacobian`), a run with a seed (use :attr:`tangent` or :attr:`vjp`) or
        evaluate mode."""
        self._need_jacobian()
        if not self.trace.scalar_output:
            raise AdxError(
                "usage",
                "the gradient is for a function with one scalar output; this one has "
                + _outputs_text(self.trace.graph),
                hint="use .jacobian() for every output's derivatives",
            )
        return {name: _number(v) for name, v in self.trace.gradient().items()}

    def jacobian(self) -> dict[str, dict[str, Number]]:
        """d(output)/d(input) by output name, then by input name (only the ``wrt``
        inputs, if given); each entry of shape output.shape + input.shape (a float when
        both are scalars).  Formed by the sweeps that ran: one per input entry in
        forward mode, one per output entry in reverse mode."""
        self._need_jacobian()
        graph = self.trace.graph
        return {
            graph.output_names[k]: {name: _number(v) for name, v in self.trace.jacobian(k).items()}
            for k in range(len(graph.outputs))
        }

    @property
    def tangent(self) -> Number | dict[str, Number]:
        """Forward mode with a ``seed`` u: J·u, the output's tangent (a dict by output
        name for several outputs)."""
        if self.trace.mode != "forward" or not self.trace.directional:
            raise AdxError(
                "usage",
                "the tangent J·u is for forward mode with a seed direction u",
                hint="e.g. adexplorer.trace('x*y', x=1, y=2, mode='forward', seed={'x': 1})",
            )
        names = self.trace.graph.output_names
        tangents = [_number(t) for t in self.trace.output_tangents()]
        return tangents[0] if len(tangents) == 1 else dict(zip(names, tangents, strict=True))

    @property
    def vjp(self) -> dict[str, Number]:
        """Reverse mode with a ``seed`` ȳ (by output name): ȳᵀJ by input name."""
        if self.trace.mode != "reverse" or not self.trace.directional:
            raise AdxError(
                "usage",
                "ȳᵀJ is for reverse mode with a seed ȳ over the outputs",
                hint="e.g. adexplorer.trace('return x*y, x+y', x=1, y=2, seed={'f1': 1, 'f2': -1})",
            )
        return {name: _number(v) for name, v in self.trace.vjp().items()}

    def _need_jacobian(self) -> None:
        trace = self.trace
        if trace.mode == "evaluate":
            raise AdxError(
                "usage",
                "evaluate mode runs the primal sweep only: there are no derivatives",
                hint="use mode='reverse' or mode='forward'",
            )
        if trace.directional:
            what = ".tangent (J·u)" if trace.mode == "forward" else ".vjp (ȳᵀJ)"
            raise AdxError(
                "usage",
                "a run with a seed sweeps that one direction: it forms no gradient or Jacobian",
                hint=f"read {what}, or leave the seed out",
            )

    @property
    def steps(self) -> tuple[Step, ...]:
        """Every step in the order the sweeps ran: the primal sweep, then each tangent
        (or the vector) sweep, then each adjoint sweep (see :class:`Step`)."""
        if self._steps is None:
            self._steps = _steps(self.trace, self.numbering, self.digits)
        return self._steps

    @property
    def cost(self) -> dict[str, Any]:
        """The operation counts of the cost model (moves, adds, mults, nonlinear ops per
        sweep, the ratios to the primal, the sweeps a Jacobian takes): the JSON report's
        ``"cost"``."""
        assert self.trace.cost is not None
        return self.trace.cost.as_json(self.trace.mode)

    # -- reports and displays ------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The ``adx.eval/1`` report as Python data (docs/json-schema.md)."""
        from adexplorer.reports.eval import eval_report

        return eval_report(
            self.trace, numbering=self.numbering, digits=self.digits, seed=self._seed
        )

    def to_json(self) -> str:
        """The ``adx.eval/1`` report as text: what ``adx eval … --json`` prints (without
        its final newline)."""
        return json_dumps(self.to_dict())

    def to_markdown(self) -> str:
        """The trace as GitHub-flavoured Markdown tables (``adx export --format markdown``)."""
        from adexplorer.exports.tables import trace_markdown

        return trace_markdown(self.trace, numbering=self.numbering, digits=self.digits)

    def to_latex(self, *, standalone: bool = False) -> str:
        """The trace as LaTeX tables in the layout of Baydin et al. (booktabs): a fragment,
        or with ``standalone=True`` a document plain ``pdflatex`` compiles
        (``adx export --format latex``)."""
        from adexplorer.exports.tables import trace_latex

        return trace_latex(
            self.trace, numbering=self.numbering, digits=self.digits, standalone=standalone
        )

    def __rich__(self) -> Any:
        from adexplorer.render.console import for_any_console
        from adexplorer.render.trace_tables import trace_renderables

        shown = trace_renderables(self.trace, numbering=self.numbering, digits=self.digits)
        return for_any_console([*shown, *_warnings_view(self.warnings)])

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        return _html(self)


def trace(
    source: str | os.PathLike[str],
    /,
    mode: str = "reverse",
    *,
    seed: Mapping[str, Value] | None = None,
    wrt: str | Sequence[str] | None = None,
    vector: bool = False,
    checkpoint: str | None = None,
    numbering: str = "griewank",
    digits: int = 6,
    at: Mapping[str, Value] | None = None,
    **values: Value,
) -> TraceResult:
    """Evaluate and differentiate a program at the given values, keeping every step.

    ``source``: an expression or a program (a ``str``), or a ``pathlib.Path`` to a
    program file.  Values by keyword (``x1=2``), or in ``at`` for names that are not
    Python identifiers or clash with a parameter (``at={"lambda": 0.1}``); each a
    number, a list, a numpy array, or a text as ``--at`` takes it (``"pi/4"``).
    ``mode``: ``"reverse"`` (the gradient by one adjoint sweep), ``"forward"`` (one
    tangent sweep per input entry; with ``seed`` a direction u, J·u in one sweep;
    with ``vector=True`` all directions in one vector sweep) or ``"evaluate"``.  In
    reverse mode ``seed`` is a cotangent ȳ by output name (ȳᵀJ, :attr:`~TraceResult.vjp`).
    ``wrt``: differentiate these inputs only.  ``checkpoint``: ``"every=K"`` or
    ``"snapshots=S"`` (reverse mode).  ``numbering``: ``"griewank"`` (v-1, v0, v1…) or
    ``"wengert"`` (w1, w2…); ``digits``: significant digits of the step texts.
    """
    from adexplorer.core.trace import run

    mode = _option(mode, MODES, "mode")
    numbering = _option(numbering, tuple(NUMBERINGS), "numbering")
    digits = _digits(digits)
    names = _wrt(wrt)
    if not isinstance(vector, bool):
        raise AdxError("usage", f"vector must be True or False, not {vector!r}")
    if checkpoint is not None and not isinstance(checkpoint, str):
        raise AdxError(
            "usage", "checkpoint is a text: 'every=K' or 'snapshots=S'", hint="e.g. 'every=2'"
        )
    if checkpoint is not None and mode != "reverse":
        raise AdxError(
            "usage",
            f"checkpointing schedules the reverse sweep; it does not apply to {mode} mode",
            hint="use mode='reverse'",
        )
    compiled = _compile(source, at, values)
    seeds = (
        _finite_seed(_bindings(seed, {}, "seed", compiled.graph.source), "seed")
        if seed is not None
        else None
    )
    try:
        with np.errstate(all="ignore"):
            result = run(
                compiled.graph,
                compiled.bindings,
                mode,
                seeds,
                checkpoint=checkpoint,
                wrt=names,
                vector=vector,
            )
    except AdxError as error:  # e.g. no value for input 'program' (a file name read as code)
        raise _file_hint(error, source) from None
    if compiled.warnings:
        import dataclasses

        result = dataclasses.replace(
            result, warnings=tuple(dict.fromkeys((*compiled.warnings, *result.warnings)))
        )
    return TraceResult(result, numbering=numbering, digits=digits, seed=seeds)


# ------------------------------------------------------------------ second order


class HessianResult:
    """A run of :func:`hessian` or :func:`hvp`: second derivatives by forward-over-reverse
    (nested sweeps: the adjoint sweep on dual numbers).

    ``kind`` is ``"hessian"`` (:attr:`matrix`, over the input entries named by
    :attr:`labels`) or ``"hvp"`` (:attr:`hvp`, H·u by input name)."""

    def __init__(
        self, trace: SecondOrderTrace, *, numbering: str, digits: int, warnings: Sequence[str]
    ) -> None:
        #: The engine's record (:class:`adexplorer.core.second_order.SecondOrderTrace`);
        #: its fields are not part of the stable API.
        self.trace = trace
        self.numbering = numbering
        self.digits = digits
        self.warnings = tuple(dict.fromkeys([*warnings, *trace.warnings]))

    def __repr__(self) -> str:
        inputs = ", ".join(f"{k}={_short(v)}" for k, v in self.inputs.items())
        return f"<HessianResult {self.kind} of {_short_source(self.source)!r} at {inputs}>"

    @property
    def source(self) -> str:
        return self.trace.graph.source

    @property
    def kind(self) -> str:
        return self.trace.kind

    @property
    def inputs(self) -> dict[str, Number]:
        return {name: _number(v) for name, v in self.trace.inputs.items()}

    @property
    def value(self) -> Number:
        """f at the point (one scalar output)."""
        return _number(self.trace.output_value())

    @property
    def gradient(self) -> dict[str, Number]:
        """∂f/∂x by input name (the nested sweeps form it on the way)."""
        return {name: _number(v) for name, v in self.trace.gradient().items()}

    @property
    def labels(self) -> tuple[str, ...]:
        """The input entries H is over, in order (``x1``, ``W[0,1]``…)."""
        return self.trace.entry_labels

    @property
    def matrix(self) -> np.ndarray:
        """H, (n, n) over :attr:`labels` (``kind == "hessian"``), a read-only array."""
        if self.trace.kind != "hessian":
            raise AdxError(
                "usage", "this run computed H·u along one direction, not all of H", hint=".hvp"
            )
        return self.trace.hessian()

    @property
    def hvp(self) -> dict[str, Number]:
        """H·u by input name (``kind == "hvp"``)."""
        if self.trace.kind != "hvp":
            raise AdxError("usage", "this run computed all of H, not H·u", hint="read .matrix")
        return {name: _number(v) for name, v in self.trace.hvp().items()}

    @property
    def cost(self) -> dict[str, Any]:
        """The operation counts (the JSON report's ``second_order.cost``)."""
        return self.trace.cost.as_json()

    def to_dict(self) -> dict[str, Any]:
        """The ``adx.eval/1`` report with its ``"second_order"`` part, as
        ``adx eval … --hessian/--hvp --json`` prints it."""
        from adexplorer.reports.second_order import second_order_eval_report

        return second_order_eval_report(
            self.trace, numbering=self.numbering, digits=self.digits, warnings=self.warnings
        )

    def to_json(self) -> str:
        return json_dumps(self.to_dict())

    def __rich__(self) -> Any:
        from adexplorer.render.console import for_any_console
        from adexplorer.render.second_order import second_order_renderables

        shown = second_order_renderables(self.trace, numbering=self.numbering, digits=self.digits)
        return for_any_console([*shown, *_warnings_view(self.warnings)])

    def _repr_html_(self) -> str:
        return _html(self)


def _second_order(
    source: str | os.PathLike[str],
    direction: Mapping[str, Value] | None,
    wrt: str | Sequence[str] | None,
    numbering: str,
    digits: int,
    at: Mapping[str, Value] | None,
    values: Mapping[str, Value],
) -> HessianResult:
    from adexplorer.core.second_order import FEWER_SWEEPS, direction_map, run_second_order

    numbering = _option(numbering, tuple(NUMBERINGS), "numbering")
    digits = _digits(digits)
    names = _wrt(wrt)
    compiled = _compile(source, at, values)
    graph = compiled.graph
    if not graph.input_names:
        raise AdxError(
            "usage",
            "this function has no inputs, so it has no second derivatives",
            hint="use a name such as x and give its value: adexplorer.hessian('x^3', x=2)",
        )
    u = None
    if direction is not None:
        u = _finite_seed(_bindings(direction, {}, "direction", graph.source), "direction")
        direction_map(graph, u)  # names and shapes checked before any sweep
    try:
        with np.errstate(all="ignore"):
            result = run_second_order(graph, compiled.bindings, direction=u, wrt=names)
    except AdxError as error:
        if error.hint and FEWER_SWEEPS in error.hint:
            error.hint = error.hint.replace(
                FEWER_SWEEPS, "use hvp() along one direction, or fewer inputs with wrt=[...]"
            )
        raise _file_hint(error, source) from None
    return HessianResult(result, numbering=numbering, digits=digits, warnings=compiled.warnings)


def hessian(
    source: str | os.PathLike[str],
    /,
    *,
    wrt: str | Sequence[str] | None = None,
    numbering: str = "griewank",
    digits: int = 6,
    at: Mapping[str, Value] | None = None,
    **values: Value,
) -> HessianResult:
    """The Hessian of a function with one scalar output: one nested sweep per input
    entry (of the ``wrt`` inputs, if given), as ``adx eval --hessian`` runs it."""
    return _second_order(source, None, wrt, numbering, digits, at, values)


def hvp(
    source: str | os.PathLike[str],
    direction: Mapping[str, Value],
    /,
    *,
    numbering: str = "griewank",
    digits: int = 6,
    at: Mapping[str, Value] | None = None,
    **values: Value,
) -> HessianResult:
    """H·u along ``direction`` (input name → u; inputs left out move by 0) in one nested
    sweep, as ``adx eval --hvp`` runs it."""
    if not isinstance(direction, Mapping):
        raise AdxError(
            "usage",
            f"the direction u is a dict of input name → value, not {type(direction).__name__}",
            hint="e.g. adexplorer.hvp('x*y', {'x': 1}, x=2, y=3)",
        )
    return _second_order(source, direction, None, numbering, digits, at, values)


# ------------------------------------------------------------------ the program alone


class Program:
    """A compiled program: its inputs and outputs, and its Wengert list."""

    def __init__(self, graph: Graph, warnings: Sequence[str]) -> None:
        #: The engine's graph (:class:`adexplorer.core.ir.Graph`); not part of the stable API.
        self.graph = graph
        self.warnings = tuple(warnings)

    def __repr__(self) -> str:
        return f"<Program {_short_source(self.source)!r}: inputs {', '.join(self.inputs)}>"

    @property
    def source(self) -> str:
        return self.graph.source

    @property
    def inputs(self) -> dict[str, str]:
        """Input name → its type (``real``, ``vec[3]``, ``mat[2,3]``), in order."""
        from adexplorer.base.shapes import type_name

        return {
            self.graph.nodes[i].name or "": type_name(self.graph.nodes[i].shape)
            for i in self.graph.inputs
        }

    @property
    def outputs(self) -> tuple[str, ...]:
        """The outputs' names (``f`` for an expression)."""
        return tuple(self.graph.output_names)

    def wengert(self, numbering: str = "griewank") -> str:
        """The Wengert list: one line per input (with its type) and per operation, then
        ``return`` (a valid adx program)."""
        from adexplorer.lang.printer import format_program

        return format_program(self.graph, _option(numbering, tuple(NUMBERINGS), "numbering"))

    def __str__(self) -> str:
        return self.wengert()


def program(
    source: str | os.PathLike[str], /, *, at: Mapping[str, Value] | None = None, **values: Value
) -> Program:
    """Compile a program without running it.  Values (optional) give an expression's
    free names their shapes (``v=[1, 2, 3]`` makes v a vec[3]) and pick the branch a
    program with ``if``/``for`` tapes."""
    compiled = _compile(source, at, values)
    return Program(compiled.graph, compiled.warnings)


# ------------------------------------------------------------------ small texts


def _short(value: Number) -> str:
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else str(value)
    from adexplorer.base.shapes import type_name

    return f"⟨{type_name(np.shape(value))}⟩"


def _short_source(source: str) -> str:
    text = visible(" ".join(source.split()))
    return text if len(text) <= 60 else text[:57] + "..."


def _outputs_text(graph: Graph) -> str:
    from adexplorer.base.shapes import type_name

    shapes = [type_name(graph.nodes[o].shape) for o in graph.outputs]
    return f"{len(shapes)} output{'s' if len(shapes) > 1 else ''} ({', '.join(shapes)})"
