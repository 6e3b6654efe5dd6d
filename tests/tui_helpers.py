"""Helpers for driving the apps with Pilot: waiting for what runs in the background."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from textual import _wait
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


@contextlib.contextmanager
def quick_pilot(granularity: float = 1 / 200) -> Iterator[None]:
    """Let Pilot notice sooner that the app is idle.

    After each key Pilot polls the process's CPU time in slices of 1/50 s until a
    slice passes with almost none used; most of a fuzz run's time went into those
    slices.  This polls in slices of ``granularity`` instead (the same 5% rule),
    which changes how long a test waits, never what the app does.  It sets two
    constants of Textual's private ``textual._wait`` and puts them back after.
    """
    saved = (_wait.SLEEP_GRANULARITY, _wait.SLEEP_IDLE)
    _wait.SLEEP_GRANULARITY, _wait.SLEEP_IDLE = granularity, granularity / 20
    try:
        yield
    finally:
        _wait.SLEEP_GRANULARITY, _wait.SLEEP_IDLE = saved
