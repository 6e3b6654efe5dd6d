"""Memory against time: plain reverse mode and checkpointing on a long chain, in one run.

    python benchmarks/bench_memory.py                  # a chain of 2,000 sin
    python benchmarks/bench_memory.py --length 5000 --every 70 --snapshots 6
    python benchmarks/bench_memory.py --quick          # fewer repetitions

For ``sin(sin(…sin(x)…))`` of the given length: wall-clock time of value and
gradient, peak memory (scalar entries, see docs/memory.md), snapshots and
recomputed steps of plain reverse mode, ``every=K`` and ``snapshots=S``, with
ratios to plain reverse mode.  The gradients are checked to be identical.
Timings are medians on this machine; tests never assert them.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adexplorer.core.trace import Trace, run
from adexplorer.lang.lower import compile_source


def timed(action: object, repeat: int) -> tuple[float, Trace]:
    samples = []
    result: Trace | None = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    assert result is not None
    return statistics.median(samples), result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--length", type=int, default=2000)
    parser.add_argument("--every", type=int, default=0, help="K (default: about √length)")
    parser.add_argument("--snapshots", type=int, default=4)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeat = 1 if args.quick else 3
    every = args.every or max(1, math.isqrt(args.length))
    source = "sin(" * args.length + "x" + ")" * args.length
    graph = compile_source(source).graph
    point = {"x": 0.5}

    plain_time, plain = timed(lambda: run(graph, point), repeat)
    assert plain.cost is not None and plain.cost.memory is not None
    plain_peak = plain.cost.memory.reverse.peak_entries
    print(f"sin chain of {args.length:,} operations, median of {repeat} run(s)\n")
    header = f"{'schedule':<16}{'time s':>9}{'× plain':>9}{'peak entries':>14}{'× plain':>9}"
    header += f"{'snapshots':>11}{'recomputed':>12}"
    print(header)
    print(
        f"{'plain reverse':<16}{plain_time:>9.3f}{1:>9.2f}{plain_peak:>14,}{1:>9.3f}{0:>11}{0:>12}"
    )
    for spec in (f"every={every}", f"snapshots={args.snapshots}"):
        seconds, trace = timed(lambda spec=spec: run(graph, point, checkpoint=spec), repeat)
        checkpoint = trace.checkpoint
        assert checkpoint is not None
        assert np.array_equal(trace.gradient()["x"], plain.gradient()["x"])  # bit for bit
        schedule = checkpoint.schedule
        print(
            f"{spec:<16}{seconds:>9.3f}{seconds / plain_time:>9.2f}"
            f"{checkpoint.peak_entries:>14,}{checkpoint.peak_entries / plain_peak:>9.3f}"
            f"{schedule.snapshots_peak:>11}{schedule.recomputed:>12,}"
        )
    print("\ngradients identical to plain reverse mode (np.array_equal)")


if __name__ == "__main__":
    main()
