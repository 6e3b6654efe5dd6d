"""The generated derivative code beside the trace, and its line for the current step.

``adx codegen`` writes a program's forward (tangent) or reverse (adjoint) code
as a numpy module (:mod:`adexplorer.codegen`); the explorer shows it next to
the trace it corresponds to: forward code for the forward and dual modes, reverse
code for reverse mode, with the line that performs the current step found by
:meth:`GeneratedCode.line_for_step` (a program with ``if``/``for`` keeps its
control flow in the code, so a step of the tape maps to the line of its source
line and kind).
"""

from __future__ import annotations

from dataclasses import dataclass

from adexplorer.base.errors import AdxError
from adexplorer.codegen import GeneratedCode, generate
from adexplorer.core.engines.steps import AdjointStep, PrimalStep, TangentStep
from adexplorer.core.trace import Trace
from adexplorer.explorer.frames import Frame, forward_sweep


@dataclass(frozen=True)
class CodeForTrace:
    """The code of a trace's mode, or why there is none."""

    mode: str  # "forward" or "reverse"
    code: GeneratedCode | None
    error: AdxError | None = None


def code_for(trace: Trace) -> CodeForTrace:
    """The generated code of the trace's graph in the trace's mode."""
    mode = "reverse" if trace.mode == "reverse" else "forward"
    try:
        return CodeForTrace(mode, generate(trace.graph, mode))
    except AdxError as error:
        return CodeForTrace(mode, None, error)


def frame_step(trace: Trace, frame: Frame) -> PrimalStep | TangentStep | AdjointStep:
    """The step record a frame shows (the tangent step of a forward frame)."""
    if frame.kind == "forward":
        sweep = forward_sweep(trace)
        assert sweep is not None
        return sweep.steps[frame.step]
    if frame.kind == "primal":
        return trace.primal_steps[frame.step]
    return trace.adjoint_sweeps[0].steps[frame.step]


def current_line(code: GeneratedCode, trace: Trace, frame: Frame | None) -> int | None:
    """The generated line that performs the frame's step (None before the first step,
    or where no line does, e.g. an input's tangent in code that takes it as given)."""
    if frame is None or frame.kind.startswith("nested"):
        return None  # a nested (second-order) step: no first-order code performs it
    graph = trace.graph if trace.graph.dynamic else None
    return code.line_for_step(frame_step(trace, frame), graph)
