"""Checkpointing schedules: reverse l steps while storing only a few states.

Plain reverse mode tapes every value of the Wengert list.  A checkpointed sweep
stores *snapshots* of the state (the live values, see :mod:`adexplorer.core.memory`)
at a few steps, and recomputes the rest when the adjoint sweep needs it.  Step k
is the k-th operation (k = 1 … l); state k is what an evaluation holds after it.

A schedule is a list of :class:`Action`\\ s on one machine:

* ``snapshot k`` — store a copy of the current state k;
* ``restore k`` — make the working state a copy of snapshot k;
* ``drop k`` — discard snapshot k;
* ``advance k`` — evaluate step k from state k-1, keeping only live values;
* ``tape k`` — evaluate step k and keep every value (for the adjoint steps);
* ``reverse k`` — the adjoint of step k, reading the values taped.

Two schedules:

* ``every=K`` — the forward sweep stores a snapshot every K steps; the reverse
  sweep restores each snapshot in turn, tapes its segment again and reverses it.
  The last segment is taped in the first sweep already, so K ≥ l is plain
  reverse mode.
* ``snapshots=S`` — binomial checkpointing (Griewank 1992; Griewank and Walther's
  *revolve*): at most S snapshots at once, state 0 included; each step is taped
  just before it is reversed.  With β(s, t) = C(s+t, s) and the t with
  β(S, t-1) < l ≤ β(S, t), the fewest ``advance`` steps any such schedule needs is
  t·l − β(S+1, t-1), and this schedule takes exactly that many.

What is counted.  *Evaluations*: every ``advance`` and ``tape``.  *Recomputed
steps*: evaluations beyond the first of each step, i.e. evaluations − l (plain
reverse mode: 0).  For ``snapshots=S`` each step is taped once, so the
recomputed steps are exactly the advances, the count of the formula above.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from adexplorer.base.errors import AdxError

ACTIONS = ("snapshot", "restore", "drop", "advance", "tape", "reverse")
KINDS = ("every", "snapshots")


@dataclass(frozen=True, slots=True)
class CheckpointSpec:
    """``every=K`` or ``snapshots=S``."""

    kind: str
    amount: int

    def __str__(self) -> str:
        return f"{self.kind}={self.amount}"


def parse_checkpoint(text: str) -> CheckpointSpec:
    """``every=K`` or ``snapshots=S`` (K, S whole numbers ≥ 1), or a clear error."""
    valid = "use every=K (a snapshot every K steps, K ≥ 1) or snapshots=S (at most S, S ≥ 1)"
    key, equals, raw = text.strip().partition("=")
    key = key.strip().lower()
    if not equals:
        raise AdxError("usage", f"'{text}' has no '='", hint=valid)
    if key not in KINDS:
        raise AdxError("usage", f"unknown checkpointing schedule '{key}'", hint=valid)
    raw = raw.strip()
    if raw.startswith("-") and raw[1:].isdigit() and raw.isascii():
        raise AdxError("usage", f"{key}={raw}: {key} must be at least 1", hint=valid)
    if not raw.isdigit() or not raw.isascii():
        raise AdxError("usage", f"{key}={raw}: '{raw}' is not a whole number", hint=valid)
    amount = int(raw)
    if amount < 1:
        raise AdxError("usage", f"{key}={raw}: {key} must be at least 1", hint=valid)
    return CheckpointSpec(key, amount)


@dataclass(frozen=True, slots=True)
class Action:
    kind: str  # one of ACTIONS
    step: int  # the step (advance, tape, reverse) or the state (snapshot, restore, drop)


@dataclass(frozen=True)
class Schedule:
    """The actions of one checkpointed sweep over ``steps`` operations."""

    spec: CheckpointSpec
    steps: int
    actions: tuple[Action, ...]

    @property
    def evaluations(self) -> int:
        return sum(1 for a in self.actions if a.kind in ("advance", "tape"))

    @property
    def recomputed(self) -> int:
        return self.evaluations - self.steps

    @property
    def advances(self) -> int:
        return sum(1 for a in self.actions if a.kind == "advance")

    @property
    def snapshots_peak(self) -> int:
        held: set[int] = set()
        peak = 0
        for a in self.actions:
            if a.kind == "snapshot":
                held.add(a.step)
                peak = max(peak, len(held))
            elif a.kind == "drop":
                held.discard(a.step)
        return peak

    @property
    def optimum(self) -> int | None:
        """For ``snapshots=S``: the fewest advances of any schedule (the formula)."""
        if self.spec.kind != "snapshots":
            return None
        return optimal_advances(self.steps, self.spec.amount)


# ------------------------------------------------------------------ binomial counts


def beta(s: int, t: int) -> int:
    """β(s, t) = C(s+t, s): the most steps s snapshots reverse with t advances per step."""
    return math.comb(s + t, s) if t >= 0 and s >= 0 else 0


def repetitions(steps: int, snapshots: int) -> int:
    """The t with β(s, t-1) < l ≤ β(s, t) (0 for l ≤ 1)."""
    t = 0
    while beta(snapshots, t) < steps:
        t += 1
    return t


def optimal_advances(steps: int, snapshots: int) -> int:
    """t·l − β(s+1, t-1): the fewest advances to reverse l steps with s snapshots."""
    if steps <= 1:
        return 0
    if snapshots == 1:
        return steps * (steps - 1) // 2  # the formula with t = l-1, without the search
    t = repetitions(steps, snapshots)
    return t * steps - beta(snapshots + 1, t - 1)


def binomial_split(steps: int, snapshots: int) -> int:
    """Where to put the next snapshot (steps after the current one), for s ≥ 2.

    The right part gets as many steps as s-1 snapshots reverse within t
    repetitions, β(s-1, t); the left part at least β(s, t-2).  Both parts then
    meet the formula, and their sum with the j advances is the optimum.
    """
    t = repetitions(steps, snapshots)
    split = max(steps - beta(snapshots - 1, t), beta(snapshots, t - 2), 1)
    return min(split, steps - 1)


# ------------------------------------------------------------------ schedules


def every_schedule(steps: int, every: int) -> Schedule:
    spec = CheckpointSpec("every", every)
    if steps == 0:
        return Schedule(spec, 0, ())
    actions: list[Action] = []
    starts = list(range(0, steps, every))
    last = starts[-1]
    for c in starts[:-1]:
        actions.append(Action("snapshot", c))
        actions.extend(Action("advance", k) for k in range(c + 1, c + every + 1))
    actions.extend(Action("tape", k) for k in range(last + 1, steps + 1))
    actions.extend(Action("reverse", k) for k in range(steps, last, -1))
    for c in reversed(starts[:-1]):
        actions.append(Action("restore", c))
        actions.append(Action("drop", c))  # this segment is the last one to need it
        actions.extend(Action("tape", k) for k in range(c + 1, c + every + 1))
        actions.extend(Action("reverse", k) for k in range(c + every, c, -1))
    return Schedule(spec, steps, tuple(actions))


def binomial_schedule(steps: int, snapshots: int) -> Schedule:
    spec = CheckpointSpec("snapshots", snapshots)
    if steps == 0:
        return Schedule(spec, 0, ())
    actions: list[Action] = [Action("snapshot", 0)]
    # Tasks: ("rev", a, b, s): the working state is a, snapshot a is held, s snapshots
    # may be held (a's included); reverse steps b … a+1.  ("restore", a, b, s): the
    # same after restoring a.  ("drop", m).  An explicit stack: l may be 10,000.
    stack: list[tuple[str, int, int, int]] = [("rev", 0, steps, snapshots)]
    while stack:
        task, a, b, s = stack.pop()
        if task == "drop":
            actions.append(Action("drop", a))
            continue
        if task == "restore":
            actions.append(Action("restore", a))
        if b - a == 1:
            actions.extend((Action("tape", b), Action("reverse", b)))
        elif s == 1:
            actions.extend(Action("advance", k) for k in range(a + 1, b))
            actions.extend((Action("tape", b), Action("reverse", b)))
            stack.append(("restore", a, b - 1, 1))
        else:
            m = a + binomial_split(b - a, s)
            actions.extend(Action("advance", k) for k in range(a + 1, m + 1))
            actions.append(Action("snapshot", m))
            stack.append(("restore", a, m, s))
            stack.append(("drop", m, m, 0))
            stack.append(("rev", m, b, s - 1))
    return Schedule(spec, steps, tuple(actions))


def make_schedule(spec: CheckpointSpec, steps: int) -> Schedule:
    if spec.kind == "every":
        return every_schedule(steps, spec.amount)
    return binomial_schedule(steps, spec.amount)


def planned_evaluations(spec: CheckpointSpec, steps: int) -> int:
    """Evaluations a schedule will make, known before it is built (for the limits)."""
    if steps == 0:
        return 0
    if spec.kind == "every":
        return steps + (steps - 1) // spec.amount * spec.amount
    return steps + optimal_advances(steps, spec.amount)


def validate(schedule: Schedule) -> None:
    """Raise ValueError unless the schedule is sound: each step evaluated from the
    state before it, every step reversed exactly once in reverse order from values
    taped since the last restore, snapshots restored only while held, and at most S
    held at once for ``snapshots=S``."""
    position = 0
    held: set[int] = set()
    taped: set[int] = set()
    expected = schedule.steps
    for n, action in enumerate(schedule.actions):
        k = action.step
        where = f"action {n} ({action.kind} {k})"
        if action.kind == "snapshot":
            if k != position:
                raise ValueError(f"{where}: the state is {position}")
            held.add(k)
            if schedule.spec.kind == "snapshots" and len(held) > schedule.spec.amount:
                raise ValueError(f"{where}: more than {schedule.spec.amount} snapshots")
        elif action.kind == "restore":
            if k not in held:
                raise ValueError(f"{where}: no snapshot of state {k}")
            position = k
            taped = set()
        elif action.kind == "drop":
            if k not in held:
                raise ValueError(f"{where}: no snapshot of state {k}")
            held.discard(k)
        elif action.kind in ("advance", "tape"):
            if k != position + 1:
                raise ValueError(f"{where}: the state is {position}")
            position = k
            if action.kind == "tape":
                taped.add(k)
        elif action.kind == "reverse":
            if k != expected:
                raise ValueError(f"{where}: step {expected} is next to reverse")
            if k not in taped:
                raise ValueError(f"{where}: step {k} was not taped since the last restore")
            expected -= 1
        else:
            raise ValueError(f"{where}: unknown action")
    if expected != 0:
        raise ValueError(f"steps {expected} … 1 were never reversed")


# ------------------------------------------------------------------ the timeline

#: What a column of the timeline shows, most important first (a column that
#: stands for several steps shows the first of these that happened there).
TIMELINE_MARKS = (
    ("restore", "R", "restored"),
    ("snapshot", "S", "snapshot stored"),
    ("reverse", "←", "taped and reversed"),
    ("recompute", "→", "recomputed"),
    ("advance", "-", "first evaluation"),
)


def timeline(schedule: Schedule, width: int = 64, max_rows: int = 16) -> list[str]:
    """The schedule as text, at most ``width`` columns for the states 0 … l.

    Up to ``max_rows`` passes (a pass starts at a restore): one row per pass, one
    mark per column.  More passes: a summary in three rows, where snapshots were
    stored, how many times each step was evaluated (9+ as ``+``), and the passes.
    """
    l_steps = schedule.steps
    if l_steps == 0:
        return ["  no operations: nothing to store or recompute, the seed is the whole sweep"]
    columns = min(width, l_steps + 1)

    def column(k: int) -> int:
        return k * columns // (l_steps + 1)

    rank = {kind: r for r, (kind, _, _) in enumerate(TIMELINE_MARKS)}
    mark = {kind: char for kind, char, _ in TIMELINE_MARKS}
    passes: list[dict[int, str]] = []
    row: dict[int, str] = {}
    evaluations = [0] * (l_steps + 1)
    stored: set[int] = set()

    def put(k: int, kind: str) -> None:
        c = column(k)
        old = row.get(c)
        if old is None or rank[kind] < rank[old]:
            row[c] = kind

    for action in schedule.actions:
        k = action.step
        if action.kind == "restore":
            if row:
                passes.append(row)
            row = {}
            put(k, "restore")
        elif action.kind == "snapshot":
            put(k, "snapshot")
            stored.add(column(k))
        elif action.kind in ("advance", "tape"):
            put(k, "recompute" if evaluations[k] else "advance")
            evaluations[k] += 1
        elif action.kind == "reverse":
            put(k, "reverse")
    if row:
        passes.append(row)

    per = "1 step" if columns == l_steps + 1 else f"≈{(l_steps + 1) / columns:.3g} steps"
    lines = [f"  pass │states 0 … {l_steps}, one column = {per}"]
    if len(passes) <= max_rows:
        for n, r in enumerate(passes, start=1):
            cells = "".join(mark[r[c]] if c in r else " " for c in range(columns))
            lines.append(f"{n:>6} │{cells.rstrip()}")
        legend = [f"{ch} {words}" for _, ch, words in TIMELINE_MARKS]
        lines.append("        " + " · ".join(legend[:3]))
        lines.append("        " + " · ".join(legend[3:]))
        return lines
    most = [0] * columns
    for k in range(1, l_steps + 1):
        most[column(k)] = max(most[column(k)], evaluations[k])
    counts = "".join(_count_mark(n) for n in most)
    first = "".join(mark[passes[0][c]] if c in passes[0] else " " for c in range(columns))
    lines.append(f"{1:>6} │{first.rstrip()}")
    lines.append("stored │" + "".join("S" if c in stored else " " for c in range(columns)).rstrip())
    lines.append(" evals │" + counts.rstrip())
    lines.append(f"        {len(passes):,} passes, too many for a row each: the first pass, then")
    lines.append("        S where a snapshot was ever stored, and the most evaluations of a")
    lines.append("        step in each column (1-9, then a=10 … z=35, + for more)")
    return lines


def action_passes(schedule: Schedule) -> list[int]:
    """The pass (0, 1, …; a pass starts at a restore) of each action: the row of
    :func:`timeline` an action belongs to, for a view that steps through them."""
    passes = []
    current = 0
    for n, action in enumerate(schedule.actions):
        if action.kind == "restore" and n > 0:
            current += 1
        passes.append(current)
    return passes


def _count_mark(n: int) -> str:
    """0 as blank, 1-9 as digits, 10-35 as a-z, more as +."""
    if n == 0:
        return " "
    if n <= 9:
        return str(n)
    return chr(ord("a") + n - 10) if n <= 35 else "+"


def summary(schedule: Schedule) -> dict[str, int | None]:
    """The schedule's counts (for reports and tests)."""
    return {
        "steps": schedule.steps,
        "evaluations": schedule.evaluations,
        "recomputed": schedule.recomputed,
        "advances": schedule.advances,
        "snapshots_peak": schedule.snapshots_peak,
        "optimal_advances": schedule.optimum,
    }


def describe(actions: Sequence[Action]) -> str:
    """``snapshot 0, advance 1, …``: a short schedule in words (for tests and docs)."""
    return ", ".join(f"{a.kind} {a.step}" for a in actions)
