"""A bounded stateful fuzz of the explorer and the lesson player (tests/fuzz_driver.py).

Each case is a seed: a random app (the explorer, or a built-in lesson at a step),
program and terminal size, then random actions: keys (every explorer key but
q, the lesson's n p t a, ctrl+z ctrl+y, Esc, help), typing, deleting and pasting
in the editor (valid and invalid programs, vectors, constants only, very long),
values, seeds, families and answers typed into fields, the seed dialog (u, typed
key by key or all at once), resizes, pauses while
playing.  After each action: no exception escaped, the app still runs, the
session's position is within its frames, the trace table has a row per node,
the editor holds what was typed; after the background work settles, the
session ran exactly what the editor holds and the screen says so.

A failure names the seed and lists the actions; replay it with
``python tools/fuzz_tui.py --seed N``.  For a longer run:
``python tools/fuzz_tui.py --minutes 8``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fuzz_driver import make_case, run_case
from tests.tui_helpers import quick_pilot

#: Bounded so the file stays under about a minute and a half on two shared cores.
SEEDS = range(20)
ACTIONS = 30


@pytest.fixture(autouse=True)
def _quick_pilot() -> Iterator[None]:
    with quick_pilot():
        yield


@pytest.mark.parametrize("seed", SEEDS)
async def test_random_session(seed: int) -> None:
    await run_case(make_case(seed, ACTIONS))
