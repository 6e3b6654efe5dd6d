"""The explorer's screen as SVG: Textual's own screenshot, taken headless.

:func:`explorer_svg` runs the explorer on a session in Textual's headless test
harness (``App.run_test`` at a given terminal size), moves to the end of the trace
(or to a given step), and returns ``App.export_screenshot()``: the SVG Textual
draws of the screen, every character and colour as the terminal shows them.
``adx export --format svg`` calls it; the explorer's own export action takes the
screenshot of the running app instead (:func:`screen_svg`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.app import App

from adexplorer.base.text import visible
from adexplorer.explorer.session import Session

#: The terminal a screenshot is taken in unless asked otherwise (columns, rows).
DEFAULT_SIZE = (120, 40)


def screen_svg(app: App[object], title: str | None = None) -> str:
    """The app's screen as it is now, as SVG (a title shown in the window's bar)."""
    return app.export_screenshot(title=visible(title, keep="") if title else None)


def explorer_svg(
    session: Session,
    *,
    size: tuple[int, int] = DEFAULT_SIZE,
    step: int | None = None,
    export_dir: Path | None = None,
) -> str:
    """The explorer on ``session`` as SVG, after every step (``step`` None) or after
    ``step`` steps (clamped to the trace), in a terminal of ``size`` (columns, rows)."""
    return asyncio.run(_explorer_svg(session, size, step, export_dir))


async def _explorer_svg(
    session: Session, size: tuple[int, int], step: int | None, export_dir: Path | None
) -> str:
    from adexplorer.tui.app import ExplorerApp  # the app module imports this one's callers

    app = ExplorerApp(session, export_dir=export_dir)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        view = app.view
        # the keys' own actions, so the screen is what pressing End (or → step times) shows
        if step is None:
            view.action_to_end()
        else:
            view.action_to_start()
            view.action_step(step)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        return screen_svg(app, "AD Explorer")
