"""Second-order mode fixes a student found in tmux: the seed note only on the seed step,
columns of H, v̇ kept beside v̄ and v̄̇, reverse mode's ȳ in the inputs panel, the
Hessian panel at 80×24, and small texts (no -0)."""

from __future__ import annotations

from pathlib import Path

from adexplorer.explorer.session import Session
from adexplorer.lessons.concealment import hidden_for_all
from adexplorer.lessons.parser import parse_lesson
from adexplorer.tui.app import ExplorerApp
from adexplorer.tui.lesson_app import session_for_exploration
from adexplorer.tui.widgets.formula_bar import FormulaBar

SEVENTEEN = Path(__file__).resolve().parents[1] / "lessons" / "17-second-derivatives.md"
SEED_NOTE = "(the seed:"


def formula_bar(app: ExplorerApp) -> str:
    return str(app.query_one(FormulaBar).content)


def _lesson_session(exercise_id: str) -> Session:
    lesson = parse_lesson(SEVENTEEN)
    for index, step in enumerate(lesson.steps):
        for exercise in step.exercises:
            if exercise.id == exercise_id:
                explore = lesson.explore_for(index)
                assert explore is not None
                session = session_for_exploration(explore)
                session.concealed = hidden_for_all([exercise], explore)
                return session
    raise AssertionError(exercise_id)


async def test_the_seed_note_shows_on_the_seed_step_only() -> None:
    """With a lesson hiding cells, a hidden adjoint step has no running totals: it once
    took the seed's note "(the seed: …)" all the same."""
    session = _lesson_session("x1-dot")
    app = ExplorerApp(session)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("home")
        kinds = [f.kind for f in session.frames]
        seen = {"nested_seed": 0, "nested_adjoint": 0}
        hidden_steps = 0
        for kind in kinds:
            await pilot.press("right")
            bar = formula_bar(app)
            if kind in seen:
                seen[kind] += 1
                assert (SEED_NOTE in bar) == (kind == "nested_seed"), (kind, bar)
                hidden_steps += "= ?" in bar
        assert seen["nested_seed"] >= 1 and seen["nested_adjoint"] >= 1
        assert hidden_steps >= 1  # the case the note leaked into
