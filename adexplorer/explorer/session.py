"""Session: the explorer's state in plain Python, the facade the Textual view calls.

Source → graph → trace, with what the student changes: the inputs' values, the
mode, the seeds (forward mode's u, reverse mode's ȳ: ``seeds``), vector forward
mode, gradient-descent steps.  Second-order mode also keeps the nested sweeps of
H·u or of the Hessian (``core.second_order``), stepped through as ``nested``'s
frames.  Every key press in the explorer becomes
one call here, and the widgets render what the session says.  Every change is all
or nothing: a change that fails (an AdxError) leaves the session as it was, so
the graph, the values, the trace and its frames always belong together.

A new program can be compiled away from the session, in a worker thread:
:meth:`Session.basis` copies what the run needs, :func:`compile_for` compiles
and runs the text against that copy (it never reads the session), and
:meth:`Session.apply` installs the result if the basis still fits.  The pieces
live beside it: ``frames`` (the animated steps of a trace), ``playback`` (the current
frame and the speed), ``export`` (JSON and text), ``core.descent`` (the descent
step).  Unit-tested without Textual.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from adexplorer.base.errors import AdxError
from adexplorer.base.numbers import display_value, is_summarized, nonfinite_kinds
from adexplorer.base.shapes import Array, fill
from adexplorer.compare.broken_rules import parse_broken_rule, with_broken_rule
from adexplorer.core.checkpoint import CheckpointSpec
from adexplorer.core.descent import DescentStep, descent_step, evaluate_scalar, trained_inputs
from adexplorer.core.formulas import (
    BAR,
    DOT,
    Formula,
    FormulaRenderer,
    dual_text,
    vector_dual_text,
)
from adexplorer.core.ir import Graph
from adexplorer.core.second_order import SecondOrderTrace, run_second_order
from adexplorer.core.trace import Trace, run
from adexplorer.core.training import Training as Loop
from adexplorer.explorer import export, frames, nested
from adexplorer.explorer.control_flow import retape_note, should_condense
from adexplorer.explorer.frames import Frame
from adexplorer.explorer.layout import GraphLayout, layout
from adexplorer.explorer.playback import Playback
from adexplorer.explorer.seeds import parse_cotangent, parse_direction
from adexplorer.explorer.training import Training, TrainingPlan, check_eta, check_steps
from adexplorer.explorer.value_texts import ValueTexts
from adexplorer.lang.lower import compile_source, parse_at

#: How the explorer animates a derivative (the trace runs forward for "dual"; "second":
#: forward-over-reverse, the nested sweeps of H·u or of the whole Hessian).
EXPLORER_MODES = ("forward", "reverse", "dual", "second")
#: What second-order mode computes: the whole Hessian (n nested sweeps) or H·u (one).
SECOND_KINDS = ("hessian", "hvp")
DEFAULT_SOURCE = "ln(x1) + x1*x2 - sin(x2)"
DEFAULT_VALUES = {"x1": 2.0, "x2": 5.0}

#: Revisions are unique across sessions, so a view that is handed another session
#: never takes its cache of the old one for fresh.
_REVISIONS = itertools.count(1)
_KEEP: object = object()  # "leave the seed as it is" (None is a value: the custom direction)
#: A tensor in the result lines: its summary in this many characters (type, range, norm).
RESULT_WIDTH = 44


@dataclass(frozen=True)
class Basis:
    """What a new program runs with, copied from a session: its inputs' values, mode,
    seed and selected input, and the graph they belong to.  A worker thread gets this
    copy and never reads the session itself."""

    graph: Graph | None
    values: Mapping[str, Array]
    mode: str
    seed_name: str | None
    seed_text: str
    selected: int
    checkpoint: CheckpointSpec | None = None
    cotangent_text: str = ""  # reverse mode's ȳ, e.g. "f1=1,f2=-2" (empty: unit sweeps)
    vector: bool = False  # forward/dual: one vector sweep carrying every direction
    second_kind: str = "hessian"


@dataclass(frozen=True)
class Compiled:
    """A program compiled and run against a :class:`Basis` (see :func:`compile_for`)."""

    text: str
    basis: Basis
    error: AdxError | None = None
    graph: Graph | None = None
    warnings: tuple[str, ...] = ()
    values: Mapping[str, Array] = field(default_factory=dict)
    seed_name: str | None = None
    selected: int = 0
    trace: Trace | None = None
    frames: tuple[Frame, ...] = ()
    layout: GraphLayout | None = None  # the graph's drawing, if asked for
    second: SecondOrderTrace | None = None  # second-order mode's nested sweeps
    cotangent_text: str = ""


def compile_for(text: str, basis: Basis, *, with_layout: bool = False) -> Compiled:
    """Compile ``text`` and run it with the inputs, mode and seed of ``basis``.

    Pure (it reads nothing but its arguments), so it may run in a worker thread.
    A user error comes back as ``Compiled.error``, never raised.  Inputs the new
    program shares with the old keep their values, unless a value no longer fits
    the input's type or was the old default and the program now declares another.
    """
    try:
        lowered = compile_source(text)
    except AdxError as error:
        return Compiled(text, basis, error=error.with_source(text))
    graph = lowered.graph
    old_defaults = basis.graph.defaults if basis.graph is not None else {}
    values: dict[str, Array] = {}
    for name in graph.input_names:
        shape = graph.nodes[graph.input_index(name) or 0].shape
        default = graph.defaults.get(name)
        value = basis.values.get(name)
        was_default = name in old_defaults and value is old_defaults[name]
        kept = None if value is None or (was_default and default is not None) else value
        kept = fill(kept, shape) if kept is not None else None
        if kept is None:
            kept = default if default is not None else np.full(shape, 1.0)
        values[name] = kept
    names = graph.input_names
    if basis.seed_name is None and _direction_fits(basis.seed_text, names):
        seed_name = None  # the custom direction still applies
    else:
        seed_name = basis.seed_name if basis.seed_name in names else (names[0] if names else None)
    selected = min(basis.selected, max(len(names) - 1, 0))
    cotangent_text = basis.cotangent_text if _cotangent_fits(graph, basis.cotangent_text) else ""
    try:
        trace, second = _run(
            graph,
            values,
            basis.mode,
            seed_name,
            basis.seed_text,
            basis.checkpoint,
            cotangent_text=cotangent_text,
            vector=basis.vector,
            second_kind=basis.second_kind,
        )
    except AdxError as error:
        return Compiled(text, basis, error=error.with_source(text))
    return Compiled(
        text,
        basis,
        graph=graph,
        # the run's own warnings (a tie at these values) come with the trace
        warnings=lowered.static_warnings,
        values=values,
        seed_name=seed_name,
        selected=selected,
        trace=trace,
        frames=tuple(_frames_of(trace, second)),
        # a long loop is drawn condensed (control_flow.condense), not from this layout
        layout=layout(trace.graph) if with_layout and not should_condense(trace.graph) else None,
        second=second,
        cotangent_text=cotangent_text,
    )


def _cotangent_fits(graph: Graph, text: str) -> bool:
    """Whether a cotangent typed for the old program still names outputs of ``graph``."""
    if not text.strip():
        return False
    try:
        parse_cotangent(graph, text)
    except AdxError:
        return False
    return True


def _frames_of(trace: Trace, second: SecondOrderTrace | None) -> list[Frame]:
    return nested.build_frames(second) if second is not None else frames.build_frames(trace)


def _example(names: tuple[str, ...]) -> str:
    """A seed to show in the dialog: ``x1=1,x2=0.5`` for the names there are."""
    return ",".join(f"{n}={v}" for n, v in zip(names[:3], ("1", "0.5", "-2"), strict=False))


def _direction_fits(text: str, names: tuple[str, ...]) -> bool:
    if not text.strip():
        return False
    try:
        return set(parse_at(text, "seed")) <= set(names)
    except AdxError:
        return False


def _seed(
    graph: Graph, mode: str, seed_name: str | None, seed_text: str
) -> dict[str, Array] | None:
    """The forward seed (tangents of the inputs); None in reverse mode."""
    if mode == "reverse":
        return None
    if seed_name is not None and seed_name in graph.input_names:
        shape = graph.nodes[graph.input_index(seed_name) or 0].shape
        return {seed_name: np.ones(shape)}
    if not seed_text.strip():
        return {}  # no input to seed (f has none): every tangent is 0
    parsed = parse_at(seed_text, "seed")
    return {name: value for name, (value, _) in parsed.items()}


def _run(
    graph: Graph,
    values: Mapping[str, Array],
    mode: str,
    seed_name: str | None,
    seed_text: str,
    checkpoint: CheckpointSpec | None = None,
    *,
    cotangent_text: str = "",
    vector: bool = False,
    second_kind: str = "hessian",
) -> tuple[Trace, SecondOrderTrace | None]:
    """The trace a mode shows; second-order mode also gives its nested sweeps (and a
    plain reverse trace, for the graph, the panes and the gradient)."""
    if mode == "second":
        direction = _seed(graph, "forward", seed_name, seed_text) if second_kind == "hvp" else None
        second = run_second_order(graph, values, direction=direction)
        return run(graph, values, "reverse"), second
    if mode == "reverse":
        cotangent = parse_cotangent(graph, cotangent_text)
        return run(graph, values, "reverse", cotangent or None, checkpoint), None
    if vector:
        return run(graph, values, "forward", vector=True), None
    return run(graph, values, "forward", _seed(graph, mode, seed_name, seed_text)), None


class Concealment(Protocol):
    """What a lesson hides while an exercise asks for it (adexplorer.lessons.concealment
    provides one): the session shows :data:`CONCEALED` in those places instead."""

    @property
    def program(self) -> str: ...  # the program it is about; another program hides nothing

    def hides_value(self, node: int) -> bool: ...

    def hides_derivative(self, node: int, mode: str, seed: Mapping[str, Array] | None) -> bool: ...

    def hides_result(self, what: str, mode: str, seed: Mapping[str, Array] | None) -> bool: ...

    def hides_fan_in(self, node: int) -> bool: ...

    def hides_hessian(self, row: int, column: int) -> bool: ...  # over the input entries

    def hides_hvp(self, entry: int, seed: Mapping[str, Array] | None) -> bool: ...


class _Concealed:
    """A value or derivative :meth:`Session.node_state` hides: the views show ``?``."""

    def __repr__(self) -> str:
        return CONCEALED_TEXT


CONCEALED_TEXT = "?"
#: What the seed field suggests when it is empty (one input's name, or a direction).
SEED_PLACEHOLDER = "x2 or x1=1,x2=0.5"
CONCEALED = _Concealed()


def _or_zeros(adjoint: Array | None, trace: Trace, index: int) -> Array:
    """A node's adjoint, or zeros of its shape when the sweep never reached it."""
    return adjoint if adjoint is not None else np.zeros(trace.graph.nodes[index].shape)


