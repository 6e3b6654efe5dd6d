"""A longer fuzz campaign than the test suite's: ``python tools/fuzz.py --minutes 10``.

Uses the strategies and the contract of ``tests/fuzzing.py`` (the same ones
``tests/test_fuzz_cli.py`` runs briefly in CI), round-robin over every surface
until the time is up, and prints per surface the cases tried and the failures,
each failure kind once with the shortest command line that showed it.

Cases run in this process (``main()`` itself, with its exit-status net).  A case
over its time budget is stopped and counted as a failure; the address space is
capped (``--memory``) so that a runaway allocation is a MemoryError reported as
a failure, not a machine out of memory.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed

from tests import fuzzing

GRADER = "grader"
ROUND_TRIP = "lesson-round-trip"
ALL = [*fuzzing.SURFACES, GRADER, ROUND_TRIP]


@dataclass
class Tally:
    cases: int = 0
    failures: int = 0
    slowest: float = 0.0
    seconds: float = 0.0
    slowest_case: str = ""
    kinds: dict[str, str] = field(default_factory=dict)  # signature -> shortest reproducer
    counts: Counter[str] = field(default_factory=Counter)
    results: Counter[str] = field(default_factory=Counter)  # exit statuses, or grader verdicts
    known: Counter[str] = field(default_factory=Counter)  # known language-layer issues (xfail)
    known_cases: dict[str, str] = field(default_factory=dict)

    def record(self, found: list[str], reproducer: str, seconds: float, result: str) -> None:
        self.cases += 1
        self.seconds += seconds
        self.results[result] += 1
        if seconds > self.slowest:
            self.slowest, self.slowest_case = seconds, reproducer
        if not found:
            return
        known = fuzzing.known_issue(found)
        if known:
            self.known[known] += 1
            best = self.known_cases.get(known)
            if best is None or len(reproducer) < len(best):
                self.known_cases[known] = reproducer
            return
        self.failures += 1
        signature = _signature(found)
        self.counts[signature] += 1
        best = self.kinds.get(signature)
        if best is None or len(reproducer) < len(best):
            self.kinds[signature] = f"{reproducer}\n    -> {fuzzing.describe(found)[:400]}"


def _signature(found: list[str]) -> str:
    """Failures of one kind: the first problem with numbers, quotes and paths blurred."""
    text = found[0]
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", text)
    text = re.sub(r"\d+(\.\d+)?", "N", text)
    return text[:160]


class _TimeUp(Exception):
    """The campaign's time is up: ends a hypothesis run between two cases."""


def _chunk(
    surface: str,
    tally: Tally,
    directory: Path,
    budget: float,
    count: int,
    rng: int,
    deadline: float,
) -> None:
    """Run ``count`` examples of one surface (one hypothesis run, failures recorded, not
    raised), stopping early at ``deadline``."""
    opts = settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )

    if surface == GRADER:

        @opts
        @given(case=fuzzing.grader_cases)
        def body(case: fuzzing.GraderCase) -> None:
            _on_time(deadline)
            found, seconds = fuzzing.grade(case, timeout=budget)
            tally.record(found, case.reproducer(), seconds, "graded" if not found else "failed")

    elif surface == ROUND_TRIP:

        @opts
        @given(text=fuzzing.lesson_texts(rate=25))
        def body(text: str) -> None:
            _on_time(deadline)
            start = time.perf_counter()
            content = text.encode("utf-8", "surrogateescape")
            with fuzzing.time_limit(budget * 4):
                try:
                    found, verdict = fuzzing.lesson_round_trip(content, directory)
                except fuzzing.Hang:
                    found, verdict = ["did not finish in its time budget"], "hung"
            seconds = time.perf_counter() - start
            tally.record(found, f"lesson file {content!r}", seconds, verdict)

    else:

        @opts
        @given(case=fuzzing.SURFACES[surface])
        def body(case: fuzzing.Case) -> None:
            _on_time(deadline)
            outcome = fuzzing.run_case(case, directory, timeout=budget)
            found = fuzzing.problems(case, outcome)
            result = "hung" if outcome.hung else f"exit {outcome.code}"
            tally.record(found, case.command_line(), outcome.seconds, result)

    with contextlib.suppress(_TimeUp):
        hypothesis_seed(rng)(body)()


