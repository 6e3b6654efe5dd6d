"""Helpers for driving the apps with Pilot: waiting for what runs in the background."""

from __future__ import annotations

from textual.pilot import Pilot

from adexplorer.tui.explorer_view import ExplorerView


class NeverSettled(AssertionError):
    pass


async def settle(pilot: Pilot[None], rounds: int = 50) -> None:
    """Compile what was typed now (no debounce wait), then wait for every computation
    (compiling, finite differences, swell) and for the screen to show the results."""
    app = pilot.app
    await pilot.pause()
    for _ in range(rounds):
        view = app.query_one(ExplorerView)
        view.flush_pending()
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not view.busy and not any(w.is_running for w in app.workers):
            return
    raise NeverSettled(f"a computation still runs after {rounds} rounds")
