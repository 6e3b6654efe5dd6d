"""Lesson 13 (memory and checkpointing): its numbers against counts made by hand.

The programs apply sin l times in a loop (l = 10 or 100).  What each mode
stores follows from the chain by hand: evaluation holds the value being read
and the one being written, forward mode a tangent beside each, reverse mode
the input and every result.  Recomputations follow from the schedules'
definitions: every=K re-runs every segment but the last; the binomial schedule
with s snapshots takes the fewest, t·l − β(s+1, t−1) (Griewank 1992).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from adexplorer.base.errors import AdxError
from adexplorer.core.trace import run
from adexplorer.lessons.answers import check, compute, prepare
from adexplorer.lessons.checker import check_paths
from adexplorer.lessons.model import Explore, Lesson
from adexplorer.lessons.parser import LessonFormatError, parse_lesson

LESSON = Path(__file__).resolve().parents[1] / "lessons" / "13-memory-and-checkpointing.md"


@pytest.fixture(scope="module")
def lesson() -> Lesson:
    return parse_lesson(LESSON)


def _text() -> str:
    return " ".join(LESSON.read_text(encoding="utf-8").split())


def _beta(s: int, t: int) -> int:
    return math.comb(s + t, s)


def _fewest_recomputations(steps: int, snapshots: int) -> int:
    """Griewank's optimum, found by searching t (not the engine's own function)."""
    t = next(t for t in range(steps + 1) if _beta(snapshots, t) >= steps)
    return t * steps - _beta(snapshots + 1, t - 1)


def _every_recomputations(steps: int, k: int) -> int:
    last_segment = steps - k * ((steps - 1) // k)
    return steps - last_segment


def _steps_of(explore: Explore) -> int:
    return int(explore.program.split("range(")[1].split(")")[0])


def test_the_lesson_checks_and_follows_control_flow(lesson: Lesson) -> None:
    lessons, problems = check_paths([LESSON])
    assert not problems and lessons[0].id == "memory-and-checkpointing"
    assert lesson.order == 13 and lesson.prerequisites == ("control-flow",)
    assert 5 <= len(lesson.exercises()) <= 8
    words = sum(len(step.prose.split()) for step in lesson.steps) + len(lesson.intro.split())
    assert 700 <= words <= 1100


def test_what_each_mode_keeps(lesson: Lesson) -> None:
    for step, steps in ((0, 10), (1, 100)):
        explore = lesson.explore_for(step)
        assert _steps_of(explore) == steps
        assert compute("operations", explore) == steps
        assert compute("memory evaluate peak_entries", explore) == 2
        assert compute("memory forward peak_entries", explore) == 4
        assert compute("memory reverse stored_values", explore) == steps + 1
        assert compute("memory reverse peak_entries", explore) == steps + 3  # 2 adjoints
        assert compute("memory reverse peak_bytes", explore) == 8 * (steps + 3)
    text = _text()
    assert (
        "11 values on the tape" in text
        and "13 entries, 104 bytes, against forward mode's 32" in text
    )
    assert "101" not in lesson.steps[1].prose  # the second step's exercises stay open


def test_checkpointing_every_ten(lesson: Lesson) -> None:
    explore = lesson.explore_for(2)
    assert explore.checkpoint == "every=10" and _steps_of(explore) == 100
    assert compute("checkpoint recomputed_steps", explore) == _every_recomputations(100, 10) == 90
    assert compute("checkpoint snapshots_peak", explore) == 9  # states 0, 10, … 80
    assert compute("checkpoint peak_entries", explore) == 9 + 11 + 2
    for k, peak in ((5, 27), (20, 27), (10, 22)):  # K near √l = 10 holds the least
        spec = Explore(line=1, program=explore.program, at=explore.at, checkpoint=f"every={k}")
        assert compute("checkpoint peak_entries", spec) == peak
    text = _text()
    assert "both `every=5` and `every=20` peak at 27 entries" in text
    assert "(nine snapshots)" in text and "90" not in lesson.steps[2].prose
    assert (
        "from 103 entries to 22 (nine snapshots, one segment of eleven taped values, two adjoints)"
        in text
    )


def test_binomial_checkpointing(lesson: Lesson) -> None:
    ten = lesson.explore_for(3)
    assert ten.checkpoint == "snapshots=2" and _steps_of(ten) == 10 == _beta(2, 3)
    assert compute("checkpoint recomputed_steps", ten) == _fewest_recomputations(10, 2) == 20
    assert compute("checkpoint evaluations", ten) == 30
    assert compute("checkpoint peak_entries", ten) == 6
    assert compute("binomial 3 4", ten) == _beta(3, 4) == 35
    hundred = lesson.explore_for(4)
    assert hundred.checkpoint == "snapshots=3" and _steps_of(hundred) == 100
    assert compute("checkpoint recomputed_steps", hundred) == _fewest_recomputations(100, 3) == 490
    assert compute("checkpoint evaluations", hundred) == 590
    assert compute("checkpoint peak_entries", hundred) == 7
    assert _beta(3, 6) == 84 < 100 <= _beta(3, 7) == 120 and _beta(4, 6) == 210
    one = Explore(line=1, program=ten.program, at=ten.at, checkpoint="snapshots=1")
    assert compute("checkpoint recomputed_steps", one) == 10 * 9 / 2 == 45
    text = _text()
    assert "C(5, 2) = 10 steps" in text and "3·10 − 10" in text
    assert "6 entries instead of 13" in text
    two = Explore(line=1, program=hundred.program, at=hundred.at, checkpoint="snapshots=2")
    assert compute("checkpoint recomputed_steps", two) == _fewest_recomputations(100, 2) == 845
    assert compute("checkpoint evaluations", two) == 945
    assert compute("checkpoint peak_entries", two) == 6
    assert _beta(2, 12) == 91 < 100 <= _beta(2, 13) == 105
    assert "reach only β(2, 12) = 91 steps and thirteen reach β(2, 13) = 105" in text
    assert "t = 13: 945 evaluations, 845 of them recomputed, with a peak of 6 entries" in text
    assert "490" not in lesson.steps[4].prose
    assert "7·100 − β(4, 6) = 700 − 210 = 490" in text


def test_checkpointed_gradients_are_those_of_plain_reverse_mode(lesson: Lesson) -> None:
    for step in range(len(lesson.steps)):
        explore = lesson.explore_for(step)
        setup = prepare(explore)
        plain = run(setup.graph, setup.values, "reverse").gradient()["x"]
        for spec in ("every=10", "snapshots=2", "snapshots=3"):
            checked = run(setup.graph, setup.values, "reverse", checkpoint=spec).gradient()["x"]
            assert np.array_equal(plain, checked)


def test_slips_of_the_memory_queries(lesson: Lesson) -> None:
    by_id = {
        e.id: (e, lesson.explore_for(i)) for i, s in enumerate(lesson.steps) for e in s.exercises
    }
    tape, tape_explore = by_id["tape-values"]
    assert check(tape, tape_explore, "100").slip == "inputs-left-out"
    recomputed, recomputed_explore = by_id["three-snapshots"]
    assert check(recomputed, recomputed_explore, "590").slip == "evaluations"
    reach, reach_explore = by_id["binomial-reach"]
    assert check(reach, reach_explore, "20").slip == "binomial"  # β(3, 3)
    peak, peak_explore = by_id["forward-peak"]
    assert check(peak, peak_explore, "103").slip == "reverse-memory"


def test_checkpoint_queries_need_a_schedule() -> None:
    plain = Explore(line=1, program="sin(sin(x))", at="x=1")
    with pytest.raises(AdxError, match="needs a schedule"):
        compute("checkpoint recomputed_steps", plain)
    every = Explore(line=1, program="sin(sin(x))", at="x=1", checkpoint="every=1")
    with pytest.raises(AdxError, match="only for binomial"):
        compute("checkpoint optimal_advances", every)


def test_a_bad_checkpoint_key_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_text(
        "---\nid: b\ntitle: B\n---\n\n## s\n\n```adx-explore\nprogram: sin(x)\n"
        "checkpoint: snapshot=2\n```\n",
        encoding="utf-8",
    )
    with pytest.raises(LessonFormatError, match=r"bad.md:10: .*unknown checkpointing schedule"):
        parse_lesson(path)
