"""Taping benchmarks: what recording a run of a program with a loop costs.  Ratios in one run.

    python benchmarks/bench_taping.py

A program with ``if``/``for`` is checked once, then *taped* at each new point:
lowering the program again with values, the branch taken and every iteration
unrolled.  For ``for i in range(N): s = s*x + sin(s)`` at N = 10, 100, 1,000
this prints, per N, the median time of

* checking the program (every path, once),
* taping one run,
* the primal sweep alone over the tape, and reverse mode (taping included),

and the ratios tape / primal and reverse / primal, so the price of dynamic
graphs beside the sweeps is visible.  (No thresholds: tests never assert times.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adexplorer.core.engines.finite_diff import evaluate_outputs
from adexplorer.core.trace import run
from adexplorer.lang.lower import check_program, compile_source
from benchmarks.bench_core import median_time


def measure(count: int) -> None:
    """One row of the table: the loop run ``count`` times."""
    source = f"x: real = 0.5\ns = 1\nfor i in range({count}):\n    s = s*x + sin(s)\nreturn s\n"
    graph = compile_source(source).graph
    program = graph.program
    assert program is not None
    repeat = 21 if count < 1000 else 7
    points = iter(np.linspace(0.1, 0.9, 10_000))  # a new point each time: a real retape
    check = median_time(lambda: check_program(source), repeat)
    tape = median_time(lambda: program.tape({"x": np.array(next(points))}), repeat)
    primal = median_time(lambda: evaluate_outputs(graph, {"x": np.array(0.5)}), repeat)
    reverse = median_time(lambda: run(graph, {"x": np.array(next(points))}, "reverse"), repeat)
    print(
        f"{count:>6} {check * 1e3:>7.2f}ms {tape * 1e3:>7.2f}ms {primal * 1e3:>7.2f}ms "
        f"{reverse * 1e3:>7.2f}ms {tape / primal:>12.1f} {reverse / primal:>15.1f}"
    )


def main() -> None:
    print(
        f"{'N':>6} {'check':>9} {'tape':>9} {'primal':>9} {'reverse':>9} {'tape/primal':>12} "
        f"{'reverse/primal':>15}"
    )
    for count in (10, 100, 1000):
        measure(count)


if __name__ == "__main__":
    main()