def _on_time(deadline: float) -> None:
    if time.monotonic() >= deadline:
        raise _TimeUp()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to run (default 10)")
    parser.add_argument(
        "--surface", action="append", choices=ALL, help="only this surface (repeatable)"
    )
    parser.add_argument("--budget", type=float, default=30.0, help="seconds one case may take")
    parser.add_argument("--chunk", type=int, default=50, help="cases per surface per round")
    parser.add_argument("--seed", type=int, default=None, help="seed of the first round")
    parser.add_argument(
        "--memory", type=float, default=6.0, help="cap on the address space, in GiB (0: none)"
    )
    args = parser.parse_args()
    surfaces = args.surface or ALL
    if args.memory > 0:
        import resource

        cap = int(args.memory * 1024**3)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    rng = random.Random(args.seed)
    tallies = {surface: Tally() for surface in surfaces}
    deadline = time.monotonic() + args.minutes * 60
    rounds = 0
    started = time.monotonic()
    try:
        with fuzzing.fuzz_environment() as directory:
            while time.monotonic() < deadline:
                rounds += 1
                for surface in surfaces:
                    if time.monotonic() >= deadline:
                        break
                    _chunk(
                        surface,
                        tallies[surface],
                        directory,
                        args.budget,
                        args.chunk,
                        rng.randrange(2**32),
                        deadline,
                    )
                total = sum(t.cases for t in tallies.values())
                bad = sum(t.failures for t in tallies.values())
                print(f"round {rounds}: {total} cases, {bad} failures", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print("interrupted: the figures so far", file=sys.stderr)
    _report(tallies, (time.monotonic() - started) / 60)
    return 1 if any(t.failures for t in tallies.values()) else 0


def _report(tallies: dict[str, Tally], minutes: float) -> None:
    print(f"\nadx fuzz campaign, {minutes:g} minute(s)\n")
    print(
        f"{'surface':<20} {'cases':>8} {'failures':>9} {'kinds':>6} {'known':>6} "
        f"{'mean s':>8} {'max s':>7}"
    )
    for surface, t in tallies.items():
        mean = t.seconds / t.cases if t.cases else 0.0
        print(
            f"{surface:<20} {t.cases:>8} {t.failures:>9} {len(t.kinds):>6} "
            f"{sum(t.known.values()):>6} {mean:>8.3f} {t.slowest:>7.2f}"
        )
    total = sum(t.cases for t in tallies.values())
    failures = sum(t.failures for t in tallies.values())
    known = sum(sum(t.known.values()) for t in tallies.values())
    print(f"{'total':<20} {total:>8} {failures:>9} {'':>6} {known:>6}")
    if known:
        print("\nknown language-layer issues (strict xfail tests; counted apart):")
        for surface, t in tallies.items():
            for test, count in t.known.items():
                print(f"  [{surface}] ×{count}: {test}\n    e.g. {t.known_cases[test][:300]}")
    print("\nresults per surface (exit statuses; lessons: checked and played, or refused):")
    for surface, t in tallies.items():
        results = ", ".join(f"{k} ×{v}" for k, v in sorted(t.results.items()))
        print(f"  {surface:<18} {results}")
    print("\nslowest case per surface:")
    for surface, t in tallies.items():
        print(f"  {surface:<18} {t.slowest:.2f} s  {t.slowest_case[:300]}")
    for surface, t in tallies.items():
        for signature, reproducer in t.kinds.items():
            print(f"\n[{surface}] ×{t.counts[signature]}: {signature}\n  {reproducer}")


if __name__ == "__main__":
    raise SystemExit(main())
