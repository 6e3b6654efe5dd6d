"""Where a checkpointed reverse sweep is at the explorer's current step.

With checkpointing (``k`` in the explorer) the adjoint steps are plain reverse
mode's, bit for bit, but the values they read were stored only at snapshots and
recomputed in segments (:mod:`adexplorer.core.checkpoint`).  :func:`schedule_now`
says which action of the schedule the current frame belongs to, and draws that
action's pass of the text timeline (``core.checkpoint.timeline``) with a caret
under the step, so the schedule steps with the trace.
"""

from __future__ import annotations

from dataclasses import dataclass

from adexplorer.core.checkpoint import Schedule, action_passes, timeline
from adexplorer.core.ir import Graph
from adexplorer.core.memory import step_numbers
from adexplorer.explorer.frames import Frame

#: Columns of the timeline in the explorer's cost pane.
WIDTH = 40
#: Width of the timeline's row label (``     3 │``).
LABEL = 8


@dataclass(frozen=True)
class ScheduleNow:
    """The schedule at the current frame: the action, its pass, and the picture."""

    action: int | None  # index into schedule.actions (None before the first step)
    pass_number: int  # 0, 1, … (a pass starts at a restore)
    passes: int
    lines: tuple[str, ...]


def frame_action(schedule: Schedule, graph: Graph, frame: Frame | None) -> int | None:
    """The schedule's action the frame shows: the first evaluation of a primal step,
    the reversal of the step an adjoint contribution comes from, the first
    reversal for the seed; None before the first step or for an input."""
    if frame is None:
        return None
    steps = step_numbers(graph)
    actions = schedule.actions
    if frame.kind in ("primal", "forward"):
        k = steps[frame.node]
        wanted = {("advance", k), ("tape", k)}
    elif frame.kind == "seed":
        return next((n for n, a in enumerate(actions) if a.kind == "reverse"), None)
    else:
        ((_, user),) = frame.edges
        wanted = {("reverse", steps[user])}
    return next((n for n, a in enumerate(actions) if (a.kind, a.step) in wanted), None)


def schedule_now(schedule: Schedule, graph: Graph, frame: Frame | None) -> ScheduleNow:
    """The current frame's place in the schedule, as a few lines of text."""
    passes_of = action_passes(schedule)
    passes = (max(passes_of) + 1) if passes_of else 0
    action = frame_action(schedule, graph, frame)
    number = passes_of[action] if action is not None else 0
    drawn = timeline(schedule, width=WIDTH, max_rows=max(passes, 1))
    if schedule.steps == 0 or not passes:
        return ScheduleNow(action, 0, passes, tuple(drawn))
    header, rows, legend = drawn[0], drawn[1 : 1 + passes], drawn[1 + passes :]
    lines = [header]
    if action is None:
        what = "before the first step"
    else:
        step = schedule.actions[action]
        kind = {"advance": "evaluating", "tape": "taping", "reverse": "reversing"}.get(
            step.kind, step.kind
        )
        what = f"{kind} step {step.step}"
    # the pass before, the current one (marked) and the one after: a window that moves
    for n in range(max(0, number - 1), min(passes, number + 2)):
        row = rows[n]
        lines.append(("▶" + row[1:]) if n == number else row)
        if n == number and action is not None:
            k = schedule.actions[action].step
            columns = min(WIDTH, schedule.steps + 1)
            caret = LABEL + k * columns // (schedule.steps + 1)
            lines.append(" " * caret + "^")
    lines.extend(legend)
    title = f"schedule now: pass {number + 1} of {passes}, {what}"
    return ScheduleNow(action, number, passes, (title, *lines))
