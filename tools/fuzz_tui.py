"""Fuzz the explorer and the lesson player for a while: random sessions through Pilot.

    python tools/fuzz_tui.py --minutes 8          # seeds 1000, 1001, ... until time is up
    python tools/fuzz_tui.py --seed 1234          # replay one case, printing its actions
    python tools/fuzz_tui.py --minutes 8 --start 5000 --actions 80

Each case is a seed (tests/fuzz_driver.py makes it: the app, the program, the
terminal size and the actions).  After every action the driver checks that no
exception escaped and that the screen agrees with the session.  Prints the
cases tried, the actions played and every failure with its seed and actions;
exits 1 if a case failed.  The test suite runs a bounded number of cases
(tests/test_tui_fuzz.py); this runs as many as the time allows.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fuzz_driver import CaseFailed, make_case, run_case
from tests.tui_helpers import quick_pilot


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="how long to run")
    parser.add_argument("--start", type=int, default=1000, help="the first seed")
    parser.add_argument("--seed", type=int, help="run (replay) this one case and stop")
    parser.add_argument("--actions", type=int, help="actions per case (default 30 to 60)")
    parser.add_argument(
        "--textual-idle",
        action="store_true",
        help="wait for idle as Pilot does by default (slower; keys arrive further apart)",
    )
    args = parser.parse_args()
    if not args.textual_idle:
        with quick_pilot():
            return run(args)
    return run(args)


def run(args: argparse.Namespace) -> int:

    if args.seed is not None:
        case = make_case(args.seed, args.actions)
        print(case.describe())
        try:
            asyncio.run(run_case(case))
        except CaseFailed as failure:
            print(f"FAILED\n{failure}")
            return 1
        print("passed")
        return 0

    deadline = time.monotonic() + args.minutes * 60
    seed = args.start
    tried = actions = 0
    failures: list[tuple[int, str]] = []
    started = time.monotonic()
    while time.monotonic() < deadline:
        case = make_case(seed, args.actions)
        try:
            asyncio.run(run_case(case))
        except CaseFailed as failure:
            failures.append((seed, str(failure)))
            print(f"seed {seed} FAILED: {str(failure).splitlines()[0]}", flush=True)
        tried += 1
        actions += len(case.actions)
        seed += 1
        if tried % 10 == 0:
            print(f"{tried} cases, {actions} actions, {len(failures)} failed", flush=True)
    minutes = (time.monotonic() - started) / 60
    print(
        f"\n{tried} cases (seeds {args.start}..{seed - 1}), {actions} actions "
        f"in {minutes:.1f} min: {len(failures)} failed"
    )
    for seed, text in failures:
        print(f"\n--- seed {seed} (replay: python tools/fuzz_tui.py --seed {seed})\n{text}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
