"""The parts of a lesson: front matter, steps, explorations and exercises (plain data)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from pathlib import Path

EXERCISE_KINDS = (
    "number",
    "order",
    "formula",
    "choice",
    "sequence",
    "rule",
    "seed",
    "vector",
    "shape",
)
EXPLORE_KEYS = (
    "program",
    "at",
    "mode",
    "seed",
    "pane",
    "step",
    "family",
    "eta",
    "train",
    "break",
    "checkpoint",
)
EXERCISE_KEYS = (
    "id",
    "kind",
    "question",
    "answer",
    "from",
    "tolerance",
    "hints",
    "choices",
    "why",
    "explain",
    "digits",
)
FRONT_KEYS = ("id", "title", "summary", "order", "prerequisites")
#: The explorer's modes a step may set: the first-order ones, vector forward mode
#: (all n tangents in one sweep) and the second-order ones (forward-over-reverse:
#: H·u along the seed in one nested sweep, or the whole Hessian in n of them).
EXPLORE_MODES = ("forward", "reverse", "dual", "vector", "hvp", "hessian")


@dataclass(frozen=True)
class Explore:
    """How the explorer is set up for a step."""

    line: int
    program: str
    at: str = ""
    mode: str = "reverse"  # one of EXPLORE_MODES
    #: forward, dual, hvp: the direction u (an input, or x1=1, x2=0.5); reverse: the
    #: cotangent ȳ over the outputs (f1=1, f2=-2); vector, hessian: none
    seed: str = ""
    pane: str = "trace"
    step: str = "0"  # a number, or "end"
    family: str = "4*#*(1-#)"
    eta: float = 0.1
    train: tuple[str, ...] = ()  # the inputs gradient descent moves (empty: all)
    broken_rule: str = (
        ""  # "break:": one primitive's local derivative replaced, e.g. "sin: -cos(u)"
    )
    checkpoint: str = ""  # "checkpoint:": every=K or snapshots=S, for the checkpoint queries
    #: The lesson file's folder: where the data files of ``at:`` (X=@x.npy) are.
    folder: Path | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Exercise:
    line: int
    id: str
    kind: str
    question: str
    answer: str = ""  # a literal answer (number, choice letter, formula), or ""
    query: str = ""  # "from:": how the engine computes the answer
    tolerance: float = 1e-6
    hints: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    why: tuple[str, ...] = ()  # per choice: what picking it shows the student got wrong
    explain: str = ""
    digits: int = 3  # a number answer needs at least this many significant digits
    tolerance_given: bool = False  # the author set 'tolerance:' (it widens digit grading)


@dataclass(frozen=True)
class Step:
    line: int
    title: str
    prose: str
    explore: Explore | None
    exercises: tuple[Exercise, ...]


@dataclass(frozen=True)
class Lesson:
    path: Path
    id: str
    title: str
    summary: str
    order: int
    prerequisites: tuple[str, ...]
    intro: str
    steps: tuple[Step, ...]
    warnings: tuple[str, ...] = field(default=())

    def exercises(self) -> list[tuple[Step, Exercise]]:
        return [(step, ex) for step in self.steps for ex in step.exercises]

    def explore_for(self, index: int) -> Explore | None:
        """The exploration in force at step ``index`` (the latest one so far)."""
        for step in reversed(self.steps[: index + 1]):
            if step.explore is not None:
                return step.explore
        return None

    def fingerprints(self) -> dict[str, str]:
        """Each exercise's id → :func:`exercise_fingerprint` (with the exploration in
        force at its step): what progress is keyed by, beside the lesson's id."""
        return {
            exercise.id: exercise_fingerprint(exercise, self.explore_for(index))
            for index, step in enumerate(self.steps)
            for exercise in step.exercises
        }


#: What does not decide how an answer is graded: where a block is in the file, the help
#: around it, and how the explorer is shown.  Editing these keeps a student's progress.
_NOT_GRADED = {
    "line",
    "hints",
    "why",
    "explain",
    "folder",
    "pane",
    "step",
}


def exercise_fingerprint(exercise: Exercise, explore: Explore | None) -> str:
    """A short hash of everything that decides how ``exercise`` is graded: its kind,
    question, answer, query, tolerance, digits and choices, and the exploration its
    answer is computed from (program, point, mode, seed, …).

    Progress keeps a solved or revealed mark only while the fingerprint it was earned
    under is unchanged, so an edited exercise does not claim an old answer.  The data
    files an ``at:`` names are hashed by name, not by content.
    """
    parts: dict[str, object] = {}
    for owner, prefix in ((exercise, "exercise."), (explore, "explore.")):
        if owner is None:
            continue
        for item in fields(owner):
            if item.name not in _NOT_GRADED:
                parts[prefix + item.name] = getattr(owner, item.name)
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
