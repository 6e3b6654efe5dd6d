"""Session: the explorer's state in plain Python, the facade the Textual view calls.

Source → graph → trace, with what the student changes: the inputs' values, the
mode, the seed, gradient-descent steps.  Every key press in the explorer becomes
one call here, and the widgets render what the session says.  The pieces live
beside it: ``frames`` (the animated steps of a trace), ``playback`` (the current
frame and the speed), ``export`` (JSON and text), ``core.descent`` (the descent
step).  Unit-tested without Textual.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from adexplorer.base.errors import AdxError
from adexplorer.base.numbers import format_value
from adexplorer.base.shapes import Array
from adexplorer.core.descent import DescentStep, descent_step, evaluate_scalar
from adexplorer.core.formulas import Formula, FormulaRenderer
from adexplorer.core.ir import Graph
from adexplorer.core.trace import Trace, run
from adexplorer.explorer import export, frames
from adexplorer.explorer.frames import Frame
from adexplorer.explorer.playback import Playback
from adexplorer.lang.lower import compile_source, parse_at

#: How the explorer animates a derivative (the trace runs forward for "dual").
EXPLORER_MODES = ("forward", "reverse", "dual")
DEFAULT_SOURCE = "ln(x1) + x1*x2 - sin(x2)"
DEFAULT_VALUES = {"x1": 2.0, "x2": 5.0}

#: Revisions are unique across sessions, so a view that is handed another session
#: never takes its cache of the old one for fresh.
_REVISIONS = itertools.count(1)


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
    graph: Graph | None = None
    error: AdxError | None = None
    trace: Trace | None = None
    playback: Playback = field(default_factory=Playback)
    history: list[DescentStep] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _revision: int = 0

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
        self.source = text
        try:
            lowered = compile_source(text)
        except AdxError as error:
            self.error = error.with_source(text)
            return False
        self.error = None
        previous_graph = self.graph
        self.graph = lowered.graph
        self.warnings = list(lowered.warnings)
        names = set(self.graph.input_names)
        for name in self.graph.input_names:
            if name not in self.values:
                default = self.graph.defaults.get(name)
                shape = self.graph.nodes[self.graph.input_index(name) or 0].shape
                self.values[name] = default if default is not None else np.full(shape, 1.0)
        self.values = {k: v for k, v in self.values.items() if k in names}
        if self.seed_name not in names:
            self.seed_name = self.graph.input_names[0] if self.graph.input_names else None
        self.selected = min(self.selected, max(len(self.graph.input_names) - 1, 0))
        keep_position = previous_graph is not None and len(previous_graph.nodes) == len(
            self.graph.nodes
        )
        self._recompute(keep_position=keep_position)
        return True

    def seed(self) -> dict[str, Array] | None:
        """The forward seed (tangents of the inputs); None in reverse mode."""
        if self.mode == "reverse" or self.graph is None:
            return None
        if self.seed_name is not None:
            shape = self.graph.nodes[self.graph.input_index(self.seed_name) or 0].shape
            return {self.seed_name: np.ones(shape)}
        parsed = parse_at(self.seed_text, "seed")
        return {name: value for name, (value, _) in parsed.items()}

    def _recompute(self, keep_position: bool = False) -> None:
        assert self.graph is not None
        try:
            trace_mode = "reverse" if self.mode == "reverse" else "forward"
            self.trace = run(self.graph, self.values, trace_mode, self.seed())
            self.error = None
        except AdxError as error:
            self.error = error
            return
        self._revision = next(_REVISIONS)
        self.playback.replace_frames(frames.build_frames(self.trace), keep_position=keep_position)

    # -- changing inputs, mode and seed ------------------------------------------

    def set_value(self, name: str, text: str) -> None:
        """Set an input from text such as ``2.5``, ``pi/4`` or ``[1, 2]``.

        All or nothing: a value the program cannot take (a list for a real) is
        refused with an AdxError and the old value stays.
        """
        parsed = parse_at(f"{name}={text}", "value")
        old = self.values[name]
        self.values[name] = parsed[name][0]
        self._recompute(keep_position=True)
        if self.error is not None:
            error = self.error
            self.values[name] = old
            self._recompute(keep_position=True)
            raise error

    def nudge(self, direction: int) -> None:
        """Move the selected input up (+1) or down (-1) by the nudge size."""
        name = self.selected_name
        if name is None:
            return
        self.values[name] = np.asarray(self.values[name]) + direction * self.nudge_size
        self._recompute(keep_position=True)

    def select_next_input(self) -> None:
        if self.graph is not None and self.graph.input_names:
            self.selected = (self.selected + 1) % len(self.graph.input_names)

    @property
    def selected_name(self) -> str | None:
        if self.graph is None or not self.graph.input_names:
            return None
        return self.graph.input_names[self.selected]

    def set_mode(self, mode: str) -> None:
        if mode not in EXPLORER_MODES:
            raise ValueError(mode)
        if mode != self.mode:
            self.mode = mode
            if self.graph is not None:
                self.playback.to_start()
                self._recompute()

    def cycle_seed(self) -> None:
        """Forward/dual: seed the next input with 1 (then a custom direction, if one is set)."""
        if self.graph is None:
            return
        choices: list[str | None] = list(self.graph.input_names)
        if self.seed_text:
            choices.append(None)  # None stands for the custom direction
        current = choices.index(self.seed_name) if self.seed_name in choices else -1
        self.seed_name = choices[(current + 1) % len(choices)]
        self._recompute(keep_position=True)

    def set_seed(self, text: str, *, switch_mode: bool = True) -> None:
        """Seed an input by name (``x2``) or a direction (``x1=1,x2=0.5``).

        A reverse-mode session switches to forward mode, where seeds belong,
        unless ``switch_mode`` is False (a lesson sets the seed for later).
        """
        name = text.strip()
        if self.graph is not None and name in self.graph.input_names:
            self.seed_name = name
            self._recompute(keep_position=True)
        else:
            self.set_seed_direction(text)
        if switch_mode and self.mode == "reverse":
            self.set_mode("forward")

    def set_seed_direction(self, text: str) -> None:
        """A direction such as ``x1=1,x2=0.5`` (inputs left out are 0)."""
        parse_at(text, "seed")  # validate first: a bad direction keeps the old one
        self.seed_text, self.seed_name = text, None
        self._recompute(keep_position=True)

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
        return frames.node_state(self.trace, self.playback.run_so_far)

    def formula(self, frame: Frame | None = None) -> list[Formula]:
        """The formulas of a frame (forward mode shows the value's and the tangent's)."""
        frame = frame or self.current
        if frame is None or self.trace is None:
            return []
        return frames.frame_formulas(self.trace, frame, self.renderer())

    def fan_in(self, frame: Frame) -> tuple[int, int]:
        """For an adjoint frame: this is contribution k of n to its node (k, n)."""
        if self.trace is None:
            return (0, 0)
        return frames.fan_in(self.trace, frame)

    def result_lines(self) -> list[str]:
        if self.trace is None:
            return []
        trace = self.trace
        lines = [f"f = {format_value(trace.output_value(), self.digits)}"]
        if trace.mode == "forward":
            seed = self.seed_name or self.seed_text
            tangent = format_value(trace.output_tangents()[0], self.digits)
            lines.append(f"directional derivative (seed {seed}) = {tangent}")
        elif trace.scalar_output:
            for name, g in trace.gradient().items():
                lines.append(f"∂f/∂{name} = {format_value(g, self.digits)}")
        return lines

    # -- gradient descent (the step is core.descent's) -------------------------------

    def descend(self) -> DescentStep:
        """x ← x − η·∇f for every input, from a reverse sweep; recompute; remember."""
        if self.graph is None:
            raise AdxError("usage", "there is no function to descend on yet")
        before, moved = descent_step(self.graph, self.values, self.eta)
        if not self.history:
            self.history.append(DescentStep(0, before, dict(self.values)))
        self.values = moved
        self._recompute(keep_position=True)
        step = DescentStep(len(self.history), evaluate_scalar(self.graph, self.values), dict(moved))
        self.history.append(step)
        return step

    def scale_eta(self, factor: float) -> None:
        self.eta = float(min(max(self.eta * factor, 1e-6), 1e3))

    # -- saving (see export.py) --------------------------------------------------------

    def export_json(self, path: Path) -> Path:
        """Write the current trace as ``adx.eval/1`` JSON, atomically (never half a file)."""
        assert self.trace is not None
        return export.export_json(
            self.trace, path, numbering=self.numbering, digits=self.digits, seed=self.seed()
        )

    def trace_text(self) -> str:
        """The trace so far as plain text, one formula per line (for the clipboard)."""
        formulas = (f for frame in self.playback.run_so_far for f in self.formula(frame))
        return export.trace_text(self.source, self.mode, self.values, self.digits, formulas)