def _finite(value: float) -> bool:
    return math.isfinite(value)


def _summarized(formula: Formula, summary: str | None) -> Formula:
    """``formula`` with the text of its tensor result (wherever it appears whole: the
    result, and the rule and numbers of an input's step) replaced by ``summary``
    (None: a small value, shown as it is)."""
    if summary is None:
        return formula
    full = formula.result
    return replace(
        formula,
        rule=summary if formula.rule == full else formula.rule,
        numbers=summary if formula.numbers == full else formula.numbers,
        result=summary,
    )


@dataclass
class Session:
    source: str = DEFAULT_SOURCE
    values: dict[str, Array] = field(default_factory=dict)
    mode: str = "reverse"
    seed_name: str | None = None  # forward/dual: the input seeded with 1 (None: seed_text)
    seed_text: str = ""  # a direction such as "x1=1,x2=0.5"
    numbering: str = "griewank"
    digits: int = 6
    selected: int = 0  # the input the nudge keys change
    nudge_size: float = 0.1
    eta: float = 0.1
    trained: tuple[str, ...] = ()  # the inputs a descent moves (empty: all of them)
    graph: Graph | None = None
    error: AdxError | None = None  # what is wrong with ``source`` (the graph is the last good one)
    trace: Trace | None = None
    playback: Playback = field(default_factory=Playback)
    history: list[DescentStep] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    concealed: Concealment | None = None  # what a lesson's open exercises hide (see mask)
    #: What the last run changed in the path of a program with if/for ("re-taped: line 4
    #: now takes else"); None if it took the same path as the run before.
    retape_note: str | None = None
    #: Reverse mode with checkpointing (every=K or snapshots=S); None: plain reverse mode.
    checkpoint: CheckpointSpec | None = None
    #: Reverse mode's cotangent ȳ over the outputs (``f1=1,f2=-2``): one sweep gives ȳᵀJ;
    #: empty: one sweep seeded with 1 at the (first) output, as before.
    cotangent_text: str = ""
    #: Forward and dual mode: one vector sweep, every tangent carrying all n directions.
    vector: bool = False
    #: Second-order mode: the whole Hessian, or H·u with the forward seed as u.
    second_kind: str = "hessian"
    #: Second-order mode's nested sweeps (None in the other modes).
    second: SecondOrderTrace | None = None
    #: A training run (see training.py): how many steps, and whether the gradients add up.
    train_steps: int = 100
    accumulate: bool = False
    #: With accumulate, the loop whose running sum successive g steps add to, and what it
    #: was made for (graph, values dict, moving inputs): anything else starts a new sum.
    _summing: tuple[Loop, Graph, dict[str, Array], tuple[str, ...]] | None = field(
        default=None, repr=False, compare=False
    )
    _revision: int = 0
    #: Tensors' summaries for the bar's formulas and result lines, made once per array.
    _texts: ValueTexts = field(default_factory=ValueTexts, repr=False, compare=False)
    #: Each frame's formulas as the bar shows them, made once per trace (a tensor step's
    #: formula formats its result: stepping back and forth should not do that again).
    _formulas: dict[tuple[Frame, str, int], list[Formula]] = field(
        default_factory=dict, repr=False, compare=False
    )

    # -- building --------------------------------------------------------------

    @classmethod
    def start(
        cls, source: str = DEFAULT_SOURCE, values: Mapping[str, Array] | None = None
    ) -> Session:
        session = cls(source="")
        session.values = {k: np.asarray(v, dtype=np.float64) for k, v in (values or {}).items()}
        if values is None and source == DEFAULT_SOURCE:
            session.values = {k: np.asarray(v) for k, v in DEFAULT_VALUES.items()}
        session.set_source(source)
        return session

    @property
    def revision(self) -> int:
        """New with every graph or trace, and never shared by two sessions (views cache on it)."""
        return self._revision

    def set_source(self, text: str) -> bool:
        """Compile ``text``.  On an error keep the last good graph and record the error."""
        return self.apply(compile_for(text, self.basis()))

    def basis(self) -> Basis:
        """A copy of what a new program runs with (for :func:`compile_for`)."""
        return Basis(
            self.graph,
            dict(self.values),
            self.mode,
            self.seed_name,
            self.seed_text,
            self.selected,
            self.checkpoint,
            self.cotangent_text,
            self.vector,
            self.second_kind,
        )

    def fits(self, basis: Basis) -> bool:
        """Whether ``basis`` still describes this session (nothing changed since it was taken)."""
        return (
            basis.graph is self.graph
            and basis.mode == self.mode
            and basis.seed_name == self.seed_name
            and basis.seed_text == self.seed_text
            and basis.selected == self.selected
            and basis.checkpoint == self.checkpoint
            and basis.cotangent_text == self.cotangent_text
            and basis.vector == self.vector
            and basis.second_kind == self.second_kind
            and basis.values.keys() == self.values.keys()
            and all(basis.values[k] is self.values[k] for k in self.values)
        )

    def apply(self, compiled: Compiled) -> bool:
        """Install a compiled program (its basis must fit, see :meth:`fits`).  On an error
        keep the last good graph, its values and trace, and record the error."""
        self.source = compiled.text
        if compiled.error is not None or compiled.graph is None or compiled.trace is None:
            self.error = compiled.error
            return False
        previous = self.trace.graph if self.trace is not None else self.graph
        self.error = None
        self.graph = compiled.graph
        self.warnings = list(compiled.warnings)
        self.values = dict(compiled.values)
        self.seed_name = compiled.seed_name
        self.selected = compiled.selected
        self.cotangent_text = compiled.cotangent_text
        self.history = []  # a descent on another function
        self._install(
            compiled.trace,
            compiled.second,
            list(compiled.frames),
            keep_position=previous is not None
            and len(previous.nodes) == len(compiled.trace.graph.nodes),
        )
        return True

    def _install(
        self,
        trace: Trace,
        second: SecondOrderTrace | None,
        new_frames: list[Frame],
        *,
        keep_position: bool,
    ) -> None:
        old = self.trace.graph if self.trace is not None else None
        self.retape_note = retape_note(old, trace.graph)
        if trace.graph.dynamic:
            # A program with if/for: the run recorded its own tape, and that tape is the
            # graph from now on (the graph, the trace and the frames belong together).
            self.graph = trace.graph
        self.trace = trace
        self.second = second
        self._texts.forget()
        self._formulas.clear()
        self._revision = next(_REVISIONS)
        self.playback.replace_frames(new_frames, keep_position=keep_position)

    def seed(self) -> dict[str, Array] | None:
        """The forward seed (tangents of the inputs); None in reverse mode."""
        if self.graph is None:
            return None
        return _seed(self.graph, self.mode, self.seed_name, self.seed_text)

    def _rerun(
        self,
        *,
        values: dict[str, Array] | None = None,
        mode: str | None = None,
        seed_name: object = _KEEP,
        seed_text: str | None = None,
        checkpoint: object = _KEEP,
        cotangent_text: str | None = None,
        vector: bool | None = None,
        second_kind: str | None = None,
        keep_position: bool = True,
    ) -> None:
        """Run the trace again with some of these changed: all or nothing (if the run
        raises an AdxError, nothing changes)."""
        new_values = self.values if values is None else values
        new_mode = self.mode if mode is None else mode
        new_seed_name = self.seed_name if seed_name is _KEEP else seed_name
        assert new_seed_name is None or isinstance(new_seed_name, str)
        new_seed_text = self.seed_text if seed_text is None else seed_text
        new_checkpoint = self.checkpoint if checkpoint is _KEEP else checkpoint
        assert new_checkpoint is None or isinstance(new_checkpoint, CheckpointSpec)
        new_cotangent = self.cotangent_text if cotangent_text is None else cotangent_text
        new_vector = self.vector if vector is None else vector
        new_kind = self.second_kind if second_kind is None else second_kind
        if self.graph is not None:
            trace, second = _run(
                self.graph,
                new_values,
                new_mode,
                new_seed_name,
                new_seed_text,
                new_checkpoint,
                cotangent_text=new_cotangent,
                vector=new_vector,
                second_kind=new_kind,
            )
            new_frames = _frames_of(trace, second)
        self.checkpoint = new_checkpoint
        self.values, self.mode = new_values, new_mode
        self.seed_name, self.seed_text = new_seed_name, new_seed_text
        self.cotangent_text, self.vector, self.second_kind = new_cotangent, new_vector, new_kind
        if self.graph is not None:
            self._install(trace, second, new_frames, keep_position=keep_position)

    # -- changing inputs, mode and seed ------------------------------------------

    def set_value(self, name: str, text: str) -> None:
        """Set an input from text such as ``2.5``, ``pi/4`` or ``[1, 2]``.

        All or nothing: a value the program cannot take (a list for a real) is
        refused with an AdxError and the old value stays.
        """
        if name not in self.values:
            raise AdxError("usage", f"'{name}' is not an input of this function")
        # the declared shape lets normal(seed=S) and a data file's check know the size
        shape = np.shape(self.values[name])
        parsed = parse_at(f"{name}={text}", "value", shapes={name: shape})
        self._rerun(values={**self.values, name: parsed[name][0]})

    def nudge(self, direction: int) -> None:
        """Move the selected input up (+1) or down (-1) by the nudge size."""
        name = self.selected_name
        if name is None:
            return
        moved = np.asarray(self.values[name]) + direction * self.nudge_size
        self._rerun(values={**self.values, name: moved})

    def select_next_input(self) -> None:
        if self.graph is not None and self.graph.input_names:
            self.selected = (self.selected + 1) % len(self.graph.input_names)

    @property
    def selected_name(self) -> str | None:
        if self.graph is None or not self.graph.input_names:
            return None
        return self.graph.input_names[min(self.selected, len(self.graph.input_names) - 1)]

    def set_mode(self, mode: str) -> None:
        if mode not in EXPLORER_MODES:
            raise ValueError(mode)
        if mode != self.mode:
            self._rerun(mode=mode, keep_position=False)
            self.playback.to_start()

    def checkpoint_choices(self) -> list[CheckpointSpec | None]:
        """What ``k`` cycles through: plain reverse mode, a snapshot every ⌈√l⌉ steps
        (l operations), and binomial checkpointing with 2 and 3 snapshots."""
        steps = len(self.trace.graph.op_nodes) if self.trace is not None else 0
        every = max(2, math.isqrt(max(steps, 1) - 1) + 1)
        return [
            None,
            CheckpointSpec("every", every),
            CheckpointSpec("snapshots", 2),
            CheckpointSpec("snapshots", 3),
        ]

    def cycle_checkpoint(self) -> None:
        """Reverse mode: plain, then each checkpointing schedule of
        :meth:`checkpoint_choices` in turn (a forward session switches to reverse)."""
        if self.graph is None:
            return
        choices = self.checkpoint_choices()
        current = choices.index(self.checkpoint) if self.checkpoint in choices else 0
        chosen = choices[(current + 1) % len(choices)]
        if self.mode != "reverse":
            self._rerun(mode="reverse", checkpoint=chosen, keep_position=False)
            self.playback.to_start()
        else:
            self._rerun(checkpoint=chosen)

    def set_checkpoint(self, spec: CheckpointSpec | None) -> None:
        """Reverse mode with this schedule (a lesson's ``checkpoint:``); None: plain.
        Outside reverse mode it is kept for when the student switches to reverse."""
        if self.graph is None or self.mode != "reverse":
            self.checkpoint = spec
            return
        self._rerun(checkpoint=spec)

    def cycle_seed(self) -> None:
        """Forward/dual: seed the next input with 1 (then a custom direction, if one is set)."""
        if self.graph is None:
            return
        choices: list[str | None] = list(self.graph.input_names)
        if self.seed_text:
            choices.append(None)  # None stands for the custom direction
        if not choices:
            raise AdxError("usage", "this function has no inputs to seed")
        current = choices.index(self.seed_name) if self.seed_name in choices else -1
        if self.vector and self.mode in ("forward", "dual"):
            current = -1  # from every direction at once back to one seed: the first
        self._rerun(seed_name=choices[(current + 1) % len(choices)], vector=False)

    def set_seed(self, text: str, *, switch_mode: bool = True) -> None:
        """Seed an input by name (``x2``) or a direction (``x1=1,x2=0.5``).

        A reverse-mode session switches to forward mode, where seeds belong,
        unless ``switch_mode`` is False (a lesson sets the seed for later).
        """
        name = text.strip()
        if self.graph is not None and name in self.graph.input_names:
            self._rerun(seed_name=name, vector=False)
        else:
            self.set_seed_direction(text)
        if switch_mode and self.mode == "reverse":
            self.set_mode("forward")

    def set_seed_direction(self, text: str) -> None:
        """A direction such as ``x1=1,x2=0.5`` (inputs left out are 0)."""
        parse_at(text, "seed")  # validate first: a bad direction keeps the old one
        if self.graph is not None:
            parse_direction(self.graph, text)  # names inputs only, each of its type
        self._rerun(seed_name=None, seed_text=text, vector=False)

    def set_cotangent(self, text: str) -> None:
        """Reverse mode's ȳ over the outputs (``f=2``, ``f1=1,f2=-2``; outputs left out
        are 0): one adjoint sweep gives ȳᵀJ.  An empty text goes back to the unit sweep.
        All or nothing: a bad ȳ is an AdxError and the old one stays."""
        if self.graph is not None:
            parse_cotangent(self.graph, text)
        self._rerun(cotangent_text=text.strip())

    def seed_prompt(self) -> tuple[str, str, str]:
        """What the seed dialog (key u) edits in this mode: (title, explanation, text)."""
        graph = self.graph
        inputs = ", ".join(graph.input_names) if graph is not None else ""
        outputs = ", ".join(graph.output_names) if graph is not None else ""
        if self.mode == "reverse":
            return (
                "cotangent ȳ (reverse mode: one sweep gives ȳᵀJ)",
                f"outputs: {outputs}; e.g. {_example(graph.output_names if graph else ())}"
                " (outputs left out are 0; empty: the unit seed at the first output)",
                self.cotangent_text,
            )
        direction = self.seed_text if self.seed_name is None else (self.seed_name or "")
        if self.mode == "second":
            return (
                "direction u for H·u (second order: one nested sweep)",
                f"inputs: {inputs}; e.g. {_example(graph.input_names if graph else ())}"
                " (inputs left out are 0; empty: the whole Hessian, one sweep per input entry)",
                direction if self.second_kind == "hvp" else "",
            )
        return (
            "seed u (forward mode: one sweep gives J·u)",
            f"inputs: {inputs}; e.g. {_example(graph.input_names if graph else ())}"
            " or one input's name (inputs left out are 0)",
            "" if self.vector else direction,
        )

    def apply_seed_prompt(self, text: str) -> None:
        """Set what :meth:`seed_prompt` edits from the dialog's text (AdxError if bad;
        nothing changes then)."""
        if self.graph is None:
            raise AdxError("usage", "there is no program to seed yet")
        if self.mode == "reverse":
            self.set_cotangent(text)
        elif self.mode == "second":
            if not text.strip():
                self._rerun(second_kind="hessian", keep_position=False)
            elif text.strip() in self.graph.input_names:
                self._rerun(seed_name=text.strip(), second_kind="hvp", keep_position=False)
            else:
                parse_at(text, "seed")
                parse_direction(self.graph, text)
                self._rerun(seed_name=None, seed_text=text, second_kind="hvp", keep_position=False)
            self.playback.to_start()
        elif not text.strip():
            names = self.graph.input_names
            self._rerun(seed_name=names[0] if names else None, seed_text="", vector=False)
        else:
            self.set_seed(text, switch_mode=False)

    def toggle_vector(self) -> bool:
        """Forward mode: one vector sweep (all n directions at once) or one seed; a reverse
        or second-order session switches to forward mode.  Returns the new setting."""
        on = not self.vector if self.mode in ("forward", "dual") else True
        mode = self.mode if self.mode in ("forward", "dual") else "forward"
        self._rerun(mode=mode, vector=on, keep_position=False)
        self.playback.to_start()
        return on

    def toggle_second_kind(self) -> str:
        """Second-order mode: the whole Hessian ↔ H·u with the forward seed as u."""
        kind = SECOND_KINDS[1 - SECOND_KINDS.index(self.second_kind)]
        self._rerun(second_kind=kind, keep_position=False)
        self.playback.to_start()
        return kind

    def seed_field(self) -> tuple[str, str]:
        """What the inputs panel's seed field shows: (its text, its placeholder).  Vector
        forward mode seeds every unit direction at once, so the field is empty and its
        placeholder says so, naming them (the last single seed is not what the sweep
        uses; a field too narrow for the names shows the part before the colon)."""
        sweep = self.trace.vector_sweep if self.trace is not None else None
        if self.vector and self.mode in ("forward", "dual") and sweep is not None:
            labels = ", ".join(sweep.labels)
            # "all 2 directions: x1, x2"; a field too narrow for the names keeps the words
            return "", f"all {sweep.n} directions: {labels}"
        return self.seed_name or self.seed_text, SEED_PLACEHOLDER

    @property
    def direction_text(self) -> str:
        """The forward seed in words: an input's name or the direction typed."""
        return self.seed_name or self.seed_text or "0"

    # -- playback (see playback.py) ------------------------------------------------

    @property
    def frames(self) -> list[Frame]:
        return self.playback.frames

    @property
    def position(self) -> int:
        return self.playback.position

    def step(self, delta: int = 1) -> None:
        self.playback.step(delta)

    def to_start(self) -> None:
        self.playback.to_start()

    def to_end(self) -> None:
        self.playback.to_end()

    @property
    def at_end(self) -> bool:
        return self.playback.at_end

    @property
    def current(self) -> Frame | None:
        """The frame run last (the one highlighted)."""
        return self.playback.current

    @property
    def seconds_per_step(self) -> float:
        return self.playback.seconds_per_step

    def faster(self, delta: int = 1) -> None:
        self.playback.faster(delta)

    # -- what is known at the current position (see frames.py) ---------------------

    def renderer(self) -> FormulaRenderer:
        assert self.trace is not None
        return FormulaRenderer(
            self.trace.graph, self.trace.values, numbering=self.numbering, digits=self.digits
        )

    def node_state(self) -> list[tuple[Array | None, Array | None]]:
        """For each node: (value if computed yet, tangent or running adjoint if computed yet)."""
        assert self.trace is not None
        if self.second is not None:
            state = [
                (n.value, n.adjoint if n.adjoint is not None else n.tangent)
                for n in self.nested_state(masked=False)
            ]
        else:
            state = frames.node_state(self.trace, self.playback.run_so_far)
        mask = self.mask
        if mask is None:
            return state
        mode, seed = self._sweep()
        return [
            (
                CONCEALED if value is not None and mask.hides_value(i) else value,
                CONCEALED
                if derivative is not None and mask.hides_derivative(i, mode, seed)
                else derivative,
            )
            for i, (value, derivative) in enumerate(state)
        ]

    def nested_state(self, *, masked: bool = True) -> list[nested.NestedState]:
        """Second-order mode: each node's value, v̇, v̄ and v̄̇ as far as the sweeps have got
        (a lesson's hidden ones as :data:`CONCEALED`)."""
        assert self.second is not None
        state = nested.node_state(self.second, self.playback.run_so_far)
        mask = self.mask if masked else None
        if mask is None:
            return state
        seed = self.seed()
        run_so_far = self.playback.run_so_far
        sweep = run_so_far[-1].sweep if run_so_far else 0

        def hidden(i: int, value: Array | None) -> Array | None:
            if value is not None and mask.hides_derivative(i, self.mode, seed):
                return CONCEALED
            return value

        def hidden_dot(i: int, value: Array | None) -> Array | None:
            if value is not None and self._hides_input_dot(mask, sweep, i):
                return CONCEALED  # an input's v̄̇ is its entry of H·u (or of H's row)
            return hidden(i, value)

        return [
            nested.NestedState(
                CONCEALED if n.value is not None and mask.hides_value(i) else n.value,
                hidden(i, n.tangent),
                hidden(i, n.adjoint),
                hidden_dot(i, n.adjoint_dot),
            )
            for i, n in enumerate(state)
        ]

    def hessian_known(self) -> list[list[float | _Concealed | None]]:
        """Second-order mode: the columns of H (or the one of H·u) known so far (an entry
        a lesson's open exercise asks for as :data:`CONCEALED`)."""
        assert self.second is not None
        known: list[list[float | _Concealed | None]] = [
            list(column) for column in nested.hessian_known(self.second, self.frames, self.position)
        ]
        mask = self.mask
        if mask is None:
            return known
        for k, column in enumerate(known):
            for entry, value in enumerate(column):
                if value is not None and self._hides_second_entry(mask, k, entry):
                    column[entry] = CONCEALED
        return known

    def _hides_second_entry(self, mask: Concealment, sweep: int, entry: int) -> bool:
        """Whether nested sweep ``sweep``'s v̄̇ at input entry ``entry`` is hidden: an entry
        of H (sweep k runs along the k-th unit direction), or of H·u along the seed u
        (also a row of H when u points along one input entry)."""
        second = self.second
        assert second is not None
        if second.kind != "hvp":
            return mask.hides_hessian(sweep, entry)
        seed = self.seed()
        if mask.hides_hvp(entry, seed):
            return True
        u = second.sweeps[0].direction
        shapes = [(i, second.graph.nodes[i].shape) for i in second.differentiated]
        flat = [np.ravel(u[i]) if i in u else np.zeros(int(np.prod(s))) for i, s in shapes]
        along = np.flatnonzero(np.concatenate(flat)) if flat else np.zeros(0, dtype=int)
        return len(along) == 1 and mask.hides_hessian(int(along[0]), entry)

    def _hides_input_dot(self, mask: Concealment, sweep: int, node: int) -> bool:
        """Whether an input node's v̄̇ in nested sweep ``sweep`` is an entry that is hidden."""
        second = self.second
        if second is None or not second.graph.nodes[node].is_input:
            return False
        owners = nested.entry_nodes(second)
        return any(
            self._hides_second_entry(mask, sweep, entry)
            for entry, owner in enumerate(owners)
            if owner == node
        )

    def _sweep(self) -> tuple[str, Mapping[str, Array] | None]:
        """The sweep shown, as the lesson's concealment names it: the mode and its seed
        (``vector`` for the vector sweep, reverse mode's cotangent ȳ as its seed)."""
        if self.vector and self.mode in ("forward", "dual"):
            return "vector", None
        if self.mode == "reverse":
            if self.cotangent_text and self.graph is not None:
                try:
                    return "reverse", parse_cotangent(self.graph, self.cotangent_text)
                except AdxError:  # a ȳ this program cannot take is not its sweep
                    return "reverse", None
            return "reverse", None
        return self.mode, self.seed()

    @property
    def conceals(self) -> bool:
        """Whether an open exercise hides anything in this program (its places show ?)."""
        mask = self.mask
        return mask is not None and bool(mask)

    # -- what a lesson hides -------------------------------------------------------------

    @property
    def mask(self) -> Concealment | None:
        """:attr:`concealed`, if it is about the program explored now (an edited program
        is the student's own, and hides nothing)."""
        if self.concealed is None or self.concealed.program.strip() != self.source.strip():
            return None
        return self.concealed

    def _hides_formula(self, frame: Frame, mask: Concealment) -> list[bool]:
        """For each formula of ``frame``: whether its numbers would show something hidden
        (the node's own value or derivative, or one its rule substitutes)."""
        assert self.trace is not None
        graph = self.trace.graph
        mode, seed = self._sweep()

        def values(nodes: set[int]) -> bool:
            return any(mask.hides_value(n) for n in nodes)

        def derivatives(nodes: set[int]) -> bool:
            return any(mask.hides_derivative(n, mode, seed) for n in nodes)

        if frame.kind in ("adjoint", "nested_adjoint"):
            ((_, user),) = frame.edges
            used = {user, *graph.nodes[user].args}
            hides = derivatives({frame.node, user}) or values(used)
            if frame.kind != "nested_adjoint":
                return [hides]
            # a contribution to an input's v̄̇ that is an entry asked (H·u or H) adds up to it
            return [hides, hides or self._hides_input_dot(mask, frame.sweep, frame.node)]
        used = {frame.node, *graph.nodes[frame.node].args}
        if frame.kind in ("seed", "nested_seed"):
            hides = derivatives({frame.node})
            return [hides, hides] if frame.kind == "nested_seed" else [hides]  # v̄ and v̄̇
        primal = values(used)
        if frame.kind == "primal":
            return [primal]
        return [primal, primal or derivatives(used)]

    def formula(self, frame: Frame | None = None, *, summarize: bool = False) -> list[Formula]:
        """The formulas of a frame (forward mode shows the value's and the tangent's);
        ``summarize``: a tensor result as its summary (``mat[64,100] [1, …] min 1 …``)
        rather than every entry, as the explorer's bar shows it."""
        frame = frame or self.current
        if frame is None or self.trace is None:
            return []
        if summarize:
            key = (frame, self.numbering, self.digits)
            formulas = self._formulas.get(key) or []
            if not formulas:
                numbers = self._frame_values(frame)
                formulas = [
                    _summarized(f, self._texts.text(v, self.digits) if is_summarized(v) else None)
                    for f, v in zip(self._frame_formulas(frame), numbers, strict=True)
                ]
                self._formulas[key] = formulas
        else:
            formulas = self._frame_formulas(frame)
        mask = self.mask
        if mask is None:
            return formulas
        hidden = self._hides_formula(frame, mask)
        return [
            replace(f, numbers=CONCEALED_TEXT, result=CONCEALED_TEXT) if hide else f
            for f, hide in zip(formulas, hidden, strict=False)
        ]

    def _frame_formulas(self, frame: Frame) -> list[Formula]:
        assert self.trace is not None
        if self.second is not None and frame.kind in nested.NESTED_KINDS:
            return nested.frame_formulas(self.second, frame, self.numbering, self.digits)
        return frames.frame_formulas(self.trace, frame, self.renderer())

    def _frame_values(self, frame: Frame) -> list[Array]:
        assert self.trace is not None
        if self.second is not None and frame.kind in nested.NESTED_KINDS:
            return nested.frame_values(self.second, frame)
        return frames.frame_values(self.trace, frame)

    def dual_formula(self, frame: Frame) -> Formula:
        """A forward frame as dual arithmetic, its numbers hidden as :meth:`formula` hides them.
        A tensor step shows the rule and its result as summaries, without the numbers."""
        assert self.trace is not None
        sweep = frames.forward_sweep(self.trace)
        assert sweep is not None
        formula = self.renderer().dual(
            self.trace.primal_steps[frame.step],
            sweep.steps[frame.step],
            sweep.tangents,
            vector=self.trace.vector_sweep is not None,
        )
        value, tangent = self.trace.values[frame.node], sweep.steps[frame.step].value
        if is_summarized(value):
            pair = vector_dual_text if self.trace.vector_sweep is not None else dual_text
            result = pair(
                display_value(value, self.digits, 40), display_value(tangent, self.digits, 40)
            )
            formula = replace(formula, numbers="", result=result)
        mask = self.mask
        if mask is not None and any(self._hides_formula(frame, mask)):
            return replace(formula, numbers=CONCEALED_TEXT, result=CONCEALED_TEXT)
        return formula

    def running_total(self, frame: Frame) -> tuple[Array, Array, Array] | None:
        """For an adjoint frame: the node's adjoint before it, the contribution and the total
        after it; None for other frames, and when a lesson hides what it would show."""
        if self.trace is None:
            return None
        mask = self.mask
        if mask is not None and any(self._hides_formula(frame, mask)):
            return None
        if self.second is not None:
            totals = nested.running_totals(self.second, frame)
            return totals[0] if totals is not None else None
        return frames.running_total(self.trace, frame)

    def nested_running_totals(
        self, frame: Frame
    ) -> tuple[tuple[Array, Array, Array], tuple[Array, Array, Array]] | None:
        """Second-order mode, a nested adjoint frame: the running totals of v̄ and of v̄̇
        (before, contribution, after); None otherwise or when a lesson hides them."""
        if self.second is None:
            return None
        mask = self.mask
        if mask is not None and any(self._hides_formula(frame, mask)):
            return None
        return nested.running_totals(self.second, frame)

    def fan_in(self, frame: Frame) -> tuple[int, int]:
        """For an adjoint frame: this is contribution k of n to its node (k, n)."""
        if self.trace is None:
            return (0, 0)
        mask = self.mask
        if mask is not None and mask.hides_fan_in(frame.node):
            return (0, 0)  # how many contributions there are is what is asked
        if self.second is not None:
            return nested.fan_in(self.second, frame)
        return frames.fan_in(self.trace, frame)

    def result_lines(self) -> list[str]:
        if self.trace is None:
            return []
        trace = self.trace
        mask = self.mask
        mode, seed_vector = self._sweep()

        def shown(what: str, value: Array) -> str:
            if mask is not None and mask.hides_result(what, mode, seed_vector):
                return CONCEALED_TEXT
            return self._texts.text(value, self.digits, RESULT_WIDTH)

        if self.second is not None:
            return self._second_order_lines(shown)
        if trace.mode == "reverse" and self.cotangent_text and trace.directional:
            return self._vjp_lines(shown)
        if trace.mode == "forward" and self.vector:
            return self._vector_lines(shown)
        if len(trace.graph.outputs) > 1:
            return self._several_outputs(shown)
        lines = [f"f = {shown('f', trace.output_value())}"]
        if trace.mode == "forward" and trace.tangent_sweeps:
            seed = self.seed_name or self.seed_text or "0"
            tangent = shown("directional", trace.output_tangents()[0])
            lines.append(f"directional derivative (seed {seed}) = {tangent}")
        elif trace.mode == "reverse" and trace.scalar_output:
            for name, g in trace.gradient().items():
                lines.append(f"∂f/∂{name} = {shown(f'gradient {name}', g)}")
        return lines

    def _outputs_line(self, shown: Callable[[str, Array], str]) -> str:
        assert self.trace is not None
        names = self.trace.graph.output_names
        return "   ".join(
            f"{name} = {shown('f', self.trace.output_value(k))}" for k, name in enumerate(names)
        )

    def _vjp_lines(self, shown: Callable[[str, Array], str]) -> list[str]:
        """Reverse mode seeded with ȳ: the outputs, then ȳᵀJ per input."""
        assert self.trace is not None
        row = "   ".join(
            f"{name}: {shown(f'gradient {name}', value)}"
            for name, value in self.trace.vjp().items()
        )
        return [self._outputs_line(shown), f"ȳᵀJ (ȳ: {self.cotangent_text}) = {row}"]

    def _vector_lines(self, shown: Callable[[str, Array], str]) -> list[str]:
        """Vector forward mode: one sweep gave every column of J."""
        assert self.trace is not None
        trace = self.trace
        names = trace.graph.output_names
        lines = [self._outputs_line(shown)]
        for k, name in enumerate(names):
            column = "   ".join(
                f"∂{name}/∂{x} = {shown(f'gradient {x}', v)}" for x, v in trace.jacobian(k).items()
            )
            lines.append(f"one vector sweep: {column}")
        return lines

    def _second_order_lines(self, shown: Callable[[str, Array], str]) -> list[str]:
        """Second-order mode: f, its gradient, and H·u or H (as far as the sweeps got
        while playing, the whole at the end)."""
        second = self.second
        assert second is not None
        gradient = "   ".join(
            f"∂f/∂{name} = {shown(f'gradient {name}', g)}" for name, g in second.gradient().items()
        )
        lines = [f"f = {shown('f', second.output_value())}   {gradient}"]
        mask = self.mask
        owners = nested.entry_nodes(second)

        def asked(node: int | None) -> bool:
            """Whether an entry of H·u or H (of input ``node``; None: any) is hidden."""
            if mask is None:
                return False
            return any(
                self._hides_second_entry(mask, k, entry)
                for k in range(len(second.sweeps))
                for entry, owner in enumerate(owners)
                if node is None or owner == node
            )

        if second.kind == "hvp":
            product = "   ".join(
                f"{name}: "
                + (CONCEALED_TEXT if asked(second.graph.input_index(name)) else shown("", v))
                for name, v in second.hvp().items()
            )
            lines.append(f"H·u (u: {self.direction_text}) = {product}")
        else:
            hessian = CONCEALED_TEXT if asked(None) else shown("", second.hessian())
            lines.append(f"H = {hessian}")
        return lines

    def _several_outputs(self, shown: Callable[[str, Array], str]) -> list[str]:
        """The result line of a program with several outputs: each output's value, and
        what the sweep shown gives: every output's tangent (forward), or the row of the
        one output the reverse sweep is seeded at, which the line names."""
        assert self.trace is not None
        trace = self.trace
        names = trace.graph.output_names
        lines = [
            "   ".join(
                f"{name} = {shown('f', trace.output_value(k))}" for k, name in enumerate(names)
            )
        ]
        if trace.mode == "forward" and trace.tangent_sweeps:
            seed = self.seed_name or self.seed_text or "0"
            tangents = trace.output_tangents()
            lines.append(
                f"seed {seed}: "
                + "   ".join(
                    f"{name}{DOT} = {shown('directional', t)}"
                    for name, t in zip(names, tangents, strict=True)
                )
            )
        elif trace.mode == "reverse" and trace.adjoint_sweeps:
            sweep = trace.adjoint_sweeps[0]
            seeded = sweep.label or names[0]
            others = ", ".join(f"{n}{BAR} = 0" for n in names if n != seeded)
            row = "   ".join(
                f"∂{seeded}/∂{name} = "
                + shown(f"gradient {name}", _or_zeros(sweep.adjoints[index], trace, index))
                for name, index in zip(trace.graph.input_names, trace.graph.inputs, strict=True)
            )
            lines.append(f"this sweep is seeded at {seeded} ({seeded}{BAR} = 1, {others}): {row}")
        return lines

    # -- gradient descent (the step is core.descent's) -------------------------------

    @property
    def diverged(self) -> str | None:
        """Why the descent cannot go on (f is NaN or infinite), in words; None if it can."""
        for step in self.history:
            if not _finite(step.value):
                kind = nonfinite_kinds(step.value).replace("NaN", "nan") or "not finite"
                where = "at the start" if step.iteration == 0 else f"after step {step.iteration}"
                return f"diverged: f is {kind} {where}"
        return None

    def set_trained(self, names: tuple[str, ...] | list[str]) -> None:
        """Let a descent move only ``names`` (all inputs when empty); AdxError names an
        unknown input, with a did-you-mean, and changes nothing."""
        if self.graph is not None:
            trained_inputs(self.graph, names)
        self.trained = tuple(names)

    @property
    def moving(self) -> tuple[str, ...]:
        """The inputs the next descent step moves (trained names the program still has)."""
        if self.graph is None:
            return ()
        kept = [name for name in self.trained if name in self.graph.input_names]
        return trained_inputs(self.graph, kept)

    @property
    def descent_rule(self) -> str:
        """The step in words, naming what moves and what stays, for the descent pane."""
        moving = self.moving
        fixed = [n for n in (self.graph.input_names if self.graph else ()) if n not in moving]
        if not fixed:
            return "one step x ← x − η·∇f"
        return (
            f"one step w ← w − η·∂f/∂w for {', '.join(moving)} "
            f"({', '.join(fixed)} {'stays' if len(fixed) == 1 else 'stay'} fixed)"
        )

    def descend(self) -> DescentStep:
        """w ← w − η·∂f/∂w for the trained inputs (:attr:`moving`), from a reverse sweep;
        recompute; remember.

        Divergence is part of the lesson, not an error in the program: a step
        that makes f NaN or infinite is kept in the history and :attr:`diverged`
        says so; another step is then refused until :meth:`reset_descent`.
        """
        if self.graph is None:
            raise AdxError("usage", "there is no function to descend on yet")
        self._refuse_after_divergence()
        if self.accumulate:
            before, moved = self._summed_step()
        else:
            self._summing = None
            before, moved = descent_step(self.graph, self.values, self.eta, self.moving)
        start = DescentStep(0, before, dict(self.values))
        if not _finite(before):  # f is NaN or infinite where the descent would start
            if not self.history:
                self.history.append(start)
            return self.history[-1]
        after = evaluate_scalar(self.graph, moved)
        self._rerun(values=moved)
        if not self.history:
            self.history.append(start)
        step = DescentStep(len(self.history), after, dict(moved))
        self.history.append(step)
        if self._summing is not None:  # the sum goes on from the values just installed
            loop, graph, _, moving = self._summing
            self._summing = (loop, graph, self.values, moving)
        return step

    def _summed_step(self) -> tuple[float, dict[str, Array]]:
        """One step of the training loop with accumulate (no zero_grad): the running sum of
        the gradients since A was switched on, the values last set or the program changed."""
        assert self.graph is not None
        moving = self.moving
        summing = self._summing
        if (
            summing is None
            or summing[1] is not self.graph
            or summing[2] is not self.values
            or summing[3] != moving
        ):
            loop = Loop(self.graph, self.values, lr=self.eta, steps=1, wrt=moving, accumulate=True)
            self._summing = (loop, self.graph, self.values, moving)
        else:
            loop = summing[0]
            loop.lr, loop.steps = self.eta, loop.steps + 1
        record = next(loop.run())
        if loop.diverged is not None:  # f or the summed gradient not finite: f will say so
            nan = {k: np.full(np.shape(self.values[k]), math.nan) for k in moving}
            return record.loss, {**self.values, **nan}
        return record.loss, dict(loop.values)

    def _refuse_after_divergence(self) -> None:
        if self.diverged is not None:
            raise AdxError(
                "usage",
                f"gradient descent {self.diverged}",
                hint="press 0 to go back to the starting point, and < to halve η",
            )

    # -- training: the loop of adx train, run away from the session (see training.py) --

    def set_train_steps(self, text: str) -> None:
        self.train_steps = check_steps(text)

    def set_eta(self, text: str) -> None:
        self.eta = check_eta(text)

    def toggle_accumulate(self) -> bool:
        """Gradients added up from step to step (no zero_grad) or not; returns the new setting."""
        self.accumulate = not self.accumulate
        self._summing = None  # g starts a new sum (or none)
        return self.accumulate

    def training_plan(self) -> TrainingPlan:
        return TrainingPlan(self.eta, self.train_steps, self.accumulate, self.moving)

    def begin_training(self) -> Training:
        """A training run from here, on a copy of the graph and values (run it in a thread;
        then :meth:`finish_training`).  Refused, as :meth:`descend` is, after a divergence."""
        if self.graph is None:
            raise AdxError("usage", "there is no function to train yet")
        self._refuse_after_divergence()
        if self.trace is not None and not self.trace.scalar_output:
            raise AdxError("usage", "training needs a single scalar output")
        return Training(self.graph, self.values, self.training_plan())

    def finish_training(self, training: Training) -> bool:
        """Install where a run got to: the values after its steps, and each step's loss in
        the history (the inputs themselves only while they are small).  False, changing
        nothing, if the program changed while it ran."""
        if training.graph is not self.graph or not training.losses:
            return False
        start_iteration = self.history[-1].iteration if self.history else 0
        if not self.history:
            self.history.append(DescentStep(0, training.losses[0], dict(training.start)))
        for j in range(1, training.moves):
            inputs = dict(training.kept[j - 1]) if training.kept else {}
            self.history.append(DescentStep(start_iteration + j, training.losses[j], inputs))
        if training.moves:
            self._rerun(values=dict(training.values))
            last = (
                training.losses[training.moves]
                if len(training.losses) > training.moves
                else float(self.trace.output_value())
                if self.trace is not None
                else math.nan
            )
            self.history.append(
                DescentStep(start_iteration + training.moves, last, dict(training.values))
            )
        return True

    def reset_descent(self) -> bool:
        """Back to where the descent started, with an empty history; False if none was run."""
        if not self.history:
            return False
        start = self.history[0].inputs
        if self.graph is not None and set(start) == set(self.graph.input_names):
            self._rerun(values=dict(start))
        self.history = []
        return True

    def scale_eta(self, factor: float) -> None:
        self.eta = float(min(max(self.eta * factor, 1e-6), 1e3))

    # -- a deliberately broken rule (see compare.broken_rules) --------------------------

    def set_broken_rule(self, spec: str) -> None:
        """Let the sweeps use a broken local derivative, e.g. ``sin: -cos(u)``, until the
        program is changed; AdxError (with a caret) on a bad spec, and nothing changes."""
        if self.graph is None:
            raise AdxError("usage", "there is no program to break a rule in yet")
        rule = parse_broken_rule(spec, "break")
        previous = self.graph
        self.graph = with_broken_rule(previous, rule)
        try:
            self._rerun()
        except AdxError:
            self.graph = previous
            raise

    # -- saving (see export.py) --------------------------------------------------------

    def export_json(self, path: Path) -> Path:
        """Write the current trace as ``adx.eval/1`` JSON, atomically (never half a file);
        in second-order mode with its ``"second_order"`` part (the nested sweeps)."""
        assert self.trace is not None
        return export.export_json(
            self.trace,
            path,
            numbering=self.numbering,
            digits=self.digits,
            seed=self.seed(),
            second=self.second,
        )

    def mode_words(self) -> str:
        """The mode shown, with what it is seeded with (for the text export's header)."""
        second = self.second
        if second is not None:
            if second.kind == "hvp":
                return f"second order, H·u along u = {self.direction_text} (one nested sweep)"
            n = len(second.sweeps)
            return f"second order, the whole Hessian ({n} nested sweeps, one per input entry)"
        sweep = self.trace.vector_sweep if self.trace is not None else None
        if self.vector and sweep is not None:
            return f"{self.mode}, vector: all {sweep.n} unit directions in one sweep"
        if self.mode == "reverse":
            return f"reverse, ȳ: {self.cotangent_text}" if self.cotangent_text else "reverse"
        return f"{self.mode}, seed {self.direction_text}"

    def trace_text(self) -> str:
        """The trace so far as plain text, one formula per line (for the clipboard); in
        second-order mode also the result lines (H·u or H, as far as the sweeps got)."""
        formulas: list[Formula | str] = []
        sweep = -1
        for frame in self.playback.run_so_far:
            if self.second is not None and frame.sweep != sweep:
                sweep = frame.sweep
                count = len(self.second.sweeps)
                label = self.second.sweeps[sweep].label
                formulas.append(f"nested sweep {sweep + 1} of {count}, along {label}")
            formulas.extend(self.formula(frame))
        results = self.result_lines() if self.second is not None else []
        return export.trace_text(
            self.source, self.mode_words(), self.values, self.digits, formulas, results
        )
